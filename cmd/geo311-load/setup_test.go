package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestTileOf(t *testing.T) {
	for _, tc := range []struct {
		p    point
		z    int
		x, y int
	}{
		{point{41.88358, -87.63191}, 13, 2101, 3044}, // Chicago's Loop
		{point{41.2, -88.3}, 10, 260, 383},           // the demo city
		{point{0.0001, 0.0001}, 1, 1, 0},
		{point{-33.86, 151.21}, 15, 30147, 19662},
		{point{0, 0}, 0, 0, 0},
		{point{89.9, 179.999}, 3, 7, 0}, // clamped into the grid
	} {
		x, y := tileOf(tc.p, tc.z)
		if x != tc.x || y != tc.y {
			t.Errorf("tileOf(%v, %d) = %d/%d, want %d/%d", tc.p, tc.z, x, y, tc.x, tc.y)
		}
	}
}

func TestTileURLs(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var pts []point
	for range 200 {
		pts = append(pts, point{Lat: 41.15 + rng.Float64()*0.1, Lon: -88.37 + rng.Float64()*0.14})
	}
	urls := tileURLs(pts, 6)
	seen := map[string]bool{}
	layers := map[string]int{}
	for _, u := range urls {
		if seen[u] {
			t.Errorf("%s twice", u)
		}
		seen[u] = true
		layers[strings.Split(u, "/")[2]]++
	}
	if layers["requests"] == 0 || layers["hexbins"] == 0 || layers["boundaries"] == 0 || len(layers) != 3 {
		t.Errorf("layers %v", layers)
	}
	for _, z := range []int{11, 15} {
		x, y := tileOf(pts[0], z)
		if u := fmt.Sprintf("/tiles/hexbins/%d/%d/%d.mvt", z, x, y); !seen[u] {
			t.Errorf("the first point's tile %s is missing", u)
		}
	}
	for _, u := range urls {
		if strings.HasPrefix(u, "/tiles/boundaries/") && !strings.Contains(u, ".mvt?layer=") {
			t.Errorf("boundaries tile without a layer: %s", u)
		}
	}
}

func TestRoutedRows(t *testing.T) {
	body := "lat,lon,beat,sector,error_code,error_field,error\n" +
		"41.2,-88.3,0411,041,,,\n" +
		"41.9,-87.6,,,outside_jurisdiction,,\"This location is outside Demo City, a generated city\"\n" +
		"41.21,-88.31,0412,041,,,\n"
	got, err := routedRows(strings.NewReader(body))
	if err != nil || len(got) != 3 || !got[0] || got[1] || !got[2] {
		t.Errorf("routedRows = %v, %v", got, err)
	}
	if _, err := routedRows(strings.NewReader("lat,lon\n1,2\n")); err == nil {
		t.Error("an answer without error_code was read")
	}
}

func TestTakeConcernSpreadsLookups(t *testing.T) {
	tg := newTargets(nil, nil)
	if _, ok := tg.takeConcern(); ok {
		t.Fatal("a concern from an empty pool")
	}
	tg.addConcern("CC26-1", "1")
	tg.addConcern("CC26-2", "2")
	var order []string
	uses := map[string]int{}
	for {
		c, ok := tg.takeConcern()
		if !ok {
			break
		}
		uses[c.number]++
		order = append(order, c.number)
		if len(order) == 3 {
			tg.addConcern("CC26-3", "3") // filed during the run: joins the back
		}
	}
	for _, n := range []string{"CC26-1", "CC26-2", "CC26-3"} {
		if uses[n] != lookupsPerConcern {
			t.Errorf("%s looked up %d times, want %d", n, uses[n], lookupsPerConcern)
		}
	}
	for i := 1; i < len(order); i++ {
		if order[i] == order[i-1] && order[i] != "CC26-3" {
			t.Errorf("%s looked up twice in a row: %v", order[i], order)
		}
	}
}

func TestJitter(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 1000 {
		lat, lon := jitter(41.2, -88.3, 3, rng)
		dy := (lat - 41.2) * 111_320
		dx := (lon + 88.3) * 111_320 * math.Cos(41.2*math.Pi/180)
		if math.Abs(dy) > 3 || math.Abs(dx) > 3 {
			t.Fatalf("jitter moved %.2f m north, %.2f m east", dy, dx)
		}
	}
}
