package gateway

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/audit"
	"github.com/qguard/qguard/auth"
	"github.com/qguard/qguard/config"
	"github.com/qguard/qguard/policy"
	"github.com/qguard/qguard/provider"
	"github.com/qguard/qguard/provider/local"
	"github.com/qguard/qguard/seal"
	"github.com/qguard/qguard/sqlite"
)

// protectEnv is a real gateway (SQLite in a temp dir, the default policy,
// a signed audit log, the auth service, the local simulator) serving the
// protection endpoints and jobs over a loopback listener.
type protectEnv struct {
	t    *testing.T
	srv  *Server
	db   *sqlite.DB
	url  string
	keys map[string]string // role → API key of a user with that role
}

type policyEngine struct{ *policy.Engine }

func (p policyEngine) MaxCostPerDay(role, resource string) float64 {
	return p.Limits(role, resource).MaxCostPerDay
}

func newProtectEnv(t *testing.T, pol *policy.Engine) *protectEnv {
	t.Helper()
	ctx := t.Context()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "qguard.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cfg := config.Default()
	seed, hmacKey, sealKey := random(t, 32), random(t, 32), random(t, 32)
	signer, verifier, err := audit.KeysFromSeed("qguard-audit", seed)
	if err != nil {
		t.Fatal(err)
	}
	alog := audit.New(db, signer, verifier, hmacKey, audit.Options{})
	sealer, err := seal.New(sealKey)
	if err != nil {
		t.Fatal(err)
	}
	authn := auth.New(db, cfg.Auth, time.Now)
	registry := provider.NewRegistry(time.Minute, func(qguard.Device) *qguard.Price { return nil }, nil, local.New(20, 100000, nil))
	s, err := New(Deps{Config: cfg, Store: db, Auth: authn, Policy: policyEngine{pol}, Audit: alog, Devices: registry, Sealer: sealer})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	handle := func(pattern string, h func(http.ResponseWriter, *http.Request) error, authed bool) {
		var hh http.Handler = s.endpoint(h)
		if authed {
			hh = s.authenticate(hh)
		}
		mux.Handle(pattern, hh)
	}
	s.protectRoutes(handle)
	handle("POST /v1/jobs", s.submitJob, true)
	hs := httptest.NewServer(s.observe(mux))
	t.Cleanup(hs.Close)
	env := &protectEnv{t: t, srv: s, db: db, url: hs.URL, keys: map[string]string{}}
	for _, role := range []string{qguard.RoleResearcher, qguard.RoleDeveloper, qguard.RoleAdmin, qguard.RoleAuditor} {
		_, key, err := authn.CreateUser(ctx, role+"-user", role, "")
		if err != nil {
			t.Fatal(err)
		}
		env.keys[role] = key
	}
	return env
}

func random(t *testing.T, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// do sends a request as role and returns the status and body.
func (e *protectEnv) do(role, method, path string, body []byte) (int, []byte) {
	e.t.Helper()
	req, err := http.NewRequestWithContext(e.t.Context(), method, e.url+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.keys[role])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, b
}

func (e *protectEnv) doJSON(role, method, path string, v any) (int, []byte) {
	e.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.do(role, method, path, b)
}

// auditSince returns the audit records written from index from on.
func (e *protectEnv) auditFrom(from int64) []qguard.AuditRecord {
	e.t.Helper()
	n, err := e.db.AuditSize(e.t.Context())
	if err != nil {
		e.t.Fatal(err)
	}
	entries, err := e.db.AuditEntries(e.t.Context(), from, n)
	if err != nil {
		e.t.Fatal(err)
	}
	out := make([]qguard.AuditRecord, len(entries))
	for i, en := range entries {
		out[i] = en.Record
	}
	return out
}

func (e *protectEnv) auditSize() int64 {
	n, err := e.db.AuditSize(e.t.Context())
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}
