package postgis

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/datatest"
	"github.com/geo311/geo311/data/export"
)

// copyCSVExpr is the SQL expression of each export column in the COPY
// query: the column itself, NULL where the export writes null ("" text,
// h3 0, the (0, 0) point) and the H3 index in hex, as the export's CSV.
// Timestamps keep PostgreSQL's own text form (cheaper for the server than
// RFC 3339 through to_char, so the comparison does not favour geo311).
func copyCSVExpr(col string) (string, bool) {
	switch col {
	case "status":
		return "geo311_status(r.state)", true
	case "number", "requested_at", "updated_at", "closed_at",
		"duplicate", "duplicate_count", "me_too", "police_related":
		return "r." + col, true
	case "kind", "service_code", "service_name", "state", "department", "unit", "origin",
		"parent_number", "description", "address", "zip",
		"beat", "sector", "district", "ward", "community_area", "precinct":
		return "NULLIF(r." + col + ", '')", true
	case "h3":
		return "CASE WHEN r.h3 = 0 THEN NULL ELSE to_hex(r.h3) END", true
	case "lon", "lat":
		return "CASE WHEN r.lon = 0 AND r.lat = 0 THEN NULL ELSE r." + col + " END", true
	}
	return "", false
}

// copyCSVQuery is COPY (SELECT <the CSV export's columns> FROM requests
// <f's conditions and order>) TO STDOUT (FORMAT csv, HEADER).
func copyCSVQuery(tb testing.TB, opt export.Options, f *data.RequestFilter) string {
	tb.Helper()
	cols, err := export.Columns(opt, export.FormatCSV)
	if err != nil {
		tb.Fatal(err)
	}
	exprs := make([]string, len(cols))
	for i, c := range cols {
		e, ok := copyCSVExpr(c)
		if !ok {
			tb.Fatalf("export column %q has no SQL expression in the COPY comparison", c)
		}
		exprs[i] = e + " AS " + c
	}
	q := filterQuery(f)
	sql := "SELECT " + strings.Join(exprs, ", ") + " FROM requests r" + q.where()
	sql += q.orderLimit(f)
	if len(q.args) > 0 {
		tb.Fatalf("COPY takes no parameters; the filter has %d", len(q.args))
	}
	return "COPY (" + sql + ") TO STDOUT (FORMAT csv, HEADER)"
}

