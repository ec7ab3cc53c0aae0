//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// serveProcess is `qguard serve` in a child process: this test binary
// re-executed as the qguard main (see TestMain), for tests that kill it.
type serveProcess struct {
	name string
	home string
	url  string
	cmd  *exec.Cmd
	out  *syncBuffer // stdout and stderr
	done chan struct{}
	dead atomic.Bool
}

var listeningRE = regexp.MustCompile(`listening on (https?://\S+)`)

// startServe runs `qguard serve` on a free loopback port with the home,
// extra environment and extra arguments (a later --addr overrides), and
// waits until it listens.
func startServe(t *testing.T, name, home string, env []string, args ...string) *serveProcess {
	t.Helper()
	p := &serveProcess{name: name, home: home, out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(os.Args[0], append([]string{"serve", "--addr", "127.0.0.1:0", "--log-format", "json"}, args...)...)
	p.cmd.Env = append(append(os.Environ(), "QGUARD_TEST_AS_MAIN=1", "QGUARD_HOME="+home), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(p.kill)
	deadline := time.After(60 * time.Second)
	for {
		if m := listeningRE.FindStringSubmatch(p.out.String()); m != nil {
			p.url = m[1]
			return p
		}
		select {
		case <-p.done:
			t.Fatalf("%s exited before listening:\n%s", name, p.out)
		case <-deadline:
			t.Fatalf("%s did not listen within 60s:\n%s", name, p.out)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// adminKey is the key the first serve on an empty home printed.
func (p *serveProcess) adminKey(t *testing.T) string {
	t.Helper()
	k := regexp.MustCompile(`qg_[A-Za-z0-9_-]{40,}`).FindString(p.out.String())
	if k == "" {
		t.Fatalf("no admin key in:\n%s", p.out)
	}
	return k
}

// kill sends SIGKILL (kill -9) and waits for the process to go.
func (p *serveProcess) kill() {
	p.dead.Store(true)
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop asks for a graceful shutdown (which signs a final audit
// checkpoint) and checks that the process exits cleanly.
func (p *serveProcess) stop(t *testing.T) {
	t.Helper()
	p.dead.Store(true)
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		if code := p.cmd.ProcessState.ExitCode(); code != 0 {
			t.Errorf("%s exited %d after SIGTERM:\n%s", p.name, code, p.out)
		}
	case <-time.After(30 * time.Second):
		t.Errorf("%s did not stop within 30s", p.name)
		p.kill()
	}
}

var loadClient = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// call sends a JSON request; status 0 means no answer (the body then holds
// the transport error).
func call(method, url, token string, body any) (int, []byte) {
	var rd io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return 0, []byte(err.Error())
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := loadClient.Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}
