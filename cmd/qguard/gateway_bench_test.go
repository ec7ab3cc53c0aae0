package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// BenchmarkSubmit measures authenticated submissions of a 2-qubit,
// 100-shot circuit on the local simulator, audit on, over loopback HTTP.
//
//	go test -run '^$' -bench Submit -benchtime 5s ./cmd/qguard
func BenchmarkSubmit(b *testing.B) {
	t := &testing.T{}
	_ = t
	g := startGateway(&testing.T{}, withConfig("server:\n  rate_per_minute: 100000000\n"))
	body, _ := json.Marshal(map[string]any{"qasm": ghz(2), "shots": 100})
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	client := &http.Client{Transport: tr}
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("POST", g.url+"/v1/jobs", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+g.adminKey)
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 201 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.StopTimer()
	g.stop()
}
