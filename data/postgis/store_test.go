package postgis

import (
	"testing"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/storetest"
)

func TestBoundaryStore(t *testing.T) {
	storetest.TestBoundaryStore(t, func(t *testing.T) data.BoundaryStore { return openDB(t) })
}
