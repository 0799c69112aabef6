package h3

// Port of H3's grid traversal (h3_algos.c): h3NeighborRotations, the
// ring walk of gridDiskDistancesUnsafe and, when that walk meets a pentagon,
// a breadth-first search over neighbours with the same result set as the C
// library's gridDiskDistancesSafe.

// Directions (H3 digits) round a hexagonal ring, counter-clockwise, and the
// direction to the next ring outwards.
var ringDirections = [6]int{2, 3, 1, 5, 4, 6} // J, JK, K, IK, I, IJ

const (
	nextRingDirection = 4 // I
	ikAxesDigit       = 5
	jkAxesDigit       = 3
	invalidBaseCell   = 127
)

func isBaseCellPentagon(bc int) bool { return baseCellData[bc].isPentagon != 0 }

func isBaseCellPolarPentagon(bc int) bool { return bc == 4 || bc == 117 }

// neighborRotations is H3's h3NeighborRotations: the neighbour of origin in
// direction dir after rotating dir by rot 60-degree ccw turns, and the
// rotations to apply to later directions. ok is false when the move is
// undefined (the deleted k direction from a pentagon's centre child) or the
// input is not a cell.
func neighborRotations(origin uint64, dir, rot int) (out uint64, newRot int, ok bool) {
	current := origin
	rot %= 6
	for i := 0; i < rot; i++ {
		dir = rot60ccw[dir]
	}
	newRotations := 0
	oldBaseCell := int(current>>h3BCOffset) & 127
	if oldBaseCell >= len(baseCellData) {
		return 0, 0, false
	}
	oldLeadingDigit := leadingNonZeroDigit(current)

	r := cellRes(current) - 1
	for {
		if r == -1 {
			nb := int(baseCellNeighbors[oldBaseCell][dir])
			newRotations = int(baseCellNeighbor60CCWRots[oldBaseCell][dir])
			if nb == invalidBaseCell {
				// The deleted k vertex at the base cell level: this edge
				// borders the ik neighbour.
				nb = int(baseCellNeighbors[oldBaseCell][ikAxesDigit])
				newRotations = int(baseCellNeighbor60CCWRots[oldBaseCell][ikAxesDigit])
				current = h3Rotate60ccw(current)
				rot++
			}
			current = current&^(uint64(127)<<h3BCOffset) | uint64(nb)<<h3BCOffset
			break
		}
		oldDigit := cellDigit(current, r+1)
		if oldDigit == 7 {
			return 0, 0, false
		}
		var nextDir int
		if (r+1)%2 == 1 { // class III resolution
			current = setCellDigit(current, r+1, int(newDigitII[oldDigit][dir]))
			nextDir = int(newAdjustmentII[oldDigit][dir])
		} else {
			current = setCellDigit(current, r+1, int(newDigitIII[oldDigit][dir]))
			nextDir = int(newAdjustmentIII[oldDigit][dir])
		}
		if nextDir == 0 {
			break
		}
		dir = nextDir
		r--
	}

	newBaseCell := int(current>>h3BCOffset) & 127
	if isBaseCellPentagon(newBaseCell) {
		alreadyAdjustedKSubsequence := false
		if leadingNonZeroDigit(current) == kAxesDigit {
			if oldBaseCell != newBaseCell {
				// Into the deleted k subsequence of a pentagon base cell
				// from another base cell: rotate out of it.
				face := int(baseCellData[oldBaseCell].face)
				if bd := &baseCellData[newBaseCell]; int(bd.cwOffset0) == face || int(bd.cwOffset1) == face {
					current = h3Rotate60cw(current)
				} else {
					current = h3Rotate60ccw(current)
				}
				alreadyAdjustedKSubsequence = true
			} else {
				switch oldLeadingDigit {
				case 0:
					return 0, 0, false // the k direction is deleted here
				case jkAxesDigit:
					current = h3Rotate60ccw(current)
					rot++
				case ikAxesDigit:
					current = h3Rotate60cw(current)
					rot += 5
				default:
					return 0, 0, false
				}
			}
		}
		for i := 0; i < newRotations; i++ {
			current = h3RotatePent60ccw(current)
		}
		if oldBaseCell != newBaseCell {
			if isBaseCellPolarPentagon(newBaseCell) {
				if oldBaseCell != 118 && oldBaseCell != 8 && leadingNonZeroDigit(current) != jkAxesDigit {
					rot++
				}
			} else if leadingNonZeroDigit(current) == ikAxesDigit && !alreadyAdjustedKSubsequence {
				rot++
			}
		}
	} else {
		for i := 0; i < newRotations; i++ {
			current = h3Rotate60ccw(current)
		}
	}
	return current, (rot + newRotations) % 6, true
}

// GridDisk returns the cells within grid distance k of origin (origin
// included), as H3's gridDisk but without its zero fillers: 3k(k+1)+1 cells
// away from pentagons, fewer near one. The order is H3's spiral (origin,
// then ring by ring) when the disk holds no pentagon, breadth-first by
// distance otherwise. It returns nil for k < 0 or an invalid origin.
func GridDisk(origin Cell, k int) []Cell {
	return AppendGridDisk(nil, origin, k)
}

// AppendGridDisk appends GridDisk(origin, k) to dst and returns the
// extended slice, so a caller can reuse a buffer.
func AppendGridDisk(dst []Cell, origin Cell, k int) []Cell {
	if k < 0 || !origin.IsValid() {
		return dst
	}
	n0 := len(dst)
	if out, ok := diskUnsafe(dst, uint64(origin), k); ok {
		return out
	}
	return diskSafe(dst[:n0], uint64(origin), k)
}

// diskUnsafe is gridDiskDistancesUnsafe: the spiral walk, which fails (ok
// false) when it meets a pentagon.
func diskUnsafe(dst []Cell, origin uint64, k int) ([]Cell, bool) {
	dst = append(dst, Cell(origin))
	if Cell(origin).IsPentagon() {
		return dst, false
	}
	ring, direction, i, rot := 1, 0, 0, 0
	var ok bool
	for ring <= k {
		if direction == 0 && i == 0 {
			origin, rot, ok = neighborRotations(origin, nextRingDirection, rot)
			if !ok || Cell(origin).IsPentagon() {
				return dst, false
			}
		}
		origin, rot, ok = neighborRotations(origin, ringDirections[direction], rot)
		if !ok {
			return dst, false
		}
		dst = append(dst, Cell(origin))
		i++
		if i == ring {
			i = 0
			direction++
			if direction == 6 {
				direction = 0
				ring++
			}
		}
		if Cell(origin).IsPentagon() {
			return dst, false
		}
	}
	return dst, true
}

// diskSafe collects the same set as gridDiskDistancesSafe (every cell
// reachable from origin in at most k neighbour steps) breadth-first.
func diskSafe(dst []Cell, origin uint64, k int) []Cell {
	start := len(dst)
	dst = append(dst, Cell(origin))
	seen := map[Cell]struct{}{Cell(origin): {}}
	lo := start
	for d := 0; d < k; d++ {
		hi := len(dst)
		for x := lo; x < hi; x++ {
			for _, dir := range ringDirections {
				nb, _, ok := neighborRotations(uint64(dst[x]), dir, 0)
				if !ok {
					continue // the deleted k direction of a pentagon
				}
				if _, dup := seen[Cell(nb)]; !dup {
					seen[Cell(nb)] = struct{}{}
					dst = append(dst, Cell(nb))
				}
			}
		}
		lo = hi
	}
	return dst
}
