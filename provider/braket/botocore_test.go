package braket

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/provider/braket/brakettest"
	"github.com/qguard/qguard/provider/providertest"
)

// botocorePython finds a python3 that has botocore with the Braket model:
// Debian's python3-botocore first.
func botocorePython(t *testing.T) string {
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(py, "-c", "import botocore.session; botocore.session.get_session().get_component('data_loader').load_service_model('braket','service-2')").Run() == nil {
			return py
		}
	}
	t.Skip("python3-botocore is not installed (apt-get install python3-botocore)")
	return ""
}

type botoRequest struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

// TestBotocoreAgreement builds GetDevice, SearchDevices and
// CreateQuantumTask with botocore's own Braket model, serializer and
// RequestSigner, sends them to the fake (which must accept botocore's
// signatures), and checks that our client sends the same method, path,
// Content-Type, signed headers and JSON field names.
func TestBotocoreAgreement(t *testing.T) {
	py := botocorePython(t)
	h := newHarness(t)
	action, _ := json.Marshal(Action{Header: SchemaHeader{Name: ProgramSchema, Version: "1"}, Source: bell, Inputs: map[string]float64{}})
	params, _ := json.Marshal(map[string]any{
		"GetDevice":     map[string]any{"deviceArn": brakettest.Forte1},
		"SearchDevices": map[string]any{"filters": []any{}, "maxResults": 100},
		"CreateQuantumTask": map[string]any{"action": string(action), "clientToken": "job_boto", "deviceArn": brakettest.Forte1,
			"outputS3Bucket": "amazon-braket-qguard", "outputS3KeyPrefix": "tasks", "shots": 10,
			"tags": map[string]string{"qguard:job-id": "job_boto", "qguard:user": "bob"}},
	})
	out, err := exec.Command(py, "testdata/botocore_requests.py", h.fake.API.URL, h.fake.AccessKeyID, h.fake.SecretAccessKey, string(params)).Output()
	if err != nil {
		t.Fatalf("botocore: %v", err)
	}
	var boto map[string]json.RawMessage
	if err := json.Unmarshal(out, &boto); err != nil {
		t.Fatal(err)
	}
	t.Logf("botocore %s", boto["botocore"])
	ops := map[string]botoRequest{}
	for _, op := range []string{"GetDevice", "SearchDevices", "CreateQuantumTask"} {
		var br botoRequest
		if err := json.Unmarshal(boto[op], &br); err != nil {
			t.Fatal(err)
		}
		ops[op] = br
		// The fake verifies botocore's signature like ours.
		req, _ := http.NewRequest(br.Method, br.URL, strings.NewReader(br.Body))
		for k, v := range br.Headers {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			t.Fatalf("fake refused botocore's %s: HTTP %d", op, resp.StatusCode)
		}
	}

	// Our client: SearchDevices and GetDevice, then CreateQuantumTask.
	h.p.cfg.Devices = nil
	if _, err := h.p.Devices(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := h.p.Submit(context.Background(), qguard.Submission{JobID: "job_go", User: "bob", Device: brakettest.Forte1, QASM: bell, Shots: 10}); err != nil {
		t.Fatal(err)
	}
	ours := map[string]providertest.Recorded{}
	for _, r := range h.fake.Requests() {
		if r.Header.Get("User-Agent") != UserAgent {
			continue
		}
		switch {
		case r.Method == "POST" && r.Path == "/devices":
			ours["SearchDevices"] = r
		case r.Method == "GET" && r.Path == "/device/"+EscapeLabel(brakettest.Forte1):
			ours["GetDevice"] = r
		case r.Method == "POST" && r.Path == "/quantum-task":
			ours["CreateQuantumTask"] = r
		}
	}
	botoAuth := map[string]string{}
	for op, br := range ops {
		botoAuth[op] = br.Headers["Authorization"]
	}
	for op, br := range ops {
		r, ok := ours[op]
		if !ok {
			t.Fatalf("our client sent no %s", op)
		}
		bpath := strings.TrimPrefix(br.URL, h.fake.API.URL)
		if r.Method != br.Method || r.Path != bpath {
			t.Errorf("%s: ours %s %s, botocore %s %s", op, r.Method, r.Path, br.Method, bpath)
		}
		if got, want := r.Header.Get("Content-Type"), br.Headers["Content-Type"]; got != want {
			t.Errorf("%s: Content-Type ours %q, botocore %q", op, got, want)
		}
		// Every header botocore signs, we sign (we also sign content-length).
		if want := signedHeaders(botoAuth[op]); len(r.SignedHeaders) == 0 || !subset(want, r.SignedHeaders) {
			t.Errorf("%s: botocore signs %v, we sign %v", op, want, r.SignedHeaders)
		}
		if got, want := jsonKeys(t, r.Body), jsonKeys(t, []byte(br.Body)); !slices.Equal(got, want) {
			t.Errorf("%s: JSON fields ours %v, botocore %v", op, got, want)
		}
	}
}

func signedHeaders(auth string) []string {
	_, rest, _ := strings.Cut(auth, "SignedHeaders=")
	list, _, _ := strings.Cut(rest, ",")
	return strings.Split(list, ";")
}

func subset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

func jsonKeys(t *testing.T, body []byte) []string {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
