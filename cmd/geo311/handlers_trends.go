package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/trends"
)

// analyticsOrUnavailable returns the in-process analytics (built by serve
// at start-up).
func (s *server) analytics() (*analytics, error) {
	if s.app == nil || s.app.analytics == nil {
		return nil, data.Errorf(data.ErrUnavailable, "trends and tiles are not loaded in this process")
	}
	return s.app.analytics, nil
}

// negotiate picks a response format: ?format= wins, then Accept; the first
// of allowed is the default.
func negotiate(r *http.Request, allowed ...string) (string, error) {
	if f := strings.ToLower(r.URL.Query().Get("format")); f != "" {
		for _, a := range allowed {
			if f == a {
				return f, nil
			}
		}
		return "", data.Invalid("format", "%q is not one of %s", truncate(f, 40), strings.Join(allowed, ", "))
	}
	accept := r.Header.Get("Accept")
	for _, a := range allowed {
		switch {
		case a == "geojson" && strings.Contains(accept, "application/geo+json"),
			a == "csv" && strings.Contains(accept, "text/csv"):
			return a, nil
		}
	}
	return allowed[0], nil
}

// trendsArea reads the spatial restriction of a trends query: bbox and/or
// one area (district=012, area=ward:12 ...) turned into the area's polygon
// of the generation in force at `at`. desc names it for caching.
func (s *server) trendsArea(q url.Values, at time.Time, required bool) (area trends.Area, desc string, err error) {
	if area.BBox, err = paramBBox("bbox", q.Get("bbox")); err != nil {
		return area, "", err
	}
	refs, err := paramAreas(q, s.j)
	if err != nil {
		return area, "", err
	}
	if len(refs) > 1 {
		return area, "", data.Invalid("area", "give one area (district, beat, ward, community_area or area=layer:id)")
	}
	if area.BBox != nil {
		b := area.BBox
		desc = fmt.Sprintf("bbox:%v,%v,%v,%v", b.Min[0], b.Min[1], b.Max[0], b.Max[1])
	}
	if len(refs) == 1 {
		ref := refs[0]
		rt := s.routers.Load()
		if rt == nil || len(rt.Index().Generations()) == 0 {
			return area, "", noBoundaries(s.j)
		}
		a, gen, ok := rt.Index().Area(ref.Layer, ref.ID, at)
		if !ok {
			return area, "", data.Errorf(data.ErrNotFound, "%s %s not found in the boundaries in force on %s", ref.Layer, ref.ID, at.In(s.app.loc).Format("2006-01-02"))
		}
		area.Polygon = a.Geometry
		desc += "|" + gen + ":" + ref.ID
	}
	if required && desc == "" {
		return area, "", data.Invalid("area", "give a district, beat, ward, community_area, area=layer:id or bbox")
	}
	return area, desc, nil
}

// commonTrends reads types (public service types only; none means all of
// them), event and duplicates.
func commonTrends(q url.Values, j *data.Jurisdiction) (types []string, ev trends.Event, dups bool, err error) {
	if types, err = paramList(q, "types"); err != nil {
		return
	}
	if len(types) == 0 {
		if types, err = paramList(q, "type"); err != nil {
			return
		}
	}
	// Public trends count public service types only, as the cube export
	// does: a heatmap of one police-related type at resolution 10 would map
	// community concerns to within a block.
	public := publicTypes(j, nil)
	for _, c := range types {
		if _, ok := j.Service(c); !ok {
			err = data.Invalid("types", "%q is not a service code of %s", truncate(c, 40), j.ID)
			return
		}
		if !contains(public, c) {
			err = data.Invalid("types", "%s is police-related: public trends count public service types only", c)
			return
		}
	}
	if len(types) == 0 {
		types = public
	}
	if ev, err = trends.ParseEvent(q.Get("event")); err != nil {
		err = data.Invalid("event", "%q is not opened or closed", truncate(q.Get("event"), 40))
		return
	}
	d, err := paramDuplicates(q.Get("duplicates"), data.DuplicatesExclude)
	if err != nil {
		return
	}
	if d == data.DuplicatesOnly {
		err = data.Invalid("duplicates", "trends count include or exclude")
		return
	}
	dups = d == data.DuplicatesInclude
	return
}

