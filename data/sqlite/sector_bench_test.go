package sqlite

import "github.com/geo311/geo311/data"

// withSectors gives each request of rs that has a beat a sector area, the
// beat id's first 3 characters, as geo's derived sector layer routes
// Chicago's requests (Chicago DDSB beats), and returns rs.
func withSectors(rs []*data.Request) []*data.Request {
	for _, r := range rs {
		for _, a := range r.Areas {
			if a.Layer == data.LayerBeat && len(a.ID) >= 3 {
				r.Areas = append(r.Areas, data.AreaRef{Layer: data.LayerSector, ID: a.ID[:3], Generation: "sector@2012-12-19"})
				break
			}
		}
	}
	return rs
}
