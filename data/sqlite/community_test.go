package sqlite

import (
	"testing"

	"github.com/geo311/geo311/data/community"
	"github.com/geo311/geo311/data/storetest"
)

func TestCommunityStore(t *testing.T) {
	storetest.TestCommunityStore(t, func(t *testing.T) community.Store { return openTest(t) })
}
