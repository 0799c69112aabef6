package main

import (
	"bytes"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/community"
)

// whereamiNearbyRadiusM is the radius of the "open requests nearby" count.
const whereamiNearbyRadiusM = 250

// whereamiResponse is the JSON answer of GET /v1/whereami: the point, the
// jurisdiction and the community card (areas, meetings, contacts, count).
type whereamiResponse struct {
	Lat          float64 `json:"lat"`
	Lon          float64 `json:"lon"`
	Jurisdiction string  `json:"jurisdiction"`
	TimeZone     string  `json:"time_zone"`
	NearbyRadius int     `json:"open_nearby_radius_m"`
	community.Card
}

// parseWhereami reads the query of GET /v1/whereami: lat and lon (finite,
// in range), or address_id (refused: no address points are loaded), and
// format ("json" or "html"; empty means by the Accept header). Every error
// is ErrInvalid naming the field.
func parseWhereami(q url.Values, accept string) (lat, lon float64, html bool, err error) {
	for k, vs := range q {
		if len(vs) > 1 {
			return 0, 0, false, data.Invalid(k, "given %d times; give it once", len(vs))
		}
	}
	if q.Has("address_id") {
		return 0, 0, false, data.Invalid("address_id", "no address points are loaded for this jurisdiction: locate by lat and lon")
	}
	switch f := strings.ToLower(strings.TrimSpace(q.Get("format"))); f {
	case "json":
	case "html":
		html = true
	case "":
		html = prefersHTML(accept)
	default:
		return 0, 0, false, data.Invalid("format", "%q is not a format: use json or html", clip(f))
	}
	if lat, err = coordParam(q, "lat", 90); err != nil {
		return 0, 0, false, err
	}
	if lon, err = coordParam(q, "lon", 180); err != nil {
		return 0, 0, false, err
	}
	return lat, lon, html, nil
}

// coordParam reads a required coordinate in [-limit, limit] degrees.
func coordParam(q url.Values, field string, limit float64) (float64, error) {
	s := strings.TrimSpace(q.Get(field))
	if s == "" {
		return 0, data.Invalid(field, "required (WGS84 degrees)")
	}
	v, err := parseFinite(s)
	if err != nil {
		return 0, data.Invalid(field, "%q is not a finite number", clip(s))
	}
	if v < -limit || v > limit {
		return 0, data.Invalid(field, "must be between %v and %v, got %v", -limit, limit, v)
	}
	return v, nil
}

// prefersHTML reports whether an Accept header ranks text/html above JSON
// (by q-value, then by order), as browsers' do.
func prefersHTML(accept string) bool {
	bestHTML, bestJSON := -1.0, -1.0
	htmlPos, jsonPos := -1, -1
	for i, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		switch mt {
		case "text/html":
			if q > bestHTML {
				bestHTML, htmlPos = q, i
			}
		case "application/json":
			if q > bestJSON {
				bestJSON, jsonPos = q, i
			}
		}
	}
	if bestHTML <= 0 {
		return false
	}
	return bestHTML > bestJSON || (bestHTML == bestJSON && htmlPos < jsonPos)
}

// handleWhereami answers "where am I": the areas of a point under the
// generations in force now, the next meetings of its beat and beat group,
// the contacts of its areas and the open requests nearby, as JSON or as a
// printable HTML card.
func (s *server) handleWhereami() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lat, lon, html, err := parseWhereami(r.URL.Query(), r.Header.Get("Accept"))
		if err != nil {
			s.error(w, r, err)
			return
		}
		cs, err := s.app.communityStore()
		if err != nil {
			s.error(w, r, err)
			return
		}
		rs, err := s.app.requestStore()
		if err != nil {
			s.error(w, r, err)
			return
		}
		rt, err := s.router()
		if err != nil {
			s.error(w, r, err)
			return
		}
		now := s.now().In(s.app.loc)
		areas, err := rt.Index().Locate(lon, lat, now)
		if err != nil {
			s.error(w, r, err)
			return
		}
		var ms []community.Meeting
		for _, a := range areas {
			if a.Layer == data.LayerBeat {
				if ms, err = cs.MeetingsFor(r.Context(), s.j.ID, a.ID); err != nil {
					s.error(w, r, err)
					return
				}
			}
		}
		contacts, err := cs.Contacts(r.Context(), s.j.ID)
		if err != nil {
			s.error(w, r, err)
			return
		}
		n, err := rs.CountRequests(r.Context(), data.RequestFilter{
			Near:   &data.Circle{Lon: lon, Lat: lat, RadiusM: whereamiNearbyRadiusM},
			Status: "open", ExcludePolice: true,
		})
		if err != nil {
			s.error(w, r, err)
			return
		}
		card := community.BuildCard(areas, ms, contacts, now, n)
		w.Header().Add("Vary", "Accept")
		if !html {
			writeJSON(w, http.StatusOK, whereamiResponse{Lat: lat, Lon: lon, Jurisdiction: s.j.ID,
				TimeZone: s.app.loc.String(), NearbyRadius: whereamiNearbyRadiusM, Card: card})
			return
		}
		var b bytes.Buffer
		if err := community.RenderCardHTML(&b, card); err != nil {
			s.error(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		w.Write(b.Bytes())
	})
}
