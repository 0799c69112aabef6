package postgis

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unsafe"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/geo311/geo311/data"
)

var _ data.ExportScanner = (*DB)(nil)

// The export scan (data.ExportScanner) reads only the exported columns
// and decodes PostgreSQL's binary wire format straight into one reused
// data.ExportRow: no Request, no JSON, no allocation per row. Its strings
// are views of pgx's read buffer, valid until the next row, as
// ScanExport's contract allows.
//
// The query is the listing query of ScanRequests (filterQuery, the same
// parameters), with a narrow select list, in binary result format: binary
// timestamptz, float8, int and bool cost the server no text formatting, and
// text is sent as is. Most of the server's work is reading the rows (an
// index scan in (requested_at, number) order) and one send call per value.
//
// An unpaged scan reads in keyset chunks of exportChunk rows, all in one
// REPEATABLE READ READ ONLY transaction (one snapshot, as one query would
// see): "WHERE <filter> AND (requested_at, number) > <last key> ORDER BY
// requested_at, number LIMIT n". The limit lets the planner walk
// requests_requested in order for a broad export instead of sorting it
// whole (a merge sort on disk beyond work_mem: hundreds of megabytes of
// temporary files for a million rows, and a third more server time when
// the heap is not in time order), and still pick a bitmap scan and a
// top-n sort for a narrow filter (a ward, a bbox). A paged filter (Limit or
// Offset) is one query with its own paging.
//
// The server's work is what bounds the export (BenchmarkExportArrowVsCopy
// reports server and Go CPU): one send call per value costs it about as
// much as COPY's CSV formatting saves, so the narrow scan costs the server
// roughly three quarters of COPY (FORMAT csv) of the same columns.

// exportChunk is the rows per keyset query of an unpaged export scan.
const exportChunk = 32768

// exportColumn is one column of the export scan's select list: its SQL
// (over requests r) and its type OID.
type exportColumn struct {
	sql string
	oid uint32
}

// exportColumns are the fixed columns, in decode order; the layer columns
// come between origin and requested_at (exportLayerAt).
var exportColumns = []exportColumn{
	{"r.number", pgtype.TextOID}, {"r.kind", pgtype.TextOID}, {"r.service_code", pgtype.TextOID},
	{"r.service_name", pgtype.TextOID}, {"r.state", pgtype.TextOID}, {"r.department", pgtype.TextOID},
	{"r.unit", pgtype.TextOID}, {"r.origin", pgtype.TextOID},
	{"r.requested_at", pgtype.TimestamptzOID}, {"r.updated_at", pgtype.TimestamptzOID}, {"r.closed_at", pgtype.TimestamptzOID},
	{"r.duplicate", pgtype.BoolOID}, {"r.parent_number", pgtype.TextOID}, {"r.duplicate_count", pgtype.Int4OID},
	{"r.me_too", pgtype.Int4OID}, {"r.police_related", pgtype.BoolOID},
	{"r.description", pgtype.TextOID}, {"r.address", pgtype.TextOID}, {"r.zip", pgtype.TextOID},
	{"r.h3", pgtype.Int8OID}, {"r.lon", pgtype.Float8OID}, {"r.lat", pgtype.Float8OID},
}

const exportLayerAt = 8 // index in exportColumns where the layer columns go

// exportSelect returns the select list for layers: a well-known layer is
// its column (the first area of the layer with an id, written by
// encodeRequest), any other layer the id of the first such area in the
// custom_areas array (the areas of the layers without a column, in areas
// order), its name a parameter of q.
func exportSelect(q *sqlQuery, layers []data.Layer) (string, []uint32, error) {
	var b strings.Builder
	oids := make([]uint32, 0, len(exportColumns)+len(layers))
	add := func(c exportColumn) {
		if len(oids) > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.sql)
		oids = append(oids, c.oid)
	}
	for _, c := range exportColumns[:exportLayerAt] {
		add(c)
	}
	for _, l := range layers {
		if _, err := data.ParseLayer(string(l)); err != nil {
			return "", nil, err
		}
		if col, ok := areaColumns[l]; ok {
			add(exportColumn{"r." + col, pgtype.TextOID})
			continue
		}
		add(exportColumn{"coalesce((SELECT a.v->>'id' FROM jsonb_array_elements(r.custom_areas) WITH ORDINALITY a(v, i)" +
			" WHERE a.v->>'layer' = " + q.arg(string(l)) + "::text AND a.v->>'id' <> '' ORDER BY a.i LIMIT 1), '')", pgtype.TextOID})
	}
	for _, c := range exportColumns[exportLayerAt:] {
		add(c)
	}
	return b.String(), oids, nil
}

