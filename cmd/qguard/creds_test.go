package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/qguard/qguard/config"
	"github.com/qguard/qguard/vault"
	"github.com/qguard/qguard/vault/keysource"
	"github.com/zalando/go-keyring"
)

// A low scrypt cost keeps passphrase scripts fast; it also applies to the
// qguard processes the scripts run, which are this test binary. Scripts
// can make the OS keyring fail with QGUARD_TEST_KEYRING_ERROR (go-keyring's
// mock; it exists only in the test binary).
func init() {
	keysource.ScryptWorkFactor = 10
	if msg := os.Getenv("QGUARD_TEST_KEYRING_ERROR"); msg != "" {
		keyring.MockInitWithError(errors.New(msg))
	}
}

const testIonQKey = "ionq-test-key-0123456789abcdef"

// qguardProc prepares `qguard creds store ionq --profile P` as a child
// process (the test binary re-executed as qguard by testscript.Main).
func qguardProc(t *testing.T, home, profile string) *exec.Cmd {
	t.Helper()
	bin, err := exec.LookPath("qguard")
	if err != nil {
		t.Fatalf("qguard not in PATH (set up by testscript.Main): %v", err)
	}
	cmd := exec.Command(bin, "creds", "store", "ionq", "--profile", profile)
	cmd.Env = append(os.Environ(), "QGUARD_HOME="+home, "HOME="+filepath.Dir(home))
	cmd.Stdin = strings.NewReader(`{"api_key": "` + testIonQKey + `"}`)
	return cmd
}

func initHome(t *testing.T) (string, config.Vault) {
	t.Helper()
	home := filepath.Join(t.TempDir(), "home")
	if err := vault.Init(home, vault.InitOptions{KeySource: keysource.NameFile}); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default().Vault
	return home, cfg
}

func profiles(t *testing.T, home string, cfg config.Vault) map[string]bool {
	t.Helper()
	v, err := vault.Open(context.Background(), home, cfg)
	if err != nil {
		t.Fatalf("vault does not open: %v", err)
	}
	list, err := v.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, c := range list {
		out[c.Profile] = true
	}
	return out
}

// TestKillDuringStore kills `creds store` with SIGKILL at random moments:
// the vault must always open with the old or the new content, and a store
// that reported success must have survived.
func TestKillDuringStore(t *testing.T) {
	home, cfg := initHome(t)
	runs := 200 // the acceptance figure; a plain `go test` runs them in a few seconds
	if testing.Short() || raceEnabled {
		runs = 8
	}
	// How long a whole store takes (the fastest of three), to spread the
	// kills over it, most of them late where the write happens.
	var full time.Duration
	for i := range 3 {
		start := time.Now()
		if out, err := qguardProc(t, home, fmt.Sprintf("warmup%d", i)).CombinedOutput(); err != nil {
			t.Fatalf("store: %v\n%s", err, out)
		}
		if d := time.Since(start); full == 0 || d < full {
			full = d
		}
	}
	want := profiles(t, home, cfg)
	completed, killed, killedAfterRename := 0, 0, 0
	for i := range runs {
		profile := fmt.Sprintf("k%d", i)
		cmd := qguardProc(t, home, profile)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(full/4 + time.Duration(rand.Int64N(int64(full))))
		cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		got := profiles(t, home, cfg)
		if err == nil { // finished before the kill: the write must be there
			completed++
			want[profile] = true
		} else {
			killed++
			if got[profile] {
				want[profile] = true // killed after the rename: new content
				killedAfterRename++
			}
		}
		if len(got) != len(want) {
			t.Fatalf("run %d: vault has %d profiles, want %d (old content plus at most %s)", i, len(got), len(want), profile)
		}
		for p := range want {
			if !got[p] {
				t.Fatalf("run %d: profile %s lost", i, p)
			}
		}
	}
	t.Logf("%d runs over %v each: %d completed, %d killed (%d of them after the write)", runs, full, completed, killed, killedAfterRename)
	if killed == 0 {
		t.Error("no run was killed before it finished")
	}
}

// TestConcurrentStores runs 50 `creds store` processes at once for
// different profiles: the lock must keep every update.
func TestConcurrentStores(t *testing.T) {
	home, cfg := initHome(t)
	n := 50
	if testing.Short() || raceEnabled {
		n = 16
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	outs := make([][]byte, n)
	for i := range n {
		cmd := qguardProc(t, home, fmt.Sprintf("c%d", i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], errs[i] = cmd.CombinedOutput()
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("store %d: %v\n%s", i, err, outs[i])
		}
	}
	got := profiles(t, home, cfg)
	for i := range n {
		if !got[fmt.Sprintf("c%d", i)] {
			t.Errorf("profile c%d lost", i)
		}
	}
	if len(got) != n {
		t.Errorf("%d profiles, want %d", len(got), n)
	}
}
