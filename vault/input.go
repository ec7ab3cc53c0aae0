package vault

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// maxInput bounds what ParseFields reads (credentials are small).
const maxInput = 1 << 20

// ParseFields reads credential fields given on stdin or in a file: a JSON
// object of strings, or KEY=VALUE lines (blank lines and # comments
// ignored, an optional "export " prefix and surrounding quotes removed, as
// in a .env file). Errors name the line, never its content, which may be a
// secret.
func ParseFields(data []byte) (map[string]string, error) {
	if len(data) > maxInput {
		return nil, fmt.Errorf("input is larger than %d bytes", maxInput)
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var raw map[string]any
		if err := json.Unmarshal(trimmed, &raw); err != nil {
			return nil, fmt.Errorf("input looks like JSON but does not parse: %s", jsonErrorWithoutValue(err))
		}
		out := make(map[string]string, len(raw))
		for k, v := range raw {
			if strings.TrimSpace(k) == "" {
				return nil, fmt.Errorf("a field name is empty")
			}
			switch v := v.(type) {
			case string:
				out[k] = v
			case nil:
			default:
				return nil, fmt.Errorf("field %q must be a string", k)
			}
		}
		return out, nil
	}
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), maxInput)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" || strings.ContainsAny(k, " \t\"'") {
			return nil, fmt.Errorf("line %d: expected KEY=VALUE", n)
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		out[k] = v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read input: %w", err)
	}
	return out, nil
}

// jsonErrorWithoutValue keeps a JSON error's position but not the text
// around it.
func jsonErrorWithoutValue(err error) string {
	if se, ok := err.(*json.SyntaxError); ok {
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	}
	if ue, ok := err.(*json.UnmarshalTypeError); ok {
		return fmt.Sprintf("expected an object of strings (at byte %d)", ue.Offset)
	}
	return "invalid JSON"
}

// FieldsFromEnv collects s's fields from the providers' own environment
// variables (lookup) and, at lower priority, from dotenv (a parsed .env
// file, keyed by variable name).
func FieldsFromEnv(s *Schema, lookup func(string) (string, bool), dotenv map[string]string) map[string]string {
	out := map[string]string{}
	for _, f := range s.Fields {
		if f.Env == "" {
			continue
		}
		if v, ok := lookup(f.Env); ok && v != "" {
			out[f.Name] = v
		} else if v := dotenv[f.Env]; v != "" {
			out[f.Name] = v
		}
	}
	return out
}
