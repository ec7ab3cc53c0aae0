// Command loadgen measures the gateway's authenticated submission rate:
// it sends POST /v1/jobs with a small circuit from C concurrent clients on
// loopback for a fixed time and prints the rate and latency percentiles.
//
//	QGUARD_TOKEN=qg_… go run ./bench/loadgen -url http://127.0.0.1:8080 -c 32 -d 10s
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"
)

const bell = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n"

func main() {
	url := flag.String("url", "http://127.0.0.1:8080", "gateway URL")
	conc := flag.Int("c", 32, "concurrent clients")
	dur := flag.Duration("d", 10*time.Second, "how long to send")
	shots := flag.Int("shots", 100, "shots per job")
	flag.Parse()
	token := os.Getenv("QGUARD_TOKEN")
	if token == "" {
		fmt.Fprintln(os.Stderr, "loadgen: set QGUARD_TOKEN")
		os.Exit(2)
	}
	body, _ := json.Marshal(map[string]any{"qasm": bell, "shots": *shots})
	tr := &http.Transport{MaxIdleConnsPerHost: *conc, MaxConnsPerHost: *conc}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}

	var mu sync.Mutex
	var lat []time.Duration
	codes := map[int]int{}
	deadline := time.Now().Add(*dur)
	start := time.Now()
	var wg sync.WaitGroup
	for range *conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			mineCodes := map[int]int{}
			for time.Now().Before(deadline) {
				req, _ := http.NewRequest("POST", *url+"/v1/jobs", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					mineCodes[0]++
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mine = append(mine, time.Since(t0))
				mineCodes[resp.StatusCode]++
			}
			mu.Lock()
			lat = append(lat, mine...)
			for k, v := range mineCodes {
				codes[k] += v
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))]
	}
	ok := codes[201]
	fmt.Printf("requests %d in %.1fs, %d created (201), other %v\n", len(lat), elapsed.Seconds(), ok, without(codes, 201))
	fmt.Printf("rate %.0f submissions/s  p50 %.2f ms  p99 %.2f ms  (concurrency %d)\n",
		float64(ok)/elapsed.Seconds(), ms(pct(0.50)), ms(pct(0.99)), *conc)
	if ok == 0 {
		os.Exit(1)
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func without(m map[int]int, k int) map[int]int {
	out := map[int]int{}
	for kk, v := range m {
		if kk != k {
			out[kk] = v
		}
	}
	return out
}
