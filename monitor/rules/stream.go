package rules

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
)

// blockSize is how much input one worker scans at a time.
const blockSize = 1 << 20

// MaxLine is the longest line scanned whole; longer lines are scanned in
// MaxLine pieces (a secret straddling a cut can be missed).
const MaxLine = 4 << 20

// Stats summarises a Scan.
type Stats struct {
	Bytes int64 `json:"bytes"`
	Lines int64 `json:"lines"`
}

// Scan reads r line by line and calls fn with each finding in input order.
// Blocks of lines are scanned in parallel on all CPUs.
func (s *Set) Scan(ctx context.Context, r io.Reader, source string, fn func(Finding) error) (Stats, error) {
	workers := runtime.GOMAXPROCS(0)
	var st Stats
	carry := []byte(nil)
	line := int64(0)
	eof := false
	for !eof {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		// Read up to `workers` blocks, each ending at a newline.
		type job struct {
			data     []byte
			first    int64
			findings []Finding
		}
		var jobs []*job
		for len(jobs) < workers && !eof {
			buf := make([]byte, len(carry), blockSize+len(carry))
			copy(buf, carry)
			carry = nil
			for len(buf) < cap(buf) {
				n, err := r.Read(buf[len(buf):cap(buf)])
				buf = buf[:len(buf)+n]
				if errors.Is(err, io.EOF) {
					eof = true
					break
				}
				if err != nil {
					return st, fmt.Errorf("read %s: %w", source, err)
				}
			}
			if !eof {
				cut := bytes.LastIndexByte(buf, '\n')
				switch {
				case cut >= 0:
					carry = append([]byte(nil), buf[cut+1:]...)
					buf = buf[:cut+1]
				case len(buf) < MaxLine:
					carry = buf // no newline yet: read more into a bigger block
					continue
				}
			}
			if len(buf) == 0 {
				continue
			}
			st.Bytes += int64(len(buf))
			n := int64(bytes.Count(buf, []byte{'\n'}))
			if buf[len(buf)-1] != '\n' {
				n++
			}
			jobs = append(jobs, &job{data: buf, first: line + 1})
			line += n
		}
		var wg sync.WaitGroup
		for _, j := range jobs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				j.findings = s.scanBlock(j.data, source, j.first)
			}()
		}
		wg.Wait()
		for _, j := range jobs {
			for _, f := range j.findings {
				if err := fn(f); err != nil {
					return st, err
				}
			}
		}
	}
	st.Lines = line
	return st, nil
}

// scanBlock scans complete lines; first is the number of the first one.
func (s *Set) scanBlock(data []byte, source string, first int64) []Finding {
	var out []Finding
	n := first
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		var l []byte
		if i < 0 {
			l, data = data, nil
		} else {
			l, data = data[:i], data[i+1:]
		}
		if len(l) > 0 && l[len(l)-1] == '\r' {
			l = l[:len(l)-1]
		}
		for len(l) > MaxLine {
			out = append(out, s.ScanLine(l[:MaxLine], source, int(n))...)
			l = l[MaxLine:]
		}
		out = append(out, s.ScanLine(l, source, int(n))...)
		n++
	}
	return out
}