// ScanExport implements data.ExportScanner (see the comment above
// exportChunk). The scan holds one pool connection until it ends; fn may
// use the store meanwhile. When fn stops the scan, the running query is
// cancelled rather than read to its end.
func (db *DB) ScanExport(ctx context.Context, f data.RequestFilter, layers []data.Layer, fn func(*data.ExportRow) error) error {
	if err := f.Validate(); err != nil {
		return fmt.Errorf("postgis: scan export: %w", err)
	}
	if _, _, err := exportSelect(&sqlQuery{}, layers); err != nil {
		return fmt.Errorf("postgis: scan export: %w", err)
	}
	qctx, cancel := context.WithCancel(ctx)
	defer cancel()
	err := db.scanExport(qctx, &f, layers, exportChunk, func(r *data.ExportRow) error {
		if err := fn(r); err != nil {
			cancel() // stop the server's work; the transaction is abandoned
			return errStop{err}
		}
		return nil
	})
	var stop errStop
	if errors.As(err, &stop) {
		return stop.err
	}
	if err != nil {
		return wrap(ctx, "scan export", err)
	}
	return nil
}

// scanExport runs the export scan in keyset chunks of chunk rows.
func (db *DB) scanExport(ctx context.Context, f *data.RequestFilter, layers []data.Layer, chunk int, fn func(*data.ExportRow) error) error {
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	paged := f.Limit > 0 || f.Offset > 0
	row := data.ExportRow{Areas: make([]string, len(layers))}
	var (
		after   bool // a previous chunk ended at (lastAt, lastNum)
		lastAt  time.Time
		lastNum string
	)
	for {
		q := filterQuery(f)
		cols, oids, err := exportSelect(q, layers)
		if err != nil {
			return err
		}
		if after {
			op := " > "
			if !f.Ascending {
				op = " < "
			}
			q.conds = append(q.conds, "(r.requested_at, r.number)"+op+"("+q.arg(lastAt)+"::timestamptz, "+q.arg(lastNum)+"::text)")
		}
		sql := "SELECT " + cols + " FROM requests r" + q.where() + q.orderLimit(f)
		if !paged {
			sql += fmt.Sprintf(" LIMIT %d", chunk)
		}
		n, err := exportQuery(ctx, tx, sql, q.args, oids, &row, fn, &lastAt, &lastNum)
		if err != nil {
			return err
		}
		if paged || n < chunk {
			return nil
		}
		after = true
	}
}

