package provider

import "encoding/json"

// JSONMessage extracts the human message from a provider's JSON error body:
// "message", "error" (a string or an object with "message"), "errors[0]",
// or "errorMessage"; anything else is returned as text. The caller redacts.
func JSONMessage(body []byte) string {
	var v struct {
		Message      string          `json:"message"`
		ErrorMessage string          `json:"errorMessage"`
		Error        json.RawMessage `json:"error"`
		Errors       []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &v) != nil {
		return string(body)
	}
	switch {
	case len(v.Errors) > 0 && v.Errors[0].Message != "":
		return v.Errors[0].Message
	case v.Message != "":
		return v.Message
	case v.ErrorMessage != "":
		return v.ErrorMessage
	}
	var s string
	if json.Unmarshal(v.Error, &s) == nil && s != "" {
		return s
	}
	var o struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(v.Error, &o) == nil && o.Message != "" {
		return o.Message
	}
	return string(body)
}
