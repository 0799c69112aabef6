package tiles

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

func TestParseTile(t *testing.T) {
	for _, c := range []struct {
		z, x, y string
		want    maptile.Tile
		field   string
	}{
		{"0", "0", "0", maptile.New(0, 0, 0), ""},
		{"14", "4202", "6091", maptile.New(4202, 6091, 14), ""},
		{"22", "4194303", "4194303", maptile.New(4194303, 4194303, 22), ""},
		{"1", "1", "1", maptile.New(1, 1, 1), ""},
		{"01", "1", "0", maptile.New(1, 0, 1), ""}, // leading zeros are digits
		{"23", "0", "0", maptile.Tile{}, "z"},
		{"-1", "0", "0", maptile.Tile{}, "z"},
		{"", "0", "0", maptile.Tile{}, "z"},
		{"1.5", "0", "0", maptile.Tile{}, "z"},
		{" 1", "0", "0", maptile.Tile{}, "z"},
		{"+1", "0", "0", maptile.Tile{}, "z"},
		{"99999999999999999999", "0", "0", maptile.Tile{}, "z"},
		{"0", "1", "0", maptile.Tile{}, "x"},
		{"1", "2", "0", maptile.Tile{}, "x"},
		{"1", "x", "0", maptile.Tile{}, "x"},
		{"22", "4194304", "0", maptile.Tile{}, "x"},
		{"1", "0", "2", maptile.Tile{}, "y"},
		{"1", "0", "", maptile.Tile{}, "y"},
		{"1", "0", "1.mvt", maptile.Tile{}, "y"},
		{"3", "0", "8", maptile.Tile{}, "y"},
	} {
		got, err := ParseTile(c.z, c.x, c.y)
		if c.field == "" {
			if err != nil || got != c.want {
				t.Errorf("ParseTile(%q,%q,%q) = %v, %v; want %v", c.z, c.x, c.y, got, err, c.want)
			}
			continue
		}
		if !errors.Is(err, data.ErrInvalid) || data.ErrorField(err) != c.field {
			t.Errorf("ParseTile(%q,%q,%q) error %v, want invalid %s", c.z, c.x, c.y, err, c.field)
		}
	}
}

func FuzzParseTile(f *testing.F) {
	for _, s := range [][3]string{{"0", "0", "0"}, {"14", "4202", "6091"}, {"22", "4194303", "0"}, {"23", "0", "0"},
		{"-1", "", "x"}, {"1", "2", "1"}, {"007", "7", "7"}, {"4294967296", "0", "0"}} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, z, x, y string) {
		tl, err := ParseTile(z, x, y)
		if err != nil {
			if !errors.Is(err, data.ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			if f := data.ErrorField(err); f != "z" && f != "x" && f != "y" {
				t.Fatalf("error names field %q", f)
			}
			return
		}
		if tl.Z > MaxZoom || !tl.Valid() {
			t.Fatalf("accepted invalid tile %v", tl)
		}
		// The canonical spelling of an accepted tile parses to the same tile.
		back, err := ParseTile(strconv.Itoa(int(tl.Z)), strconv.Itoa(int(tl.X)), strconv.Itoa(int(tl.Y)))
		if err != nil || back != tl {
			t.Fatalf("%v re-parsed as %v, %v", tl, back, err)
		}
	})
}

func TestParseLayer(t *testing.T) {
	for _, n := range []string{"requests", "hexbins", "boundaries", "chronic"} {
		if got, err := ParseLayer(n); err != nil || got != n {
			t.Errorf("ParseLayer(%q) = %q, %v", n, got, err)
		}
	}
	for _, n := range []string{"", "Requests", "beats", "requests.json", "../etc"} {
		if _, err := ParseLayer(n); !errors.Is(err, data.ErrNotFound) || data.ErrorField(err) != "layer" {
			t.Errorf("ParseLayer(%q) error %v, want not found naming layer", n, err)
		}
	}
}