// refTime is the date areas are resolved at: the end of the window, else now.
func (s *server) refTime(to time.Time) time.Time {
	if !to.IsZero() {
		return to.Add(-time.Nanosecond)
	}
	return s.now()
}

// GET /v1/trends/heatmap
func (s *server) handleHeatmap() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		an, err := s.analytics()
		if err != nil {
			s.error(w, r, err)
			return
		}
		q := r.URL.Query()
		format, err := negotiate(r, "json", "geojson")
		if err != nil {
			s.error(w, r, err)
			return
		}
		var hq trends.HeatmapQuery
		if hq.From, hq.To, err = paramWindow(q, s.app.loc); err != nil {
			s.error(w, r, err)
			return
		}
		if hq.Area, _, err = s.trendsArea(q, s.refTime(hq.To), false); err != nil {
			s.error(w, r, err)
			return
		}
		if hq.Types, hq.Event, hq.Duplicates, err = commonTrends(q, s.j); err != nil {
			s.error(w, r, err)
			return
		}
		minRes, maxRes := an.cube.Resolutions()
		if hq.Resolution, err = paramInt("resolution", q.Get("resolution"), 0, minRes, maxRes); err != nil {
			s.error(w, r, err)
			return
		}
		if z := q.Get("zoom"); z != "" && hq.Resolution == 0 {
			zi, err := paramInt("zoom", z, 0, 0, 24)
			if err != nil {
				s.error(w, r, err)
				return
			}
			hq.Zoom = float64(zi)
		}
		if hq.Resolution == 0 && q.Get("zoom") == "" {
			hq.Resolution = 9
		}
		if hq.Resolution == 0 {
			hq.Resolution = min(max(trends.ResolutionForZoom(hq.Zoom), minRes), maxRes)
		}
		cells, err := an.cube.Heatmap(hq)
		if err != nil {
			s.error(w, r, asInvalid(err))
			return
		}
		if format == "geojson" {
			b, err := json.Marshal(trends.HeatmapGeoJSON(cells))
			if err != nil {
				s.error(w, r, err)
				return
			}
			w.Header().Set("Content-Type", "application/geo+json")
			w.Write(append(b, '\n'))
			return
		}
		var total int64
		for _, c := range cells {
			total += c.Count
		}
		if cells == nil {
			cells = []trends.CellCount{}
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"resolution": hq.Resolution, "event": hq.Event.String(), "duplicates": hq.Duplicates,
			"from": timeOrNil(hq.From), "to": timeOrNil(hq.To), "total": total, "cells": cells,
		})
	})
}

func timeOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// asInvalid turns a trends query error without a kind into ErrInvalid
// (the trends package checks the query it is given).
func asInvalid(err error) error {
	var de *data.Error
	if err == nil || errors.As(err, &de) {
		return err
	}
	return data.Errorf(data.ErrInvalid, "%s", err.Error())
}

// GET /v1/trends/series
func (s *server) handleSeries() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		an, err := s.analytics()
		if err != nil {
			s.error(w, r, err)
			return
		}
		q := r.URL.Query()
		var sq trends.SeriesQuery
		if sq.From, sq.To, err = paramWindow(q, s.app.loc); err != nil {
			s.error(w, r, err)
			return
		}
		if sq.From.IsZero() || sq.To.IsZero() {
			s.error(w, r, data.Invalid("from", "from and to are both required"))
			return
		}
		if sq.To.Sub(sq.From) > 20*366*24*time.Hour {
			s.error(w, r, data.Invalid("to", "a series spans at most 20 years"))
			return
		}
		if sq.Area, _, err = s.trendsArea(q, s.refTime(sq.To), false); err != nil {
			s.error(w, r, err)
			return
		}
		if sq.Types, sq.Event, sq.Duplicates, err = commonTrends(q, s.j); err != nil {
			s.error(w, r, err)
			return
		}
		iv := q.Get("interval")
		if iv == "" {
			iv = "day"
		}
		if sq.Interval, err = trends.ParseInterval(iv); err != nil {
			s.error(w, r, data.Invalid("interval", "%q is not day, week or month", truncate(iv, 40)))
			return
		}
		pts, err := an.cube.Series(sq)
		if err != nil {
			s.error(w, r, asInvalid(err))
			return
		}
		var total int64
		for _, p := range pts {
			total += p.Count
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"interval": sq.Interval.String(), "event": sq.Event.String(), "duplicates": sq.Duplicates,
			"from": sq.From, "to": sq.To, "total": total, "points": pts,
		})
	})
}

