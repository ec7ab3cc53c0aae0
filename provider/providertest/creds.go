package providertest

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/qguard/qguard"
)

// Creds is an in-memory qguard.CredentialSource keyed by provider and
// profile; it counts reads so tests can see credentials are read per call.
type Creds struct {
	mu     sync.Mutex
	fields map[string]map[string]string
	reads  int
}

// NewCreds returns an empty source.
func NewCreds() *Creds { return &Creds{fields: map[string]map[string]string{}} }

// Set stores a profile's fields.
func (c *Creds) Set(provider, profile string, fields map[string]string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fields[provider+"/"+profile] = fields
}

// Reads counts Credential calls.
func (c *Creds) Reads() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reads
}

// Credential implements qguard.CredentialSource.
func (c *Creds) Credential(_ context.Context, provider, profile string) (*qguard.Credential, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reads++
	f, ok := c.fields[provider+"/"+profile]
	if !ok {
		return nil, qguard.Errorf(qguard.ENOTFOUND, "no %s profile %q in the vault", provider, profile)
	}
	cp := make(map[string]string, len(f))
	for k, v := range f {
		cp[k] = v
	}
	return &qguard.Credential{Provider: provider, Profile: profile, Fields: cp}, nil
}

// Logger returns a debug-level JSON logger writing to the returned buffer.
func Logger() (*slog.Logger, *SyncBuffer) {
	b := &SyncBuffer{}
	return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}

// SyncBuffer is a bytes.Buffer safe for concurrent writers.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// NoSecrets fails t when any secret occurs in any of texts; where names
// what each text is.
func NoSecrets(t testing.TB, secrets []string, where string, texts ...string) {
	t.Helper()
	for _, s := range secrets {
		if len(s) < 4 {
			continue
		}
		for i, txt := range texts {
			if strings.Contains(txt, s) {
				t.Errorf("%s[%d] contains a credential (%.4s…)", where, i, s)
			}
		}
	}
}

// RequestTexts renders what a fake recorded (headers without
// Authorization, paths, queries and bodies) for NoSecrets; skip drops
// requests whose path contains it (the IAM exchange, whose body must carry
// the API key).
func (m *Middleware) RequestTexts(skip string) []string {
	var out []string
	for _, r := range m.Requests() {
		if skip != "" && strings.Contains(r.Path, skip) {
			continue
		}
		var sb strings.Builder
		sb.WriteString(r.Method + " " + r.Path + "?" + r.Query + "\n")
		for k, v := range r.Header {
			sb.WriteString(k + ": " + strings.Join(v, ",") + "\n")
		}
		sb.Write(r.Body)
		out = append(out, sb.String())
	}
	return out
}
