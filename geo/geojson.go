package geo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/geo311/geo311/data"
	"github.com/paulmach/orb"
)

type gjCollection struct {
	Type     string      `json:"type"`
	Features []gjFeature `json:"features"`
	CRS      *struct {
		Properties struct {
			Name string `json:"name"`
		} `json:"properties"`
	} `json:"crs"`
}

type gjFeature struct {
	Type       string                     `json:"type"`
	ID         json.RawMessage            `json:"id"`
	Properties map[string]json.RawMessage `json:"properties"`
	Geometry   *gjGeometry                `json:"geometry"`
}

type gjGeometry struct {
	Type        string          `json:"type"`
	Coordinates json.RawMessage `json:"coordinates"`
}

// LoadGeoJSON reads a GeoJSON FeatureCollection (RFC 7946, WGS84 lon/lat)
// and returns the areas of spec.Layer, sorted by id.
//
// The id of a feature is the property spec.IDProperty (or the feature's "id"
// member when IDProperty is empty), trimmed and normalised: a numeric id is
// left-padded with zeros to spec.PadID digits ("8" -> "08"), and a numeric id
// written with a zero fraction ("8.0") loses it. Features whose id is listed
// in spec.Ignore are skipped. Features sharing an id (Chicago's beat 3100)
// merge into one MultiPolygon. Geometries must be Polygon or MultiPolygon,
// holes allowed. Property values become strings (numbers as written).
//
// Every error wraps data.ErrInvalid and names the feature by index and id:
// a missing id or geometry, another geometry type, a ring with fewer than 4
// positions, not closed or of zero area, a position that is not two finite
// numbers in range (longitude -180..180, latitude -90..90).
func LoadGeoJSON(r io.Reader, spec data.LayerSpec) ([]data.Area, error) {
	if _, err := data.ParseLayer(string(spec.Layer)); err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("geo: read geojson: %w", err)
	}
	var fc gjCollection
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&fc); err != nil {
		return nil, data.Invalid("geojson", "not a GeoJSON FeatureCollection: %v", err)
	}
	if fc.Type != "FeatureCollection" {
		return nil, data.Invalid("geojson", "type is %q, want \"FeatureCollection\"", fc.Type)
	}
	if fc.CRS != nil {
		switch n := fc.CRS.Properties.Name; n {
		case "", "urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:EPSG::4326", "EPSG:4326":
		default:
			return nil, data.Invalid("geojson", "crs %q is not supported: coordinates must be WGS84 longitude, latitude", n)
		}
	}
	ignore := map[string]bool{}
	for _, id := range spec.Ignore {
		ignore[strings.TrimSpace(id)] = true
	}
	byID := map[string]int{}
	var areas []data.Area
	for i, f := range fc.Features {
		field := fmt.Sprintf("features[%d]", i)
		if f.Type != "Feature" {
			return nil, data.Invalid(field, "type is %q, want \"Feature\"", f.Type)
		}
		props := make(map[string]string, len(f.Properties))
		for k, v := range f.Properties {
			if s, ok := propString(v); ok {
				props[k] = s
			}
		}
		var rawID string
		if spec.IDProperty == "" {
			rawID, _ = propString(f.ID)
		} else {
			rawID = props[spec.IDProperty]
		}
		if ignore[strings.TrimSpace(rawID)] {
			continue
		}
		id := NormalizeID(rawID, spec.PadID)
		if id == "" {
			name := spec.IDProperty
			if name == "" {
				name = "id"
			}
			return nil, data.Invalid(field, "feature has no id (property %q is missing or empty)", name)
		}
		if ignore[id] {
			continue
		}
		mp, err := decodeGeometry(f.Geometry)
		if err != nil {
			return nil, data.Invalid(field, "id %q: %v", id, err)
		}
		if err := checkMultiPolygon(mp); err != nil {
			return nil, data.Invalid(field, "id %q: %v", id, err)
		}
		if k, ok := byID[id]; ok {
			areas[k].Geometry = append(areas[k].Geometry, mp...)
			continue
		}
		byID[id] = len(areas)
		a := data.Area{Layer: spec.Layer, ID: id, Properties: props, Geometry: mp}
		if spec.NameProperty != "" {
			a.Name = strings.TrimSpace(props[spec.NameProperty])
		}
		areas = append(areas, a)
	}
	slices.SortFunc(areas, func(a, b data.Area) int { return strings.Compare(a.ID, b.ID) })
	return areas, nil
}

