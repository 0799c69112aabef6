package postgis

import (
	"testing"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/community"
	"github.com/geo311/geo311/data/storetest"
)

func TestBoundaryStore(t *testing.T) {
	storetest.TestBoundaryStore(t, func(t *testing.T) data.BoundaryStore { return openDB(t) })
}

func openStore(t *testing.T) data.Store { return openDB(t) }

func TestRequestStore(t *testing.T) { storetest.TestRequestStore(t, openStore) }

func TestKeyStore(t *testing.T) { storetest.TestKeyStore(t, openStore) }

func TestCommunityStore(t *testing.T) {
	storetest.TestCommunityStore(t, func(t *testing.T) community.Store { return openDB(t) })
}
