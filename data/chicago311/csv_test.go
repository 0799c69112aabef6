package chicago311

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// csvResult is one read of a CSV reader: a record or an error.
type csvResult struct {
	Record []string
	Line   int
	Err    string
}

// stdRecords reads in with encoding/csv as the Reader did before csvReader:
// the defaults, the field count set by the first record.
func stdRecords(in []byte, limit int) []csvResult {
	r := csv.NewReader(bytes.NewReader(in))
	r.ReuseRecord = true
	var out []csvResult
	for range limit {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		res := csvResult{Record: append([]string(nil), rec...)}
		if err != nil {
			res.Err = describe(err)
			var pe *csv.ParseError
			if !errors.As(err, &pe) || pe.Err != csv.ErrFieldCount {
				res.Record = nil // only the field count error comes with the record
			}
		}
		if err == nil {
			res.Line, _ = r.FieldPos(0)
		} else if pe := (*csv.ParseError)(nil); errors.As(err, &pe) {
			res.Line = pe.StartLine
		}
		out = append(out, res)
		if err != nil && !isParseError(err) {
			break
		}
	}
	return out
}

// fastRecords reads in with csvReader.
func fastRecords(in io.Reader, limit int) []csvResult {
	c := newCSVReader(in)
	var out []csvResult
	for range limit {
		rec, line, err := c.read()
		if err == io.EOF {
			break
		}
		res := csvResult{Record: append([]string(nil), rec...), Line: line}
		if err != nil {
			res.Err = describe(err)
			var pe *csv.ParseError
			if !errors.As(err, &pe) || pe.Err != csv.ErrFieldCount {
				res.Record = nil
			}
		}
		out = append(out, res)
		if err != nil && !isParseError(err) {
			break
		}
	}
	return out
}

func isParseError(err error) bool {
	var pe *csv.ParseError
	return errors.As(err, &pe)
}

// describe spells out an error with every field of a *csv.ParseError.
func describe(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Sprintf("start %d line %d column %d err %v: %v", pe.StartLine, pe.Line, pe.Column, pe.Err, pe)
	}
	return err.Error()
}

func sameRecords(t *testing.T, in []byte) {
	t.Helper()
	limit := bytes.Count(in, []byte("\n")) + 2
	want := stdRecords(in, limit)
	if got := fastRecords(bytes.NewReader(in), limit); !reflect.DeepEqual(got, want) {
		t.Fatalf("input %q:\ncsvReader    %+v\nencoding/csv %+v", in, got, want)
	}
	// One byte at a time: lines cut across reads.
	if got := fastRecords(iotest.OneByteReader(bytes.NewReader(in)), limit); !reflect.DeepEqual(got, want) {
		t.Fatalf("input %q read a byte at a time:\ncsvReader    %+v\nencoding/csv %+v", in, got, want)
	}
}

