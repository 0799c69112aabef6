package export

import (
	"encoding/binary"
	"encoding/json"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/paulmach/orb"
)

// CRS84 is the PROJJSON of OGC:CRS84 (WGS 84, longitude then latitude), the
// CRS of every geometry geo311 exports. It is written into the GeoArrow
// extension metadata (where a missing crs would mean "unknown") and into
// the GeoParquet "geo" metadata (where a missing crs would also mean
// OGC:CRS84; it is written explicitly anyway).
const CRS84 = `{"$schema":"https://proj.org/schemas/v0.7/projjson.schema.json","type":"GeographicCRS","name":"WGS 84 (CRS84)",` +
	`"datum":{"type":"GeodeticReferenceFrame","name":"World Geodetic System 1984",` +
	`"ellipsoid":{"name":"WGS 84","semi_major_axis":6378137,"inverse_flattening":298.257223563}},` +
	`"coordinate_system":{"subtype":"ellipsoidal","axis":[` +
	`{"name":"Geodetic longitude","abbreviation":"Lon","direction":"east","unit":"degree"},` +
	`{"name":"Geodetic latitude","abbreviation":"Lat","direction":"north","unit":"degree"}]},` +
	`"id":{"authority":"OGC","code":"CRS84"}}`

// Metadata keys.
const (
	// ExtensionNameKey and ExtensionMetadataKey are Arrow's field metadata
	// keys for extension types; geometry fields carry them.
	ExtensionNameKey     = "ARROW:extension:name"
	ExtensionMetadataKey = "ARROW:extension:metadata"
	// GeoKey is the GeoParquet file metadata key.
	GeoKey = "geo"
	// GeoParquetVersion is the GeoParquet version written.
	GeoParquetVersion = "1.1.0"
)

// GeoArrow extension names.
const (
	GeoArrowPoint   = "geoarrow.point"
	GeoArrowPolygon = "geoarrow.polygon"
	GeoArrowWKB     = "geoarrow.wkb"
)

// geoarrowMetadata is the ARROW:extension:metadata of geometry fields.
var geoarrowMetadata = `{"crs":` + CRS84 + `}`

func geometryField(name, extName string, typ arrow.DataType) arrow.Field {
	return arrow.Field{Name: name, Type: typ, Nullable: true,
		Metadata: arrow.NewMetadata([]string{ExtensionNameKey, ExtensionMetadataKey}, []string{extName, geoarrowMetadata})}
}

// pointType is the GeoArrow native point storage: struct<x: double, y: double>.
var pointType = arrow.StructOf(
	arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Float64},
	arrow.Field{Name: "y", Type: arrow.PrimitiveTypes.Float64},
)

// polygonType is the GeoArrow native polygon storage:
// list<rings: list<vertices: struct<x, y>>>.
var polygonType = arrow.ListOfField(arrow.Field{Name: "rings", Type: arrow.ListOfField(
	arrow.Field{Name: "vertices", Type: pointType})})

// bbox accumulates the bounds of written geometries.
type bbox struct {
	b   orb.Bound
	set bool
}

func (bb *bbox) add(x, y float64) {
	if !bb.set {
		bb.b = orb.Bound{Min: orb.Point{x, y}, Max: orb.Point{x, y}}
		bb.set = true
		return
	}
	bb.b.Min[0] = math.Min(bb.b.Min[0], x)
	bb.b.Min[1] = math.Min(bb.b.Min[1], y)
	bb.b.Max[0] = math.Max(bb.b.Max[0], x)
	bb.b.Max[1] = math.Max(bb.b.Max[1], y)
}

// GeoMetadata is the GeoParquet 1.1 "geo" file metadata.
type GeoMetadata struct {
	Version       string                       `json:"version"`
	PrimaryColumn string                       `json:"primary_column"`
	Columns       map[string]GeoColumnMetadata `json:"columns"`
}

// GeoColumnMetadata describes one geometry column of GeoMetadata.
type GeoColumnMetadata struct {
	Encoding      string          `json:"encoding"`
	GeometryTypes []string        `json:"geometry_types"`
	CRS           json.RawMessage `json:"crs,omitempty"`
	BBox          []float64       `json:"bbox,omitempty"`
}

func geoMetadata(encoding, geomType string, bb bbox) string {
	col := GeoColumnMetadata{Encoding: encoding, GeometryTypes: []string{geomType}, CRS: json.RawMessage(CRS84)}
	if bb.set {
		col.BBox = []float64{bb.b.Min[0], bb.b.Min[1], bb.b.Max[0], bb.b.Max[1]}
	}
	b, err := json.Marshal(GeoMetadata{Version: GeoParquetVersion, PrimaryColumn: "geometry",
		Columns: map[string]GeoColumnMetadata{"geometry": col}})
	if err != nil {
		panic(err) // only plain values: cannot fail
	}
	return string(b)
}

// validLonLat reports whether a request has a location: finite, in range and
// not (0, 0), which stores use for "unset" (as package trends does).
func validLonLat(lon, lat float64) bool {
	if lon == 0 && lat == 0 {
		return false
	}
	return lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180
}

// appendWKBPoint appends an ISO WKB little-endian 2D point.
func appendWKBPoint(b []byte, x, y float64) []byte {
	b = append(b, 1)
	b = binary.LittleEndian.AppendUint32(b, 1)
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(y))
}

// appendWKBPolygon appends an ISO WKB little-endian 2D polygon.
func appendWKBPolygon(b []byte, p orb.Polygon) []byte {
	b = append(b, 1)
	b = binary.LittleEndian.AppendUint32(b, 3)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(p)))
	for _, r := range p {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(r)))
		for _, pt := range r {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(pt[0]))
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(pt[1]))
		}
	}
	return b
}
