package postgis

import (
	"reflect"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
)

// TestDedupeShape: a filter is read by the group's candidates statement
// only when it has cells and a window's start and nothing but a status
// besides; any other field, including one added to data.RequestFilter
// later, keeps it on its own filterQuery.
func TestDedupeShape(t *testing.T) {
	base := data.RequestFilter{Cells: []uint64{0x8a2664c1a8a7fff}, From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Status: "open"}
	if !dedupeShape(&base) {
		t.Fatal("dedupe's own filter refused")
	}
	noStatus := base
	noStatus.Status = ""
	if !dedupeShape(&noStatus) {
		t.Error("dedupe's filter without a status refused")
	}
	typ := reflect.TypeFor[data.RequestFilter]()
	for i := range typ.NumField() {
		name := typ.Field(i).Name
		f := base
		v := reflect.ValueOf(&f).Elem().Field(i)
		switch name {
		case "Cells", "From":
			v.SetZero() // without either, not dedupe's shape
		case "Status":
			continue
		default:
			setNonZero(t, v)
		}
		if dedupeShape(&f) {
			t.Errorf("with %s set to %v: taken as dedupe's shape", name, v.Interface())
		}
	}
}

// setNonZero gives v a value other than its zero.
func setNonZero(t *testing.T, v reflect.Value) {
	t.Helper()
	switch v.Kind() {
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		setNonZero(t, s.Index(0))
		v.Set(s)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(1)
	case reflect.Float64, reflect.Float32:
		v.SetFloat(1)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)))
			return
		}
		setNonZero(t, v.Field(0))
	default:
		t.Fatalf("no non-zero value for kind %s", v.Kind())
	}
}
