package dedupe

import (
	"slices"
	"strconv"
	"strings"
)

// HouseSpan is how far apart two house numbers on the same street may be
// for a same-street rule (data.DedupeRule.SameStreet) to accept them.
// Chicago practice dedupes potholes "within about four addresses on the same
// street": house numbers step by 2 from lot to lot on one side of a street
// (odd one side, even the other; 800 numbers to the mile, about 2 m per
// number), so four addresses either way is a difference of at most 8. In the
// legacy pothole sample, requests with a same-street neighbour whose number
// differs by at most 2 were labelled duplicates 92% of the time, by 3-8 about
// half the time, by more than 8 under 10%.
const HouseSpan = 8

// Address is a parsed street address: "1234 W FULLERTON AVE" is Number 1234,
// Dir "W", Name "FULLERTON AVE". An intersection ("W FULLERTON AVE & N CLARK
// ST") has no number and a cross street.
type Address struct {
	Number    int    // house number, 0 when absent
	Dir       string // N, S, E, W (or NE...), empty when absent
	Name      string // street name with its normalised suffix
	CrossDir  string
	CrossName string // second street of an intersection
}

// Street returns the street with its direction: "W FULLERTON AVE".
func (a Address) Street() string { return joinDir(a.Dir, a.Name) }

// Cross returns the cross street of an intersection, or "".
func (a Address) Cross() string { return joinDir(a.CrossDir, a.CrossName) }

// Known reports whether a street name was found.
func (a Address) Known() bool { return a.Name != "" }

// String formats the address in the normalised form ParseAddress reads back.
func (a Address) String() string {
	s := a.Street()
	if a.Number > 0 && s != "" {
		s = strconv.Itoa(a.Number) + " " + s
	}
	if c := a.Cross(); c != "" {
		s += " & " + c
	}
	return s
}

func joinDir(dir, name string) string {
	if dir == "" || name == "" {
		return name
	}
	return dir + " " + name
}

var directions = map[string]string{
	"N": "N", "S": "S", "E": "E", "W": "W",
	"NORTH": "N", "SOUTH": "S", "EAST": "E", "WEST": "W",
	"NE": "NE", "NW": "NW", "SE": "SE", "SW": "SW",
}

var suffixes = map[string]string{
	"AVENUE": "AVE", "AV": "AVE", "AVE": "AVE",
	"STREET": "ST", "ST": "ST",
	"BOULEVARD": "BLVD", "BLVD": "BLVD",
	"ROAD": "RD", "RD": "RD",
	"DRIVE": "DR", "DR": "DR",
	"PLACE": "PL", "PL": "PL",
	"PARKWAY": "PKWY", "PKWY": "PKWY",
	"COURT": "CT", "CT": "CT",
	"TERRACE": "TER", "TER": "TER",
	"LANE": "LN", "LN": "LN",
	"HIGHWAY": "HWY", "HWY": "HWY",
	"EXPRESSWAY": "EXPY", "EXPY": "EXPY",
	"PLAZA": "PLZ", "PLZ": "PLZ",
	"SQUARE": "SQ", "SQ": "SQ",
	"CIRCLE": "CIR", "CIR": "CIR",
}

// unit designators: they and everything after them are not part of the street.
var units = map[string]bool{"APT": true, "UNIT": true, "STE": true, "SUITE": true, "FL": true, "FLOOR": true, "RM": true, "ROOM": true, "#": true}

// ParseAddress parses a street address as 311 intake systems write them,
// Chicago style: an optional house number (1234, 1234A, 1234-1240 and
// 1234 1/2 keep 1234), a direction (N/S/E/W, or spelled out), the street
// name and its suffix (spelled-out suffixes are abbreviated: AVENUE -> AVE).
// Case, punctuation and repeated spaces do not matter; a unit ("APT 2",
// "#3") and anything after a comma (city, state, ZIP) are dropped. "A & B",
// "A AND B", "A / B" and "A @ B" are intersections. An empty or
// unintelligible address gives an Address whose Known is false.
func ParseAddress(s string) Address {
	if i := strings.IndexByte(s, ','); i >= 0 {
		s = s[:i]
	}
	s = strings.ToUpper(s)
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '&', r == '/', r == '@', r == '#', r == '-':
			return r
		case r == '\'':
			return -1 // O'BRIEN -> OBRIEN
		}
		return ' '
	}, s)
	var buf [32]string
	toks := splitTokens(buf[:0], s)
	// Split an intersection.
	var cross []string
	for i, t := range toks {
		if t == "&" || t == "AND" || t == "@" || t == "AT" || t == "/" {
			cross = toks[i+1:]
			toks = toks[:i]
			break
		}
	}
	var a Address
	if len(toks) > 0 {
		if n, rest, ok := houseNumber(toks); ok {
			a.Number = n
			toks = skipNumbers(rest)
		}
	}
	var clean [32]string
	a.Dir, a.Name = streetName(clean[:0], toks)
	if len(cross) > 0 {
		// cross is the tail of buf, no longer read through toks: filter it in place
		cross = skipNumbers(slices.DeleteFunc(cross, func(t string) bool { return t == "&" || t == "@" || t == "/" || t == "AND" || t == "AT" }))
		a.CrossDir, a.CrossName = streetName(clean[:0], cross)
		if a.Name == "" {
			a.Dir, a.Name, a.CrossDir, a.CrossName = a.CrossDir, a.CrossName, "", ""
		}
		if a.CrossName != "" {
			a.Number = 0 // an intersection has no house number
		}
	}
	if a.Name == "" {
		return Address{}
	}
	return a
}

