package config

import (
	"strings"
	"testing"
)

func TestProvidersAndCostsValidate(t *testing.T) {
	for _, tc := range []struct {
		yaml, wantErr string
	}{
		{"providers: {enabled: [ibm, braket, ionq]}", ""},
		{"providers: {enabled: [rigetti]}", `unknown provider "rigetti"`},
		{"providers: {ibm: {url: 'http://quantum.example.com/api/v1'}}", "must use https"},
		{"providers: {ionq: {base_url: 'http://127.0.0.1:8080/v0.4'}}", ""},
		{"providers: {braket: {endpoint: 'ftp://x'}}", "not an http(s) URL"},
		{"providers: {ionq: {format: qasm2}}", "providers.ionq.format"},
		{"providers: {retries: 11}", "retries"},
		{"costs: {overrides: {'ibm:ibm_torino': {per_second: 1.2}}}", ""},
		{"costs: {overrides: {ibm_torino: {per_second: 1.2}}}", "not a device id"},
		{"costs: {overrides: {'ionq:qpu.forte-1': {per_shot: -1}}}", "must not be negative"},
	} {
		cfg := Default()
		err := Parse([]byte(tc.yaml), cfg)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tc.yaml, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: err = %v, want %q", tc.yaml, err, tc.wantErr)
		}
	}
	if d := Default().Providers; d.IBM.APIVersion != "2026-04-15" || d.Retries != 3 || d.IonQ.Format != "ionq.circuit.v1" {
		t.Errorf("defaults = %+v", d)
	}
}
