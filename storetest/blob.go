package storetest

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/qguard/qguard"
)

// BlobOpener returns a fresh, empty blob store.
type BlobOpener func(t *testing.T) qguard.BlobStore

// RunBlobs is the conformance suite of [qguard.BlobStore].
func RunBlobs(t *testing.T, open BlobOpener) {
	t.Run("OK", func(t *testing.T) { testBlobs(t, open(t)) })
	t.Run("Concurrent", func(t *testing.T) { testBlobsConcurrent(t, open(t)) })
}

func testBlobs(t *testing.T, s qguard.BlobStore) {
	ctx := t.Context()
	at := base.Add(time.Minute)
	ds := &qguard.Blob{ID: "ds_1", Kind: qguard.BlobDataset, Name: "train.csv", Owner: "alice",
		Classification: qguard.ClassificationConfidential, SHA256: "ab12", Size: 42, Sealed: []byte{1, 2, 3, 0, 255}, CreatedAt: at}
	mustOK(t, s.PutBlob(ctx, ds))
	mustOK(t, s.PutBlob(ctx, &qguard.Blob{ID: "lib_1", Kind: qguard.BlobCircuit, Name: "grover", Owner: "bob",
		Classification: qguard.ClassificationInternal, SHA256: "cd34", Size: 7, Sealed: []byte("x"), CreatedAt: at}))
	if err := s.PutBlob(ctx, &qguard.Blob{ID: "ds_1", Kind: qguard.BlobDataset, Sealed: []byte("y")}); qguard.ErrorCode(err) != qguard.ECONFLICT {
		t.Fatalf("duplicate id: %v, want %s", err, qguard.ECONFLICT)
	}

	got, err := s.GetBlob(ctx, "ds_1")
	mustOK(t, err)
	if got.Name != ds.Name || got.Owner != ds.Owner || got.Classification != ds.Classification || got.SHA256 != ds.SHA256 ||
		got.Size != ds.Size || got.Kind != ds.Kind || !bytes.Equal(got.Sealed, ds.Sealed) || !got.CreatedAt.Equal(at) {
		t.Fatalf("GetBlob = %+v, want %+v", got, ds)
	}
	if _, err := s.GetBlob(ctx, "ds_missing"); qguard.ErrorCode(err) != qguard.ENOTFOUND {
		t.Fatalf("missing blob: %v", err)
	}

	list, err := s.ListBlobs(ctx, qguard.BlobDataset)
	mustOK(t, err)
	if len(list) != 1 || list[0].ID != "ds_1" || list[0].Sealed != nil || list[0].SHA256 != "ab12" {
		t.Fatalf("ListBlobs(dataset) = %+v", list)
	}
	if list, _ := s.ListBlobs(ctx, qguard.BlobCircuit); len(list) != 1 || list[0].ID != "lib_1" {
		t.Fatalf("ListBlobs(circuit) = %+v", list)
	}

	mustOK(t, s.DeleteBlob(ctx, "ds_1"))
	if err := s.DeleteBlob(ctx, "ds_1"); qguard.ErrorCode(err) != qguard.ENOTFOUND {
		t.Fatalf("second delete: %v", err)
	}
	if list, _ := s.ListBlobs(ctx, qguard.BlobDataset); len(list) != 0 {
		t.Fatalf("after delete: %+v", list)
	}
}

func testBlobsConcurrent(t *testing.T, s qguard.BlobStore) {
	ctx := t.Context()
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.PutBlob(ctx, &qguard.Blob{ID: fmt.Sprintf("ds_%02d", i%20), Kind: qguard.BlobDataset, Name: "n",
				Owner: "o", Classification: qguard.ClassificationPublic, SHA256: "00", Sealed: []byte{byte(i)}})
		}()
	}
	wg.Wait()
	close(errs)
	ok, conflicts := 0, 0
	for err := range errs {
		switch qguard.ErrorCode(err) {
		case "":
			ok++
		case qguard.ECONFLICT:
			conflicts++
		default:
			t.Fatal(err)
		}
	}
	list, err := s.ListBlobs(ctx, qguard.BlobDataset)
	mustOK(t, err)
	if ok != 20 || conflicts != 20 || len(list) != 20 {
		t.Fatalf("%d stored, %d conflicts, %d listed; want 20, 20, 20", ok, conflicts, len(list))
	}
}
