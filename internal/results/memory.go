package results

import (
	"context"
	"sync"
)

// Memory is an in-process Store for tests. It copies data on Put and Get, so
// callers may reuse their slices.
type Memory struct {
	mu   sync.Mutex
	data map[string][]byte
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory { return &Memory{data: map[string][]byte{}} }

// Put stores a copy of data under key, replacing what was there.
func (m *Memory) Put(_ context.Context, key string, data []byte) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.data[key] = append(make([]byte, 0, len(data)), data...)
	return nil
}

// Get returns a copy of the bytes under key, or ErrNotFound.
func (m *Memory) Get(_ context.Context, key string) ([]byte, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.data[key]
	if !ok {
		return nil, ErrNotFound
	}
	return append(make([]byte, 0, len(b)), b...), nil
}

// Delete removes key; a missing key is not an error.
func (m *Memory) Delete(_ context.Context, key string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.data, key)
	return nil
}
