package monitor

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Entry is what the detectors read from one log line. JSON lines are
// understood with the usual field names (timestamp/time/ts, level,
// message/msg, source, user_id, provider, ip_address, event, cost_usd,
// qubits, gates, circuit_structure); anything else is plain text.
type Entry struct {
	Time      time.Time // zero when the line has none
	Level     string    // lower case
	Message   string
	Source    string
	User      string
	Provider  string
	Address   string
	Event     string // event / event_type field: auth_failure, job_submitted, job_completed, …
	JobID     string
	CostUSD   float64
	HasCost   bool
	Qubits    int
	Gates     int
	Structure string // hash of the circuit without its parameters
	JSON      bool
}

// maxField bounds the strings kept from one entry.
const maxField = 256

// ParseEntry reads one log line. It never fails: a line that is not a JSON
// object is plain text, whose leading RFC 3339 timestamp and level are used
// when present.
func ParseEntry(line []byte) Entry {
	line = bytes.TrimSpace(line)
	if len(line) > 0 && line[0] == '{' {
		var m map[string]any
		if json.Unmarshal(line, &m) == nil {
			return fromJSON(m)
		}
	}
	return fromText(string(line))
}

func fromJSON(m map[string]any) Entry {
	e := Entry{JSON: true}
	str := func(keys ...string) string {
		for _, k := range keys {
			switch v := m[k].(type) {
			case string:
				return clip(v)
			case float64:
				return strconv.FormatFloat(v, 'f', -1, 64)
			}
		}
		return ""
	}
	num := func(keys ...string) (float64, bool) {
		for _, k := range keys {
			switch v := m[k].(type) {
			case float64:
				if !math.IsNaN(v) && !math.IsInf(v, 0) {
					return v, true
				}
			case string:
				if f, err := strconv.ParseFloat(v, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
					return f, true
				}
			}
		}
		return 0, false
	}
	for _, k := range []string{"timestamp", "time", "ts", "@timestamp"} {
		switch v := m[k].(type) {
		case string:
			e.Time = parseTime(v)
		case float64:
			if v > 0 && v < 1e11 {
				e.Time = time.Unix(int64(v), int64((v-math.Floor(v))*1e9)).UTC()
			}
		}
		if !e.Time.IsZero() {
			break
		}
	}
	e.Level = strings.ToLower(str("level", "severity", "lvl"))
	e.Message = str("message", "msg")
	e.Source = str("source", "logger", "component")
	e.User = str("user_id", "user", "username")
	e.Provider = str("provider")
	e.Address = str("ip_address", "ip", "remote_addr", "client_ip", "address")
	e.Event = strings.ToLower(str("event", "event_type", "action"))
	e.JobID = str("job_id")
	e.CostUSD, e.HasCost = num("cost_usd", "cost")
	if e.CostUSD < 0 {
		e.CostUSD, e.HasCost = 0, false
	}
	q, _ := num("qubits", "qubit_count")
	g, _ := num("gates", "gate_count")
	e.Qubits, e.Gates = clampInt(q), clampInt(g)
	e.Structure = str("circuit_structure", "circuit_hash")
	return e
}

func fromText(s string) Entry {
	e := Entry{Message: clip(s)}
	f := strings.Fields(s)
	if len(f) > 0 {
		e.Time = parseTime(f[0])
	}
	for i := 0; i < len(f) && i < 3; i++ {
		switch w := strings.ToLower(strings.Trim(f[i], "[]:")); w {
		case "debug", "info", "warn", "warning", "error", "fatal", "critical":
			e.Level = w
		}
	}
	return e
}

func parseTime(s string) time.Time {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000Z0700", "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

func clip(s string) string {
	if len(s) <= maxField {
		return s
	}
	s = s[:maxField]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

func clampInt(f float64) int {
	if f < 0 {
		return 0
	}
	if f > 1e9 {
		return 1e9
	}
	return int(f)
}
