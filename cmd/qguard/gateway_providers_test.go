package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/provider/braket/brakettest"
	"github.com/qguard/qguard/provider/ibm/ibmtest"
	"github.com/qguard/qguard/provider/ionq/ionqtest"
	"github.com/qguard/qguard/provider/providertest"
)

// TestGatewayWithProviders runs the real gateway against the fake IBM,
// Braket and IonQ services: credentials come from the vault and are
// injected only on the way out.
func TestGatewayWithProviders(t *testing.T) {
	ibmFake, brFake, ionqFake := ibmtest.New(t), brakettest.New(t), ionqtest.New(t)
	brFake.SetDeviceStatus(brakettest.Forte1, "OFFLINE")
	cfg := fmt.Sprintf(`providers:
  enabled: [ibm, braket, ionq]
  device_cache_ttl: 50ms
  request_timeout: 2s
  max_retry_wait: 3s
  ibm: {url: %q, iam_url: %q}
  braket: {endpoint: %q, s3_endpoint: %q, region: us-east-1}
  ionq: {base_url: %q}
server:
  rate_per_minute: 100000
`, ibmFake.APIURL(), ibmFake.URL, brFake.API.URL, brFake.S3.URL, ionqFake.BaseURL)
	g := startGateway(t, withConfig(cfg))
	ctx := context.Background()
	put := func(provider string, fields map[string]string) {
		t.Helper()
		if _, err := g.parts.vault.Put(ctx, &qguard.Credential{Provider: provider, Profile: "default", Fields: fields}); err != nil {
			t.Fatalf("store %s credentials: %v", provider, err)
		}
	}
	put(qguard.ProviderIBMQuantum, map[string]string{"token": ibmFake.APIKey, "instance": ibmFake.CRN})
	put(qguard.ProviderAWSBraket, map[string]string{"access_key_id": brFake.AccessKeyID, "secret_access_key": brFake.SecretAccessKey,
		"region": "us-east-1", "s3_bucket": "amazon-braket-qguard", "s3_prefix": "tasks"})
	put(qguard.ProviderIonQ, map[string]string{"api_key": ionqFake.APIKey})
	admin := g.adminKey

	var devs struct{ Devices []qguard.Device }
	r := g.do("GET", "/v1/devices", admin, nil)
	_ = json.Unmarshal(r.body, &devs)
	byID := map[string]qguard.Device{}
	for _, d := range devs.Devices {
		byID[d.ID] = d
	}
	for _, id := range []string{"ibm:ibm_fake_small", "ionq:simulator", "braket:" + brakettest.SV1} {
		if d, ok := byID[id]; !ok || d.Status != qguard.DeviceOnline {
			t.Fatalf("device %s: %+v (all: %s)", id, d, r.body)
		}
	}
	if d := byID["braket:"+brakettest.Forte1]; d.Status != qguard.DeviceOffline || d.Class != qguard.ClassQPUMedium {
		t.Errorf("Forte-1: %+v, want offline qpu_medium", d)
	}

	wait := func(id string) submitResult {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			var j submitResult
			r := g.do("GET", "/v1/jobs/"+id, admin, nil)
			_ = json.Unmarshal(r.body, &j)
			if qguard.JobDone(j.Status) {
				return j
			}
			if time.Now().After(deadline) {
				t.Fatalf("job %s still %s: %s", id, j.Status, r.body)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	for _, dev := range []string{"ibm:ibm_fake_small", "ionq:simulator", "braket:" + brakettest.SV1} {
		t.Run("SubmitPollCounts/"+strings.SplitN(dev, ":", 2)[0], func(t *testing.T) {
			r, j := g.submit(admin, map[string]any{"qasm": ghz(3), "shots": 200, "device": dev})
			if r.status != http.StatusCreated || j.Status != qguard.JobRunning {
				t.Fatalf("submit: %d %s", r.status, r.body)
			}
			done := wait(j.ID)
			if done.Status != qguard.JobCompleted || done.Result == nil {
				t.Fatalf("job ended %s", done.Status)
			}
			total := 0
			for _, n := range done.Result.Counts {
				total += n
			}
			if total != 200 {
				t.Errorf("counts %v sum to %d, want 200", done.Result.Counts, total)
			}
		})
	}
	t.Run("Cancel", func(t *testing.T) {
		_, j := g.submit(admin, map[string]any{"qasm": ghz(2), "shots": 10, "device": "ibm:ibm_fake_small"})
		r := g.do("POST", "/v1/jobs/"+j.ID+"/cancel", admin, nil)
		if r.status != 200 || !strings.Contains(string(r.body), `"cancelled"`) {
			t.Fatalf("cancel: %d %s", r.status, r.body)
		}
	})
	t.Run("OfflineDevice", func(t *testing.T) {
		r, _ := g.submit(admin, map[string]any{"qasm": ghz(2), "shots": 10, "device": "braket:" + brakettest.Forte1})
		if r.status != 409 || r.errorCode() != qguard.EDEVICEUNAVAILABLE {
			t.Fatalf("offline device: %d %s, want 409 device_unavailable", r.status, r.body)
		}
	})
	t.Run("RetryAfter429", func(t *testing.T) {
		ionqFake.Fail(providertest.Fault{Status: 429, RetryAfter: "1", Path: "/v0.4/jobs"})
		start := time.Now()
		r, _ := g.submit(admin, map[string]any{"qasm": ghz(2), "shots": 10, "device": "ionq:simulator"})
		if r.status != 201 {
			t.Fatalf("after a 429: %d %s", r.status, r.body)
		}
		if time.Since(start) < 900*time.Millisecond {
			t.Errorf("Retry-After: 1 not honoured (%v)", time.Since(start))
		}
	})
	t.Run("ExpiredTokenRefreshed", func(t *testing.T) {
		before := ibmFake.TokensIssued()
		ibmFake.ExpireTokens()
		r, _ := g.submit(admin, map[string]any{"qasm": ghz(2), "shots": 10, "device": "ibm:ibm_fake_small"})
		if r.status != 201 || ibmFake.TokensIssued() <= before {
			t.Fatalf("after token expiry: %d %s, tokens %d → %d", r.status, r.body, before, ibmFake.TokensIssued())
		}
	})
	t.Run("ProviderDown", func(t *testing.T) {
		ionqFake.Close()
		time.Sleep(100 * time.Millisecond) // past the device cache TTL
		var devs struct{ Devices []qguard.Device }
		_ = json.Unmarshal(g.do("GET", "/v1/devices", admin, nil).body, &devs)
		for _, d := range devs.Devices {
			switch {
			case d.Provider == "ionq" && d.Status != qguard.DeviceUnavailable:
				t.Errorf("IonQ is down but %s is %s", d.ID, d.Status)
			case d.ID == "ibm:ibm_fake_small" && d.Status != qguard.DeviceOnline:
				t.Errorf("IonQ's outage changed %s to %s", d.ID, d.Status)
			}
		}
		r, _ := g.submit(admin, map[string]any{"qasm": ghz(2), "shots": 10, "device": "ionq:simulator"})
		if r.status != 409 || r.errorCode() != qguard.EDEVICEUNAVAILABLE {
			t.Fatalf("provider down: %d %s, want 409 device_unavailable", r.status, r.body)
		}
	})

	// No provider credential in any response, log line, metric or audit record.
	metrics := g.do("GET", "/metrics", "", nil).body
	recs, err := g.parts.store.AuditSince(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	auditJSON, _ := json.Marshal(recs)
	secrets := []string{ibmFake.APIKey, brFake.SecretAccessKey, ionqFake.APIKey}
	providertest.NoSecrets(t, secrets, "log", g.log.String())
	providertest.NoSecrets(t, secrets, "metrics", string(metrics))
	providertest.NoSecrets(t, secrets, "audit", string(auditJSON))
	calls := 0
	for _, rec := range recs {
		if strings.HasPrefix(rec.Action, "provider.") {
			calls++
		}
	}
	if calls < 6 {
		t.Errorf("%d provider calls audited, want every job call", calls)
	}
}
