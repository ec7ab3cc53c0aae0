package sqlite_test

import (
	"testing"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/storetest"
)

func TestBlobStore(t *testing.T) {
	storetest.RunBlobs(t, func(t *testing.T) qguard.BlobStore {
		return open(t).(qguard.BlobStore)
	})
}