func TestCSVReader(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want []csvResult // as encoding/csv reads it (checked too)
	}{
		{"plain", "a,b,c\n1,2,3\n", []csvResult{{Record: []string{"a", "b", "c"}, Line: 1}, {Record: []string{"1", "2", "3"}, Line: 2}}},
		{"no final newline", "a,b\n1,2", []csvResult{{Record: []string{"a", "b"}, Line: 1}, {Record: []string{"1", "2"}, Line: 2}}},
		{"crlf and a final cr", "a,b\r\n1,2\r", []csvResult{{Record: []string{"a", "b"}, Line: 1}, {Record: []string{"1", "2"}, Line: 2}}},
		{"empty lines skipped", "\n\na,b\n\r\n\n1,2\n\n", []csvResult{{Record: []string{"a", "b"}, Line: 3}, {Record: []string{"1", "2"}, Line: 6}}},
		{"empty fields", "a,b,c\n,,\n", []csvResult{{Record: []string{"a", "b", "c"}, Line: 1}, {Record: []string{"", "", ""}, Line: 2}}},
		{"quoted comma and quote", "a,b\n\"x,y\",\"say \"\"hi\"\"\"\n", []csvResult{{Record: []string{"a", "b"}, Line: 1}, {Record: []string{"x,y", `say "hi"`}, Line: 2}}},
		{"newlines in quotes", "a,b\n\"1\r\n2\n\n3\",x\ny,z\n", []csvResult{{Record: []string{"a", "b"}, Line: 1}, {Record: []string{"1\n2\n\n3", "x"}, Line: 2}, {Record: []string{"y", "z"}, Line: 6}}},
		{"field count", "a,b\n1,2,3\n4,5\n", []csvResult{{Record: []string{"a", "b"}, Line: 1},
			{Record: []string{"1", "2", "3"}, Line: 2, Err: "record on line 2: wrong number of fields"}, {Record: []string{"4", "5"}, Line: 3}}},
		{"bare quote", "a,b\n1,x\"y\n4,5\n", []csvResult{{Record: []string{"a", "b"}, Line: 1},
			{Line: 2, Err: `parse error on line 2, column 4: bare " in non-quoted-field`}, {Record: []string{"4", "5"}, Line: 3}}},
		{"text after a closing quote", "a,b\n\"x\"y,2\n4,5\n", []csvResult{{Record: []string{"a", "b"}, Line: 1},
			{Line: 2, Err: `parse error on line 2, column 3: extraneous or missing " in quoted-field`}, {Record: []string{"4", "5"}, Line: 3}}},
		{"unterminated quote", "a,b\n1,\"x\ny\n", []csvResult{{Record: []string{"a", "b"}, Line: 1},
			{Line: 2, Err: `record on line 2; parse error on line 3, column 3: extraneous or missing " in quoted-field`}}},
		{"quote at the end without newline", "a,b\n1,\"x\"", []csvResult{{Record: []string{"a", "b"}, Line: 1}, {Record: []string{"1", "x"}, Line: 2}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := fastRecords(strings.NewReader(tc.in), 100)
			for i := range got {
				if i < len(tc.want) && tc.want[i].Err != "" {
					if !strings.HasSuffix(got[i].Err, tc.want[i].Err) {
						t.Errorf("read %d: error %q, want %q", i, got[i].Err, tc.want[i].Err)
					}
					got[i].Err = tc.want[i].Err
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
			sameRecords(t, []byte(tc.in))
		})
	}
}

func TestCSVReaderLongLine(t *testing.T) {
	long := strings.Repeat("x", 3*csvBuffer)
	sameRecords(t, []byte("a,b\n"+long+",1\n\""+long+"\n"+long+"\",2\n3,4\n"))
}

// TestCSVReaderIOError: the underlying reader's error ends the reading, as
// with encoding/csv.
func TestCSVReaderIOError(t *testing.T) {
	boom := errors.New("boom")
	c := newCSVReader(io.MultiReader(strings.NewReader("a,b\n1,2\n3,"), iotest.ErrReader(boom)))
	for i, want := range []error{nil, nil, boom} {
		if _, _, err := c.read(); err != want {
			t.Fatalf("read %d: %v, want %v", i, err, want)
		}
	}
}

// FuzzCSV compares csvReader with encoding/csv.
func FuzzCSV(f *testing.F) {
	for _, name := range []string{"current_api.csv", "current_export.csv", "current_bad.csv"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		"a,b\n1,2\n", "a,b\r\n\"1\r\n\",\"\"\"\"\r\n", "a\n\"", "a\n\"\"\"", "a,b\nx\"y,1\n", "a,b\n\"x\"y,1\n",
		"\n\n\r\n", "a,\"b\n", "\"a\"\"\",\"\n,\"\r", "a\n\r", "a,b\n,\n\"\",\"\"\n", "\ufeffa,b\n1,2",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		sameRecords(t, in)
	})
}