// BenchmarkExportArrowVsCopy (issue 6): the same rows, in the same order
// (requested_at, number), once through PostgreSQL's COPY (SELECT <the CSV
// export's columns> ...) TO STDOUT (FORMAT csv) read by pgx's CopyTo into
// io.Discard, once through geo311's export as an Arrow IPC stream fed by
// the store's narrow export scan (ScanExport, what GET
// /v1/export/requests.arrows and geo311 export run) into io.Discard. Each
// iteration runs both; reported: copy-csv-ms, arrow-ms, the speed-up
// arrow/copy (copy-time/arrow-time; the target is at least 3) and
// Arrow rows/s, and where the time goes: the CPU time of the server's
// backends (copy-server-cpu-ms, arrow-server-cpu-ms) and of this process
// (copy-go-cpu-ms: pgx receiving the CSV; arrow-go-cpu-ms: receiving,
// decoding and writing Arrow), read from /proc (Linux, local server; left
// out elsewhere). With 2 cores the two sides of a run overlap, so wall time
// is near the larger of server and Go CPU on a quiet machine and near their
// sum on a loaded one.
// The default size is 200,000 rows; the million-row run is gated behind
// its name:
//
//	go test -run '^$' -bench 'BenchmarkExportArrowVsCopy/rows=200000' -benchtime 3x ./data/postgis/
//	go test -run '^$' -bench 'BenchmarkExportArrowVsCopy/rows=1000000' -benchtime 1x ./data/postgis/
func BenchmarkExportArrowVsCopy(b *testing.B) {
	ctx := context.Background()
	// The testing package calls a sub-benchmark once with b.N = 1 before
	// the measured run: the seeded database outlives both (it belongs to
	// the parent).
	dbs := map[int]*DB{}
	seeded := func(n int) *DB {
		if db := dbs[n]; db != nil {
			return db
		}
		db := openDB(b)
		seedRequests(b, db, n, 0)
		if _, err := db.pool.Exec(ctx, "VACUUM (ANALYZE) requests"); err != nil {
			b.Fatal(err)
		}
		dbs[n] = db
		return db
	}
	for _, n := range []int{200_000, 1_000_000} {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			if n > 200_000 && !strings.Contains(benchPattern(), fmt.Sprint(n)) {
				b.Skipf("%d rows: select it with -bench 'BenchmarkExportArrowVsCopy/rows=%d'", n, n)
			}
			db := seeded(n)
			f := data.RequestFilter{Ascending: true}
			opt := export.Options{}
			copySQL := copyCSVQuery(b, opt, &f)
			var copyT, arrowT time.Duration
			var cpu [4]time.Duration // copy server, copy Go, arrow server, arrow Go
			cpuOK := true
			sample := func() (time.Duration, time.Duration) {
				srv, ok1 := backendCPU(ctx, db)
				self, ok2 := datatest.ProcessCPU()
				cpuOK = cpuOK && ok1 && ok2
				return srv, self
			}
			b.ResetTimer()
			for range b.N {
				s0, g0 := sample()
				t0 := time.Now()
				conn, err := db.pool.Acquire(ctx)
				if err != nil {
					b.Fatal(err)
				}
				tag, err := conn.Conn().PgConn().CopyTo(ctx, io.Discard, copySQL)
				conn.Release()
				if err != nil {
					b.Fatal(err)
				}
				if tag.RowsAffected() != int64(n) {
					b.Fatalf("COPY wrote %d rows, want %d", tag.RowsAffected(), n)
				}
				copyT += time.Since(t0)
				s1, g1 := sample()
				cpu[0], cpu[1] = cpu[0]+s1-s0, cpu[1]+g1-g0

				t0 = time.Now()
				st, err := export.WriteRows(io.Discard, export.FormatArrowStream, opt, func(layers []data.Layer, fn func(*data.ExportRow) error) error {
					return db.ScanExport(ctx, f, layers, fn)
				})
				if err != nil {
					b.Fatal(err)
				}
				if st.Rows != int64(n) {
					b.Fatalf("Arrow stream wrote %d rows, want %d", st.Rows, n)
				}
				arrowT += time.Since(t0)
				s2, g2 := sample()
				cpu[2], cpu[3] = cpu[2]+s2-s1, cpu[3]+g2-g1
			}
			b.StopTimer()
			if cpuOK {
				for i, name := range []string{"copy-server-cpu-ms", "copy-go-cpu-ms", "arrow-server-cpu-ms", "arrow-go-cpu-ms"} {
					b.ReportMetric(float64(cpu[i].Milliseconds())/float64(b.N), name)
				}
			}
			b.ReportMetric(float64(copyT.Milliseconds())/float64(b.N), "copy-csv-ms")
			b.ReportMetric(float64(arrowT.Milliseconds())/float64(b.N), "arrow-ms")
			b.ReportMetric(copyT.Seconds()/arrowT.Seconds(), "arrow-speedup")
			b.ReportMetric(float64(n*b.N)/arrowT.Seconds(), "arrow-rows/s")
		})
	}
}

// backendCPU is the CPU time so far of the client backends connected to
// db's database; false unless the server runs on this machine.
func backendCPU(ctx context.Context, db *DB) (time.Duration, bool) {
	rows, err := db.pool.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend'`)
	if err != nil {
		return 0, false
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil || len(pids) == 0 {
		return 0, false
	}
	var sum time.Duration
	for _, pid := range pids {
		c, ok := datatest.PidCPU(int(pid))
		if !ok {
			return 0, false
		}
		sum += c
	}
	return sum, true
}
