package main

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func TestVerdict(t *testing.T) {
	base := Summary{All: KindSummary{Count: 100}, RSS: make([]RSSPoint, 6), RSSJudged: true, RSSGrowth: 0.10, MaxGrowth: 0.25}
	for _, tc := range []struct {
		name   string
		change func(*Summary)
		want   []string // substrings of the failures, in order; none: pass
	}{
		{"pass", func(*Summary) {}, nil},
		{"growth at the bound passes", func(s *Summary) { s.RSSGrowth = 0.25 }, nil},
		{"shrinking passes", func(s *Summary) { s.RSSGrowth = -0.3 }, nil},
		{"one error", func(s *Summary) { s.All.Errors = 1 }, []string{"1 of 100 requests failed"}},
		{"server ERROR lines", func(s *Summary) { s.ServerErrs = 2 }, []string{"logged 2 ERROR lines"}},
		{"memory grew", func(s *Summary) { s.RSSGrowth = 0.26 }, []string{"memory not flat", "+26.0%", "bound +25%"}},
		{"not judged", func(s *Summary) { s.RSSJudged, s.RSS = false, s.RSS[:2] }, []string{"memory not judged: 2 RSS samples"}},
		{"everything", func(s *Summary) { s.All.Errors, s.ServerErrs, s.RSSGrowth = 3, 1, 1 }, []string{"3 of 100", "1 ERROR lines", "not flat"}},
	} {
		s := base
		s.RSS = append([]RSSPoint(nil), base.RSS...)
		tc.change(&s)
		s.verdict()
		if s.Pass != (len(tc.want) == 0) {
			t.Errorf("%s: pass %v, failures %q", tc.name, s.Pass, s.Failures)
			continue
		}
		got := strings.Join(s.Failures, " | ")
		at := 0
		for _, w := range tc.want {
			i := strings.Index(got[at:], w)
			if i < 0 {
				t.Errorf("%s: failures %q lack %q (in order)", tc.name, got, w)
				break
			}
			at += i + len(w)
		}
	}
}

// TestSummarizeAndPrint renders a fixed run: the interval rows and the
// final report (testdata/report.golden; -update rewrites it).
func TestSummarizeAndPrint(t *testing.T) {
	cfg := defaultConfig()
	cfg.Rate, cfg.Duration, cfg.Interval, cfg.Preload = 10, 3*time.Second, time.Second, 1000
	cfg.Mix = mix{kindIntake: 2, kindRoute: 1, kindStatus: 1, kindConcern: 1}
	var rec recorder
	var out bytes.Buffer
	rowHeader(&out, cfg.Mix)
	ms := time.Millisecond
	var samples []rssSample
	for sec := 1; sec <= 3; sec++ {
		for i := range 10 {
			rec.fired()
			k := []kind{kindIntake, kindRoute, kindIntake, kindConcern, kindStatus}[i%5]
			failure := ""
			if sec == 2 && i == 7 {
				failure = "POST /open311/v2/requests.json: status 503: unavailable"
			}
			rec.record(k, time.Duration(sec*(i+1))*ms, 0, true, failure)
		}
		rec.addLinked()
		iv, sent, done := rec.takeInterval()
		smp := rssSample{At: time.Duration(sec) * time.Second, RSS: int64(60+sec) << 20, Heap: int64(10+sec) << 20,
			GoSys: 30 << 20, TileHits: float64(100 + 10*sec), TileMisses: float64(50 + 2*sec)}
		if sec == 2 {
			smp.Heap, smp.GoSys = 0, 0 // /metrics did not answer
		}
		samples = append(samples, smp)
		row(&out, cfg.Mix, time.Second, sent, done, iv, smp)
	}
	s := summarize(&cfg, &rec, 3*time.Second, rssSample{RSS: 58 << 20, Heap: 9 << 20, TileHits: 100, TileMisses: 50}, samples, 0, nil)
	if s.Pass || len(s.Failures) != 1 || s.All.Count != 30 || s.All.Errors != 1 || s.Linked != 3 || s.TileHits != 30 || s.TileMisses != 6 {
		t.Errorf("summary %+v", s)
	}
	if len(s.Kinds) != 4 { // kinds of the mix only
		t.Errorf("kinds %+v", s.Kinds)
	}
	s.print(&out)
	golden(t, "testdata/report.golden", out.Bytes())
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update after checking):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
