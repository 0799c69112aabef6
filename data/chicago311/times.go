package chicago311

import (
	"time"
	// Embed the time zone database so America/Chicago loads on machines
	// without tzdata.
	_ "time/tzdata"
)

// timeParser parses the portal's floating local timestamps in a location,
// remembering the last string parsed (exports are sorted by date, so many
// consecutive rows share a value).
type timeParser struct {
	loc  *time.Location
	last string
	t    time.Time
}

// parse accepts "2006-01-02T15:04:05.000", "2006-01-02T15:04:05",
// "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02",
// "01/02/2006 03:04:05 PM", "01/02/2006 15:04" and "01/02/2006" (month and
// day with one or two digits in the US form). Fractions beyond milliseconds
// are kept to the nanosecond. ok is false for anything else, or an
// impossible date.
func (p *timeParser) parse(s string) (time.Time, bool) {
	if s == p.last && s != "" {
		return p.t, true
	}
	t, ok := parseLocal(s, p.loc)
	if ok {
		p.last, p.t = s, t
	}
	return t, ok
}

func parseLocal(s string, loc *time.Location) (time.Time, bool) {
	var y, mo, d, h, mi, sec, ns int
	var ok bool
	i := 0
	if len(s) >= 10 && s[4] == '-' {
		// ISO: YYYY-MM-DD
		if y, ok = digits(s, 0, 4); !ok {
			return time.Time{}, false
		}
		if mo, ok = digits(s, 5, 2); !ok || s[7] != '-' {
			return time.Time{}, false
		}
		if d, ok = digits(s, 8, 2); !ok {
			return time.Time{}, false
		}
		i = 10
		if i < len(s) {
			if s[i] != 'T' && s[i] != ' ' {
				return time.Time{}, false
			}
			i++
			if h, mi, sec, ns, i, ok = clock(s, i); !ok {
				return time.Time{}, false
			}
			if i != len(s) {
				return time.Time{}, false
			}
		}
	} else {
		// US: M/D/YYYY [h:mm[:ss] [AM|PM]]
		if mo, i, ok = upTo2(s, 0); !ok || i >= len(s) || s[i] != '/' {
			return time.Time{}, false
		}
		if d, i, ok = upTo2(s, i+1); !ok || i >= len(s) || s[i] != '/' {
			return time.Time{}, false
		}
		if y, ok = digits(s, i+1, 4); !ok {
			return time.Time{}, false
		}
		i += 5
		if i < len(s) {
			if s[i] != ' ' {
				return time.Time{}, false
			}
			if h, mi, sec, ns, i, ok = clock(s, i+1); !ok {
				return time.Time{}, false
			}
			if i < len(s) {
				if i+3 != len(s) || s[i] != ' ' {
					return time.Time{}, false
				}
				if h < 1 || h > 12 {
					return time.Time{}, false
				}
				switch s[i+1:] {
				case "AM", "am":
					if h == 12 {
						h = 0
					}
				case "PM", "pm":
					if h != 12 {
						h += 12
					}
				default:
					return time.Time{}, false
				}
			}
		}
	}
	if mo < 1 || mo > 12 || d < 1 || d > daysIn(mo, y) || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(mo), d, h, mi, sec, ns, loc), true
}

// clock parses h[h]:mm[:ss[.fffffffff]] at s[i:].
func clock(s string, i int) (h, mi, sec, ns, next int, ok bool) {
	if h, i, ok = upTo2(s, i); !ok || i >= len(s) || s[i] != ':' {
		return 0, 0, 0, 0, 0, false
	}
	if mi, ok = digits(s, i+1, 2); !ok {
		return 0, 0, 0, 0, 0, false
	}
	i += 3
	if i < len(s) && s[i] == ':' {
		if sec, ok = digits(s, i+1, 2); !ok {
			return 0, 0, 0, 0, 0, false
		}
		i += 3
		if i < len(s) && s[i] == '.' {
			i++
			start := i
			scale := 100000000
			for i < len(s) && s[i] >= '0' && s[i] <= '9' {
				if scale > 0 {
					ns += int(s[i]-'0') * scale
					scale /= 10
				}
				i++
			}
			if i == start || i-start > 9 {
				return 0, 0, 0, 0, 0, false
			}
		}
	}
	return h, mi, sec, ns, i, true
}

func digits(s string, i, n int) (int, bool) {
	if i+n > len(s) {
		return 0, false
	}
	v := 0
	for _, c := range []byte(s[i : i+n]) {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// upTo2 parses one or two digits at s[i:].
func upTo2(s string, i int) (v, next int, ok bool) {
	if i >= len(s) || s[i] < '0' || s[i] > '9' {
		return 0, 0, false
	}
	v = int(s[i] - '0')
	i++
	if i < len(s) && s[i] >= '0' && s[i] <= '9' {
		v = v*10 + int(s[i]-'0')
		i++
	}
	return v, i, true
}

func daysIn(m, y int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
