package rules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBuiltinFinds(t *testing.T) {
	s := Builtin()
	tests := []struct {
		line, rule, secret string
	}{
		{`export AWS_ACCESS_KEY_ID=AKIAQ3EGRKTWZ7V5LMNP`, "aws-access-key-id", "AKIAQ3EGRKTWZ7V5LMNP"},
		{`aws_secret_access_key = "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"`, "aws-secret-access-key", "k2Jd9+xVbq/Tz4LmN8pQr5sWu7yA3cE6fH1iK0oZ"},
		{`{"level":"debug","env":{"QISKIT_IBM_TOKEN":"q8Zx_3kLmN2pQr5sTu7vWx9yA1bC4dE6fG8hJ0kL-Mn2"}}`, "ibm-cloud-api-key", "q8Zx_3kLmN2pQr5sTu7vWx9yA1bC4dE6fG8hJ0kL-Mn2"},
		{`> Authorization: apiKey 7fKq2LmZx9Rt4VbN8cWp3YdJ6hGs1TeA`, "ionq-api-key", "7fKq2LmZx9Rt4VbN8cWp3YdJ6hGs1TeA"},
		{`curl -H "Authorization: Bearer qg_Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWprbA" http://localhost:8080/v1/jobs`, "qguard-api-key", "qg_Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWprbA"},
		{`"private_key": "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx8z3nQ2Lk5m\n-----END RSA PRIVATE KEY-----"`, "private-key", "MIIEowIBAAKCAQEAx8z3nQ2Lk5m"},
		{`-----BEGIN OPENSSH PRIVATE KEY-----`, "private-key", "-----BEGIN OPENSSH PRIVATE KEY-----"},
		{`db password: "Vq7#pL2z!Rk9sWx4"`, "generic-secret", "Vq7#pL2z!Rk9sWx4"},
	}
	for _, tt := range tests {
		fs := s.ScanLine([]byte(tt.line), "", 7)
		if len(fs) != 1 {
			t.Errorf("%s: got %d findings %+v, want 1", tt.line, len(fs), fs)
			continue
		}
		f := fs[0]
		if f.Rule != tt.rule || f.Line != 7 {
			t.Errorf("%s: rule %s line %d, want %s line 7", tt.line, f.Rule, f.Line, tt.rule)
		}
		if got := tt.line[f.Column-1 : f.End-1]; got != tt.secret {
			t.Errorf("%s: span %q, want %q", tt.rule, got, tt.secret)
		}
		if strings.Contains(f.Secret, tt.secret) || strings.Contains(f.Secret, tt.secret[len(tt.secret)/2:]) {
			t.Errorf("%s: mask %q reveals the secret", tt.rule, f.Secret)
		}
	}
}

func TestBuiltinIgnores(t *testing.T) {
	s := Builtin()
	for _, line := range []string{
		`{"level":"info","msg":"job submitted","job_id":"3f6b2c1e-8a9d-4e7f-b1c2-d3e4f5a6b7c8","provider":"ibm_quantum","backend":"ibm_brisbane"}`,
		`commit 4b825dc642cb6eb9a060e54bf8d69288fbee4904`,
		`"digest": "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"`,
		`AWS_SECRET_ACCESS_KEY=****************************************`,
		`Authorization: apiKey [REDACTED]`,
		`password=${DB_PASSWORD}`,
		`aws_access_key_id = AKIAIOSFODNN7EXAMPLE`,
		`"clientToken": "9c2d7e1a-5b3f-4c8d-a6e9-0f1b2c3d4e5f"`,
		`token_count=1234 secret_name=ibm-quantum-prod`,
		`-----BEGIN PUBLIC KEY-----`,
		`key hint qg_AbCd created`,
	} {
		if fs := s.ScanLine([]byte(line), "", 1); len(fs) != 0 {
			t.Errorf("false positive on %q: %+v", line, fs)
		}
	}
}

