package community

import (
	"encoding/csv"
	"fmt"
	"io"
	"net/mail"
	"net/url"
	"strings"

	"github.com/geo311/geo311/data"
)

var contactColumns = []string{"layer", "area_id", "kind", "name", "phone", "email", "address", "url", "hours"}

// ReadContacts reads a contacts CSV file (columns in the package
// documentation) for jurisdiction j: layers must be layers of j, and area
// ids are normalised with the layer's pad_id. It returns the good contacts
// in file order, one RowError per problem of a bad row, and an error when
// the file cannot be read as a contacts file at all. Rows repeating a
// contact's key (layer, area_id, kind) with the same details collapse into
// one; with other details they are a RowError.
func ReadContacts(r io.Reader, j *data.Jurisdiction) ([]Contact, []RowError, error) {
	if j == nil {
		return nil, nil, data.Errorf(data.ErrInvalid, "contacts CSV: no jurisdiction given")
	}
	t, err := openTable(r, "contacts", contactColumns, []string{"layer", "area_id", "kind", "name"})
	if err != nil {
		return nil, nil, err
	}
	var (
		cs    []Contact
		errs  []RowError
		first = make(map[string]int) // key -> index in cs
		lines = make(map[string]int) // key -> line
	)
	for {
		line, rec, bad, done, err := t.next()
		if err != nil {
			return nil, nil, err
		}
		if done {
			break
		}
		if bad != nil {
			errs = append(errs, *bad)
			continue
		}
		c, rowErrs := contactRow(t, line, rec, j)
		if len(rowErrs) > 0 {
			errs = append(errs, rowErrs...)
			continue
		}
		k := c.Key()
		if i, dup := first[k]; dup {
			if cs[i] != c {
				errs = append(errs, RowError{Line: line, Err: data.Errorf(data.ErrInvalid,
					"%s %s already has a %s contact on line %d with other details: one contact per kind per area",
					c.Layer, c.AreaID, c.Kind, lines[k])})
			}
			continue
		}
		first[k], lines[k] = len(cs), line
		cs = append(cs, c)
	}
	return cs, errs, nil
}

func contactRow(t *table, line int, rec []string, j *data.Jurisdiction) (Contact, []RowError) {
	re := &rowErrs{line: line}
	var c Contact
	if raw := strings.ToLower(t.get(rec, "layer")); raw == "" {
		re.add("layer", "a layer is required (%s)", layerNames(j))
	} else if l, err := data.ParseLayer(raw); err != nil {
		re.add("layer", "%q is not a layer name (lower-case letters, digits and _, starting with a letter)", clip(raw))
	} else if spec, ok := j.LayerSpec(l); !ok {
		re.add("layer", "%s has no layer %q (layers: %s)", j.ID, l, layerNames(j))
	} else {
		c.Layer = l
		c.AreaID, _ = re.areaID("area_id", t.get(rec, "area_id"), spec)
	}
	if raw := strings.ToLower(t.get(rec, "kind")); raw == "" {
		re.add("kind", "a kind is required (%s, %s, %s, ...)", KindCommunityPolicingOffice, KindDistrictStation, KindAldermanOffice)
	} else if _, err := data.ParseLayer(raw); err != nil {
		re.add("kind", "%q is not a kind: lower-case letters, digits and _, starting with a letter, at most 40 (%s)", clip(raw), KindCommunityPolicingOffice)
	} else {
		c.Kind = raw
	}
	if c.Name = re.text("name", t.get(rec, "name"), maxNameLen, false); c.Name == "" && t.get(rec, "name") == "" {
		re.add("name", "a name is required")
	}
	c.Phone = re.phone(t.get(rec, "phone"))
	c.Email = re.email(t.get(rec, "email"))
	c.Address = re.text("address", t.get(rec, "address"), maxAddressLen, false)
	c.URL = re.url(t.get(rec, "url"))
	c.Hours = re.text("hours", t.get(rec, "hours"), maxNameLen, false)
	if t.get(rec, "phone") == "" && t.get(rec, "email") == "" && t.get(rec, "address") == "" && t.get(rec, "url") == "" {
		re.add("phone", "a contact needs at least one of phone, email, address or url")
	}
	if len(re.errs) > 0 {
		return Contact{}, re.errs
	}
	return c, nil
}

func layerNames(j *data.Jurisdiction) string {
	names := make([]string, len(j.Layers))
	for i, l := range j.Layers {
		names[i] = string(l.Layer)
	}
	return strings.Join(names, ", ")
}

// phone accepts digits, spaces, + ( ) - . / and an extension ("ext", "x"),
// with 7 to 20 digits.
func (r *rowErrs) phone(s string) string {
	if s == "" {
		return ""
	}
	digits := 0
	main := strings.ToLower(s)
	if i := strings.Index(main, "ext"); i >= 0 {
		main = main[:i] + " " + strings.TrimPrefix(main[i+3:], ".")
	} else if i := strings.LastIndexByte(main, 'x'); i >= 0 {
		main = main[:i] + " " + main[i+1:]
	}
	for _, c := range main {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case strings.ContainsRune(" +()-./", c):
		default:
			r.add("phone", "%q is not a phone number (digits, spaces, + ( ) - . / and an ext or x extension)", clip(s))
			return ""
		}
	}
	if digits < 7 || digits > 20 || len(s) > maxPhoneLen {
		r.add("phone", "%q is not a phone number: it has %d digits, 7 to 20 expected", clip(s), digits)
		return ""
	}
	return s
}

// email accepts one plain address: user@domain with a dot in the domain.
func (r *rowErrs) email(s string) string {
	if s == "" {
		return ""
	}
	a, err := mail.ParseAddress(s)
	at := strings.LastIndexByte(s, '@')
	if err != nil || a.Name != "" || a.Address != s || len(s) > maxEmailLen || at < 1 ||
		!strings.Contains(s[at+1:], ".") || strings.HasSuffix(s, ".") || strings.ContainsAny(s, " \"<>") {
		r.add("email", "%q is not an email address (user@example.org)", clip(s))
		return ""
	}
	return s
}

// url accepts an absolute http or https URL with a host.
func (r *rowErrs) url(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(s) > maxURLLen ||
		strings.ContainsFunc(s, func(c rune) bool { return c <= ' ' || c == 0x7f }) {
		r.add("url", "%q is not an http or https URL", clip(s))
		return ""
	}
	return s
}

// WriteContacts writes contacts as a contacts CSV file that ReadContacts
// reads back to the same contacts.
func WriteContacts(w io.Writer, cs []Contact) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(contactColumns); err != nil {
		return fmt.Errorf("community: write contacts CSV: %w", err)
	}
	for _, c := range cs {
		if err := cw.Write([]string{string(c.Layer), c.AreaID, c.Kind, c.Name, c.Phone, c.Email, c.Address, c.URL, c.Hours}); err != nil {
			return fmt.Errorf("community: write contacts CSV: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("community: write contacts CSV: %w", err)
	}
	return nil
}
