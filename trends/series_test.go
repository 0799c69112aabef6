package trends

import (
	"errors"
	"testing"

	"github.com/geo311/geo311/data"
)

func TestParseEventAndCategories(t *testing.T) {
	for in, want := range map[string]Event{"": Opened, "opened": Opened, "received": Opened, "closed": Closed} {
		if got, err := ParseEvent(in); err != nil || got != want {
			t.Errorf("ParseEvent(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseEvent("reopened"); !errors.Is(err, data.ErrInvalid) || data.ErrorField(err) != "event" {
		t.Errorf("ParseEvent(reopened): %v", err)
	}
	hot := 0
	for _, c := range Categories() {
		if c.Hot() {
			hot++
		}
	}
	if hot != 8 || !NewHotSpot.Hot() || NewColdSpot.Hot() || NoPattern.Hot() {
		t.Errorf("%d hot categories", hot)
	}
}