func TestMatcherAgreesWithNaive(t *testing.T) {
	kws := []string{"he", "she", "his", "hers", "akia", "Q~", "hooks.slack.com", "a"}
	ids := make([]uint16, len(kws))
	for i := range ids {
		ids[i] = uint16(i)
	}
	m := newMatcher(kws, ids)
	for _, text := range []string{"", "ushers", "AKIA", "xx q~ yy", "HOOKS.Slack.com/x", "zzz", "hishe"} {
		hits := make([]uint64, 1)
		m.match([]byte(text), hits)
		for i, k := range kws {
			want := strings.Contains(strings.ToLower(text), strings.ToLower(k))
			if got := hits[0]&(1<<i) != 0; got != want {
				t.Errorf("text %q keyword %q: got %v, want %v", text, k, got, want)
			}
		}
	}
}

func TestLoadGitleaksFormat(t *testing.T) {
	cfg := `
title = "custom"
[extend]
useDefault = true
disabledRules = ["generic-secret"]

[[rules]]
id = "dwave-token"
description = "D-Wave Leap token"
regex = '''(?i)dwave[\w.-]{0,20}\s*[:=]\s*["']?(DEV-[0-9a-f]{40})'''
secretGroup = 1
entropy = 3
keywords = ["dwave"]
  [rules.allowlist]
  stopwords = ["0000000000"]

[[allowlists]]
targetRules = ["aws-access-key-id"]
regexTarget = "line"
regexes = ['''fixture''']
`
	s, err := Load([]byte(cfg))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range s.Rules() {
		ids = append(ids, r.ID)
	}
	if strings.Contains(strings.Join(ids, " "), "generic-secret") {
		t.Errorf("disabled rule still present: %v", ids)
	}
	secret := "DEV-" + "3fa9c1e07b2d48e5a6f1c9d03b7e2a4f8c5d1e9a"
	fs := s.ScanLine([]byte("DWAVE_API_TOKEN="+secret), "", 1)
	if len(fs) != 1 || fs[0].Rule != "dwave-token" || fs[0].Severity != "high" {
		t.Fatalf("custom rule: %+v", fs)
	}
	if fs := s.ScanLine([]byte("DWAVE_API_TOKEN=DEV-0000000000aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), "", 1); len(fs) != 0 {
		t.Errorf("rule allowlist ignored: %+v", fs)
	}
	if fs := s.ScanLine([]byte("fixture AKIAQ3EGRKTWZ7V5LMNP"), "", 1); len(fs) != 0 {
		t.Errorf("global allowlist ignored: %+v", fs)
	}
	if fs := s.ScanLine([]byte("leak AKIAQ3EGRKTWZ7V5LMNP"), "", 1); len(fs) != 1 {
		t.Errorf("default rule missing: %+v", fs)
	}

	// Without useDefault the file replaces the built-in rules.
	s, err = Load([]byte(`[[rules]]
id = "only"
regex = 'zz[0-9]{4}'
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Rules()) != 1 || len(s.ScanLine([]byte("AKIAQ3EGRKTWZ7V5LMNP zz1234"), "", 1)) != 1 {
		t.Errorf("replacement semantics broken")
	}
}

func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct{ toml, want string }{
		{`[[rules]]` + "\n" + `regex = "a"`, "id is required"},
		{`[[rules]]` + "\n" + `id = "x"` + "\n" + `regex = "("`, "regex"},
		{`[[rules]]` + "\n" + `id = "x"` + "\n" + `regex = "(a)"` + "\n" + `secretGroup = 2`, "secretGroup"},
		{`[[rules]]` + "\n" + `id = "x"`, "regex is required"},
		{`[[rules]]` + "\n" + `id = "x"` + "\n" + `regex = "a"` + "\n" + `severity = "dire"`, "severity"},
		{`[[rules]]` + "\n" + `id = "x"` + "\n" + `regex = "a"` + "\n[[rules]]\n" + `id = "x"` + "\n" + `regex = "b"`, "duplicate"},
		{`[extend]` + "\n" + `path = "/etc/other.toml"`, "not supported"},
		{`title = `, "parse rules"},
	} {
		_, err := Load([]byte(tc.toml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err %v, want %q", tc.toml, err, tc.want)
		}
	}
}

func TestTeamConfig(t *testing.T) {
	s, err := LoadFile("testdata/team.toml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		line, source string
		want         int
	}{
		{"DWAVE_KEY=DEV-3fa9c1e07b2d48e5a6f1c9d03b7e2a4f8c5d1e9a", "app.log", 1},
		{"sandbox DWAVE_KEY=DEV-3fa9c1e07b2d48e5a6f1c9d03b7e2a4f8c5d1e9a", "fixtures/a.log", 0}, // AND allowlist: both hold
		{"sandbox DWAVE_KEY=DEV-3fa9c1e07b2d48e5a6f1c9d03b7e2a4f8c5d1e9a", "app.log", 1},        // only one holds
		{"X-API-Key: Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdo", "app.log", 1},
		{"X-API-Key: Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdo", "pkg/testdata/x.log", 0}, // global path allowlist
		{"x-api-key: dummyZm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFi", "app.log", 0},               // global match allowlist
		{"Authorization: Bearer Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdo", "app.log", 0}, // disabled rule
	} {
		if got := len(s.ScanLine([]byte(tc.line), tc.source, 1)); got != tc.want {
			t.Errorf("%q from %s: %d findings, want %d", tc.line, tc.source, got, tc.want)
		}
	}
}

func TestJSONField(t *testing.T) {
	line := `{"a":1,"req":{"headers":{"authorization":"apiKey SECRET"}},"env":["X=1","TOKEN=SECRET2"]}`
	for _, tc := range []struct{ needle, want string }{
		{"SECRET\"", "req.headers.authorization"}, {"SECRET2", "env[1]"},
	} {
		if got := JSONField([]byte(line), strings.Index(line, tc.needle)); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.needle, got, tc.want)
		}
	}
	if got := JSONField([]byte("plain SECRET"), 6); got != "" {
		t.Errorf("plain text: %q", got)
	}
}

func TestRedact(t *testing.T) {
	s := Builtin()
	in := "keys AKIAQ3EGRKTWZ7V5LMNP and ghp_R8d2Kf7Lq0Zx4Vb9Nm3Pw6Ty1Hs5Jc8Ga2Ue" + " done"
	out := s.RedactString(in)
	if strings.Contains(out, "Q3EGRKTWZ7V5LMNP") || strings.Contains(out, "Zx4Vb9Nm3Pw6") || !strings.HasSuffix(out, " done") {
		t.Errorf("Redact: %q", out)
	}
}

func FuzzLoad(f *testing.F) {
	f.Add(builtinTOML)
	paths, _ := filepath.Glob("testdata/*.toml")
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("[[rules]]\nid='x'\nregex='a(b)'\nsecretGroup=1\nkeywords=['ab']\n[rules.allowlist]\nregexes=['c']"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Load(data)
		if err != nil {
			return
		}
		for _, fd := range s.ScanLine(data, "x", 1) {
			if fd.Column < 1 || fd.End < fd.Column || fd.End-1 > len(data) {
				t.Fatalf("bad span %+v", fd)
			}
		}
	})
}

func FuzzScanLine(f *testing.F) {
	s := Builtin()
	for i, r := range readCorpus(f) {
		if i%20 == 0 {
			f.Add([]byte(r.Line))
		}
	}
	f.Add([]byte(`{"msg":"x","token":"Vq7pL2zRk9sWx4abQ"}`))
	f.Add([]byte(`Authorization: apiKey 7fKq2LmZx9Rt4VbN8cWp3YdJ6hGs1TeA`))
	f.Add([]byte(`{"a":[{"b":"-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx8z3nQ2Lk5m"}]}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		for _, fd := range s.ScanLine(line, "", 1) {
			secret := string(line[fd.Column-1 : fd.End-1])
			if len(secret) >= 8 && strings.Contains(fd.Secret, secret) {
				t.Fatalf("mask reveals secret: %+v", fd)
			}
		}
		red := s.RedactString(string(line))
		if fs := s.ScanLine([]byte(red), "", 1); len(fs) > len(s.ScanLine(line, "", 1)) {
			t.Fatalf("redaction created findings: %q", red)
		}
	})
}