// NormalizeID trims an area id and, when pad > 0 and the id is a whole
// number, left-pads it with zeros to pad digits ("8" -> "08" for pad 2); a
// zero fraction ("8.0") is dropped first. Other ids are only trimmed.
func NormalizeID(id string, pad int) string {
	id = strings.TrimSpace(id)
	if i := strings.IndexByte(id, '.'); i > 0 && allDigits(id[:i]) && strings.Trim(id[i+1:], "0") == "" {
		id = id[:i]
	}
	if pad > 0 && allDigits(id) && len(id) < pad {
		id = strings.Repeat("0", pad-len(id)) + id
	}
	return id
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// propString renders a JSON property value as a string: strings as they
// are, numbers as written, booleans as true/false, objects and arrays as
// compact JSON. null and absent values report false.
func propString(v json.RawMessage) (string, bool) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || string(v) == "null" {
		return "", false
	}
	switch v[0] {
	case '"':
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", false
		}
		return s, true
	case '{', '[':
		var b bytes.Buffer
		if err := json.Compact(&b, v); err != nil {
			return "", false
		}
		return b.String(), true
	}
	return string(v), true
}

func decodeGeometry(g *gjGeometry) (orb.MultiPolygon, error) {
	if g == nil {
		return nil, fmt.Errorf("geometry is missing")
	}
	switch g.Type {
	case "Polygon":
		var c [][][]float64
		if err := json.Unmarshal(g.Coordinates, &c); err != nil {
			return nil, fmt.Errorf("polygon coordinates: %v", err)
		}
		p, err := toPolygon(c, 0)
		if err != nil {
			return nil, err
		}
		return orb.MultiPolygon{p}, nil
	case "MultiPolygon":
		var c [][][][]float64
		if err := json.Unmarshal(g.Coordinates, &c); err != nil {
			return nil, fmt.Errorf("multipolygon coordinates: %v", err)
		}
		if len(c) == 0 {
			return nil, fmt.Errorf("multipolygon has no polygons")
		}
		mp := make(orb.MultiPolygon, 0, len(c))
		for i, pc := range c {
			p, err := toPolygon(pc, i)
			if err != nil {
				return nil, err
			}
			mp = append(mp, p)
		}
		return mp, nil
	}
	return nil, fmt.Errorf("geometry type %q is not Polygon or MultiPolygon", g.Type)
}

func toPolygon(c [][][]float64, pi int) (orb.Polygon, error) {
	if len(c) == 0 {
		return nil, fmt.Errorf("polygon %d has no rings", pi)
	}
	p := make(orb.Polygon, len(c))
	for ri, rc := range c {
		r := make(orb.Ring, len(rc))
		for k, pos := range rc {
			if len(pos) < 2 {
				return nil, fmt.Errorf("polygon %d ring %d position %d has %d numbers, want at least 2", pi, ri, k, len(pos))
			}
			r[k] = orb.Point{pos[0], pos[1]}
		}
		p[ri] = r
	}
	return p, nil
}

// checkMultiPolygon reports the first geometric defect of mp: rings with
// fewer than 4 positions, not closed, of zero area (degenerate), and
// positions that are NaN, infinite or out of the WGS84 range.
func checkMultiPolygon(mp orb.MultiPolygon) error {
	if len(mp) == 0 {
		return fmt.Errorf("geometry has no polygons")
	}
	for pi, p := range mp {
		if len(p) == 0 {
			return fmt.Errorf("polygon %d has no rings", pi)
		}
		for ri, r := range p {
			where := "polygon " + strconv.Itoa(pi) + " ring " + strconv.Itoa(ri)
			for k, pt := range r {
				if math.IsNaN(pt[0]) || math.IsNaN(pt[1]) || math.IsInf(pt[0], 0) || math.IsInf(pt[1], 0) {
					return fmt.Errorf("%s position %d is not a finite number", where, k)
				}
				if pt[0] < -180 || pt[0] > 180 {
					return fmt.Errorf("%s position %d: longitude %v out of range -180..180", where, k, pt[0])
				}
				if pt[1] < -90 || pt[1] > 90 {
					return fmt.Errorf("%s position %d: latitude %v out of range -90..90", where, k, pt[1])
				}
			}
			if len(r) < 4 {
				return fmt.Errorf("%s has %d positions, a ring needs at least 4", where, len(r))
			}
			if r[0] != r[len(r)-1] {
				return fmt.Errorf("%s is not closed (first position %v, last %v)", where, r[0], r[len(r)-1])
			}
			if ringArea(r) == 0 {
				return fmt.Errorf("%s is degenerate (zero area)", where)
			}
		}
	}
	return nil
}
