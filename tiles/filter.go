package tiles

import (
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/geo311/geo311/data"
)

// Filter selects the requests a tile shows. The zero Filter shows every
// public request once: duplicates are left out (their primary stands for
// them) unless IncludeDuplicates is set. Police-related requests and
// community concerns are never in a tile, whatever the filter.
type Filter struct {
	// Types lists service codes; empty means every type.
	Types []string
	// Status is "", "open" or "closed" (the Open311 status).
	Status string
	// From <= requested time < To; a zero bound does not filter.
	From, To time.Time
	// IncludeDuplicates counts duplicates beside their primaries.
	IncludeDuplicates bool
}

// Filter limits.
const (
	MaxFilterTypes = 100
	maxQueryLen    = 4096
)

var serviceCodeRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$`)

// ParseFilter reads a Filter from a tile URL's query string:
//
//	types=PHF,SLA     service codes, comma-separated and/or repeated
//	status=open       open or closed
//	from=2026-01-01   RFC 3339 time or a date (midnight in loc; UTC if loc is nil)
//	to=2026-04-01     exclusive
//	duplicates=include|exclude   (default exclude)
//
// Other parameters are ignored (they belong to other layers or to the
// caller). Errors are data.Invalid naming the parameter.
func ParseFilter(q url.Values, loc *time.Location) (Filter, error) {
	if loc == nil {
		loc = time.UTC
	}
	var f Filter
	n := 0
	for _, v := range q["types"] {
		n += len(v)
		if n > maxQueryLen {
			return Filter{}, data.Invalid("types", "too long")
		}
		for _, c := range strings.Split(v, ",") {
			c = strings.TrimSpace(c)
			if c == "" {
				continue
			}
			if !serviceCodeRE.MatchString(c) {
				return Filter{}, data.Invalid("types", "%q is not a service code", clipText(c))
			}
			f.Types = append(f.Types, c)
		}
	}
	if len(f.Types) > MaxFilterTypes {
		return Filter{}, data.Invalid("types", "at most %d service codes", MaxFilterTypes)
	}
	if vs := q["status"]; len(vs) > 0 {
		switch s := strings.ToLower(strings.TrimSpace(vs[len(vs)-1])); s {
		case "", "open", "closed":
			f.Status = s
		default:
			return Filter{}, data.Invalid("status", "%q is not a status (open or closed)", clipText(s))
		}
	}
	var err error
	if f.From, err = parseWhen("from", q.Get("from"), loc); err != nil {
		return Filter{}, err
	}
	if f.To, err = parseWhen("to", q.Get("to"), loc); err != nil {
		return Filter{}, err
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return Filter{}, data.Invalid("to", "must be after from")
	}
	switch d := strings.ToLower(strings.TrimSpace(q.Get("duplicates"))); d {
	case "", "exclude":
	case "include":
		f.IncludeDuplicates = true
	default:
		return Filter{}, data.Invalid("duplicates", "%q is not include or exclude", clipText(d))
	}
	return f.normalized(), nil
}

func parseWhen(field, s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, loc); err == nil {
		return t, nil
	}
	return time.Time{}, data.Invalid(field, "%q is not a date (2026-01-31) or an RFC 3339 time", clipText(s))
}

func clipText(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// normalized returns f with Types sorted and deduplicated and times in UTC,
// so that equal filters have equal keys.
func (f Filter) normalized() Filter {
	if len(f.Types) > 0 {
		ts := slices.Clone(f.Types)
		slices.Sort(ts)
		f.Types = slices.Compact(ts)
	}
	f.Status = strings.ToLower(f.Status)
	if !f.From.IsZero() {
		f.From = f.From.UTC()
	}
	if !f.To.IsZero() {
		f.To = f.To.UTC()
	}
	return f
}

// Key is a canonical text of the filter for cache keys and ETags: equal
// filters (types in any order) have equal keys.
func (f Filter) Key() string {
	f = f.normalized()
	var b strings.Builder
	b.WriteString("t=")
	b.WriteString(strings.Join(f.Types, ","))
	b.WriteString(";s=")
	b.WriteString(f.Status)
	b.WriteString(";f=")
	if !f.From.IsZero() {
		b.WriteString(strconv.FormatInt(f.From.UnixNano(), 10))
	}
	b.WriteString(";u=")
	if !f.To.IsZero() {
		b.WriteString(strconv.FormatInt(f.To.UnixNano(), 10))
	}
	if f.IncludeDuplicates {
		b.WriteString(";d=1")
	}
	return b.String()
}
