// Command geo311 gives a city's 311 system its geography: it routes a point
// and a date to the police beat, sector and district, ward and community area
// in force on that date, and a service type to its owning department and
// unit. It serves an HTTP API and has commands to load boundary generations
// and to route files of points.
//
// main only calls run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr); every
// subcommand lives in its own file (cmd_<name>.go) and is listed once in
// commands() in run.go.
//
// # Commands
//
//	geo311 serve [--demo] [--addr 127.0.0.1:8311] [--database geo311.db | --database-url postgres://... [--read-database-url postgres://...]]
//	geo311 boundaries load --layer beat --from 2012-12-19 [--id-property beat_num] [--activate] FILE
//	geo311 boundaries list [--json]
//	geo311 boundaries activate ID...        (e.g. ward@2023-05-15)
//	geo311 boundaries deactivate ID...
//	geo311 boundaries fetch chicago [--base-url URL] [--layers beat,ward] [--activate]
//	geo311 route [--time 2016-01-01] [--service-code PHF] [--out OUT.csv] IN.csv > OUT.csv
//	geo311 backup --out FILE [--database geo311.db | --database-url postgres://... [--pg-dump PATH]]
//
// The README's Commands section lists the others (import, gen, export,
// dedupe, keys, meetings, contacts).
//
// serve with no flags keeps its state in the SQLite file ./geo311.db and
// builds its routing index from the active generations stored there; with an
// empty store it still starts, /readyz says no boundaries are loaded and
// routing answers 503 saying how to load them. serve --demo stores the
// generated demo city's generations in ./geo311-demo.db on first start (the
// demo never shares a file with a real city unless --database is given) and
// serves them offline. --database-url postgres://... uses PostGIS instead.
// A running server picks up generations activated by another process within
// --reload-interval (default 30s); activation through the API is immediate.
// The server logs "listening addr=HOST:PORT" once bound, so --addr
// 127.0.0.1:0 can be used.
//
// # Configuration
//
// Every setting has a default, a GEO311_* environment variable and a flag
// (the flag wins). Errors name both.
//
//	--addr              GEO311_ADDR              127.0.0.1:8311
//	--database          GEO311_DATABASE          geo311.db (geo311-demo.db with --demo)
//	--database-url      GEO311_DATABASE_URL      (unset: SQLite)
//	--read-database-url GEO311_READ_DATABASE_URL (serve, export: a read replica for exports, reports, the analytics scan)
//	--jurisdiction      GEO311_JURISDICTION      chicago (chicago, minneapolis, demo)
//	--demo              GEO311_DEMO              false
//	--max-body          GEO311_MAX_BODY          1MiB
//	--max-batch-body    GEO311_MAX_BATCH_BODY    1GiB (batches and boundary uploads)
//	--read-timeout      GEO311_READ_TIMEOUT      30s
//	--write-timeout     GEO311_WRITE_TIMEOUT     30s
//	--batch-timeout     GEO311_BATCH_TIMEOUT     15m
//	--shutdown-timeout  GEO311_SHUTDOWN_TIMEOUT  30s
//	--reload-interval   GEO311_RELOAD_INTERVAL   30s (0: never)
//	--key-cache-ttl     GEO311_KEY_CACHE_TTL     5s (a key revoked elsewhere is refused within it; 0: no cache)
//	--log-level         GEO311_LOG_LEVEL         info
//	--log-format        GEO311_LOG_FORMAT        text (or json)
//	                    GEO311_ADMIN_KEY         (unset: admin endpoints answer 403; at least 16 characters; never logged)
//
// # HTTP API
//
// Every response carries X-Request-Id (the caller's, if well formed, else a
// new one); every request is logged once with it. Errors are JSON:
//
//	{"error": {"code": "invalid", "message": "\"12/19/2012\" is not a date: ...", "field": "time"}}
//
// with status 400 invalid (field names the input at fault), 401
// unauthorized, 403 forbidden, 404 not_found, 409 conflict, 413 too_large,
// 422 outside_jurisdiction or emergency, 429 rate_limited, 503 unavailable
// (with Retry-After). Bad input never gives a 500; an unexpected error gives
// 500 {"code": "internal", "request_id": ...} with the details in the log
// only.
//
// GET /healthz: 200 {"status":"ok"} while the process is up.
//
// GET /readyz: 200 when the store answers a ping and the routing index has
// boundaries; 503 otherwise, {"ready": false, "checks": {"store": "ok",
// "boundaries": "no boundaries are loaded for chicago: ..."}}.
//
// POST /v1/route with a JSON body {"lat": 41.88358, "lon": -87.63191,
// "time": "2016-01-01", "service_code": "PHF"}. lat and lon are required
// numbers; time is RFC 3339 or YYYY-MM-DD (midnight in the jurisdiction's
// time zone; a local "YYYY-MM-DDTHH:MM:SS" is also read), default now;
// service_code is optional. Unknown fields are refused. Answer:
//
//	{"lat": 41.88358, "lon": -87.63191, "time": "2016-01-01T00:00:00-06:00",
//	 "areas": [{"layer": "beat", "id": "0122", "generation": "beat@2012-12-19"},
//	           {"layer": "sector", "id": "012", "generation": "sector@2012-12-19"}, ...],
//	 "service_code": "PHF", "service_name": "...", "department": "...", "unit": "...", "sla_days": 7}
//
// A point outside every area is 422 outside_jurisdiction (the message says
// whom to call); an emergency type is 422 emergency ("call 911").
//
// POST /v1/route/batch routes many points in one streamed request. With
// Content-Type text/csv the body is CSV with a header naming lat (or
// latitude) and lon (lng, long, longitude) columns, and optionally time
// (date, requested_datetime, created_date, creation date) and service_code;
// the answer is the same CSV with columns added: one per layer (beat,
// sector, district, ward, community_area, ...), department, unit,
// error_code, error_field, error. An input column with the name of an
// added column is replaced in place. With Content-Type application/geo+json
// the body is a FeatureCollection of Point features whose properties may
// give time and service_code; the answer is the FeatureCollection with a
// property per layer (null when none), department and unit (with a service
// code) or error ({code, message, field}). Query parameters time and
// service_code set defaults for rows without them. Rows keep their order;
// a bad row is answered inline and does not stop the batch. Input that
// cannot be read as a whole (no lat/lon columns, not a FeatureCollection,
// malformed within the first 512 rows) is a 400; a syntax error later ends
// the stream with an error row (CSV) or an "error" member on the
// FeatureCollection. Trailers Geo311-Rows, Geo311-Routed and Geo311-Failed
// count the rows. Memory is bounded whatever the size: rows are decoded as
// they arrive, routed in chunks by GOMAXPROCS workers and written in order.
// The body limit is --max-batch-body and the deadline --batch-timeout.
//
// GET /v1/boundaries: the jurisdiction and its layers, each with its stored
// generations (id, effective_from, active, in_use, areas, source,
// loaded_at); derived layers (Chicago's sectors) list the generations the
// index derives from their source layer.
//
// GET /v1/boundaries/generations/{id}: one generation's description.
//
// GET /v1/boundaries/{layer}/{id}[?date=YYYY-MM-DD]: the area in force now
// (or on the date) as a GeoJSON Feature (application/geo+json) with id
// "layer/id" and properties layer, id, name, generation and the source
// feature's properties. Ids are normalised as on load (/v1/boundaries/beat/111
// is beat 0111). An unknown layer is 404 naming the layers; an invalid layer
// name is 400 (field layer).
//
// Admin endpoints need Authorization: Bearer $GEO311_ADMIN_KEY:
//
// POST /v1/boundaries/{layer}/generations?from=YYYY-MM-DD[&id_property=P&name_property=P&pad_id=N&source=S]
// with a GeoJSON FeatureCollection body: loads, validates and stores the
// generation inactive; 201 with the validation report {"generation",
// "layer", "effective_from", "active": false, "report": {"areas",
// "polygons", "holes", "vertices", "bbox", "samples", "sample_spacing_m",
// "overlaps": [...], "gaps": [...]}, "derived": [{"layer": "sector",
// "areas": 68}]}. Geometry errors are 400 naming the feature; an existing
// generation id is 409.
//
// POST /v1/boundaries/generations/{id}/activate and .../deactivate: change
// a generation's state and swap the routing index atomically (requests in
// flight finish on the index they started with). An activation the index
// cannot take is undone and reported.
package main
