package monitor_test

import (
	"context"
	"github.com/qguard/qguard/circuit"
	"strings"
	"testing"
	"time"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/config"
	"github.com/qguard/qguard/gateway"
	"github.com/qguard/qguard/monitor"
)

var _ gateway.Monitor = (*monitor.Monitor)(nil)

func TestGatewayAdapter(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	store := monitor.NewMemoryStore()
	mon := monitor.New(config.Default().Monitor, store, nil, nil, clock)
	ctx := context.Background()

	// JSON lines, plain text and blank lines; then a JSON array.
	evs, err := mon.ProcessLogs(ctx, "http:alice", []byte("{\"level\":\"debug\",\"message\":\"x\",\"env\":{\"AWS_ACCESS_KEY_ID\":\"AKIAQ3EGRKTWZ7V5LMNP\"}}\r\n\n"+
		"+ export GITHUB_TOKEN=ghp_R8d2Kf7Lq0Zx4Vb9Nm3Pw6Ty1Hs5Jc8Ga2Ue\n"))
	if err != nil || len(evs) != 2 || evs[0].Source != "http:alice" {
		t.Fatalf("lines: %+v %v", evs, err)
	}
	evs, err = mon.ProcessLogs(ctx, "http:alice", []byte(` [ {"message":"password: Vq7pL2zRk9sWx4ab!Q"}, {"message":"ok"} ] `))
	if err != nil || len(evs) != 1 || evs[0].Rule != "generic-secret" {
		t.Fatalf("array: %+v %v", evs, err)
	}

	for i := 0; i < 5; i++ {
		mon.AuthFailure(ctx, "", "198.51.100.7")
	}
	five, err := circuit.Parse([]byte("OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[5] q;\nh q;\n"))
	if err != nil {
		t.Fatal(err)
	}
	// Spend: $300 before the monitor started (no spike), then $10 and $30
	// within the hour, against a $500 cap: 340 + 40/h × 12 h = 820 > 500.
	mon.JobSubmitted(ctx, "bob", "ibm_quantum", five, 1000, 300, 500)
	now = now.Add(10 * time.Minute)
	mon.JobSubmitted(ctx, "bob", "ibm_quantum", five, 1000, 310, 500)
	all, _ := store.SecurityEvents(ctx, time.Time{})
	for _, e := range all {
		if e.Type == qguard.EventCostThreshold {
			t.Fatalf("cost event too early: %+v", e)
		}
	}
	now = now.Add(10 * time.Minute)
	mon.JobSubmitted(ctx, "bob", "ibm_quantum", five, 1000, 340, 500)

	rep, err := mon.Report(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	r := rep.(*monitor.SecurityReport)
	if r.ByType[qguard.EventAuthFailure] != 1 || r.ByType[qguard.EventCostThreshold] != 1 || r.ByType[qguard.EventCredentialExposure] != 3 {
		t.Errorf("report %+v", r)
	}
	for _, e := range r.RecentCritical {
		if strings.Contains(e.Message, "Q3EGRKTWZ7V5LMNP") {
			t.Errorf("secret in report: %+v", e)
		}
	}
	if _, err := mon.Report(ctx, 0); qguard.ErrorCode(err) != qguard.EINVALID {
		t.Errorf("hours 0: %v", err)
	}
}
