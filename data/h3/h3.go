package h3

import (
	"errors"
	"strconv"
)

// Cell is an H3 cell index (mode 1), bit-for-bit the value of h3-go's Cell
// and of the C library's H3Index. The zero Cell is not a cell: functions
// return it for invalid input.
type Cell uint64

// MaxResolution is H3's finest resolution.
const MaxResolution = 15

// ErrInvalidCell is returned by FromString for text that is not a valid H3
// cell index.
var ErrInvalidCell = errors.New("h3: not a valid H3 cell")

// LatLngToCell returns the cell at resolution res containing the point
// (latitude and longitude in degrees), as H3's latLngToCell. It returns 0 for
// a non-finite coordinate or res outside 0..15.
func LatLngToCell(lat, lng float64, res int) Cell {
	return Cell(latLngToCell(lat, lng, res))
}

// Resolution returns the cell's resolution (0-15).
func (c Cell) Resolution() int { return cellRes(uint64(c)) }

// BaseCell returns the cell's base (resolution-0) cell number, 0-121.
func (c Cell) BaseCell() int { return int(uint64(c)>>h3BCOffset) & 127 }

// Parent returns the cell's ancestor at resolution res, as H3's
// cellToParent: the cell itself for its own resolution, 0 for res finer than
// the cell's or negative.
func (c Cell) Parent(res int) Cell { return Cell(cellParent(uint64(c), res)) }

// IsPentagon reports whether the cell is one of the 12 pentagons of its
// resolution.
func (c Cell) IsPentagon() bool {
	bc := c.BaseCell()
	return bc < len(baseCellData) && baseCellData[bc].isPentagon != 0 && leadingNonZeroDigit(uint64(c)) == 0
}

// IsValid reports whether c is a valid H3 cell index, as H3's isValidCell:
// mode 1, high and reserved bits clear, base cell 0-121, digits 0-6 down to
// its resolution and 7 below, and no deleted k-subsequence of a pentagon.
func (c Cell) IsValid() bool {
	h := uint64(c)
	if h>>63 != 0 || (h>>h3ModeOffset)&15 != 1 || (h>>56)&7 != 0 {
		return false
	}
	bc := c.BaseCell()
	if bc >= len(baseCellData) {
		return false
	}
	res := cellRes(h)
	pent := baseCellData[bc].isPentagon != 0
	found := false
	for r := 1; r <= res; r++ {
		d := cellDigit(h, r)
		if !found && d != 0 {
			found = true
			if pent && d == kAxesDigit {
				return false
			}
		}
		if d == 7 {
			return false
		}
	}
	for r := res + 1; r <= MaxResolution; r++ {
		if cellDigit(h, r) != 7 {
			return false
		}
	}
	return true
}

// String returns H3's string form of the index: lower-case hexadecimal
// without leading zeros (h3-go's IndexToString).
func (c Cell) String() string { return strconv.FormatUint(uint64(c), 16) }

// FromString parses H3's hexadecimal string form (either case) and checks
// that the result is a valid cell; otherwise it returns ErrInvalidCell.
func FromString(s string) (Cell, error) {
	v, err := strconv.ParseUint(s, 16, 64)
	if err != nil || !Cell(v).IsValid() {
		return 0, ErrInvalidCell
	}
	return Cell(v), nil
}
