// Command membw measures this machine's memory bandwidth with a plain copy
// loop over complex128 slices of 2^n elements: one copy reads 16·2^n bytes
// and writes 16·2^n, the same traffic as one pass of a one-qubit gate over
// an n-qubit state vector (32·2^n bytes). The time of one copy is therefore
// the bandwidth bound for one gate.
//
// It also reports the process CPU time per copy divided by the goroutines,
// which stays meaningful when other work shares the machine.
//
//	go run ./bench/membw -qubits 20,24,26 -workers 1,2
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	qubits := flag.String("qubits", "20,24,26", "state sizes in qubits, comma-separated")
	workerList := flag.String("workers", "1,2", "goroutine counts, comma-separated")
	reps := flag.Int("reps", 5, "copies per measurement; the fastest is reported")
	flag.Parse()
	fmt.Println("| qubits | bytes moved per pass | goroutines | best copy time | bandwidth | best CPU time ÷ goroutines | bandwidth by CPU time |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, n := range ints(*qubits) {
		src := make([]complex128, 1<<n)
		dst := make([]complex128, 1<<n)
		for i := range src { // touch every page before timing
			src[i] = complex(float64(i), 0)
			dst[i] = 0
		}
		moved := float64(32) * float64(int(1)<<n)
		for _, w := range ints(*workerList) {
			best, bestCPU := time.Duration(1<<62), time.Duration(1<<62)
			for range *reps {
				start, cpu := time.Now(), cpuTime()
				copyLoop(dst, src, w)
				best = min(best, time.Since(start))
				bestCPU = min(bestCPU, (cpuTime()-cpu)/time.Duration(w))
			}
			fmt.Printf("| %d | %.0f MiB | %d | %.2f ms | %.1f GB/s | %.2f ms | %.1f GB/s |\n",
				n, moved/(1<<20), w, ms(best), moved/best.Seconds()/1e9, ms(bestCPU), moved/bestCPU.Seconds()/1e9)
		}
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// cpuTime is the CPU time this process has used: on a machine shared with
// other work it approximates what the wall time would be on an idle one.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// copyLoop copies src to dst element by element, split across w goroutines.
func copyLoop(dst, src []complex128, w int) {
	var wg sync.WaitGroup
	step := (len(src) + w - 1) / w
	for lo := 0; lo < len(src); lo += step {
		hi := min(lo+step, len(src))
		wg.Go(func() {
			d, s := dst[lo:hi], src[lo:hi]
			for i := range s {
				d[i] = s[i]
			}
		})
	}
	wg.Wait()
}

func ints(s string) []int {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < 1 || v > 30 {
			fmt.Fprintf(os.Stderr, "membw: bad number %q\n", f)
			os.Exit(2)
		}
		out = append(out, v)
	}
	return out
}
