package main

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/export"
	"github.com/geo311/geo311/trends"
)

// exportPath splits "requests.arrows" into the table and the format.
func exportPath(file string) (table string, f export.Format, err error) {
	table, ext, ok := strings.Cut(file, ".")
	if !ok {
		return "", "", data.Errorf(data.ErrNotFound, "export: give a file name with a format: requests.arrows, requests.arrow, requests.parquet, requests.geojsonseq, requests.csv, cube.arrows, cube.parquet, cube.csv")
	}
	if table != "requests" && table != "cube" {
		return "", "", data.Errorf(data.ErrNotFound, "export: %q is not an export (requests or cube)", truncate(table, 40))
	}
	f, err = export.ParseFormat(ext)
	if err != nil {
		return "", "", data.Errorf(data.ErrNotFound, "export: %q is not a format (%s)", truncate(ext, 40), formatNames())
	}
	if table == "cube" && f != export.FormatArrowStream && f != export.FormatParquet && f != export.FormatCSV {
		return "", "", data.Errorf(data.ErrNotFound, "export: the cube is exported as arrows, parquet or csv")
	}
	return table, f, nil
}

func formatNames() string {
	var s []string
	for _, f := range export.Formats() {
		s = append(s, string(f))
	}
	return strings.Join(s, ", ")
}

