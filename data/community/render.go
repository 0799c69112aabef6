package community

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/geo311/geo311/data"
)

//go:embed card.html
var cardHTML string

// cardTemplate is parsed once per call: RenderCardHTML keeps no package
// state, and parsing the small template costs microseconds.
func cardTemplate() (*template.Template, error) {
	return template.New("card").Funcs(template.FuncMap{
		"iso":        func(t time.Time) string { return t.Format(time.RFC3339) },
		"long":       func(t time.Time) string { return t.Format("Monday, January 2, 2006, 3:04 PM MST") },
		"layerTitle": layerTitle,
		"kindTitle":  kindTitle,
		"join":       func(ss []string) string { return strings.Join(ss, ", ") },
		"tel":        telURL,
	}).Parse(cardHTML)
}

// RenderCardHTML writes c as a small, self-contained HTML page meant to be
// read on a phone and printed: semantic sections, inline CSS with print
// rules, no scripts, images or external assets. Text is escaped by
// html/template.
func RenderCardHTML(w io.Writer, c Card) error {
	t, err := cardTemplate()
	if err != nil {
		return fmt.Errorf("community: card template: %w", err)
	}
	if err := t.Execute(w, c); err != nil {
		return fmt.Errorf("community: render card: %w", err)
	}
	return nil
}

// layerTitle names a layer for people: the well-known layers by their
// usual titles, custom layers by their name with spaces.
func layerTitle(l data.Layer) string {
	switch l {
	case data.LayerBeat:
		return "Police beat"
	case data.LayerSector:
		return "Police sector"
	case data.LayerDistrict:
		return "Police district"
	case data.LayerWard:
		return "Ward"
	case data.LayerCommunityArea:
		return "Community area"
	case data.LayerPrecinct:
		return "Police precinct"
	}
	return capitalise(strings.ReplaceAll(string(l), "_", " "))
}

// kindTitle names a contact kind for people.
func kindTitle(kind string) string {
	switch kind {
	case KindCommunityPolicingOffice:
		return "Community policing office"
	case KindDistrictStation:
		return "District station"
	case KindAldermanOffice:
		return "Alderman's office"
	}
	return capitalise(strings.ReplaceAll(kind, "_", " "))
}

func capitalise(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// telURL builds a tel: link from a phone number the contacts reader
// accepted: its digits (and a leading +), with the extension after ";ext="
// (RFC 3966). The result holds only digits, "+", ";ext=", so it is safe as
// a template.URL.
func telURL(phone string) template.URL {
	main, ext := strings.ToLower(phone), ""
	if i := strings.Index(main, "ext"); i >= 0 {
		main, ext = main[:i], main[i+3:]
	} else if i := strings.LastIndexByte(main, 'x'); i >= 0 {
		main, ext = main[:i], main[i+1:]
	}
	digits := func(s string) string {
		return strings.Map(func(c rune) rune {
			if c >= '0' && c <= '9' {
				return c
			}
			return -1
		}, s)
	}
	u := digits(main)
	if strings.HasPrefix(strings.TrimSpace(main), "+") {
		u = "+" + u
	}
	if e := digits(ext); e != "" {
		u += ";ext=" + e
	}
	return template.URL("tel:" + u)
}
