// Package tail follows a growing log file as `tail -F` does: it survives
// rotation (the file is renamed or removed and a new one created under the
// same name) and truncation (copytruncate), by polling.
package tail

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"
)

// Options tune Follow.
type Options struct {
	Poll      time.Duration // how often to look for new data; default 250ms
	FromStart bool          // read the existing content first (default: start at the end)
	MaxLine   int           // longer lines are cut into pieces of this size; default 1 MiB
}

// Follow calls fn with every complete line (without its newline) appended
// to path until ctx ends or fn returns an error. A missing file is waited
// for. After a rotation the old file is read to its end before the new one
// is opened, so no line written before the rotation is lost.
func Follow(ctx context.Context, path string, opt Options, fn func(line []byte) error) error {
	if opt.Poll <= 0 {
		opt.Poll = 250 * time.Millisecond
	}
	if opt.MaxLine <= 0 {
		opt.MaxLine = 1 << 20
	}
	fromStart := opt.FromStart
	for {
		f, err := waitOpen(ctx, path, opt.Poll)
		if err != nil {
			return err
		}
		err = follow(ctx, f, path, fromStart, opt, fn)
		f.Close()
		if !errors.Is(err, errRotated) {
			return err
		}
		fromStart = true // a new file: all of it is new
	}
}

var errRotated = errors.New("rotated")

func waitOpen(ctx context.Context, path string, poll time.Duration) (*os.File, error) {
	for {
		f, err := os.Open(path)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("follow: %w", err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(poll):
		}
	}
}

func follow(ctx context.Context, f *os.File, path string, fromStart bool, opt Options, fn func([]byte) error) error {
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("follow: %w", err)
	}
	var offset int64
	if !fromStart {
		if offset, err = f.Seek(0, io.SeekEnd); err != nil {
			return fmt.Errorf("follow: %w", err)
		}
	}
	r := bufio.NewReaderSize(f, 64<<10)
	var partial []byte
	for {
		chunk, err := r.ReadSlice('\n')
		offset += int64(len(chunk))
		if len(chunk) > 0 {
			partial = append(partial, chunk...)
			if chunk[len(chunk)-1] == '\n' || len(partial) >= opt.MaxLine {
				line := bytes.TrimRight(partial, "\r\n")
				if ferr := fn(line); ferr != nil {
					return ferr
				}
				partial = partial[:0]
			}
		}
		switch {
		case err == nil, errors.Is(err, bufio.ErrBufferFull):
			continue
		case !errors.Is(err, io.EOF):
			return fmt.Errorf("follow: %w", err)
		}
		// At the end of the file: wait, then check for rotation or truncation.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(opt.Poll):
		}
		if cur, err := os.Stat(path); err == nil && !os.SameFile(cur, info) {
			// Rotated. Drain what was appended to the old file meanwhile.
			if _, err := r.Peek(1); err == nil {
				continue
			}
			if len(partial) > 0 {
				if err := fn(bytes.TrimRight(partial, "\r\n")); err != nil {
					return err
				}
			}
			return errRotated
		}
		if st, err := f.Stat(); err == nil && st.Size() < offset {
			// Truncated in place: start again from the top.
			if _, err := f.Seek(0, io.SeekStart); err != nil {
				return fmt.Errorf("follow: %w", err)
			}
			offset = 0
			partial = partial[:0]
			r.Reset(f)
		}
	}
}
