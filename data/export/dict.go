package export

import (
	"encoding/binary"
	"strings"
	"unsafe"

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
	idx     []int32 // indices of the batch so far, 0 for null
	valid   []bool  // validity of the batch so far
	nulls   int     // nulls in the batch so far
	slots   []int32 // open-addressing hash table of values: index+1, 0 empty
	values  []string
	hashes  []uint64    // strHash of values
	dict    arrow.Array // dictionary of values; nil when values grew since
	last    string      // the value appended last, and its index
	lastIdx int32
}

func newDictColumn(mem memory.Allocator, batch int) *dictColumn {
	return &dictColumn{mem: mem, indices: array.NewInt32Builder(mem), lastIdx: -1,
		idx: make([]int32, 0, batch), valid: make([]bool, 0, batch)}
}

func (d *dictColumn) add(i int32, ok bool) {
	d.idx = append(d.idx, i)
	d.valid = append(d.valid, ok)
}

func (d *dictColumn) append(s string) {
	if s == "" {
		d.add(0, false)
		d.nulls++
		return
	}
	if d.lastIdx >= 0 && s == d.last { // runs of one value: no hash
		d.add(d.lastIdx, true)
		return
	}
	h := strHash(s)
	i, ok := d.lookup(s, h)
	if !ok {
		i = int32(len(d.values))
		// A copy: the caller's string may be a view of a buffer it reuses
		// (data.ExportScanner rows), and must not be pinned either.
		d.values = append(d.values, strings.Clone(s))
		d.hashes = append(d.hashes, h)
		d.insert(i)
		if d.dict != nil {
			d.dict.Release()
			d.dict = nil
		}
	}
	d.last, d.lastIdx = d.values[i], i
	d.add(i, true)
}

// lookup finds s in the hash table of values.
func (d *dictColumn) lookup(s string, h uint64) (int32, bool) {
	if len(d.slots) == 0 {
		return 0, false
	}
	mask := uint64(len(d.slots) - 1)
	for k := h & mask; ; k = (k + 1) & mask {
		j := d.slots[k]
		if j == 0 {
			return 0, false
		}
		if d.hashes[j-1] == h && d.values[j-1] == s {
			return j - 1, true
		}
	}
}

// insert adds values[i] to the hash table, growing it to stay at most half full.
func (d *dictColumn) insert(i int32) {
	if 2*len(d.values) > len(d.slots) {
		d.slots = make([]int32, max(64, 2*len(d.slots)))
		for j := range i {
			d.put(j)
		}
	}
	d.put(i)
}

func (d *dictColumn) put(i int32) {
	mask := uint64(len(d.slots) - 1)
	h := d.hashes[i] & mask
	for d.slots[h] != 0 {
		h = (h + 1) & mask
	}
	d.slots[h] = i + 1
}

// strHash is a fast hash of the short strings of dictionary columns
// (codes, ids, names): 8 bytes at a time, multiply and xor-shift.
func strHash(s string) uint64 {
	const m = 0x9E3779B97F4A7C15
	n := len(s)
	h := uint64(n) * m
	if n < 8 {
		var v uint64
		for i := 0; i < n; i++ {
			v = v<<8 | uint64(s[i])
		}
		h = (h ^ v) * m
		return h ^ h>>32
	}
	p := unsafe.Slice(unsafe.StringData(s), n)
	for ; len(p) > 8; p = p[8:] {
		h = (h ^ binary.LittleEndian.Uint64(p)) * m
		h ^= h >> 29
	}
	h = (h ^ binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(s), n)[n-8:])) * m
	return h ^ h>>32
}

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
	valid := d.valid
	if d.nulls == 0 {
		valid = nil
	}
	d.indices.AppendValues(d.idx, valid)
	d.idx, d.valid, d.nulls = d.idx[:0], d.valid[:0], 0
	idx := d.indices.NewArray()
	defer idx.Release()
	return array.NewDictionaryArray(dictType, idx, d.dictionary())
}

// releaseIndices releases the index builder; the column takes no more
// values.
func (d *dictColumn) releaseIndices() {
	if d.indices != nil {
		d.indices.Release()
		d.indices = nil
	}
	d.idx, d.valid = nil, nil
}

// release releases the index builder and the dictionary.
func (d *dictColumn) release() {
	d.releaseIndices()
	if d.dict != nil {
		d.dict.Release()
		d.dict = nil
	}
}
