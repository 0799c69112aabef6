package export

import (
	"os"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/geo311/geo311/data"
	"github.com/paulmach/orb"
)

// Geometry encodings (Options.GeometryEncoding).
const (
	// EncodingNative writes GeoArrow native geometry: geoarrow.point
	// (struct<x: double, y: double>) for requests, geoarrow.polygon
	// (list<list<struct<x, y>>>) for cube cells. GeoParquet encoding
	// "point" / "polygon".
	EncodingNative = "native"
	// EncodingWKB writes ISO WKB in a binary column, geoarrow.wkb.
	// GeoParquet encoding "WKB".
	EncodingWKB = "wkb"
)

// DefaultBatchSize is the rows per Arrow record batch and Parquet row group.
const DefaultBatchSize = 65536

// DefaultParquetBatchSize is the default rows per Parquet row group: the
// Parquet writer's dictionaries, page buffers and zstd state cost several
// times the Arrow batch, so its batches are halved to stay well inside the
// 200 MB budget for any export.
const DefaultParquetBatchSize = 32768

// MaxBatchSize bounds Options.BatchSize (memory is proportional to it).
const MaxBatchSize = 1 << 20

// DefaultLayers are the area columns when neither Options.Layers nor
// Options.Jurisdiction says which.
var defaultLayers = []data.Layer{data.LayerBeat, data.LayerSector, data.LayerDistrict, data.LayerWard, data.LayerCommunityArea}

// Options shape an export.
type Options struct {
	// Jurisdiction, if set, gives the default area columns (its layers, in
	// order), the catalogue used by Public to recognise police-related types,
	// and the "geo311:jurisdiction" and "geo311:time_zone" metadata.
	Jurisdiction *data.Jurisdiction
	// Layers are the area columns, one dictionary-encoded string column per
	// layer named after it, in this order. Nil: the jurisdiction's layers,
	// or beat, sector, district, ward, community_area without one. A layer
	// whose name clashes with a fixed column is an error.
	Layers []data.Layer
	// BatchSize is rows per record batch (Arrow) and per row group
	// (Parquet); 0 means DefaultBatchSize (DefaultParquetBatchSize for
	// Parquet). Memory use is proportional to it.
	BatchSize int
	// GeometryEncoding is EncodingNative ("point"/"native"; the default) or
	// EncodingWKB ("wkb").
	GeometryEncoding string
	// Public drops police-related requests and community concerns
	// (data.Request.Police) as a guard; Stats.Skipped counts them. Exports
	// for the public should also be filtered by the caller
	// (data.RequestFilter.ExcludePolice): the export writes what it is given.
	Public bool
	// TempDir holds the spill file of FormatArrowFile ("" = os.TempDir()).
	TempDir string
	// ParquetCompression is "zstd" (default), "snappy", "gzip" or "none".
	ParquetCompression string
	// Allocator allocates Arrow buffers; nil means memory.DefaultAllocator.
	// Tests pass a memory.CheckedAllocator to find leaks.
	Allocator memory.Allocator
}

// Stats describe what a writer has written so far.
type Stats struct {
	Rows    int64 // rows written
	Skipped int64 // requests dropped by Options.Public
	Bytes   int64 // bytes handed to the io.Writer so far
	// BBox bounds the geometries written; HasBBox is false while none was.
	BBox    orb.Bound
	HasBBox bool
}

type settings struct {
	Options
	layers   []data.Layer
	wkb      bool
	batch    int
	tempDir  string
	timeZone string
	// policeCodes caches the catalogue's police flag by service code.
	policeCodes map[string]bool
}

func (o Options) resolveFor(f Format) (*settings, error) {
	s, err := o.resolve()
	if err == nil && f == FormatParquet && o.BatchSize == 0 {
		s.batch = DefaultParquetBatchSize
	}
	return s, err
}

func (o Options) resolve() (*settings, error) {
	s := &settings{Options: o}
	switch o.GeometryEncoding {
	case "", EncodingNative, "point", "polygon", "geoarrow":
	case EncodingWKB, "WKB":
		s.wkb = true
	default:
		return nil, data.Invalid("geometry_encoding", "%q is not a geometry encoding (native, wkb)", o.GeometryEncoding)
	}
	switch {
	case o.BatchSize == 0:
		s.batch = DefaultBatchSize
	case o.BatchSize < 0 || o.BatchSize > MaxBatchSize:
		return nil, data.Invalid("batch_size", "must be between 1 and %d", MaxBatchSize)
	default:
		s.batch = o.BatchSize
	}
	switch {
	case o.Layers != nil:
		s.layers = slices.Clone(o.Layers)
	case o.Jurisdiction != nil:
		for _, l := range o.Jurisdiction.Layers {
			s.layers = append(s.layers, l.Layer)
		}
	default:
		s.layers = slices.Clone(defaultLayers)
	}
	seen := map[data.Layer]bool{}
	for _, l := range s.layers {
		if _, err := data.ParseLayer(string(l)); err != nil {
			return nil, err
		}
		if reservedColumns[string(l)] {
			return nil, data.Invalid("layers", "layer %q clashes with the column of the same name", l)
		}
		if seen[l] {
			return nil, data.Invalid("layers", "layer %q is listed twice", l)
		}
		seen[l] = true
	}
	switch o.ParquetCompression {
	case "", "zstd", "snappy", "gzip", "none", "uncompressed":
	default:
		return nil, data.Invalid("parquet_compression", "%q is not a compression (zstd, snappy, gzip, none)", o.ParquetCompression)
	}
	s.tempDir = o.TempDir
	if s.tempDir == "" {
		s.tempDir = os.TempDir()
	}
	s.timeZone = "UTC"
	if o.Jurisdiction != nil && o.Jurisdiction.TimeZone != "" {
		s.timeZone = o.Jurisdiction.TimeZone
	}
	return s, nil
}

// police reports whether Public drops row: police-related or a community
// concern (data.ExportRow.Police), the catalogue's flag looked up once per
// service code.
func (s *settings) police(row *data.ExportRow) bool {
	if !s.Public {
		return false
	}
	if row.PoliceRelated || row.Kind == data.KindCommunityConcern {
		return true
	}
	if s.Jurisdiction == nil {
		return false
	}
	if p, ok := s.policeCodes[row.ServiceCode]; ok {
		return p
	}
	p := row.Police(s.Jurisdiction)
	if s.policeCodes == nil {
		s.policeCodes = map[string]bool{}
	}
	s.policeCodes[strings.Clone(row.ServiceCode)] = p
	return p
}

// Layers returns the area columns of an export with these options, in
// order: the layers a store's data.ExportScanner is asked for.
func Layers(opt Options) ([]data.Layer, error) {
	s, err := opt.resolve()
	if err != nil {
		return nil, err
	}
	return s.layers, nil
}
