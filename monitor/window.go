package monitor

import (
	"sort"
	"time"
)

// latest keeps the n most recent times seen, sorted. It answers "were there
// n events within w?" exactly while using O(n) memory, whatever the rate.
type latest struct {
	n  int
	ts []time.Time
}

func (l *latest) add(t time.Time) {
	i := sort.Search(len(l.ts), func(i int) bool { return l.ts[i].After(t) })
	l.ts = append(l.ts, time.Time{})
	copy(l.ts[i+1:], l.ts[i:])
	l.ts[i] = t
	if len(l.ts) > l.n {
		l.ts = l.ts[len(l.ts)-l.n:]
	}
}

// burst reports whether the n kept times span less than w: n events within
// one window, whatever order they arrived in.
func (l *latest) burst(w time.Duration) bool {
	return len(l.ts) == l.n && l.ts[len(l.ts)-1].Sub(l.ts[0]) < w
}

// buckets sums values in fixed-width time buckets. Bucket boundaries are
// absolute (multiples of width since the Unix epoch), so windows that span
// midnight need no special case.
type buckets struct {
	width time.Duration
	m     map[int64]float64
}

func newBuckets(width time.Duration) *buckets { return &buckets{width: width, m: map[int64]float64{}} }

func (b *buckets) index(t time.Time) int64 { return t.UnixNano() / int64(b.width) }

func (b *buckets) add(t time.Time, v float64) { b.m[b.index(t)] += v }

// sum adds the buckets that start in [from, to).
func (b *buckets) sum(from, to time.Time) float64 {
	lo, hi := b.index(from), b.index(to)
	if to.UnixNano()%int64(b.width) != 0 {
		hi++ // the bucket holding `to` started before it
	}
	s := 0.0
	if hi-lo < int64(len(b.m)) {
		for i := lo; i < hi; i++ {
			s += b.m[i]
		}
		return s
	}
	for i, v := range b.m {
		if i >= lo && i < hi {
			s += v
		}
	}
	return s
}

// prune drops buckets that end before t.
func (b *buckets) prune(t time.Time) {
	lo := b.index(t)
	for i := range b.m {
		if i < lo {
			delete(b.m, i)
		}
	}
}

// tracker is a bounded map of per-key detector state: when full, it evicts
// the entries idle longest, so that hostile input (random user names or
// addresses) cannot exhaust memory.
type tracker[T any] struct {
	max  int
	m    map[string]*tracked[T]
	make func() T
}

type tracked[T any] struct {
	v    T
	seen time.Time
}

func newTracker[T any](max int, mk func() T) *tracker[T] {
	return &tracker[T]{max: max, m: map[string]*tracked[T]{}, make: mk}
}

func (tr *tracker[T]) get(key string, now time.Time) T {
	e, ok := tr.m[key]
	if !ok {
		if len(tr.m) >= tr.max {
			tr.evict()
		}
		e = &tracked[T]{v: tr.make()}
		tr.m[key] = e
	}
	if now.After(e.seen) {
		e.seen = now
	}
	return e.v
}

// evict removes the oldest eighth of the entries (at least one).
func (tr *tracker[T]) evict() {
	type kv struct {
		k string
		t time.Time
	}
	all := make([]kv, 0, len(tr.m))
	for k, e := range tr.m {
		all = append(all, kv{k, e.seen})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].t.Before(all[j].t) })
	n := len(all)/8 + 1
	for _, e := range all[:min(n, len(all))] {
		delete(tr.m, e.k)
	}
}

// endOfDay is the next UTC midnight after t.
func endOfDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
}
