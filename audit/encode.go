package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/qguard/qguard"
)

// MaxRecordSize bounds the canonical encoding of one record, so that a
// caller cannot fill the log (or a verifier's memory) with one huge entry.
const MaxRecordSize = 64 << 10

// timeLayout is RFC 3339 in UTC with a fixed nine-digit fraction: one
// instant has exactly one spelling.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// formatVersion is the "v" field of every encoding; a future format gets
// a new number so that old entries keep verifying.
const formatVersion = 1

// Encode returns the canonical bytes of rec: JSON with a fixed field order,
// every field present, details sorted by key, the time in UTC at
// nanosecond precision, and one escaping rule for strings. These bytes are
// what the Merkle tree commits to, so one record has exactly one encoding.
func Encode(rec *qguard.AuditRecord) ([]byte, error) {
	if rec.Index < 0 {
		return nil, fmt.Errorf("negative index %d", rec.Index)
	}
	t := rec.Time.UTC()
	if y := t.Year(); y < 1 || y > 9999 {
		return nil, fmt.Errorf("time %v out of range", rec.Time)
	}
	if math.IsNaN(rec.Cost) || math.IsInf(rec.Cost, 0) {
		return nil, errors.New("cost is not a finite number")
	}
	b := make([]byte, 0, 256)
	b = append(b, `{"v":`...)
	b = strconv.AppendInt(b, formatVersion, 10)
	b = append(b, `,"index":`...)
	b = strconv.AppendInt(b, rec.Index, 10)
	b = append(b, `,"time":"`...)
	b = t.AppendFormat(b, timeLayout)
	b = append(b, '"')
	var err error
	for _, f := range [...]struct{ name, value string }{
		{"actor", rec.Actor}, {"action", rec.Action}, {"resource", rec.Resource},
		{"decision", rec.Decision}, {"reason", rec.Reason}, {"request_id", rec.RequestID},
	} {
		b = append(b, `,"`...)
		b = append(b, f.name...)
		b = append(b, `":`...)
		if b, err = appendString(b, f.value, f.name); err != nil {
			return nil, err
		}
	}
	b = append(b, `,"cost":`...)
	b = strconv.AppendFloat(b, rec.Cost, 'g', -1, 64)
	b = append(b, `,"details":{`...)
	keys := make([]string, 0, len(rec.Details))
	for k := range rec.Details {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = appendString(b, k, "details key"); err != nil {
			return nil, err
		}
		b = append(b, ':')
		if b, err = appendString(b, rec.Details[k], "details."+k); err != nil {
			return nil, err
		}
	}
	b = append(b, "}}"...)
	if len(b) > MaxRecordSize {
		return nil, fmt.Errorf("record of %d bytes exceeds %d", len(b), MaxRecordSize)
	}
	return b, nil
}

// appendString appends s as a JSON string, escaping only what JSON
// requires: '"', '\\' and control characters. Invalid UTF-8 is refused
// rather than replaced, since a replaced string would not round-trip.
func appendString(b []byte, s, field string) ([]byte, error) {
	if !utf8.ValidString(s) {
		return nil, fmt.Errorf("%s is not valid UTF-8", field)
	}
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"'), nil
}

// wireRecord is the decoding target; field names match Encode.
type wireRecord struct {
	V         int               `json:"v"`
	Index     int64             `json:"index"`
	Time      string            `json:"time"`
	Actor     string            `json:"actor"`
	Action    string            `json:"action"`
	Resource  string            `json:"resource"`
	Decision  string            `json:"decision"`
	Reason    string            `json:"reason"`
	RequestID string            `json:"request_id"`
	Cost      float64           `json:"cost"`
	Details   map[string]string `json:"details"`
}

// Decode parses canonical record bytes. It accepts only the exact bytes
// Encode produces, so that two different byte strings never decode to the
// same record.
func Decode(data []byte) (qguard.AuditRecord, error) {
	if len(data) > MaxRecordSize {
		return qguard.AuditRecord{}, fmt.Errorf("record of %d bytes exceeds %d", len(data), MaxRecordSize)
	}
	var w wireRecord
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return qguard.AuditRecord{}, fmt.Errorf("decode record: %w", err)
	}
	if w.V != formatVersion {
		return qguard.AuditRecord{}, fmt.Errorf("unknown record format version %d", w.V)
	}
	t, err := time.Parse(timeLayout, w.Time)
	if err != nil {
		return qguard.AuditRecord{}, fmt.Errorf("record time: %w", err)
	}
	rec := qguard.AuditRecord{
		Index: w.Index, Time: t, Actor: w.Actor, Action: w.Action, Resource: w.Resource,
		Decision: w.Decision, Reason: w.Reason, RequestID: w.RequestID, Cost: w.Cost,
	}
	if len(w.Details) > 0 {
		rec.Details = w.Details
	}
	again, err := Encode(&rec)
	if err != nil {
		return qguard.AuditRecord{}, err
	}
	if !bytes.Equal(again, data) {
		return qguard.AuditRecord{}, errors.New("record is not in canonical form")
	}
	return rec, nil
}
