package config_test

import (
	"os"
	"strings"
	"testing"

	"github.com/qguard/qguard/config"
)

// TestDocumentedDefaults parses the complete file in docs/configuration.md
// and checks that it is exactly the defaults, so the page cannot drift.
func TestDocumentedDefaults(t *testing.T) {
	page, err := os.ReadFile("../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(page), "```yaml\n")
	block, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("docs/configuration.md has no yaml block")
	}
	got := config.Default()
	if err := config.Parse([]byte(block), got); err != nil {
		t.Fatalf("docs/configuration.md: %v", err)
	}
	// Compare as YAML: an empty list in the page and a nil default are alike.
	g, _ := got.Marshal()
	w, _ := config.Default().Marshal()
	if string(g) != string(w) {
		t.Errorf("docs/configuration.md differs from the defaults:\n--- page\n%s\n--- defaults\n%s", g, w)
	}
}

func TestEnvExpansion(t *testing.T) {
	t.Setenv("QG_TEST_ADDR", "127.0.0.1:9999")
	t.Setenv("QG_TEST_PORT", "2525")
	t.Setenv("QG_TEST_INJECT", "x\nstore:\n  dsn: postgres://evil")
	cfg := config.Default()
	src := "# comments may say ${NOT_SET}\nserver:\n  addr: ${QG_TEST_ADDR}\nmonitor:\n  alerts:\n    email:\n      port: ${QG_TEST_PORT}\n      password: ${QG_TEST_INJECT}\n"
	if err := config.Parse([]byte(src), cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Server.Addr != "127.0.0.1:9999" || cfg.Monitor.Alerts.Email.Port != 2525 {
		t.Errorf("expanded: addr %q port %d", cfg.Server.Addr, cfg.Monitor.Alerts.Email.Port)
	}
	if cfg.Store.DSN != "" || !strings.Contains(string(cfg.Monitor.Alerts.Email.Password), "postgres://evil") {
		t.Errorf("a variable's value changed the structure: dsn %q", cfg.Store.DSN)
	}
	err := config.Parse([]byte("server:\n  addr: ${QG_TEST_UNSET_VAR}\n"), config.Default())
	if err == nil || !strings.Contains(err.Error(), "QG_TEST_UNSET_VAR") {
		t.Errorf("unset variable: %v", err)
	}
	err = config.Parse([]byte("server:\n  adr: x\n"), config.Default())
	if err == nil || !strings.Contains(err.Error(), "adr") {
		t.Errorf("misspelt key: %v", err)
	}
}

// FuzzParse: any input gives a config or an error, never a panic, and a
// config that parses validates.
func FuzzParse(f *testing.F) {
	page, _ := os.ReadFile("../docs/configuration.md")
	f.Add(page)
	f.Add([]byte("server:\n  addr: ${HOME}\n"))
	f.Add([]byte("store: {dsn: 'postgres://x'}\nauth:\n  session_ttl: -1h\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg := config.Default()
		if err := config.Parse(data, cfg); err == nil {
			if err := cfg.Validate(); err != nil {
				t.Fatalf("parsed but does not validate: %v", err)
			}
		}
	})
}
