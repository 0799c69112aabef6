package sqlite

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/geo311/geo311/data"
)

var _ data.ExportScanner = (*DB)(nil)

// The export scan (data.ExportScanner) reads only the exported columns, on
// a reader connection's driver rows inside one read transaction, as
// ScanRequests does (see scanRows), into one reused data.ExportRow: the
// TEXT columns joined by the unit separator in one value (a row whose text
// holds the separator is read again packed with lengths), the area ids of
// the layers asked for picked from the areas JSON without decoding it into
// AreaRefs, no Request, attributes, contact or recorded areas.

// exportTextColumns are the TEXT columns of the export scan, in the order
// of exportText's fields.
var exportTextColumns = []string{
	"number", "kind", "service_code", "service_name", "state", "department", "unit", "origin",
	"requested_at", "updated_at", "closed_at", "parent_number", "description", "address", "zip", "areas",
}

// exportText holds the values of exportTextColumns.
type exportText [16]string

// exportPlainColumns follow the joined text; r.id comes last.
var exportPlainColumns = []string{"duplicate", "duplicate_count", "me_too", "police", "h3", "lon", "lat"}

var (
	selectExport = "SELECT " + sepExpr(exportTextColumns) + ", " + strings.Join(exportPlainColumns, ", ") + ", r.id"
	// exportWidth is the values of a row of selectExport.
	exportWidth = 1 + len(exportPlainColumns) + 1
)

// ScanExport implements data.ExportScanner with the snapshot, ordering and
// connection handling of ScanRequests.
func (db *DB) ScanExport(ctx context.Context, f data.RequestFilter, layers []data.Layer, fn func(*data.ExportRow) error) error {
	if err := f.Validate(); err != nil {
		return fmt.Errorf("sqlite: scan export: %w", err)
	}
	for _, l := range layers {
		if _, err := data.ParseLayer(string(l)); err != nil {
			return fmt.Errorf("sqlite: scan export: %w", err)
		}
	}
	return db.onReader(ctx, "scan export", func(c driverConn) error {
		return scanExportRows(ctx, c, &f, layers, stopping(fn))
	})
}

// scanExportRows runs the export query of f on c inside one read
// transaction (see readRows) and calls fn for each row.
func scanExportRows(ctx context.Context, c driverConn, f *data.RequestFilter, layers []data.Layer, fn func(*data.ExportRow) error) error {
	row := data.ExportRow{Areas: make([]string, len(layers))}
	var text exportText
	return readRows(ctx, c, f, selectExport, exportWidth, func(dest []driver.Value) error {
		joined, ok := dest[0].(string)
		if !ok {
			return fmt.Errorf("export scan: joined row: unexpected value of type %T", dest[0])
		}
		if !splitFields(joined, text[:]) {
			// Some text holds the separator: read it again with lengths.
			if err := repack(ctx, c, dest[exportWidth-1], exportTextColumns, text[:]); err != nil {
				return err
			}
		}
		if err := decodeExportRow(&text, dest[1:exportWidth-1], layers, &row); err != nil {
			return err
		}
		return fn(&row)
	})
}

// splitFields splits a value joined by sepExpr into dst; false if it does
// not hold exactly len(dst) fields, i.e. some text held the separator.
func splitFields(s string, dst []string) bool {
	for k := range len(dst) - 1 {
		i := strings.IndexByte(s, fieldSep)
		if i < 0 {
			return false
		}
		dst[k], s = s[:i], s[i+1:]
	}
	if strings.IndexByte(s, fieldSep) >= 0 {
		return false
	}
	dst[len(dst)-1] = s
	return true
}

