package batch

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/geo311/geo311/cmd/geo311/internal/apierr"
	"github.com/geo311/geo311/data"
)

type geoRow struct {
	raw   json.RawMessage
	index int
}

type feature struct {
	Type       string                     `json:"type"`
	ID         json.RawMessage            `json:"id,omitempty"`
	Geometry   json.RawMessage            `json:"geometry"`
	Properties map[string]json.RawMessage `json:"properties"`
}

type pointGeometry struct {
	Type        string    `json:"type"`
	Coordinates []float64 `json:"coordinates"`
}

// GeoJSON properties added to each feature (besides one per layer).
const (
	propDepartment = "department"
	propUnit       = "unit"
	propError      = "error"
)

// RouteGeoJSON routes every Point feature of a GeoJSON FeatureCollection.
// Each feature's properties may give "time" and "service_code". The output is
// a FeatureCollection with the input features in order, each with a property
// per layer (the area id, or null), "department" and "unit" (when a service
// code was given), and "error" ({code, message, field}) for a feature that
// could not be routed. Added properties replace input properties of the same
// name. Input that is not a FeatureCollection is an ErrInvalid error returned
// before anything is written.
func RouteGeoJSON(ctx context.Context, r io.Reader, w io.Writer, o Options) (Stats, error) {
	o.normalise()
	dec := json.NewDecoder(bufio.NewReaderSize(r, 64<<10))
	added := make([]string, 0, len(o.Layers)+3)
	for _, l := range o.Layers {
		added = append(added, string(l))
	}
	added = append(added, propDepartment, propUnit, propError)
	quoted := make([][]byte, len(added))
	for i, a := range added {
		quoted[i], _ = json.Marshal(a)
	}

	decode := func(emit func(geoRow) error) error {
		if err := expectDelim(dec, '{', "a GeoJSON FeatureCollection object"); err != nil {
			return err
		}
		seenFeatures := false
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return syntaxError(dec, err)
			}
			key, _ := tok.(string)
			switch key {
			case "type":
				var t any
				if err := dec.Decode(&t); err != nil {
					return syntaxError(dec, err)
				}
				if t != "FeatureCollection" {
					return data.Invalid("type", "expected a FeatureCollection, got %s", clip(fmt.Sprint(t)))
				}
			case "features":
				if seenFeatures {
					return data.Invalid("features", "features given twice")
				}
				seenFeatures = true
				if err := expectDelim(dec, '[', `"features" to be an array`); err != nil {
					return err
				}
				for i := 0; dec.More(); i++ {
					var raw json.RawMessage
					if err := dec.Decode(&raw); err != nil {
						return syntaxError(dec, err)
					}
					if err := emit(geoRow{raw: raw, index: i}); err != nil {
						return err
					}
				}
				if _, err := dec.Token(); err != nil { // ']'
					return syntaxError(dec, err)
				}
			default:
				var skip json.RawMessage
				if err := dec.Decode(&skip); err != nil {
					return syntaxError(dec, err)
				}
			}
		}
		if _, err := dec.Token(); err != nil { // '}'
			return syntaxError(dec, err)
		}
		if !seenFeatures {
			return data.Invalid("features", "the FeatureCollection has no features array")
		}
		return nil
	}
	process := func(in []geoRow, out []byte, st *Stats) []byte {
		var tc timeCache
		var ec errCache
		for i, row := range in {
			st.Rows++
			if i > 0 {
				out = append(out, ",\n"...)
			}
			var f feature
			var rt data.Routing
			err := json.Unmarshal(row.raw, &f)
			if err != nil {
				err = data.Invalid("features", "feature %d: %v", row.index, jsonMessage(err))
				f = feature{}
			} else {
				rt, err = routeFeature(&o, &f, &tc)
			}
			if err != nil {
				st.Failed++
			} else {
				st.Routed++
			}
			out = appendFeature(out, &f, &rt, err, o.Layers, quoted, &ec)
		}
		return out
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	begin := func(io.Writer) error {
		_, err := bw.WriteString(`{"type":"FeatureCollection","features":[` + "\n")
		return err
	}
	res := pipeline(ctx, &o, bw, decode, process, begin, []byte(",\n"))
	if res.writeErr != nil {
		return res.stats, res.writeErr
	}
	if res.decodeErr != nil && !res.started {
		return res.stats, inputError("body", res.decodeErr)
	}
	bw.WriteString("\n]")
	if res.decodeErr != nil {
		b, _ := json.Marshal(apierr.DetailOf(inputError("body", res.decodeErr)))
		bw.WriteString(`,"error":`)
		bw.Write(b)
	}
	bw.WriteString("}\n")
	if err := bw.Flush(); err != nil {
		return res.stats, err
	}
	return res.stats, res.decodeErr
}

func expectDelim(dec *json.Decoder, d json.Delim, what string) error {
	tok, err := dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return data.Invalid("body", "empty input: expected %s", what)
		}
		return syntaxError(dec, err)
	}
	if tok != d {
		return data.Invalid("body", "expected %s", what)
	}
	return nil
}

// syntaxError describes a JSON syntax error with its byte offset; other
// errors (reading the body) pass through.
func syntaxError(dec *json.Decoder, err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return data.Invalid("body", "malformed JSON at byte %d: %v", se.Offset, se.Error())
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return data.Invalid("body", "malformed JSON: unexpected end of input at byte %d", dec.InputOffset())
	}
	return err
}

