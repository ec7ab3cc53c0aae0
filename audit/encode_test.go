package audit_test

import (
	"bytes"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/audit"
)

var t0 = time.Date(2026, 12, 4, 15, 49, 35, 123456789, time.UTC)

func TestEncodeGolden(t *testing.T) {
	rec := qguard.AuditRecord{
		Index: 7, Time: t0.In(time.FixedZone("CET", 3600)), Actor: "alice", Action: "job.submit",
		Resource: "device:local:statevector", Decision: qguard.DecisionDeny, Reason: `shots 20000 > "max_shots" 10000`,
		RequestID: "req-1", Cost: 0.25, Details: map[string]string{"z": "last", "a": "first\n<tab>\t\x01"},
	}
	got, err := audit.Encode(&rec)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"v":1,"index":7,"time":"2026-12-04T15:49:35.123456789Z","actor":"alice","action":"job.submit",` +
		`"resource":"device:local:statevector","decision":"deny","reason":"shots 20000 > \"max_shots\" 10000",` +
		`"request_id":"req-1","cost":0.25,"details":{"a":"first\n<tab>\t\u0001","z":"last"}}`
	if string(got) != want {
		t.Errorf("Encode:\n got %s\nwant %s", got, want)
	}
	back, err := audit.Decode(got)
	if err != nil {
		t.Fatal(err)
	}
	rec.Time = rec.Time.UTC()
	if !reflect.DeepEqual(back, rec) {
		t.Errorf("Decode(Encode(r)) = %+v, want %+v", back, rec)
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	for _, rec := range []qguard.AuditRecord{
		{Time: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Index: 1 << 40, Time: t0, Actor: "ünïcødé ✓", Cost: -0.1e-9},
		{Index: 3, Time: t0, Cost: 1e300, Details: map[string]string{"": "", "k\"\\": "\u2028\x7f"}},
	} {
		data, err := audit.Encode(&rec)
		if err != nil {
			t.Fatalf("Encode(%+v): %v", rec, err)
		}
		back, err := audit.Decode(data)
		if err != nil {
			t.Fatalf("Decode(%s): %v", data, err)
		}
		if !reflect.DeepEqual(back, rec) {
			t.Errorf("round trip of %s: got %+v, want %+v", data, back, rec)
		}
	}
}

func TestEncodeRejects(t *testing.T) {
	for name, rec := range map[string]qguard.AuditRecord{
		"negative index": {Index: -1, Time: t0},
		"NaN cost":       {Time: t0, Cost: math.NaN()},
		"infinite cost":  {Time: t0, Cost: math.Inf(1)},
		"year 10000":     {Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		"bad UTF-8":      {Time: t0, Actor: "a\xffb"},
		"bad UTF-8 key":  {Time: t0, Details: map[string]string{"\xff": "x"}},
		"too large":      {Time: t0, Reason: strings.Repeat("x", audit.MaxRecordSize)},
	} {
		if data, err := audit.Encode(&rec); err == nil {
			t.Errorf("%s: Encode = %s, want an error", name, data)
		}
	}
}

func TestDecodeRejectsNonCanonical(t *testing.T) {
	good, err := audit.Encode(&qguard.AuditRecord{Index: 1, Time: t0, Actor: "a/b", Details: map[string]string{"a": "1", "b": "2"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := audit.Decode(good); err != nil {
		t.Fatalf("Decode(good): %v", err)
	}
	for name, edit := range map[string]func(string) string{
		"space":          func(s string) string { return strings.Replace(s, `,"actor"`, `, "actor"`, 1) },
		"escaped slash":  func(s string) string { return strings.Replace(s, `a/b`, `a\/b`, 1) },
		"unicode escape": func(s string) string { return strings.Replace(s, `"a/b"`, `"\u0061/b"`, 1) },
		"short fraction": func(s string) string { return strings.Replace(s, `.123456789Z`, `.123456789000Z`, 1) },
		"time zone":      func(s string) string { return strings.Replace(s, `Z"`, `+00:00"`, 1) },
		"key order":      func(s string) string { return strings.Replace(s, `"a":"1","b":"2"`, `"b":"2","a":"1"`, 1) },
		"unknown field":  func(s string) string { return strings.Replace(s, `{"v":1`, `{"v":1,"x":1`, 1) },
		"version":        func(s string) string { return strings.Replace(s, `{"v":1`, `{"v":2`, 1) },
		"cost spelling":  func(s string) string { return strings.Replace(s, `"cost":0`, `"cost":0.0`, 1) },
		"trailing data":  func(s string) string { return s + " " },
		"missing field":  func(s string) string { return strings.Replace(s, `"reason":"",`, ``, 1) },
		"truncated":      func(s string) string { return s[:len(s)-1] },
	} {
		bad := edit(string(good))
		if bad == string(good) {
			t.Fatalf("%s: edit did not change the record", name)
		}
		if _, err := audit.Decode([]byte(bad)); err == nil {
			t.Errorf("%s: Decode(%s) succeeded, want an error", name, bad)
		}
	}
}

// FuzzDecode checks that whatever Decode accepts is canonical: it encodes
// back to the same bytes.
func FuzzDecode(f *testing.F) {
	for _, rec := range []qguard.AuditRecord{
		{Index: 0, Time: t0, Actor: "alice", Action: "job.submit", Resource: "device:local", Decision: "allow", Cost: 0.01},
		{Index: 9, Time: t0, Actor: "system", Action: "user.add", Decision: "info", Details: map[string]string{"role": "admin", "token": "hmac-sha256:00"}},
	} {
		data, err := audit.Encode(&rec)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := audit.Decode(data)
		if err != nil {
			return
		}
		again, err := audit.Encode(&rec)
		if err != nil {
			t.Fatalf("Decode accepted %q but Encode fails: %v", data, err)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("Decode accepted non-canonical %q (canonical %q)", data, again)
		}
	})
}
