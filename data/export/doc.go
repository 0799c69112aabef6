// Package export writes service requests and the trends cube in the formats
// planners load into pandas, Polars, DuckDB, GeoPandas, QGIS and Spark: the
// Arrow IPC stream (.arrows) and file (.arrow), GeoParquet 1.1 (.parquet),
// GeoJSON text sequences (.geojsonseq, RFC 8142) and CSV (RFC 4180). It
// owns the export schema; it does no store, HTTP or command-line work: a
// caller streams requests into a Writer, typically
//
//	w, err := export.NewWriter(out, format, export.Options{Jurisdiction: j, Public: true})
//	err = store.ScanRequests(ctx, filter, w.Write)
//	err = w.Close()
//
// (or export.WriteRequests with a scan function), and cube rows into a
// CubeWriter (or export.WriteCube with an iterator). A store that
// implements data.ExportScanner (both geo311 stores do) reads only the
// exported columns into data.ExportRows, several times cheaper than whole
// requests; Writer.WriteRow takes them, with the same output:
//
//	err = scanner.ScanExport(ctx, filter, w.Layers(), w.WriteRow)
//
// (or export.WriteRows). Write converts each request with
// data.ExportRow.SetRequest, so both ways write the same bytes.
//
// # Memory
//
// Writers hold one batch (Options.BatchSize rows, default 65 536) of Arrow
// builders and never the export: a full batch becomes a record batch
// (Arrow) or row group (Parquet) and is written out. Dictionaries hold each
// distinct value once for the whole export. The Arrow IPC file needs its
// dictionaries final before its first batch, so it spills its batches to a
// temporary file (Options.TempDir) as an IPC stream and rewrites them at
// Close; disk, not memory, holds the copy. The Parquet "geo" metadata is
// appended to the footer at Close, when the bbox is known.
//
// # Request schema (schema version 1)
//
// Columns in order; "dict" is dictionary<values=utf8, indices=int32>, whose
// dictionary only grows during an export (the IPC stream carries deltas).
// Every nullable column is null, never "", when the value is missing. The
// CSV format has the same columns without geometry; GeoJSON has them as
// properties without lon, lat and geometry (the feature's geometry). In CSV
// and GeoJSON timestamps are RFC 3339 UTC with up to microseconds
// (TimeLayout) and h3 is the H3 index in hex, as H3 prints it.
//
//	number           utf8          not null  tracking number, "SR26-00000001" / "CC26-00000001"
//	kind             dict          null      service_request | community_concern
//	service_code     dict          null      Open311 service_code
//	service_name     dict          null      catalogue name at creation
//	status           dict          not null  Open311 status: open | closed
//	state            dict          null      new | accepted | not_accepted | assigned | completed | closed
//	department       dict          null      owning department
//	unit             dict          null      owning unit
//	origin           dict          null      phone | web | mobile | open311 | staff | import
//	<layer>...       dict          null      one column per layer (Options.Layers; default the
//	                                          jurisdiction's: beat, sector, district, ward,
//	                                          community_area ...): the area id routed at creation
//	                                          (the request's first area of the layer with an id)
//	requested_at     timestamp[us, tz=UTC]  null  when the city received it
//	updated_at       timestamp[us, tz=UTC]  null  last change
//	closed_at        timestamp[us, tz=UTC]  null  null while open
//	duplicate        bool          not null  joined a primary (package dedupe)
//	parent_number    utf8          null      the primary's number when duplicate
//	duplicate_count  int32         not null  on a primary: duplicates that joined it
//	me_too           int32         not null  on a primary: residents who added themselves
//	police_related   bool          not null  police-related type or community concern
//	description      utf8          null      the request text
//	address          utf8          null      street address as given
//	zip              utf8          null      ZIP code
//	h3               uint64        null      H3 cell at resolution 9 (data.H3Resolution)
//	lon, lat         float64       null      WGS 84; null when the request has no location
//	                                          ((0, 0), out of range or NaN)
//	geometry         geoarrow.point: struct<x: double, y: double>   null with lon/lat
//	                 or, with GeometryEncoding "wkb", geoarrow.wkb: binary (ISO WKB point)
//
// Timestamps are instants in UTC (tz "UTC") for every jurisdiction: one
// type across cities, what Parquet stores anyway (isAdjustedToUTC), and
// what DuckDB reads as TIMESTAMPTZ. The jurisdiction's zone is in the
// schema metadata ("geo311:time_zone") for converting to local time.
//
// Never exported: contact fields (name, email, phone, device, account),
// PIN hashes, the assigned member, dispositions, attributes, media URLs,
// notes, recorded (legacy) areas. Police-related requests and community
// concerns ARE exported if the caller passes them: filtering is the
// caller's (data.RequestFilter.ExcludePolice for public exports). As a
// guard, Options.Public drops them again (data.ExportRow.Police, counted in
// Stats.Skipped); the column set stays the same.
//
// # Geometry and metadata
//
// The geometry field carries the Arrow extension metadata
// ARROW:extension:name ("geoarrow.point", "geoarrow.polygon" or
// "geoarrow.wkb") and ARROW:extension:metadata {"crs": <PROJJSON of
// OGC:CRS84>} (CRS84: longitude, latitude on WGS 84). No extension type is
// registered in arrow-go (no global state): readers that know GeoArrow
// (geoarrow-pyarrow, GDAL, DuckDB spatial, lonboard) recognise the field by
// its metadata; others see the storage type. Schema metadata:
// geo311:schema_version, geo311:table ("requests" or "trends_cube"),
// geo311:time_zone, geo311:public and, with a jurisdiction,
// geo311:jurisdiction. Parquet files keep these as key-value metadata and
// the Arrow schema (ARROW:schema) so dictionaries, time zones and field
// metadata come back, plus the GeoParquet 1.1 "geo" key:
//
//	{"version": "1.1.0", "primary_column": "geometry",
//	 "columns": {"geometry": {"encoding": "point" | "polygon" | "WKB",
//	   "geometry_types": ["Point"] | ["Polygon"], "crs": <PROJJSON of OGC:CRS84>,
//	   "bbox": [minx, miny, maxx, maxy]}}}
//
// The crs is written explicitly even though its absence would also mean
// OGC:CRS84; bbox is exact (computed while writing) and left out when no
// row has a geometry. Parquet uses zstd (Options.ParquetCompression) and one
// row group per batch.
//
// # Cube schema
//
//	cell          uint64   not null  H3 index (CSV/GeoJSON: hex)
//	resolution    int8     not null  H3 resolution of cell
//	day           date32   not null  local day (jurisdiction's zone)
//	service_code  dict     null
//	opened        int64    not null  requests opened that day
//	closed        int64    not null  requests closed that day
//	geometry      geoarrow.polygon: list<rings: list<vertices: struct<x, y>>>, or geoarrow.wkb;
//	              null if the row has no polygon (CSV: column wkt, WKT text)
package export