func TestParseFilter(t *testing.T) {
	chicago, _ := time.LoadLocation("America/Chicago")
	for _, c := range []struct {
		q     string
		want  Filter
		field string
	}{
		{"", Filter{}, ""},
		{"types=SLA,PHF&types=PHF&status=open", Filter{Types: []string{"PHF", "SLA"}, Status: "open"}, ""},
		{"from=2025-01-01&to=2025-02-01T00:00:00Z&duplicates=include", Filter{
			From: time.Date(2025, 1, 1, 6, 0, 0, 0, time.UTC), To: time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC), IncludeDuplicates: true}, ""},
		{"status=CLOSED&layer=beat", Filter{Status: "closed"}, ""},
		{"types=P%20HF", Filter{}, "types"},
		{"types=" + strings.Repeat("A,", 101) + "B", Filter{}, "types"},
		{"status=pending", Filter{}, "status"},
		{"from=yesterday", Filter{}, "from"},
		{"to=2025-13-01", Filter{}, "to"},
		{"from=2025-02-01&to=2025-01-01", Filter{}, "to"},
		{"duplicates=only", Filter{}, "duplicates"},
	} {
		q, _ := url.ParseQuery(c.q)
		got, err := ParseFilter(q, chicago)
		if c.field != "" {
			if !errors.Is(err, data.ErrInvalid) || data.ErrorField(err) != c.field {
				t.Errorf("%q: error %v, want invalid %s", c.q, err, c.field)
			}
			continue
		}
		if err != nil || got.Key() != c.want.Key() || !got.From.Equal(c.want.From) || !got.To.Equal(c.want.To) {
			t.Errorf("%q: %+v, %v; want %+v", c.q, got, err, c.want)
		}
	}
	a := Filter{Types: []string{"B", "A", "A"}}
	b := Filter{Types: []string{"A", "B"}}
	if a.Key() != b.Key() || a.Key() == (Filter{}).Key() || (Filter{IncludeDuplicates: true}).Key() == (Filter{}).Key() {
		t.Error("Key is not canonical")
	}
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{"", "types=PHF,SLA&status=open", "from=2025-01-01&to=2025-02-01", "duplicates=include",
		"from=2025-01-01T00:00:00-06:00", "status=%ZZ", "types=,,,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := url.ParseQuery(s)
		if err != nil {
			return
		}
		fl, err := ParseFilter(q, nil)
		if err != nil {
			if !errors.Is(err, data.ErrInvalid) || data.ErrorField(err) == "" {
				t.Fatalf("error %v", err)
			}
			return
		}
		if fl.Status != "" && fl.Status != "open" && fl.Status != "closed" {
			t.Fatalf("status %q", fl.Status)
		}
		if !fl.From.IsZero() && !fl.To.IsZero() && !fl.From.Before(fl.To) {
			t.Fatal("from not before to")
		}
		if fl.Key() != fl.normalized().Key() {
			t.Fatal("key not canonical")
		}
	})
}

func TestCacheLRU(t *testing.T) {
	c := NewCache(1300) // two tiles of 300 bytes and their bookkeeping, not three
	key := func(name string) Key { return Key{Layer: LayerRequests, Z: 14, X: 1, Y: 2, Filter: name} }
	mk := func(n int) *Encoded { return &Encoded{Data: make([]byte, n), ETag: `"x"`, GzipETag: `"x-gz"`} }
	c.Put(key("a"), mk(300))
	c.Put(key("b"), mk(300))
	if _, ok := c.Get(key("a")); !ok { // a is now most recent
		t.Fatal("a missing")
	}
	c.Put(key("c"), mk(300)) // evicts b (least recently used)
	if _, ok := c.Get(key("b")); ok {
		t.Error("b not evicted")
	}
	for _, k := range []string{"a", "c"} {
		if _, ok := c.Get(key(k)); !ok {
			t.Errorf("%s evicted", k)
		}
	}
	c.Put(key("huge"), mk(5000)) // larger than the cache: not stored, nothing evicted
	if _, ok := c.Get(key("huge")); ok {
		t.Error("oversized tile stored")
	}
	st := c.Stats()
	if st.Entries != 2 || st.Bytes > 1300 || st.Hits != 3 || st.Misses != 2 {
		t.Errorf("stats %+v", st)
	}
	c.Put(key("a"), mk(10)) // replace: bytes shrink
	if c.Stats().Bytes >= st.Bytes {
		t.Error("replacing did not update the size")
	}
	c.Purge()
	if c.Stats().Entries != 0 || c.Stats().Bytes != 0 {
		t.Error("purge left entries")
	}
}