// GET /v1/export/{file}: requests.{arrows|arrow|parquet|geojsonseq|csv} and
// cube.{arrows|parquet|csv}, streamed.
func (s *server) handleExport() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		table, format, err := exportPath(chi.URLParam(r, "file"))
		if err != nil {
			s.error(w, r, err)
			return
		}
		if table == "cube" {
			s.exportCube(w, r, format)
			return
		}
		rs, err := s.app.readRequestStore(r.Context()) // the read replica when configured
		if err != nil {
			s.error(w, r, err)
			return
		}
		f, err := parseRequestFilter(r.URL.Query(), s.j, s.app.loc)
		if err != nil {
			s.error(w, r, err)
			return
		}
		// Exports run longer than the API's write timeout.
		rc := http.NewResponseController(w)
		rc.SetWriteDeadline(time.Now().Add(s.cfg.BatchTimeout))
		sw := &startWriter{w: w, start: func() {
			h := w.Header()
			h.Set("Content-Type", format.ContentType())
			h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="geo311-requests-%s%s"`, s.now().In(s.app.loc).Format("2006-01-02"), format.Extension()))
			h.Set("Cache-Control", "no-store")
		}}
		ew, err := export.NewWriter(sw, format, export.Options{Jurisdiction: s.j, Public: true})
		if err != nil {
			s.error(w, r, err)
			return
		}
		err = exportScan(r.Context(), rs, f, ew, nil)
		if cerr := ew.Close(); err == nil {
			err = cerr
		}
		st := ew.Stats()
		if err != nil {
			s.exportFailed(w, r, sw, err)
			return
		}
		if !sw.started {
			// An empty export still is a valid file for every format.
			sw.start()
			w.WriteHeader(http.StatusOK)
		}
		s.log.Info("export", "request_id", requestID(r.Context()), "format", format, "rows", st.Rows, "skipped", st.Skipped, "bytes", st.Bytes, "filter", filterSummary(f))
	})
}

// exportScan writes the requests of rs matching f to w: through the
// store's narrow export scan (data.ExportScanner: only the exported
// columns, no Request per row) when it has one, else through
// ScanRequests. each, if set, is called before every row.
func exportScan(ctx context.Context, rs data.RequestStore, f data.RequestFilter, w export.Writer, each func()) error {
	if x, ok := rs.(data.ExportScanner); ok {
		return x.ScanExport(ctx, f, w.Layers(), func(row *data.ExportRow) error {
			if each != nil {
				each()
			}
			return w.WriteRow(row)
		})
	}
	return rs.ScanRequests(ctx, f, func(r *data.Request) error {
		if each != nil {
			each()
		}
		return w.Write(r)
	})
}

// exportFailed reports an error before the first byte as an API error;
// after it, the response can only be cut short (the client sees a broken
// stream, never a silently truncated file that looks complete).
func (s *server) exportFailed(w http.ResponseWriter, r *http.Request, sw *startWriter, err error) {
	if !sw.started {
		s.error(w, r, err)
		return
	}
	s.log.Error("export failed mid-stream", "request_id", requestID(r.Context()), "error", err.Error())
	panic(http.ErrAbortHandler)
}

// startWriter sets the response headers just before the first byte, so that
// an error found before any output still gets a proper error response.
type startWriter struct {
	w       http.ResponseWriter
	start   func()
	started bool
}

func (sw *startWriter) Write(b []byte) (int, error) {
	if !sw.started {
		sw.started = true
		sw.start()
		sw.w.WriteHeader(http.StatusOK)
	}
	return sw.w.Write(b)
}

// cubeQuery is a window of the trends cube to export.
type cubeQuery struct {
	From, To   time.Time
	Types      []string
	Area       trends.Area
	Resolution int
	Duplicates bool
}

// maxCubeDays bounds a cube export's window.
const maxCubeDays = 366

func (s *server) parseCubeQuery(q url.Values) (cubeQuery, error) {
	var cq cubeQuery
	var err error
	if cq.From, cq.To, err = paramWindow(q, s.app.loc); err != nil {
		return cq, err
	}
	if cq.To.IsZero() {
		now := s.now().In(s.app.loc)
		cq.To = time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, s.app.loc)
	}
	if cq.From.IsZero() {
		cq.From = cq.To.AddDate(0, 0, -30)
	}
	if !cq.To.After(cq.From) {
		return cq, data.Invalid("to", "must be after from")
	}
	if cq.To.Sub(cq.From) > maxCubeDays*24*time.Hour+time.Hour {
		return cq, data.Invalid("to", "a cube export spans at most %d days", maxCubeDays)
	}
	if cq.Area, _, err = s.trendsArea(q, cq.To.Add(-time.Nanosecond), false); err != nil {
		return cq, err
	}
	var ev trends.Event
	if cq.Types, ev, cq.Duplicates, err = commonTrends(q, s.j); err != nil {
		return cq, err
	}
	_ = ev // a cube row carries both events
	if cq.Resolution, err = paramInt("resolution", q.Get("resolution"), 9, 7, 10); err != nil {
		return cq, err
	}
	return cq, nil
}

// publicTypes lists the catalogue's codes that may be exported publicly.
func publicTypes(j *data.Jurisdiction, only []string) []string {
	var out []string
	for _, st := range j.Services {
		if st.Police || st.Kind == data.KindCommunityConcern || st.Emergency {
			continue
		}
		if len(only) > 0 && !contains(only, st.Code) {
			continue
		}
		out = append(out, st.Code)
	}
	return out
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// cubeRows yields the cube's cells per local day and public service type,
// with opened and closed counts and the cell polygon. Police-related types
// are never exported.
func cubeRows(cube *trends.Cube, loc *time.Location, types []string, cq cubeQuery) iter.Seq2[export.CubeRow, error] {
	return func(yield func(export.CubeRow, error) bool) {
		from := cq.From.In(loc)
		day := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, loc)
		for ; day.Before(cq.To); day = time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, loc) {
			next := time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, loc)
			for _, t := range types {
				counts := map[trends.Cell]*[2]int64{}
				var cells []trends.Cell
				for ev, e := range []trends.Event{trends.Opened, trends.Closed} {
					cs, err := cube.Heatmap(trends.HeatmapQuery{Area: cq.Area, From: day, To: next, Types: []string{t},
						Event: e, Duplicates: cq.Duplicates, Resolution: cq.Resolution})
					if err != nil {
						yield(export.CubeRow{}, err)
						return
					}
					for _, c := range cs {
						p := counts[c.Cell]
						if p == nil {
							p = new([2]int64)
							counts[c.Cell] = p
							cells = append(cells, c.Cell)
						}
						p[ev] = c.Count
					}
				}
				for _, c := range cells {
					p := counts[c]
					row := export.CubeRow{Cell: uint64(c), Day: day, ServiceCode: t, Opened: p[0], Closed: p[1], Polygon: trends.CellPolygon(c)}
					if !yield(row, nil) {
						return
					}
				}
			}
		}
	}
}

func (s *server) exportCube(w http.ResponseWriter, r *http.Request, format export.Format) {
	an, err := s.analytics()
	if err != nil {
		s.error(w, r, err)
		return
	}
	cq, err := s.parseCubeQuery(r.URL.Query())
	if err != nil {
		s.error(w, r, err)
		return
	}
	for _, t := range cq.Types {
		if !contains(publicTypes(s.j, nil), t) {
			s.error(w, r, data.Invalid("types", "%s is police-related and not exported", t))
			return
		}
	}
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Now().Add(s.cfg.BatchTimeout))
	sw := &startWriter{w: w, start: func() {
		h := w.Header()
		h.Set("Content-Type", format.ContentType())
		h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="geo311-cube-%s-%s%s"`,
			cq.From.In(s.app.loc).Format("2006-01-02"), cq.To.In(s.app.loc).Format("2006-01-02"), format.Extension()))
		h.Set("Cache-Control", "no-store")
	}}
	rows := cubeRows(an.cube, s.app.loc, publicTypes(s.j, cq.Types), cq)
	st, err := export.WriteCube(sw, format, export.Options{Jurisdiction: s.j, Public: true}, rows)
	if err != nil {
		s.exportFailed(w, r, sw, err)
		return
	}
	if !sw.started {
		sw.start()
		w.WriteHeader(http.StatusOK)
	}
	s.log.Info("cube export", "request_id", requestID(r.Context()), "format", format, "rows", st.Rows, "bytes", st.Bytes)
}
