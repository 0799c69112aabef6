package storetest

import (
	"fmt"
	"math"
	"strings"

	"github.com/paulmach/orb"

	"github.com/geo311/geo311/data"
)

// diffGeneration describes how got differs from want, or returns "" when they
// are equal under the store contract: times as instants, nil and empty
// property maps alike, coordinates bit-exact. When withAreas is false, the
// areas are not compared but got must carry none.
func diffGeneration(got, want *data.Generation, withAreas bool) string {
	if got == nil {
		return "generation is nil"
	}
	var d []string
	add := func(format string, args ...any) { d = append(d, fmt.Sprintf(format, args...)) }
	if got.ID != want.ID {
		add("ID = %q, want %q", got.ID, want.ID)
	}
	if got.Layer != want.Layer {
		add("Layer = %q, want %q", got.Layer, want.Layer)
	}
	if !got.EffectiveFrom.Equal(want.EffectiveFrom) {
		add("EffectiveFrom = %s, want %s", got.EffectiveFrom, want.EffectiveFrom)
	}
	if got.Active != want.Active {
		add("Active = %v, want %v", got.Active, want.Active)
	}
	if got.Source != want.Source {
		add("Source = %q, want %q", got.Source, want.Source)
	}
	if !got.LoadedAt.Equal(want.LoadedAt) {
		add("LoadedAt = %s, want %s", got.LoadedAt, want.LoadedAt)
	}
	if got.AreaCount != want.AreaCount {
		add("AreaCount = %d, want %d", got.AreaCount, want.AreaCount)
	}
	if !withAreas {
		if len(got.Areas) != 0 {
			add("has %d areas, want none (listing without areas)", len(got.Areas))
		}
	} else {
		if len(got.Areas) != len(want.Areas) {
			add("has %d areas, want %d", len(got.Areas), len(want.Areas))
		} else {
			for i := range want.Areas {
				if s := diffArea(&got.Areas[i], &want.Areas[i]); s != "" {
					add("area %d (%q): %s", i, want.Areas[i].ID, s)
				}
			}
		}
	}
	return strings.Join(d, "; ")
}

// diffArea compares two areas under the store contract.
func diffArea(got, want *data.Area) string {
	var d []string
	add := func(format string, args ...any) { d = append(d, fmt.Sprintf(format, args...)) }
	if got.Layer != want.Layer {
		add("Layer = %q, want %q", got.Layer, want.Layer)
	}
	if got.ID != want.ID {
		add("ID = %q, want %q", got.ID, want.ID)
	}
	if got.Name != want.Name {
		add("Name = %q, want %q", got.Name, want.Name)
	}
	if len(got.Properties) != len(want.Properties) {
		add("Properties = %v, want %v", got.Properties, want.Properties)
	} else {
		for k, v := range want.Properties {
			if g, ok := got.Properties[k]; !ok || g != v {
				add("Properties[%q] = %q (present %v), want %q", k, g, ok, v)
			}
		}
	}
	if s := diffMultiPolygon(got.Geometry, want.Geometry); s != "" {
		add("Geometry: %s", s)
	}
	return strings.Join(d, "; ")
}

// diffMultiPolygon compares coordinates bit for bit (so -0 differs from 0 and
// a NaN would equal the same NaN), keeping polygon, ring and point order.
func diffMultiPolygon(got, want orb.MultiPolygon) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d polygons, want %d", len(got), len(want))
	}
	for pi := range want {
		if len(got[pi]) != len(want[pi]) {
			return fmt.Sprintf("polygon %d has %d rings, want %d", pi, len(got[pi]), len(want[pi]))
		}
		for ri := range want[pi] {
			g, w := got[pi][ri], want[pi][ri]
			if len(g) != len(w) {
				return fmt.Sprintf("polygon %d ring %d has %d points, want %d", pi, ri, len(g), len(w))
			}
			for i := range w {
				for c := 0; c < 2; c++ {
					if math.Float64bits(g[i][c]) != math.Float64bits(w[i][c]) {
						return fmt.Sprintf("polygon %d ring %d point %d = %v, want %v (bits %#x, want %#x)",
							pi, ri, i, g[i], w[i], math.Float64bits(g[i][c]), math.Float64bits(w[i][c]))
					}
				}
			}
		}
	}
	return ""
}

// DiffGeneration describes how got differs from want, areas included, under
// the store contract (times as instants, nil and empty Properties alike,
// coordinates bit-exact), or returns "" when they are equal. Stores' own
// tests use it, for example to check data survives a reopen.
func DiffGeneration(got, want *data.Generation) string {
	if want == nil {
		if got != nil {
			return "got a generation, want nil"
		}
		return ""
	}
	return diffGeneration(got, want, true)
}
