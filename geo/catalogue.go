package geo

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/geo311/geo311/data"
)

// catalogues holds the jurisdictions' definitions: layers, messages and
// service catalogues. It is read-only; every lookup decodes a fresh copy.
//
//go:embed catalogue/*.json
var catalogues embed.FS

// Jurisdictions lists the ids LookupJurisdiction knows, sorted.
func Jurisdictions() []string {
	return []string{"chicago", DemoID, "minneapolis"}
}

// LookupJurisdiction returns a fresh copy of a built-in jurisdiction:
// "chicago", "minneapolis" (embedded catalogue files) or "demo" (the
// procedurally generated city of Demo, with Chicago's service catalogue).
// Unknown ids fail with data.ErrNotFound.
func LookupJurisdiction(id string) (*data.Jurisdiction, error) {
	id = strings.ToLower(strings.TrimSpace(id))
	if id == DemoID {
		return demoJurisdiction()
	}
	b, err := catalogues.ReadFile("catalogue/" + id + ".json")
	if id == "" || strings.ContainsAny(id, "/.") || err != nil {
		return nil, data.Errorf(data.ErrNotFound, "jurisdiction %q not found (known: %s)", id, strings.Join(Jurisdictions(), ", "))
	}
	return ParseJurisdiction(b)
}

// ParseJurisdiction decodes a jurisdiction definition (the format of the
// embedded catalogue files) and checks it: known fields only, a valid time
// zone name, layer names and derivations, unique service codes, a known
// kind, and for every non-emergency service a department and either a fixed
// unit or a unit layer of the jurisdiction.
func ParseJurisdiction(b []byte) (*data.Jurisdiction, error) {
	var j data.Jurisdiction
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return nil, data.Invalid("jurisdiction", "bad catalogue: %v", err)
	}
	if err := CheckJurisdiction(&j); err != nil {
		return nil, err
	}
	return &j, nil
}

// CheckJurisdiction checks a jurisdiction's definition (see ParseJurisdiction).
func CheckJurisdiction(j *data.Jurisdiction) error {
	bad := func(format string, args ...any) error {
		return data.Invalid("jurisdiction", "%s: %s", j.ID, fmt.Sprintf(format, args...))
	}
	if j.ID == "" {
		return data.Invalid("jurisdiction", "id is empty")
	}
	if j.TimeZone == "" {
		return bad("time_zone is empty")
	}
	if _, err := loadLocation(j.TimeZone); err != nil {
		return bad("time_zone %q: %v", j.TimeZone, err)
	}
	if j.OutsideMessage == "" || j.EmergencyMessage == "" {
		return bad("outside_message and emergency_message are required")
	}
	layers := map[data.Layer]*data.LayerSpec{}
	for i := range j.Layers {
		s := &j.Layers[i]
		if _, err := data.ParseLayer(string(s.Layer)); err != nil {
			return bad("layer %d: %v", i, err)
		}
		if layers[s.Layer] != nil {
			return bad("layer %s listed twice", s.Layer)
		}
		if s.PadID < 0 || s.PadID > 20 {
			return bad("layer %s: pad_id %d out of range 0..20", s.Layer, s.PadID)
		}
		layers[s.Layer] = s
	}
	for _, s := range j.Layers {
		if s.DerivedFrom == "" {
			continue
		}
		src := layers[s.DerivedFrom]
		if src == nil || src.DerivedFrom != "" {
			return bad("layer %s is derived from %q, which is not a base layer of the jurisdiction", s.Layer, s.DerivedFrom)
		}
	}
	codes := map[string]bool{}
	for _, s := range j.Services {
		if s.Code == "" || s.Name == "" {
			return bad("a service has no code or name")
		}
		if codes[s.Code] {
			return bad("service code %s listed twice", s.Code)
		}
		codes[s.Code] = true
		if s.Kind != data.KindServiceRequest && s.Kind != data.KindCommunityConcern {
			return bad("service %s: kind %q is not %s or %s", s.Code, s.Kind, data.KindServiceRequest, data.KindCommunityConcern)
		}
		if s.Department == "" {
			return bad("service %s has no department", s.Code)
		}
		if s.UnitLayer != "" && layers[s.UnitLayer] == nil {
			return bad("service %s: unit_layer %q is not a layer of the jurisdiction", s.Code, s.UnitLayer)
		}
		if !s.Emergency && s.Unit == "" && s.UnitLayer == "" {
			return bad("service %s has neither unit nor unit_layer", s.Code)
		}
		if s.SLADays < 0 || s.Dedupe.RadiusM < 0 || s.Dedupe.WindowDays < 0 {
			return bad("service %s: negative sla_days or dedupe parameters", s.Code)
		}
		for _, a := range s.Attributes {
			switch a.Datatype {
			case "string", "number", "datetime", "text":
			case "singlevaluelist", "multivaluelist":
				if len(a.Values) == 0 {
					return bad("service %s attribute %s: a list needs values", s.Code, a.Code)
				}
			default:
				return bad("service %s attribute %s: unknown datatype %q", s.Code, a.Code, a.Datatype)
			}
		}
	}
	return nil
}
