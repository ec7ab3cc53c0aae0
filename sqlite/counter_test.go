package sqlite_test

import (
	"path/filepath"
	"testing"
	"time"
)

func TestCountEventsMulti(t *testing.T) {
	db := openAt(t, filepath.Join(t.TempDir(), "q.db"))
	ctx := t.Context()
	now := time.Now()
	for _, e := range []struct {
		key string
		at  time.Time
	}{{"a", now}, {"a", now.Add(-time.Minute)}, {"a", now.Add(-time.Hour)}, {"b", now}, {"c", now.Add(-2 * time.Hour)}} {
		if err := db.AddEvent(ctx, e.key, e.at); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.CountEventsMulti(ctx, []string{"a", "b", "c", "none"}, now.Add(-10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if got["a"] != 2 || got["b"] != 1 || got["c"] != 0 || got["none"] != 0 || len(got) != 2 {
		t.Errorf("CountEventsMulti = %v, want a:2 b:1", got)
	}
	for _, k := range []string{"a", "b", "c"} {
		n, err := db.CountEvents(ctx, k, now.Add(-10*time.Minute))
		if err != nil || n != got[k] {
			t.Errorf("CountEvents(%s) = %d, %v; CountEventsMulti said %d", k, n, err, got[k])
		}
	}
	if got, err := db.CountEventsMulti(ctx, nil, now); err != nil || len(got) != 0 {
		t.Errorf("no keys: %v %v", got, err)
	}
}