// TestCacheVersions: the cache holds one entry per tile; a newer version
// replaces the older, an older one never replaces the newer, and asking
// for a newer version drops the superseded entry.
func TestCacheVersions(t *testing.T) {
	c := NewCache(1 << 20)
	mk := func(n int) *Encoded { return &Encoded{Data: make([]byte, n), ETag: `"x"`, GzipETag: `"x-gz"`} }
	k := Key{Layer: LayerRequests, Z: 14, X: 4201, Y: 6090, Source: "index"}
	for v := range uint64(1000) { // a tile re-rendered after each of 1,000 intakes
		k.Version = v
		if _, ok := c.Get(k); ok {
			t.Fatalf("version %d: hit before it was rendered", v)
		}
		c.Put(k, mk(1000))
		if got, ok := c.Get(k); !ok || len(got.Data) != 1000 {
			t.Fatalf("version %d: miss after Put", v)
		}
	}
	if st := c.Stats(); st.Entries != 1 || st.Bytes > 2000 {
		t.Fatalf("after 1,000 versions of one tile: %+v, want one entry", st)
	}
	old := k
	old.Version = 998
	c.Put(old, mk(10)) // a slow render of older data
	if got, ok := c.Get(k); !ok || len(got.Data) != 1000 {
		t.Error("an older version replaced the newer tile")
	}
	if _, ok := c.Get(old); ok {
		t.Error("an older version was served")
	}
	if c.Stats().Entries != 1 {
		t.Error("asking for an older version dropped the newer tile")
	}
	nextDay := k
	nextDay.Day++
	if _, ok := c.Get(nextDay); ok {
		t.Error("a tile of the previous day was served")
	}
	if st := c.Stats(); st.Entries != 0 || st.Bytes != 0 {
		t.Errorf("superseded tile kept: %+v", st)
	}
	other := k
	other.Filter = "code=PHF"
	c.Put(k, mk(100))
	c.Put(other, mk(100))
	if c.Stats().Entries != 2 {
		t.Error("tiles of different filters share an entry")
	}
}

