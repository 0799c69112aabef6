package sqlite

import (
	"fmt"
	"time"
)

// timeLayout stores instants as fixed-width UTC text: text order is time
// order, nanoseconds are kept, and the value reads well in the sqlite3 shell.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// formatTime encodes t for a TEXT instant column.
func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// parseTime decodes a TEXT instant column.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored instant %q: %w", s, err)
	}
	return t, nil
}

// storableTime reports whether t fits the fixed-width layout (years 1-9999).
func storableTime(t time.Time) bool {
	y := t.UTC().Year()
	return y >= 1 && y <= 9999
}
