package community

import (
	"cmp"
	"slices"

	"github.com/geo311/geo311/data"
)

// Contact kinds the card knows. Any kind matching the layer-name shape
// ([a-z][a-z0-9_]{0,39}) may be loaded; these are the ones with a meaning.
const (
	// KindCommunityPolicingOffice: a police district's CAPS office, the
	// contact shown when a beat has no meeting scheduled.
	KindCommunityPolicingOffice = "community_policing_office"
	// KindDistrictStation: a police district's station.
	KindDistrictStation = "district_station"
	// KindAldermanOffice: a ward's alderman's office.
	KindAldermanOffice = "alderman_office"
)

// Contact is one entry of the directory of an area: whom a resident calls
// or writes about it. A store keys contacts by Key.
type Contact struct {
	Layer   data.Layer `json:"layer"`
	AreaID  string     `json:"area_id"`
	Kind    string     `json:"kind"`
	Name    string     `json:"name"`
	Phone   string     `json:"phone,omitempty"`
	Email   string     `json:"email,omitempty"`
	Address string     `json:"address,omitempty"`
	URL     string     `json:"url,omitempty"`
	Hours   string     `json:"hours,omitempty"`
}

// Key returns the contact's natural key, "layer/area_id/kind": one contact
// per kind per area.
func (c Contact) Key() string { return string(c.Layer) + "/" + c.AreaID + "/" + c.Kind }

// ContactsFor returns the contacts of the given areas (layer and id; the
// generation is ignored), grouped by the areas' order, and within an area by
// kind, then name. An area listed twice is answered once. The result is a
// new slice; cs is not changed.
func ContactsFor(cs []Contact, areas []data.AreaRef) []Contact {
	var out []Contact
	seen := make(map[[2]string]bool, len(areas))
	for _, a := range areas {
		k := [2]string{string(a.Layer), a.ID}
		if seen[k] {
			continue
		}
		seen[k] = true
		start := len(out)
		for _, c := range cs {
			if c.Layer == a.Layer && c.AreaID == a.ID {
				out = append(out, c)
			}
		}
		slices.SortStableFunc(out[start:], func(x, y Contact) int {
			return cmp.Or(cmp.Compare(x.Kind, y.Kind), cmp.Compare(x.Name, y.Name))
		})
	}
	return out
}