// decodeExportRow fills row from the text fields and the plain values
// (exportPlainColumns) of one row.
func decodeExportRow(t *exportText, v []driver.Value, layers []data.Layer, row *data.ExportRow) error {
	row.Number, row.Kind, row.ServiceCode, row.ServiceName = t[0], data.Kind(t[1]), t[2], t[3]
	row.State, row.Department, row.Unit, row.Origin = data.State(t[4]), t[5], t[6], data.Origin(t[7])
	var err error
	if row.RequestedAt, err = parseTime(t[8]); err != nil {
		return fmt.Errorf("request %s: requested_at: %w", t[0], err)
	}
	if row.UpdatedAt, err = parseTime(t[9]); err != nil {
		return fmt.Errorf("request %s: updated_at: %w", t[0], err)
	}
	row.ClosedAt = time.Time{}
	if t[10] != "" {
		if row.ClosedAt, err = parseTime(t[10]); err != nil {
			return fmt.Errorf("request %s: closed_at: %w", t[0], err)
		}
	}
	row.ParentNumber, row.Description, row.Address, row.ZIP = t[11], t[12], t[13], t[14]
	if err := areaIDs(t[15], layers, row.Areas); err != nil {
		return fmt.Errorf("request %s: areas: %w", t[0], err)
	}
	var bad error
	num := func(i int) int64 {
		if x, ok := v[i].(int64); ok {
			return x
		}
		if bad == nil {
			bad = fmt.Errorf("column %s: unexpected stored value of type %T", exportPlainColumns[i], v[i])
		}
		return 0
	}
	flt := func(i int) float64 {
		switch x := v[i].(type) {
		case float64:
			return x
		case int64:
			return float64(x)
		}
		if bad == nil {
			bad = fmt.Errorf("column %s: unexpected stored value of type %T", exportPlainColumns[i], v[i])
		}
		return 0
	}
	row.Duplicate, row.DuplicateCount, row.MeToo = num(0) == 1, int(num(1)), int(num(2))
	row.PoliceRelated, row.H3 = num(3) == 1, uint64(num(4))
	row.Lon, row.Lat = flt(5), flt(6)
	if bad != nil {
		return fmt.Errorf("request %s: %w", t[0], bad)
	}
	return nil
}

// areaIDs sets dst[i] to the id of the first area of layers[i] with an
// id in the areas JSON s (as encodeAreas writes it), "" if none. Plain
// JSON is read in place (jsonLex); anything else goes through
// encoding/json.
func areaIDs(s string, layers []data.Layer, dst []string) error {
	clear(dst)
	if s == "[]" || len(layers) == 0 {
		return nil
	}
	if fastAreaIDs(s, layers, dst) {
		return nil
	}
	clear(dst)
	var as []data.AreaRef
	if err := json.Unmarshal([]byte(s), &as); err != nil {
		return err
	}
	for _, a := range as {
		setAreaID(dst, layers, a.Layer, a.ID)
	}
	return nil
}

// setAreaID records id for layer l unless its slot has one already.
func setAreaID(dst []string, layers []data.Layer, l data.Layer, id string) {
	if id == "" {
		return
	}
	for i, x := range layers {
		if x == l && dst[i] == "" {
			dst[i] = id
		}
	}
}

// fastAreaIDs is areaIDs for the compact JSON encodeAreas writes of plain
// strings (see fastAreas); false means: read it with encoding/json.
func fastAreaIDs(s string, layers []data.Layer, dst []string) bool {
	l := jsonLex{s: s}
	if !l.eat('[') {
		return false
	}
	for {
		if !l.eat('{') {
			return false
		}
		var layer, id string
		if !l.eat('}') {
			for {
				k, ok := l.str()
				if !ok || !l.eat(':') {
					return false
				}
				v, ok := l.str()
				if !ok {
					return false
				}
				switch k {
				case "layer":
					layer = v
				case "id":
					id = v
				case "name", "generation":
				default:
					return false
				}
				if !l.eat(',') {
					break
				}
			}
			if !l.eat('}') {
				return false
			}
		}
		setAreaID(dst, layers, data.Layer(layer), id)
		if !l.eat(',') {
			break
		}
	}
	return l.eat(']') && l.ok()
}
