package postgis

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"

	"github.com/geo311/geo311/data"
)

// decodeAreaRefs decodes a JSON array of data.AreaRef as encoding/json
// would, with a fast path for what the areas and recorded_areas columns
// hold (the store's JSON, or jsonb's output in rows written before
// migration 0007: objects of plain strings under the keys layer, id, name
// and generation, in any order and spacing). Anything else (escapes, other keys
// or value types, invalid UTF-8, unusual spacing) goes to encoding/json, so
// the result is always json.Unmarshal's. Decoding the areas with
// encoding/json was a third of the CPU of ScanRequests.
func decodeAreaRefs(b []byte, dst *[]data.AreaRef, in *interner) error {
	if out, ok := fastAreaRefs(b, in); ok {
		*dst = out
		return nil
	}
	return json.Unmarshal(b, dst)
}

// fastAreaRefs parses b or reports false when it is not in the simple form.
func fastAreaRefs(b []byte, in *interner) ([]data.AreaRef, bool) {
	p := areaParser{b: b, in: in}
	p.space()
	if !p.byte('[') {
		return nil, false
	}
	out := make([]data.AreaRef, 0, bytes.Count(b, []byte{'{'}))
	p.space()
	if p.byte(']') {
		p.space()
		return []data.AreaRef{}, p.i == len(b)
	}
	for {
		p.space()
		if !p.byte('{') {
			return nil, false
		}
		var a data.AreaRef
		p.space()
		if !p.byte('}') {
			for {
				p.space()
				key, ok := p.str()
				if !ok {
					return nil, false
				}
				p.space()
				if !p.byte(':') {
					return nil, false
				}
				p.space()
				val, ok := p.str()
				if !ok {
					return nil, false
				}
				switch key {
				case "layer":
					a.Layer = data.Layer(val)
				case "id":
					a.ID = val
				case "name":
					a.Name = val
				case "generation":
					a.Generation = val
				default:
					return nil, false // encoding/json matches keys case-insensitively
				}
				p.space()
				if p.byte('}') {
					break
				}
				if !p.byte(',') {
					return nil, false
				}
			}
		}
		out = append(out, a)
		p.space()
		if p.byte(']') {
			break
		}
		if !p.byte(',') {
			return nil, false
		}
	}
	p.space()
	return out, p.i == len(b)
}

type areaParser struct {
	b  []byte
	i  int
	in *interner
}

func (p *areaParser) space() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\n' || p.b[p.i] == '\t' || p.b[p.i] == '\r') {
		p.i++
	}
}

func (p *areaParser) byte(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// str reads a JSON string without escapes or control characters, in
// valid UTF-8.
func (p *areaParser) str() (string, bool) {
	if !p.byte('"') {
		return "", false
	}
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			s := p.b[start:p.i]
			p.i++
			if !utf8.Valid(s) {
				return "", false
			}
			return p.in.str(s), true
		case c == '\\' || c < 0x20:
			return "", false
		}
		p.i++
	}
	return "", false
}

// interner shares the strings of one scan's area references (a few layers
// and generations, at most a few thousand area ids), so that a row's areas
// cost no string allocations. It holds at most maxInterned strings; a nil
// interner allocates every string.
type interner struct{ m map[string]string }

const maxInterned = 4096

func (in *interner) str(b []byte) string {
	if in == nil {
		return string(b)
	}
	if s, ok := in.m[string(b)]; ok {
		return s
	}
	s := string(b)
	if in.m == nil {
		in.m = make(map[string]string)
	}
	if len(in.m) < maxInterned {
		in.m[s] = s
	}
	return s
}
