// Command gencorpus writes the labelled secret-scanning corpus.
//
//	go run ./monitor/internal/gencorpus -o monitor/testdata/corpus.jsonl.gz
//	go run ./monitor/internal/gencorpus -size 50000000 -lines big.log -labels big.labels.jsonl
//
// The first form writes the checked-in, gzip-compressed corpus of labelled
// records (the test in monitor/rules reads it and checks it is up to date);
// the second writes a large plain log for benchmarks, with labels on the side.
package main

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/qguard/qguard/monitor/internal/corpus"
)

func main() {
	out := flag.String("o", "", "write the labelled corpus (gzip JSON lines) to this file")
	size := flag.Int64("size", 0, "with -lines: bytes of log to write")
	lines := flag.String("lines", "", "write a plain log of -size bytes to this file")
	labels := flag.String("labels", "", "with -lines: write labels of secret and near-miss lines here")
	seed := flag.Uint64("seed", corpus.Seed, "random seed")
	flag.Parse()
	if err := run(*out, *lines, *labels, *size, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "gencorpus:", err)
		os.Exit(1)
	}
}

func run(out, lines, labels string, size int64, seed uint64) error {
	g := corpus.New(seed)
	if out != "" {
		f, err := os.Create(out)
		if err != nil {
			return err
		}
		zw, _ := gzip.NewWriterLevel(f, gzip.BestCompression)
		enc := json.NewEncoder(zw)
		enc.SetEscapeHTML(false)
		for _, r := range g.Labelled(corpus.PerKind, corpus.NearMisses, corpus.Benign) {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		if err := zw.Close(); err != nil {
			return err
		}
		return f.Close()
	}
	if lines == "" || size <= 0 {
		return fmt.Errorf("give -o FILE, or -lines FILE with -size N")
	}
	f, err := os.Create(lines)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var lw *bufio.Writer
	if labels != "" {
		lf, err := os.Create(labels)
		if err != nil {
			return err
		}
		defer lf.Close()
		lw = bufio.NewWriter(lf)
		defer lw.Flush()
	}
	var lwr interface{ Write([]byte) (int, error) }
	if lw != nil {
		lwr = lw
	}
	if err := g.Stream(w, lwr, size, 0.01, 0.05); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}
