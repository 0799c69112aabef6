package export

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/geo311/geo311/data"
)

// Column names of a request export, in order. The area columns (one per
// layer) come between ColOrigin and ColRequestedAt.
const (
	ColNumber         = "number"
	ColKind           = "kind"
	ColServiceCode    = "service_code"
	ColServiceName    = "service_name"
	ColStatus         = "status"
	ColState          = "state"
	ColDepartment     = "department"
	ColUnit           = "unit"
	ColOrigin         = "origin"
	ColRequestedAt    = "requested_at"
	ColUpdatedAt      = "updated_at"
	ColClosedAt       = "closed_at"
	ColDuplicate      = "duplicate"
	ColParentNumber   = "parent_number"
	ColDuplicateCount = "duplicate_count"
	ColMeToo          = "me_too"
	ColPoliceRelated  = "police_related"
	ColDescription    = "description"
	ColAddress        = "address"
	ColZIP            = "zip"
	ColH3             = "h3"
	ColLon            = "lon"
	ColLat            = "lat"
	ColGeometry       = "geometry"
)

// Schema metadata keys.
const (
	MetaSchemaVersion = "geo311:schema_version"
	MetaTable         = "geo311:table" // "requests" or "trends_cube"
	MetaJurisdiction  = "geo311:jurisdiction"
	MetaTimeZone      = "geo311:time_zone"
	MetaPublic        = "geo311:public"
)

// SchemaVersion is bumped whenever a column changes meaning or type.
const SchemaVersion = "1"

var headColumns = []string{ColNumber, ColKind, ColServiceCode, ColServiceName, ColStatus, ColState, ColDepartment, ColUnit, ColOrigin}
var tailColumns = []string{ColRequestedAt, ColUpdatedAt, ColClosedAt, ColDuplicate, ColParentNumber, ColDuplicateCount, ColMeToo,
	ColPoliceRelated, ColDescription, ColAddress, ColZIP, ColH3, ColLon, ColLat, ColGeometry}

// reservedColumns are names a layer may not take.
var reservedColumns = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range append(append([]string{}, headColumns...), tailColumns...) {
		m[c] = true
	}
	return m
}()

// tsType is the type of every timestamp column: instants in UTC.
var tsType = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}

// Schema returns the Arrow schema of a request export with these options
// (Arrow and Parquet formats; CSV and GeoJSON carry the same columns as
// text, see Columns).
func Schema(opt Options) (*arrow.Schema, error) {
	s, err := opt.resolve()
	if err != nil {
		return nil, err
	}
	return requestSchema(s), nil
}

// Columns returns the column names of a request export in order: the
// header of the CSV format (which has no geometry column: lon and lat carry
// the point) and the Arrow field names (which end with geometry).
func Columns(opt Options, f Format) ([]string, error) {
	s, err := opt.resolve()
	if err != nil {
		return nil, err
	}
	cols := append([]string{}, headColumns...)
	for _, l := range s.layers {
		cols = append(cols, string(l))
	}
	cols = append(cols, tailColumns...)
	if f == FormatCSV {
		cols = cols[:len(cols)-1]
	}
	return cols, nil
}

func dictField(name string, nullable bool) arrow.Field {
	return arrow.Field{Name: name, Type: dictType, Nullable: nullable}
}

func requestSchema(s *settings) *arrow.Schema {
	fields := []arrow.Field{
		{Name: ColNumber, Type: arrow.BinaryTypes.String},
		dictField(ColKind, true),
		dictField(ColServiceCode, true),
		dictField(ColServiceName, true),
		dictField(ColStatus, false),
		dictField(ColState, true),
		dictField(ColDepartment, true),
		dictField(ColUnit, true),
		dictField(ColOrigin, true),
	}
	for _, l := range s.layers {
		fields = append(fields, dictField(string(l), true))
	}
	var geom arrow.Field
	if s.wkb {
		geom = geometryField(ColGeometry, GeoArrowWKB, arrow.BinaryTypes.Binary)
	} else {
		geom = geometryField(ColGeometry, GeoArrowPoint, pointType)
	}
	fields = append(fields,
		arrow.Field{Name: ColRequestedAt, Type: tsType, Nullable: true},
		arrow.Field{Name: ColUpdatedAt, Type: tsType, Nullable: true},
		arrow.Field{Name: ColClosedAt, Type: tsType, Nullable: true},
		arrow.Field{Name: ColDuplicate, Type: arrow.FixedWidthTypes.Boolean},
		arrow.Field{Name: ColParentNumber, Type: arrow.BinaryTypes.String, Nullable: true},
		arrow.Field{Name: ColDuplicateCount, Type: arrow.PrimitiveTypes.Int32},
		arrow.Field{Name: ColMeToo, Type: arrow.PrimitiveTypes.Int32},
		arrow.Field{Name: ColPoliceRelated, Type: arrow.FixedWidthTypes.Boolean},
		arrow.Field{Name: ColDescription, Type: arrow.BinaryTypes.String, Nullable: true},
		arrow.Field{Name: ColAddress, Type: arrow.BinaryTypes.String, Nullable: true},
		arrow.Field{Name: ColZIP, Type: arrow.BinaryTypes.String, Nullable: true},
		arrow.Field{Name: ColH3, Type: arrow.PrimitiveTypes.Uint64, Nullable: true},
		arrow.Field{Name: ColLon, Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		arrow.Field{Name: ColLat, Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		geom,
	)
	md := arrow.NewMetadata(schemaMetaKeys(s, "requests"))
	return arrow.NewSchema(fields, &md)
}

func schemaMetaKeys(s *settings, table string) ([]string, []string) {
	keys := []string{MetaSchemaVersion, MetaTable, MetaTimeZone, MetaPublic}
	vals := []string{SchemaVersion, table, s.timeZone, boolText(s.Public)}
	if s.Jurisdiction != nil {
		keys = append(keys, MetaJurisdiction)
		vals = append(vals, s.Jurisdiction.ID)
	}
	return keys, vals
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// status is the Open311 status of a request; "" state counts as open.
func status(st data.State) string { return st.Open311() }
