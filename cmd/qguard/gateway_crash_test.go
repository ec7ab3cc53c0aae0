//go:build unix

package main

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qguard/qguard"
)

// TestKillDuringSubmissions: kill -9 of the server during a stream of
// submissions. After a restart every job that got a 201 is in the store
// with its audit record, `audit verify` passes, and reservations of jobs
// that never finished are released.
func TestKillDuringSubmissions(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	home := filepath.Join(t.TempDir(), "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := "costs:\n  overrides:\n    \"local:statevector\": {per_task: 0.25}\nproviders:\n  request_timeout: 1s\nserver:\n  rate_per_minute: 1000000\n"
	if err := os.WriteFile(filepath.Join(home, "config.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startServe(t, "serve", home, nil)
	key := p.adminKey(t)
	if status, body := call("PUT", p.url+"/v1/budgets/user/admin", key, map[string]float64{"daily_usd": 100000}); status != 200 {
		t.Fatalf("set budget: %d %s", status, body)
	}

	var mu sync.Mutex
	var accepted []string
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				n := 3
				if w == 0 && i%3 == 0 {
					n = 18 // runs in the background, may be cut by the kill
				}
				status, body := call("POST", p.url+"/v1/jobs", key, map[string]any{"qasm": ghz(n), "shots": 100})
				if status == 0 {
					return // the server is gone
				}
				var j struct{ ID string }
				if status == 201 && json.Unmarshal(body, &j) == nil {
					mu.Lock()
					accepted = append(accepted, j.ID)
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	p.kill()
	close(stop)
	wg.Wait()
	if len(accepted) < 10 {
		t.Fatalf("only %d submissions accepted before the kill", len(accepted))
	}
	t.Logf("%d submissions accepted before kill -9", len(accepted))

	p2 := startServe(t, "restarted", home, nil)
	deadline := time.Now().Add(60 * time.Second)
	for _, id := range accepted {
		for {
			var j struct{ Status string }
			status, body := call("GET", p2.url+"/v1/jobs/"+id, key, nil)
			if status != 200 || json.Unmarshal(body, &j) != nil {
				t.Fatalf("job %s that got a 201 is gone after the restart: %d %s", id, status, body)
			}
			if qguard.JobDone(j.Status) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("job %s still %s after the restart", id, j.Status)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	// Reservations of jobs that never got created are released once the
	// submission grace period (2 × providers.request_timeout) has passed.
	for {
		var budgets struct {
			Budgets []struct {
				Today qguard.Spend `json:"today"`
			}
		}
		status, body := call("GET", p2.url+"/v1/budgets", key, nil)
		if status != 200 || json.Unmarshal(body, &budgets) != nil || len(budgets.Budgets) != 1 {
			t.Fatalf("budgets: %d %s", status, body)
		}
		r := budgets.Budgets[0].Today.Reserved
		if r < 1e-9 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%.2f USD still reserved after recovery, want 0", r)
		}
		time.Sleep(200 * time.Millisecond)
	}
	var events struct{ Events []qguard.AuditRecord }
	if status, body := call("GET", p2.url+"/v1/audit/events?limit=10000", key, nil); status != 200 || json.Unmarshal(body, &events) != nil {
		t.Fatalf("audit events: %d %.200s", status, body)
	}
	audited := map[string]bool{}
	for _, e := range events.Events {
		if e.Action == "job.submit" && e.Decision == qguard.DecisionAllow {
			audited[e.Details["job_id"]] = true
		}
	}
	for _, id := range accepted {
		if !audited[id] {
			t.Errorf("job %s got a 201 but has no audit record", id)
		}
	}

	p2.stop(t)
	verify := exec.Command(os.Args[0], "audit", "verify")
	verify.Env = append(os.Environ(), "QGUARD_TEST_AS_MAIN=1", "QGUARD_HOME="+home)
	if out, err := verify.CombinedOutput(); err != nil {
		t.Fatalf("audit verify after kill -9: %v\n%s", err, out)
	}
}

// TestNoSecretsWritten searches every file under the home, the server's log
// and /metrics for the test's provider secrets, API keys and session
// tokens, in clear, base64 and hex.
func TestNoSecretsWritten(t *testing.T) {
	g := startGateway(t)
	ctx := context.Background()
	ionqKey := "ionq-" + strings.Repeat("7", 4) + newSecret(t)
	awsSecret := newSecret(t) + "/AbCdEfGhIjKlMn"
	if _, err := g.parts.vault.Put(ctx, &qguard.Credential{Provider: qguard.ProviderIonQ, Profile: "default", Fields: map[string]string{"api_key": ionqKey}}); err != nil {
		t.Fatal(err)
	}
	secrets := []string{ionqKey, g.adminKey}
	rKey := g.user("rita", qguard.RoleResearcher, "qml")
	secrets = append(secrets, rKey)
	var s struct{ Token string }
	g.do("POST", "/v1/sessions", rKey, nil)
	_ = json.Unmarshal(g.do("POST", "/v1/sessions", rKey, nil).body, &s)
	secrets = append(secrets, s.Token)
	g.submit(s.Token, map[string]any{"qasm": ghz(3), "shots": 10})
	g.submit(rKey, map[string]any{"qasm": ghz(3), "shots": 100000})
	wrong := "qg_" + newSecret(t)
	secrets = append(secrets, wrong)
	g.do("GET", "/v1/jobs", wrong, nil)
	// A log line that leaks a credential, sent to the monitor.
	leak := fmt.Sprintf(`{"level":"error","message":"boto failed","aws_secret_access_key":"%s","user_id":"rita"}`, awsSecret)
	secrets = append(secrets, awsSecret)
	if r := g.do("POST", "/v1/security/logs", rKey, []byte(leak)); r.status != 200 || !bytes.Contains(r.body, []byte("credential_exposure")) {
		t.Errorf("leak not detected: %d %s", r.status, r.body)
	}
	metrics := g.do("GET", "/metrics", "", nil).body
	g.stop()

	check := func(where string, data []byte) {
		for _, sec := range secrets {
			for _, form := range []string{sec, base64.StdEncoding.EncodeToString([]byte(sec)), base64.RawURLEncoding.EncodeToString([]byte(sec)), hex.EncodeToString([]byte(sec))} {
				if bytes.Contains(data, []byte(form)) {
					t.Errorf("%s holds a secret (%.8s…)", where, sec)
				}
			}
		}
	}
	check("/metrics", metrics)
	check("server log", []byte(g.log.String()))
	n := 0
	err := filepath.WalkDir(g.home, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		check(path, data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 4 {
		t.Fatalf("only %d files under the home", n)
	}
}

func newSecret(*testing.T) string { return crand.Text() }
