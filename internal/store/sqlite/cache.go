package sqlite

import (
	"sync"

	"github.com/google/uuid"
)

// runCache keeps the latest decoded version of recently written runs, so
// the read half of a transition (read run, decide, conditional write) skips
// SQLite and JSON decoding for runs this process just wrote. Entries are
// written only after a successful commit and dropped on any conflict or
// delete, so a stale entry can at worst cost one failed compare-and-set
// (after which it is evicted and the run re-read from the database).
type runCache[T any] struct {
	mu  sync.Mutex
	m   map[uuid.UUID]*T
	max int
}

func newRunCache[T any](max int) *runCache[T] {
	return &runCache[T]{m: make(map[uuid.UUID]*T, max), max: max}
}

// get returns a shallow copy of the cached run, or nil.
func (c *runCache[T]) get(id uuid.UUID) *T {
	c.mu.Lock()
	v := c.m[id]
	c.mu.Unlock()
	if v == nil {
		return nil
	}
	cp := *v
	return &cp
}

// put stores a shallow copy of v.
func (c *runCache[T]) put(id uuid.UUID, v *T) {
	cp := *v
	c.mu.Lock()
	if len(c.m) >= c.max {
		// Drop an arbitrary half: cheap, and runs are hot only briefly.
		n := 0
		for k := range c.m {
			delete(c.m, k)
			if n++; n >= c.max/2 {
				break
			}
		}
	}
	c.m[id] = &cp
	c.mu.Unlock()
}

func (c *runCache[T]) drop(id uuid.UUID) {
	c.mu.Lock()
	delete(c.m, id)
	c.mu.Unlock()
}

func (c *runCache[T]) clear() {
	c.mu.Lock()
	clear(c.m)
	c.mu.Unlock()
}
