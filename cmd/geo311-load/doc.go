// Command geo311-load is geo311's bounded load test (make loadtest): it
// starts a real `geo311 serve --demo` child process on a loopback port
// against a fresh store, drives it with an open-loop, fixed-rate mix of
// intake, routing, tile, list and status-lookup requests for a fixed
// duration, samples the child's resident memory, and reports throughput,
// latency percentiles and memory over time. It exits non-zero when any
// request failed or memory was not flat.
//
// main only calls run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr).
//
//	geo311-load --geo311 bin/geo311 [--rate 200] [--duration 3m] [--interval 10s]
//	            [--preload 50000] [--database-url postgres://...] [--dir DIR]
//	            [--mix intake=20,concern=1,route=32,tile=25,list=10,request=10,status=2]
//	            [--json result.json]
//
// # Set-up (not measured)
//
// In a fresh directory (--dir, else a temporary one removed at the end) the
// command runs `geo311 keys create --demo --role intake` for an intake key,
// `geo311 gen --demo --n PRELOAD` to store a synthetic year of requests (so
// that tiles, lists and dedupe work over a realistic store), and starts
// `geo311 serve --demo --addr 127.0.0.1:0` (SQLite in the directory, or the
// PostGIS database of --database-url, which must be a database dedicated to
// the test: keys and requests are added to it). The child's log goes to
// DIR/serve.log. The generator then reads the city's bounds from
// /tiles/requests.json, keeps random points that route (and whose
// neighbours 10 m away route too), and files seed requests and concerns so
// that lookups have targets from the first second.
//
// # The load
//
// Request i is due at start + i/rate, whatever happened to earlier ones
// (open loop): a slow answer shows as latency, never as a lower rate.
// Latency is measured from the due time, not from the moment the request
// was sent, so that a late generator does not hide queueing (coordinated
// omission). Kinds follow the --mix weights in a smooth weighted
// round-robin, so any window of sum(weights) requests holds each kind its
// weight's number of times:
//
//	intake   POST /open311/v2/requests.json: street light, rodent, abandoned
//	         vehicle, pothole (with its required attribute); one in four
//	         repeats a recent intake a few metres away at the same address,
//	         which dedupe links to it (counted as "linked")
//	concern  POST /open311/v2/requests.json: a community concern; its number
//	         and PIN feed the status lookups
//	route    POST /v1/route: a point, sometimes with a service code or a past date
//	tile     GET /tiles/{requests,hexbins,boundaries}/{z}/{x}/{y}.mvt over the
//	         city at zooms 10-15; half of the repeated tiles send If-None-Match
//	list     GET /open311/v2/requests.json: default, by service code and status,
//	         within 500 m of a point, and with extensions=true
//	request  GET /open311/v2/requests/{id}.json of a request filed earlier
//	status   POST /v1/concerns/{number} with the concern's PIN
//
// The server limits PIN checks per control number (5, then one per 5
// minutes) and per client address (20, then one per 30 s). The generator
// respects both by design, so a 429 is an error like any other: each
// concern is looked up at most 4 times (--mix must give status at most 4
// times the weight of concern), and each lookup comes from its own loopback
// source address in 127.1.0.0/16 on a fresh connection, as residents'
// lookups come from their own machines (Linux routes all of 127.0.0.0/8 to
// the loopback interface).
//
// A request succeeds when it answers the status its kind expects (201 for
// intakes; 200 for reads; 200, 204 or 304 for tiles) with the body it
// promises (a number, a PIN, the concern asked for). Anything else - another
// status, a transport error, a timeout (--timeout), a request that could
// not be sent because --max-inflight requests were outstanding - is an
// error.
//
// # Report
//
// Every --interval the command samples the child's VmRSS from
// /proc/PID/status and prints a row: elapsed time, requests sent and
// answered, throughput over the interval, errors, RSS, the Go heap in use
// (go_memstats_heap_inuse_bytes from the server's /metrics), and p50/p99
// per kind over the interval. At the end it prints a table per kind (count,
// errors, p50, p99, max), the dispatcher's lateness, RSS and Go heap
// before/first/last/max, the tile cache's hits and misses during the load,
// and the verdict; --json writes the same as JSON. The heap and the tile
// cache say what the RSS is made of; they are not part of the verdict. With
// --database-url the RSS is geo311's alone, not PostgreSQL's.
//
// Memory is flat when the highest RSS sampled in the last third of the run
// is at most --max-rss-growth (default 0.25: +25%) above the highest RSS
// sampled in the first third. Comparing maxima of thirds looks past the
// garbage collector's sawtooth and the warm-up of the first seconds, and
// catches growth that keeps going: a leak. The server keeps every request
// in its in-process analytics, so memory grows a little with every intake
// by design; the --preload store keeps that growth small against the whole
// (a city's store holds a year of requests, not a few minutes'). The run
// passes when no request failed, the server logged no ERROR line and memory
// was flat.
//
// The process is Linux-only in practice: RSS is read from /proc and the
// status lookups bind 127.1.x.y source addresses.
package main
