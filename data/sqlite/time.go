package sqlite

import (
	"fmt"
	"time"
)

// timeLayout stores instants as fixed-width UTC text: text order is time
// order, nanoseconds are kept, and the value reads well in the sqlite3 shell.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// formatTime encodes t for a TEXT instant column. Years 0-9999 are
// written digit by digit (an import formats two to four instants a row, and
// Format, which reads its layout each call, cost a fifth of encoding one);
// others go through Format (TestFormatTime checks both agree).
func formatTime(t time.Time) string {
	u := t.UTC()
	year, month, day := u.Date()
	if year < 0 || year > 9999 {
		return u.Format(timeLayout)
	}
	hour, minute, sec := u.Clock()
	var b [len(timeLayout)]byte
	put := func(at, width, n int) {
		for i := at + width - 1; i >= at; i-- {
			b[i] = byte('0' + n%10)
			n /= 10
		}
	}
	put(0, 4, year)
	b[4] = '-'
	put(5, 2, int(month))
	b[7] = '-'
	put(8, 2, day)
	b[10] = 'T'
	put(11, 2, hour)
	b[13] = ':'
	put(14, 2, minute)
	b[16] = ':'
	put(17, 2, sec)
	b[19] = '.'
	put(20, 9, u.Nanosecond())
	b[29] = 'Z'
	return string(b[:])
}

// parseTime decodes a TEXT instant column. Text of exactly the stored
// shape is read field by field (a full scan parses several instants per
// row, and time.Parse costs several times more); anything else goes
// through time.Parse, so both accept and reject the same text
// (FuzzParseTime checks it).
func parseTime(s string) (time.Time, error) {
	if t, ok := parseFixedTime(s); ok {
		return t, nil
	}
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored instant %q: %w", s, err)
	}
	return t, nil
}

// parseFixedTime reads "YYYY-MM-DDTHH:MM:SS.NNNNNNNNNZ" with every field
// in range; ok is false for anything else.
func parseFixedTime(s string) (t time.Time, ok bool) {
	if len(s) != len(timeLayout) || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
		s[16] != ':' || s[19] != '.' || s[29] != 'Z' {
		return t, false
	}
	num := func(i, j int) int {
		n := 0
		for ; i < j; i++ {
			c := s[i] - '0'
			if c > 9 {
				return -1
			}
			n = n*10 + int(c)
		}
		return n
	}
	year, month, day := num(0, 4), num(5, 7), num(8, 10)
	hour, minute, sec, nsec := num(11, 13), num(14, 16), num(17, 19), num(20, 29)
	if year < 0 || month < 1 || month > 12 || day < 1 || day > daysIn(month, year) ||
		hour < 0 || hour > 23 || minute < 0 || minute > 59 || sec < 0 || sec > 59 || nsec < 0 {
		return t, false
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC), true
}

// daysIn is the number of days of a month (1-12) of the proleptic
// Gregorian calendar.
func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
