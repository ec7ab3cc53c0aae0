package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestBraketPolicyLintClean: every variant of the policy we print passes our
// own lint, and only real Braket and S3 actions appear in it.
func TestBraketPolicyLintClean(t *testing.T) {
	known := map[string]bool{"braket:GetDevice": true, "braket:SearchDevices": true, "braket:CreateQuantumTask": true,
		"braket:TagResource": true, "braket:GetQuantumTask": true, "braket:CancelQuantumTask": true,
		"s3:GetObject": true, "s3:PutObject": true, "s3:ListBucket": true}
	for _, tc := range []struct {
		devices []string
		tags    bool
		region  string
	}{{nil, true, "us-east-1"}, {[]string{"arn:aws:braket:us-east-1::device/qpu/ionq/Forte-1"}, false, "*"}} {
		p := braketIAMPolicy("amazon-braket-x", "qguard", tc.region, "123456789012", tc.devices, tc.tags)
		b, _ := json.Marshal(p)
		fs, err := lintIAMPolicy(b)
		if err != nil || len(fs) != 0 {
			t.Fatalf("lint of our policy: %v %+v", err, fs)
		}
		for _, st := range p.Statement {
			for _, a := range st.Action {
				if !known[a] {
					t.Errorf("unexpected action %s", a)
				}
			}
			for k := range st.Condition {
				for key := range st.Condition[k] {
					if strings.HasPrefix(key, "braket:") {
						t.Errorf("policy uses Braket condition key %s, which does not exist", key)
					}
				}
			}
		}
	}
}

func TestLintFindings(t *testing.T) {
	for _, tc := range []struct {
		policy string
		want   []string
	}{
		{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, []string{`wildcard action "*"`, `Resource "*"`}},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::*/*"}]}`, []string{"every bucket"}},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"braket:DeleteSpendingLimit","Resource":"arn:aws:braket:us-east-1:1:spending-limit/x"}]}`, []string{"removes the server-side spend cap"}},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/k"}]}`, []string{`Principal "*"`}},
		{`{"Version":"2008-10-17","Statement":[]}`, []string{"use 2012-10-17"}},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Permit","Action":"s3:GetObject","Resource":"x"}]}`, []string{"Effect must be"}},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"braket:CreateQuantumTask","Resource":"*","Condition":{"NumericGreaterThan":{"braket:maxShots":"1000"}}}]}`, []string{"this Deny never applies"}},
	} {
		fs, err := lintIAMPolicy([]byte(tc.policy))
		if err != nil {
			t.Fatalf("%s: %v", tc.policy, err)
		}
		var all []string
		for _, f := range fs {
			all = append(all, f.Message)
		}
		joined := strings.Join(all, "\n")
		for _, w := range tc.want {
			if !strings.Contains(joined, w) {
				t.Errorf("%s: findings %q lack %q", tc.policy, joined, w)
			}
		}
	}
	for _, bad := range []string{``, `[]`, `{"Statement":"x"}`, `{"Statement":[{"Effect":"Allow","Action":5}]}`} {
		if _, err := lintIAMPolicy([]byte(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func FuzzLintIAMPolicy(f *testing.F) {
	p, _ := json.Marshal(braketIAMPolicy("amazon-braket-x", "qguard", "us-east-1", "123456789012", nil, true))
	f.Add(p)
	f.Add([]byte(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericLessThanEqualsIfExists":{"braket:maxShots":"1"}}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		fs, err := lintIAMPolicy(b)
		if err != nil {
			return
		}
		for _, f := range fs {
			if f.Message == "" || (f.Severity != "high" && f.Severity != "medium" && f.Severity != "low") {
				t.Fatalf("bad finding %+v", f)
			}
		}
	})
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{"us-east-1": "us-east-1", `{"a":1}`: `'{"a":1}'`, "it's": `'it'\''s'`, "$(aws sts x)": `"$(aws sts x)"`} {
		if got := awsShellQuote(in); got != want {
			t.Errorf("awsShellQuote(%q) = %q, want %q", in, got, want)
		}
	}
}
