package data

import (
	"fmt"
	"strings"
)

// Tracking numbers.
//
// geo311 numbers what it receives the way Chicago 311 does: a two-letter
// prefix by kind, the two-digit year the request was received, a dash and an
// eight-digit sequence that restarts every year:
//
//	SR26-00000001   city service request
//	CC26-00000001   community concern control number (S02-03-03 VI.A)
//
// Requests imported from the city's legacy per-type exports keep the numbers
// the city gave them ("11-00002767": year and sequence without a prefix);
// ValidNumber accepts those for lookups, ParseNumber does not.

// Number prefixes by kind.
const (
	PrefixServiceRequest   = "SR"
	PrefixCommunityConcern = "CC"
)

// Tracking number limits. A year of a large city (Chicago: about 2 million
// requests) uses well under 1% of the sequence space.
const (
	MinNumberYear = 2000
	MaxNumberYear = 2099
	MaxNumberSeq  = 99_999_999
)

const (
	numberSeqDigits = 8
	numberLen       = 2 + 2 + 1 + numberSeqDigits // "SR26-00000001"
	legacyNumberLen = 2 + 1 + numberSeqDigits     // "11-00002767"
)

// NumberPrefix returns the prefix every number of a kind and year starts
// with: "SR26-" for service requests received in 2026. Stores use it to find
// the year's highest sequence. It panics on an unknown kind or a year outside
// MinNumberYear..MaxNumberYear, which are programming errors.
func NumberPrefix(kind Kind, year int) string {
	p := kindPrefix(kind)
	if p == "" {
		panic(fmt.Sprintf("data.NumberPrefix: unknown kind %q", kind))
	}
	if year < MinNumberYear || year > MaxNumberYear {
		panic(fmt.Sprintf("data.NumberPrefix: year %d outside %d-%d", year, MinNumberYear, MaxNumberYear))
	}
	return fmt.Sprintf("%s%02d-", p, year%100)
}

// FormatNumber returns the tracking number of the seq-th request of a kind
// received in year: FormatNumber(KindServiceRequest, 2026, 1) is
// "SR26-00000001". It panics on an unknown kind, a year outside
// MinNumberYear..MaxNumberYear or a seq outside 1..MaxNumberSeq: stores must
// check their counters against MaxNumberSeq and fail the intake instead.
func FormatNumber(kind Kind, year int, seq int64) string {
	if seq < 1 || seq > MaxNumberSeq {
		panic(fmt.Sprintf("data.FormatNumber: sequence %d outside 1-%d", seq, MaxNumberSeq))
	}
	return fmt.Sprintf("%s%08d", NumberPrefix(kind, year), seq)
}

// ParseNumber parses a number made by FormatNumber, strictly: upper-case
// prefix, two-digit year, dash, eight digits, sequence at least 1. Errors
// are ErrInvalid naming the field "service_request_id" (the Open311 name).
func ParseNumber(s string) (kind Kind, year int, seq int64, err error) {
	if len(s) != numberLen || s[4] != '-' {
		return "", 0, 0, Invalid("service_request_id", "%q is not a tracking number (like SR26-00000001 or CC26-00000001)", clipInput(s))
	}
	switch s[:2] {
	case PrefixServiceRequest:
		kind = KindServiceRequest
	case PrefixCommunityConcern:
		kind = KindCommunityConcern
	default:
		return "", 0, 0, Invalid("service_request_id", "%q does not start with SR (service request) or CC (community concern)", clipInput(s))
	}
	yy, ok := parseDigits(s[2:4])
	if !ok {
		return "", 0, 0, Invalid("service_request_id", "%q: the year after the prefix must be two digits", clipInput(s))
	}
	n, ok := parseDigits(s[5:])
	if !ok {
		return "", 0, 0, Invalid("service_request_id", "%q: the sequence after the dash must be eight digits", clipInput(s))
	}
	if n == 0 {
		return "", 0, 0, Invalid("service_request_id", "%q: sequence numbers start at 00000001", clipInput(s))
	}
	return kind, MinNumberYear + int(yy), n, nil
}

// ValidNumber reports whether s looks like a number a request can be looked
// up by: a geo311 number (as ParseNumber accepts) or a number imported from
// Chicago's legacy exports ("11-00002767"). It is looser than ParseNumber
// and meant to reject garbage before a store lookup, not to validate intake.
func ValidNumber(s string) bool {
	switch len(s) {
	case numberLen:
		_, _, _, err := ParseNumber(s)
		return err == nil
	case legacyNumberLen:
		if s[2] != '-' {
			return false
		}
		_, ok1 := parseDigits(s[:2])
		_, ok2 := parseDigits(s[3:])
		return ok1 && ok2
	}
	return false
}

// NormalizeNumber tidies a number typed by a person ("  sr26-00000001 ")
// for a lookup: surrounding space trimmed, letters upper-cased. It reports
// whether the result is a ValidNumber.
func NormalizeNumber(s string) (string, bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	return s, ValidNumber(s)
}

func kindPrefix(k Kind) string {
	switch k {
	case KindServiceRequest:
		return PrefixServiceRequest
	case KindCommunityConcern:
		return PrefixCommunityConcern
	}
	return ""
}

// parseDigits parses an all-ASCII-digit string (no sign, no space).
func parseDigits(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// clipInput shortens caller input quoted in an error message.
func clipInput(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
