package provider

import (
	"encoding/json"

	"github.com/qguard/qguard"
)

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

// SetJSON makes body, marshalled as JSON, the request's body. Set Header
// first: SetJSON adds the Content-Type to it. A nil body sends none.
func (r *Request) SetJSON(body any) error {
	if body == nil {
		return nil
	}
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	r.Body = b
	r.Header.Set("Content-Type", "application/json")
	return nil
}

// SubmittedID reads the string field that names the job a provider just
// accepted. Without it the job may run but cannot be followed or
// cancelled, so its absence is EPROVIDER with the message missing.
func SubmittedID(body []byte, field, missing string) (string, error) {
	var fields map[string]json.RawMessage
	var id string
	if json.Unmarshal(body, &fields) != nil || json.Unmarshal(fields[field], &id) != nil || id == "" {
		return "", qguard.Errorf(qguard.EPROVIDER, "%s", missing)
	}
	return id, nil
}