func TestServiceCacheAndETags(t *testing.T) {
	now := fixedAt
	ix := NewRequestIndex(testJurisdiction(), fixtureRequests(400))
	s := &Service{Index: ix, Cache: NewCache(1 << 20), Now: func() time.Time { return now }}
	ctx := context.Background()
	tl := loopTile(14)
	a, err := s.Requests(ctx, tl, Filter{})
	if err != nil || a.Empty || len(a.Data) == 0 || len(a.Gzip) == 0 {
		t.Fatalf("%+v %v", a, err)
	}
	if !strings.HasPrefix(a.ETag, `"`) || a.ETag == a.GzipETag {
		t.Errorf("ETags %s %s", a.ETag, a.GzipETag)
	}
	raw, err := decompress(a.Gzip)
	if err != nil || string(raw) != string(a.Data) {
		t.Fatal("gzip does not decompress to the tile")
	}
	b, _ := s.Requests(ctx, tl, Filter{Types: []string{"SLA", "PHF", "GRAF"}, Status: ""})
	if b.ETag == a.ETag {
		t.Error("different filter, same ETag")
	}
	again, _ := s.Requests(ctx, tl, Filter{})
	if again != a {
		t.Error("second request not served from the cache")
	}
	// A change bumps the version: new ETag, new content.
	r := fixtureRequests(401)[400]
	r.Lon, r.Lat = loop[0], loop[1]
	if err := ix.Add(r); err != nil {
		t.Fatal(err)
	}
	c, _ := s.Requests(ctx, tl, Filter{})
	if c.ETag == a.ETag || c.Features != a.Features+1 {
		t.Errorf("after Add: ETag same=%v features %d -> %d", c.ETag == a.ETag, a.Features, c.Features)
	}
	// The next day age_days change: new ETag.
	now = now.Add(24 * time.Hour)
	d, _ := s.Requests(ctx, tl, Filter{})
	if d.ETag == c.ETag {
		t.Error("a new day kept the ETag")
	}
	// Empty tiles: Empty with an ETag and no bytes, also cached.
	far := maptile.At(orb.Point{2.35, 48.85}, 14)
	e, err := s.Requests(ctx, far, Filter{})
	if err != nil || !e.Empty || e.Data != nil || e.Gzip != nil || e.ETag == "" {
		t.Errorf("empty tile %+v %v", e, err)
	}
	bs := NewBoundaries(fixtureAreas())
	ch, _ := NewChronic(fixtureChronic())
	for name, fn := range map[string]func(maptile.Tile) (*Encoded, error){
		"hexbins":    func(tl maptile.Tile) (*Encoded, error) { return s.Hexbins(ctx, tl, Filter{}) },
		"boundaries": func(tl maptile.Tile) (*Encoded, error) { return s.Boundaries(ctx, tl, bs, "beat@2012-12-19") },
		"chronic":    func(tl maptile.Tile) (*Encoded, error) { return s.Chronic(ctx, tl, ch, "district=001") },
	} {
		full, err := fn(loopTile(13))
		if err != nil || full.Empty {
			t.Errorf("%s: %+v %v", name, full, err)
		}
		checkRaw(t, full.Data)
		empty, err := fn(far)
		if err != nil || !empty.Empty {
			t.Errorf("%s far: %+v %v", name, empty, err)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Requests(cctx, maptile.New(1, 1, 5), Filter{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}

func TestTileJSON(t *testing.T) {
	bounds := orb.Bound{Min: orb.Point{-87.94, 41.64}, Max: orb.Point{-87.52, 42.02}}
	b, err := TileJSON("requests", "https://geo311.example/", bounds, [3]float64{-87.63, 41.88, 11}, 8, 18)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["tilejson"] != "3.0.0" || doc["minzoom"] != 8.0 || doc["maxzoom"] != 18.0 {
		t.Errorf("doc %v", doc)
	}
	if tiles := doc["tiles"].([]any); len(tiles) != 1 || tiles[0] != "https://geo311.example/tiles/requests/{z}/{x}/{y}.mvt" {
		t.Errorf("tiles %v", doc["tiles"])
	}
	vl := doc["vector_layers"].([]any)[0].(map[string]any)
	fields := vl["fields"].(map[string]any)
	if vl["id"] != "requests" || fields["type"] != "String" || fields["age_days"] != "Number" || fields["count"] != "Number" {
		t.Errorf("vector_layers %v", vl)
	}
	if bb := doc["bounds"].([]any); bb[0] != -87.94 || bb[3] != 42.02 {
		t.Errorf("bounds %v", bb)
	}
	for _, c := range []struct {
		layer, base string
		bounds      orb.Bound
		center      [3]float64
		min, max    int
		field       string
	}{
		{"beats", "https://x", bounds, [3]float64{-87.63, 41.88, 11}, 0, 22, "layer"},
		{"requests", "ftp://x", bounds, [3]float64{-87.63, 41.88, 11}, 0, 22, "base_url"},
		{"requests", "/relative", bounds, [3]float64{-87.63, 41.88, 11}, 0, 22, "base_url"},
		{"requests", "https://x", bounds, [3]float64{-87.63, 41.88, 11}, 5, 23, "maxzoom"},
		{"requests", "https://x", bounds, [3]float64{-87.63, 41.88, 11}, 12, 10, "maxzoom"},
		{"requests", "https://x", bounds, [3]float64{-87.63, 41.88, 11}, -1, 10, "minzoom"},
		{"requests", "https://x", orb.Bound{Min: orb.Point{10, 10}, Max: orb.Point{0, 0}}, [3]float64{5, 5, 3}, 0, 10, "bounds"},
		{"requests", "https://x", bounds, [3]float64{0, 0, 11}, 0, 22, "center"},
		{"requests", "https://x", bounds, [3]float64{-87.63, 41.88, 3}, 5, 22, "center"},
	} {
		_, err := TileJSON(c.layer, c.base, c.bounds, c.center, c.min, c.max)
		if data.ErrorField(err) != c.field {
			t.Errorf("%+v: error %v, want field %s", c, err, c.field)
		}
	}
}

func decompress(b []byte) ([]byte, error) {
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}
