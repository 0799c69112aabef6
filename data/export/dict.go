package export

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// dictType is the type of every dictionary-encoded string column.
var dictType = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}

// dictColumn builds a dictionary-encoded string column whose dictionary only
// grows over the whole export: a value keeps its index from the batch it
// first appeared in to the end. Each batch carries the dictionary so far, so
// the IPC stream writer sends deltas, and the IPC file is rewritten at Close
// with the final dictionary under indices that stay valid. Empty strings are
// null.
type dictColumn struct {
	mem     memory.Allocator
	indices *array.Int32Builder
	memo    map[string]int32
	values  []string
	dict    arrow.Array // dictionary of values; nil when values grew since
	last    string
	lastIdx int32
}

func newDictColumn(mem memory.Allocator) *dictColumn {
	return &dictColumn{mem: mem, indices: array.NewInt32Builder(mem), memo: map[string]int32{}, lastIdx: -1}
}

func (d *dictColumn) append(s string) {
	if s == "" {
		d.indices.AppendNull()
		return
	}
	if d.lastIdx >= 0 && s == d.last {
		d.indices.Append(d.lastIdx)
		return
	}
	var (
		i  int32
		ok bool
	)
	if len(d.values) <= smallDict {
		// A scan of a few values beats hashing the string.
		for j, v := range d.values {
			if v == s {
				i, ok = int32(j), true
				break
			}
		}
	} else {
		i, ok = d.memo[s]
	}
	if !ok {
		s = strings.Clone(s) // do not pin the caller's buffers
		i = int32(len(d.values))
		d.values = append(d.values, s)
		d.memo[s] = i
		if d.dict != nil {
			d.dict.Release()
			d.dict = nil
		}
	}
	d.last, d.lastIdx = s, i
	d.indices.Append(i)
}

// smallDict is the dictionary size up to which append scans instead of hashing.
const smallDict = 8

// dictionary returns the dictionary so far; the same array (and so the same
// array data) as long as no value was added.
func (d *dictColumn) dictionary() arrow.Array {
	if d.dict == nil {
		b := array.NewStringBuilder(d.mem)
		defer b.Release()
		b.AppendValues(d.values, nil)
		d.dict = b.NewArray()
	}
	return d.dict
}

// newArray returns the batch built so far and resets the indices.
func (d *dictColumn) newArray() arrow.Array {
	idx := d.indices.NewArray()
	defer idx.Release()
	return array.NewDictionaryArray(dictType, idx, d.dictionary())
}

func (d *dictColumn) release() {
	d.indices.Release()
	if d.dict != nil {
		d.dict.Release()
		d.dict = nil
	}
}
