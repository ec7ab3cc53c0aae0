package rules

import (
	"os"
	"path/filepath"
	"testing"
)

// TestLoadGitleaksDefaultConfig loads gitleaks' own default configuration
// when its module is in the module cache (GITLEAKS_CONFIG may point at it).
func TestLoadGitleaksDefaultConfig(t *testing.T) {
	path := os.Getenv("GITLEAKS_CONFIG")
	if path == "" {
		matches, _ := filepath.Glob(filepath.Join(os.Getenv("HOME"), "go/pkg/mod/github.com/zricethezav/gitleaks/v8@*/config/gitleaks.toml"))
		if len(matches) == 0 {
			t.Skip("gitleaks config not available; set GITLEAKS_CONFIG")
		}
		path = matches[len(matches)-1]
	}
	s, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Rules()) < 100 {
		t.Errorf("only %d rules loaded", len(s.Rules()))
	}
	fs := s.ScanLine([]byte(`export GITHUB_TOKEN=ghp_R8d2Kf7Lq0Zx4Vb9Nm3Pw6Ty1Hs5Jc8Ga2Ue`), "", 1)
	if len(fs) == 0 {
		t.Errorf("gitleaks rules found nothing in a GitHub token line")
	}
}