// exportQuery runs one query of the export scan and decodes its rows into
// row, calling fn for each; it returns the rows read and leaves the last
// row's key (a copy) in lastAt and lastNum.
func exportQuery(ctx context.Context, tx pgx.Tx, sql string, args []any, oids []uint32, row *data.ExportRow,
	fn func(*data.ExportRow) error, lastAt *time.Time, lastNum *string) (int, error) {
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	if err := checkExportFields(rows.FieldDescriptions(), oids); err != nil {
		return 0, err
	}
	n := 0
	var num []byte
	for rows.Next() {
		if err := decodeExportRow(rows.RawValues(), row); err != nil {
			return n, err
		}
		*lastAt, num = row.RequestedAt, append(num[:0], row.Number...)
		if err := fn(row); err != nil {
			return n, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	// Rows already in the read buffer come without the network noticing a
	// cancelled context.
	if err := ctx.Err(); err != nil {
		return n, err
	}
	*lastNum = string(num)
	return n, nil
}

// checkExportFields checks that the result has the columns decodeExportRow
// expects, each in binary format (text is the same bytes either way).
func checkExportFields(fds []pgconn.FieldDescription, oids []uint32) error {
	if len(fds) != len(oids) {
		return fmt.Errorf("export scan: %d columns, want %d", len(fds), len(oids))
	}
	for i, fd := range fds {
		if fd.DataTypeOID != oids[i] {
			return fmt.Errorf("export scan: column %d (%s) has type %d, want %d", i, fd.Name, fd.DataTypeOID, oids[i])
		}
		if fd.Format != pgtype.BinaryFormatCode && fd.DataTypeOID != pgtype.TextOID {
			return fmt.Errorf("export scan: column %s comes in format %d, want binary", fd.Name, fd.Format)
		}
	}
	return nil
}

// pgEpochMicros is 2000-01-01T00:00:00Z, PostgreSQL's epoch, in Unix
// microseconds.
const pgEpochMicros = 946684800 * 1_000_000

// wireDecoder reads binary column values, keeping the first error; op
// prefixes its errors.
type wireDecoder struct {
	v   [][]byte
	i   int
	err error
	op  string
}

func (d *wireDecoder) next(size int, nullable bool) []byte {
	b := d.v[d.i]
	d.i++
	if b == nil {
		if !nullable && d.err == nil {
			d.err = fmt.Errorf("%s: column %d is NULL", d.op, d.i-1)
		}
		return nil
	}
	if size >= 0 && len(b) != size && d.err == nil {
		d.err = fmt.Errorf("%s: column %d has %d bytes, want %d", d.op, d.i-1, len(b), size)
		return nil
	}
	return b
}

// text returns the value as a string sharing its bytes.
func (d *wireDecoder) text() string {
	b := d.next(-1, false)
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// textIn returns the value as a string copied into *arena, which grows
// by appending: strings already handed out keep the bytes they were given.
func (d *wireDecoder) textIn(arena *[]byte) string {
	b := d.next(-1, false)
	if len(b) == 0 {
		return ""
	}
	a := *arena
	if cap(a)-len(a) < len(b) {
		a = make([]byte, 0, max(4096, len(b)))
	}
	a = append(a, b...)
	*arena = a
	s := a[len(a)-len(b):]
	return unsafe.String(unsafe.SliceData(s), len(s))
}

func (d *wireDecoder) time(nullable bool) time.Time {
	b := d.next(8, nullable)
	if b == nil {
		return time.Time{}
	}
	us := int64(binary.BigEndian.Uint64(b))
	if us == math.MaxInt64 || us == math.MinInt64 || us > math.MaxInt64-pgEpochMicros {
		if d.err == nil {
			d.err = fmt.Errorf("%s: column %d holds an infinite or out-of-range time", d.op, d.i-1)
		}
		return time.Time{}
	}
	return time.UnixMicro(us + pgEpochMicros)
}

func (d *wireDecoder) bool() bool {
	b := d.next(1, false)
	return b != nil && b[0] != 0
}

func (d *wireDecoder) int4() int {
	b := d.next(4, false)
	if b == nil {
		return 0
	}
	return int(int32(binary.BigEndian.Uint32(b)))
}

func (d *wireDecoder) int8() uint64 {
	b := d.next(8, false)
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

func (d *wireDecoder) float8() float64 {
	b := d.next(8, false)
	if b == nil {
		return 0
	}
	return math.Float64frombits(binary.BigEndian.Uint64(b))
}

// decodeExportRow decodes one row of the export scan's select list into
// row, whose Areas has one element per layer.
func decodeExportRow(v [][]byte, row *data.ExportRow) error {
	if want := len(exportColumns) + len(row.Areas); len(v) != want {
		return fmt.Errorf("export scan: row has %d values, want %d", len(v), want)
	}
	d := wireDecoder{v: v, op: "export scan"}
	row.Number = d.text()
	row.Kind = data.Kind(d.text())
	row.ServiceCode = d.text()
	row.ServiceName = d.text()
	row.State = data.State(d.text())
	row.Department = d.text()
	row.Unit = d.text()
	row.Origin = data.Origin(d.text())
	for i := range row.Areas {
		row.Areas[i] = d.text()
	}
	row.RequestedAt = d.time(false)
	row.UpdatedAt = d.time(false)
	row.ClosedAt = d.time(true)
	row.Duplicate = d.bool()
	row.ParentNumber = d.text()
	row.DuplicateCount = d.int4()
	row.MeToo = d.int4()
	row.PoliceRelated = d.bool()
	row.Description = d.text()
	row.Address = d.text()
	row.ZIP = d.text()
	row.H3 = d.int8()
	row.Lon = d.float8()
	row.Lat = d.float8()
	return d.err
}