// splitTokens splits on spaces, makes "&", "@", "/" and "#" tokens of their
// own (except in "1/2") and trims dashes from token ends, so that the
// house-number and street steps see the same tokens on every parse. s is
// ParseAddress's mapped text: ASCII letters, digits, "&/@#-" and spaces
// only. Tokens are appended to dst (ParseAddress passes a stack buffer, so a
// parse does not allocate for them).
func splitTokens(dst []string, s string) []string {
	out := dst
	for len(s) > 0 {
		for len(s) > 0 && s[0] == ' ' {
			s = s[1:]
		}
		e := strings.IndexByte(s, ' ')
		if e < 0 {
			e = len(s)
		}
		f := s[:e]
		s = s[e:]
		if f == "" {
			continue
		}
		if f == "1/2" {
			out = append(out, f)
			continue
		}
		start := 0
		for i := 0; i <= len(f); i++ {
			if i < len(f) && !strings.ContainsRune("&@/#", rune(f[i])) {
				continue
			}
			if t := strings.Trim(f[start:i], "-"); t != "" {
				out = append(out, t)
			}
			if i < len(f) {
				out = append(out, f[i:i+1])
			}
			start = i + 1
		}
	}
	return out
}

// skipNumbers drops leading tokens that read as house numbers: a street
// name never starts with one ("1234 1236 N CLARK ST" is N CLARK ST).
func skipNumbers(toks []string) []string {
	for len(toks) > 0 {
		_, rest, ok := houseNumber(toks)
		if !ok {
			break
		}
		toks = rest
	}
	return toks
}

// houseNumber reads a leading house number: 1234, 1234A, 1234-1240, and a
// following "1/2".
func houseNumber(toks []string) (int, []string, bool) {
	t := toks[0]
	end := 0
	for end < len(t) && t[end] >= '0' && t[end] <= '9' {
		end++
	}
	if end == 0 || end > 6 {
		return 0, toks, false
	}
	// the rest may be a letter suffix or a range; anything else is not a number
	rest := t[end:]
	if rest != "" && !(len(rest) == 1 && rest[0] >= 'A' && rest[0] <= 'Z') && rest[0] != '-' {
		return 0, toks, false
	}
	n, _ := strconv.Atoi(t[:end])
	if n == 0 {
		return 0, toks[1:], true // "0 N STATE ST": a block start, no usable number
	}
	toks = toks[1:]
	if len(toks) > 0 && toks[0] == "1/2" {
		toks = toks[1:]
	}
	return n, toks, true
}

// streetName normalises the tokens of a street: leading direction, name,
// suffix; units and stray symbols dropped. clean is scratch space.
func streetName(clean, toks []string) (dir, name string) {
	clean = clean[:0]
	for _, t := range toks {
		if units[t] {
			break
		}
		if t == "&" || t == "@" || t == "/" {
			continue
		}
		clean = append(clean, t)
	}
	if len(clean) >= 2 {
		if d, ok := directions[clean[0]]; ok {
			dir = d
			clean = clean[1:]
		}
	}
	if len(clean) >= 2 {
		if sfx, ok := suffixes[clean[len(clean)-1]]; ok {
			clean[len(clean)-1] = sfx
		}
	}
	if len(clean) == 0 {
		return "", ""
	}
	return dir, strings.Join(clean, " ")
}

// place is how two addresses relate.
type place int

const (
	placeUnknown    place = iota // an address is missing or unintelligible
	placeOther                   // different streets
	placeFar                     // same street, house numbers more than HouseSpan apart
	placeSameStreet              // same street, a house number unknown (or an intersection)
	placeNear                    // same street, house numbers within HouseSpan
	placeSame                    // same house number and street, or the same intersection
)

func (p place) String() string {
	return [...]string{"unknown", "other street", "same street, far along", "same street", "same block face", "same address"}[p]
}

func sameName(d1, n1, d2, n2 string) bool {
	return n1 != "" && n1 == n2 && (d1 == d2 || d1 == "" || d2 == "")
}

// relate compares two parsed addresses.
func relate(a, b *Address) place {
	if !a.Known() || !b.Known() {
		return placeUnknown
	}
	main := sameName(a.Dir, a.Name, b.Dir, b.Name)
	if a.CrossName != "" || b.CrossName != "" {
		crossed := sameName(a.Dir, a.Name, b.CrossDir, b.CrossName) ||
			sameName(a.CrossDir, a.CrossName, b.Dir, b.Name) ||
			sameName(a.CrossDir, a.CrossName, b.CrossDir, b.CrossName)
		switch {
		case a.CrossName != "" && b.CrossName != "" &&
			((main && sameName(a.CrossDir, a.CrossName, b.CrossDir, b.CrossName)) ||
				(sameName(a.Dir, a.Name, b.CrossDir, b.CrossName) && sameName(a.CrossDir, a.CrossName, b.Dir, b.Name))):
			return placeSame
		case main || crossed:
			return placeSameStreet
		}
		return placeOther
	}
	if !main {
		return placeOther
	}
	if a.Number > 0 && b.Number > 0 {
		d := a.Number - b.Number
		if d < 0 {
			d = -d
		}
		switch {
		case d == 0:
			return placeSame
		case d <= HouseSpan:
			return placeNear
		}
		return placeFar
	}
	return placeSameStreet
}
