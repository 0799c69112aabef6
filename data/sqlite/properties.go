package sqlite

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// encodeProperties encodes an area's properties as the JSON object stored
// in boundary_areas.properties ("{}" for none).
func encodeProperties(p map[string]string) (string, error) {
	if len(p) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(p)
	return string(b), err
}

// decodeProperties decodes a stored properties object; nil for "{}". The
// objects CreateGeneration writes are flat string maps, mostly without
// escapes: those are split directly, several times faster than
// encoding/json, which remains the path for anything else.
func decodeProperties(s string) (map[string]string, error) {
	if s == "{}" {
		return nil, nil
	}
	if m, ok := splitFlatObject(s); ok {
		return m, nil
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, err
	}
	if len(m) == 0 {
		return nil, nil
	}
	return m, nil
}

// splitFlatObject parses exactly `{"k":"v","k":"v"}` (the compact form
// json.Marshal writes) when no string holds a backslash; ok is false for
// anything else, including duplicate keys, so the caller falls back.
func splitFlatObject(s string) (m map[string]string, ok bool) {
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' || strings.IndexByte(s, '\\') >= 0 || !utf8.ValidString(s) {
		return nil, false
	}
	body := s[1 : len(s)-1]
	m = make(map[string]string, strings.Count(body, `":"`))
	for {
		k, rest, ok := cutString(body)
		if !ok || len(rest) == 0 || rest[0] != ':' {
			return nil, false
		}
		v, rest, ok := cutString(rest[1:])
		if !ok {
			return nil, false
		}
		if _, dup := m[k]; dup {
			return nil, false
		}
		m[k] = v
		if rest == "" {
			return m, true
		}
		if rest[0] != ',' {
			return nil, false
		}
		body = rest[1:]
	}
}

// cutString reads a JSON string without escapes at the start of s.
func cutString(s string) (str, rest string, ok bool) {
	if len(s) < 2 || s[0] != '"' {
		return "", "", false
	}
	end := strings.IndexByte(s[1:], '"')
	if end < 0 {
		return "", "", false
	}
	str = s[1 : 1+end]
	for i := 0; i < len(str); i++ {
		if str[i] < 0x20 { // raw control characters are not valid JSON
			return "", "", false
		}
	}
	return str, s[2+end:], true
}