// chronicQuery reads a chronic-problem query and its cache key.
func (s *server) chronicQuery(q url.Values) (trends.ChronicQuery, string, error) {
	var cq trends.ChronicQuery
	end, err := paramTime("end", q.Get("end"), s.app.loc)
	if err != nil {
		return cq, "", err
	}
	if end.IsZero() {
		end = s.now()
	}
	cq.End = end
	var desc string
	if cq.Area, desc, err = s.trendsArea(q, end, false); err != nil {
		return cq, "", err
	}
	if desc == "" {
		// The whole jurisdiction: the bound of its areas.
		rt := s.routers.Load()
		if rt == nil || len(rt.Index().Generations()) == 0 {
			return cq, "", noBoundaries(s.j)
		}
		b, ok := jurisdictionBound(rt.Index(), end)
		if !ok {
			return cq, "", noBoundaries(s.j)
		}
		cq.BBox = &b
		desc = "all"
	}
	if cq.Types, cq.Event, cq.Duplicates, err = commonTrends(q, s.j); err != nil {
		return cq, "", err
	}
	if cq.Weeks, err = paramInt("weeks", q.Get("weeks"), 12, 3, 520); err != nil {
		return cq, "", err
	}
	if cq.Resolution, err = paramInt("resolution", q.Get("resolution"), 9, 7, 10); err != nil {
		return cq, "", err
	}
	if cq.All, err = paramBool("all", q.Get("all"), false); err != nil {
		return cq, "", err
	}
	key := fmt.Sprintf("%s|%s|%d|%t|w%d|r%d|%s|%t", desc, strings.Join(cq.Types, ","), cq.Event, cq.Duplicates,
		cq.Weeks, cq.Resolution, end.In(s.app.loc).Format("2006-01-02"), cq.All)
	return cq, key, nil
}

// GET /v1/trends/chronic
func (s *server) handleChronic() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		an, err := s.analytics()
		if err != nil {
			s.error(w, r, err)
			return
		}
		cq, key, err := s.chronicQuery(r.URL.Query())
		if err != nil {
			s.error(w, r, err)
			return
		}
		e, err := an.chronicFor(key, cq)
		if err != nil {
			s.error(w, r, asInvalid(err))
			return
		}
		cells := e.cells
		if cells == nil {
			cells = []trends.ChronicCell{}
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"weeks": e.weeks, "resolution": cq.Resolution, "types": cq.Types, "event": cq.Event.String(),
			"duplicates": cq.Duplicates, "method": "Getis-Ord Gi* per week over H3 grid rings, Mann-Kendall trend, ESRI emerging hot spot categories",
			"cells": cells,
		})
	})
}