// jsonMessage shortens an unmarshal error for a caller.
func jsonMessage(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field != "" {
			return fmt.Sprintf("%s must not be a JSON %s", te.Field, te.Value)
		}
		return fmt.Sprintf("expected a JSON object, got %s", te.Value)
	}
	return err.Error()
}

func routeFeature(o *Options, f *feature, tc *timeCache) (data.Routing, error) {
	if f.Type != "Feature" {
		return data.Routing{}, data.Invalid("type", "expected a Feature, got %q", clip(f.Type))
	}
	var g pointGeometry
	if len(f.Geometry) == 0 || string(f.Geometry) == "null" {
		return data.Routing{}, data.Invalid("geometry", "missing: a Point is required")
	}
	if err := json.Unmarshal(f.Geometry, &g); err != nil {
		return data.Routing{}, data.Invalid("geometry", "%s", jsonMessage(err))
	}
	if g.Type != "Point" {
		return data.Routing{}, data.Invalid("geometry", "expected a Point, got %q", clip(g.Type))
	}
	if len(g.Coordinates) < 2 {
		return data.Routing{}, data.Invalid("geometry", "a Point needs [lon, lat] coordinates")
	}
	lon, lat := g.Coordinates[0], g.Coordinates[1]
	if err := CheckPoint(lat, lon); err != nil {
		return data.Routing{}, err
	}
	at := o.DefaultTime
	if s, ok, err := stringProp(f.Properties, "time"); err != nil {
		return data.Routing{}, err
	} else if ok && strings.TrimSpace(s) != "" {
		if at, err = tc.parse("time", s, o.Location); err != nil {
			return data.Routing{}, err
		}
	}
	code := o.DefaultServiceCode
	if s, ok, err := stringProp(f.Properties, "service_code"); err != nil {
		return data.Routing{}, err
	} else if ok && s != "" {
		code = s
	}
	return o.Route(lon, lat, at, code)
}

func stringProp(props map[string]json.RawMessage, name string) (string, bool, error) {
	raw, ok := props[name]
	if !ok || string(raw) == "null" {
		return "", false, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false, data.Invalid(name, "must be a string")
	}
	return s, true, nil
}

func appendFeature(out []byte, f *feature, rt *data.Routing, err error, layers []data.Layer, quoted [][]byte, ec *errCache) []byte {
	out = append(out, `{"type":"Feature"`...)
	if len(f.ID) > 0 && string(f.ID) != "null" {
		out = append(out, `,"id":`...)
		out = append(out, f.ID...)
	}
	out = append(out, `,"geometry":`...)
	if len(f.Geometry) > 0 {
		out = append(out, f.Geometry...)
	} else {
		out = append(out, "null"...)
	}
	out = append(out, `,"properties":{`...)
	n := 0
	if len(f.Properties) > 0 {
		keys := make([]string, 0, len(f.Properties))
		for k := range f.Properties {
			if !isAdded(k, layers) {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			if n > 0 {
				out = append(out, ',')
			}
			n++
			out = appendJSONString(out, k)
			out = append(out, ':')
			out = append(out, f.Properties[k]...)
		}
	}
	sep := func() {
		if n > 0 {
			out = append(out, ',')
		}
		n++
	}
	for i, l := range layers {
		sep()
		out = append(out, quoted[i]...)
		out = append(out, ':')
		if a, ok := rt.Area(l); ok && err == nil {
			out = appendJSONString(out, a.ID)
		} else {
			out = append(out, "null"...)
		}
	}
	if err != nil {
		sep()
		b := ec.json(err)
		out = append(out, quoted[len(layers)+2]...)
		out = append(out, ':')
		out = append(out, b...)
	} else if rt.ServiceCode != "" {
		sep()
		out = append(out, quoted[len(layers)]...)
		out = append(out, ':')
		out = appendJSONString(out, rt.Department)
		sep()
		out = append(out, quoted[len(layers)+1]...)
		out = append(out, ':')
		out = appendJSONString(out, rt.Unit)
	}
	return append(out, "}}"...)
}

func isAdded(k string, layers []data.Layer) bool {
	switch k {
	case propDepartment, propUnit, propError:
		return true
	}
	for _, l := range layers {
		if string(l) == k {
			return true
		}
	}
	return false
}

// errCache remembers the JSON of the last error: a batch often repeats one
// (every point outside the city gets the same error value).
type errCache struct {
	err *data.Error // compared by pointer; other error types are not cached
	b   []byte
}

func (c *errCache) json(err error) []byte {
	de, ok := err.(*data.Error)
	if ok && de == c.err && c.b != nil {
		return c.b
	}
	b, _ := json.Marshal(apierr.DetailOf(err))
	if ok {
		c.err, c.b = de, b
	}
	return b
}

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped, invalid UTF-8 replaced by U+FFFD.
func appendJSONString(out []byte, s string) []byte {
	const hex = "0123456789abcdef"
	out = append(out, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				out = append(out, '\\', c)
			case c < 0x20:
				out = append(out, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				out = append(out, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			out = append(out, `\ufffd`...)
		} else if r == '\u2028' || r == '\u2029' {
			out = append(out, '\\', 'u', '2', '0', '2', hex[r&0xf])
		} else {
			out = append(out, s[i:i+size]...)
		}
		i += size
	}
	return append(out, '"')
}
