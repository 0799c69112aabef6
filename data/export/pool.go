package export

import (
	"sync"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// recyclingAllocator hands the buffers of a record batch, once released,
// to the builders of the next batch instead of leaving them to the garbage
// collector: an export allocates about one batch of buffers in all, not
// one per batch. Reused buffers are zeroed, as fresh ones are. Buffers
// smaller than minRecycle go straight to the underlying allocator; a larger
// one always has the capacity it was allocated with, which Free passes on. After
// drain every Free goes to the underlying allocator too, so buffers
// released late (by a sink) are not lost.
type recyclingAllocator struct {
	mem     memory.Allocator
	mu      sync.Mutex
	free    [][]byte // each with cap the size it was allocated with
	drained bool
}

const (
	minRecycle = 4 << 10
	maxFree    = 256 // bounds the free list when sizes drift
)

func newRecyclingAllocator(mem memory.Allocator) *recyclingAllocator {
	return &recyclingAllocator{mem: mem}
}

func (a *recyclingAllocator) Allocate(size int) []byte {
	if size >= minRecycle {
		a.mu.Lock()
		best := -1
		for i, b := range a.free {
			// Smallest buffer that fits, wasting at most a quarter.
			if c := cap(b); c >= size && c <= size+size/4 && (best < 0 || c < cap(a.free[best])) {
				best = i
			}
		}
		if best >= 0 {
			b := a.free[best]
			last := len(a.free) - 1
			a.free[best] = a.free[last]
			a.free[last] = nil
			a.free = a.free[:last]
			a.mu.Unlock()
			b = b[:size]
			clear(b)
			return b
		}
		a.mu.Unlock()
	}
	out := a.mem.Allocate(size)
	return out[:size:size] // cap is the allocated size (see Free)
}

func (a *recyclingAllocator) Reallocate(size int, b []byte) []byte {
	if cap(b) < minRecycle && size < minRecycle {
		out := a.mem.Reallocate(size, b)
		return out[:len(out):len(out)]
	}
	if cap(b) >= minRecycle && cap(b) >= size {
		if size > len(b) {
			clear(b[len(b):size])
		}
		return b[:size]
	}
	out := a.Allocate(size)
	copy(out, b)
	a.Free(b)
	return out
}

func (a *recyclingAllocator) Free(b []byte) {
	if cap(b) >= minRecycle {
		b = b[:cap(b)] // the size it was allocated with
		a.mu.Lock()
		if !a.drained {
			if len(a.free) >= maxFree {
				old := a.free[0]
				copy(a.free, a.free[1:])
				a.free[len(a.free)-1] = b
				a.mu.Unlock()
				a.mem.Free(old)
				return
			}
			a.free = append(a.free, b)
			a.mu.Unlock()
			return
		}
		a.mu.Unlock()
	}
	a.mem.Free(b)
}

// drain frees the recycled buffers and stops recycling.
func (a *recyclingAllocator) drain() {
	a.mu.Lock()
	free := a.free
	a.free, a.drained = nil, true
	a.mu.Unlock()
	for _, b := range free {
		a.mem.Free(b)
	}
}