// GET /v1/reports/status
func (s *server) handleStatusReport() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		format, err := negotiate(r, "json", "csv")
		if err != nil {
			s.error(w, r, err)
			return
		}
		if _, err := s.app.requestStore(); err != nil {
			s.error(w, r, err)
			return
		}
		rq, monthly, err := s.reportQuery(q)
		if err != nil {
			s.error(w, r, err)
			return
		}
		// The report's scans read from the read replica when one is
		// configured (readstore.go), all three from the same store.
		var reqs []*data.Request
		err = s.app.readScans(r.Context(), func(rs data.RequestStore) error {
			var err error
			reqs, err = scanPeriod(r, rs, rq)
			return err
		})
		if err != nil {
			s.error(w, r, err)
			return
		}
		var rep *trends.Report
		seq := iter.Seq[*data.Request](func(yield func(*data.Request) bool) {
			for _, x := range reqs {
				if !yield(x) {
					return
				}
			}
		})
		if monthly {
			rep, err = trends.MonthlySummary(seq, rq)
		} else {
			rep, err = trends.StatusReport(seq, rq)
		}
		if err != nil {
			s.error(w, r, asInvalid(err))
			return
		}
		var buf bytes.Buffer
		if format == "csv" {
			err = trends.WriteCSV(&buf, rep)
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="status-report-%s.csv"`, rep.Period.Label))
		} else {
			err = trends.WriteJSON(&buf, rep)
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
		}
		if err != nil {
			w.Header().Del("Content-Disposition")
			s.error(w, r, err)
			return
		}
		w.Write(buf.Bytes())
	})
}

// reportQuery reads quarter=2026Q3 | month=2026-07 | year=2026 | period=...
// and summary=monthly (or period=monthly with a quarter or year), the area
// (district=012 ...) and types.
func (s *server) reportQuery(q url.Values) (trends.ReportQuery, bool, error) {
	rq := trends.ReportQuery{Now: s.now()}
	monthly := strings.EqualFold(q.Get("summary"), "monthly")
	label := ""
	for _, name := range []string{"quarter", "month", "year", "period"} {
		v := q.Get(name)
		if name == "period" && strings.EqualFold(v, "monthly") {
			monthly = true
			continue
		}
		if v != "" {
			if label != "" {
				return rq, false, data.Invalid(name, "give one of quarter, month, year or period")
			}
			label = v
		}
	}
	if label == "" {
		// The current quarter.
		now := s.now().In(s.app.loc)
		label = fmt.Sprintf("%dQ%d", now.Year(), (int(now.Month())-1)/3+1)
	}
	p, err := trends.ParsePeriod(label, s.app.loc)
	if err != nil {
		return rq, false, data.Invalid("quarter", "%q is not a quarter (2026Q3), month (2026-07) or year (2026)", truncate(label, 40))
	}
	rq.Period = p
	if rq.Areas, err = paramAreas(q, s.j); err != nil {
		return rq, false, err
	}
	if rq.Types, err = paramList(q, "types"); err != nil {
		return rq, false, err
	}
	d, err := paramDuplicates(q.Get("duplicates"), data.DuplicatesExclude)
	if err != nil {
		return rq, false, err
	}
	rq.Duplicates = d == data.DuplicatesInclude
	return rq, monthly, nil
}

// scanPeriod reads the requests a report over rq.Period needs: those
// received in the period, and those received before it that were still open
// at its start (open now, or changed after the start: a request closed since
// was last updated at or after its closing).
func scanPeriod(r *http.Request, rs data.RequestStore, rq trends.ReportQuery) ([]*data.Request, error) {
	ctx := r.Context()
	base := data.RequestFilter{ServiceCodes: rq.Types, Areas: rq.Areas, Ascending: true}
	var out []*data.Request
	collect := func(x *data.Request) error { out = append(out, x); return nil }
	f := base
	f.From, f.To = rq.Period.Start, rq.Period.End
	if err := rs.ScanRequests(ctx, f, collect); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	earlier := func(x *data.Request) error {
		if !seen[x.Number] {
			seen[x.Number] = true
			out = append(out, x)
		}
		return nil
	}
	f = base
	f.To = rq.Period.Start
	f.Status = "open"
	if err := rs.ScanRequests(ctx, f, earlier); err != nil {
		return nil, err
	}
	f = base
	f.To = rq.Period.Start
	f.UpdatedAfter = rq.Period.Start.Add(-time.Nanosecond)
	if err := rs.ScanRequests(ctx, f, earlier); err != nil {
		return nil, err
	}
	return out, nil
}
