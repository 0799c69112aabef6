package chicago311

import (
	"testing"

	"github.com/geo311/geo311/data/datatest"
)

// sharedDir returns the shared folder, failing under CI=true and skipping
// elsewhere when the legacy 311 sample is missing.
func sharedDir(t testing.TB) string {
	t.Helper()
	datatest.Shared(t, "chicago", "legacy_311")
	return datatest.SharedDir()
}
