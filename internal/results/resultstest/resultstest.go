// Package resultstest is the conformance suite every results.Store passes.
// A backend's test calls Run once with a factory that gives each subtest a
// fresh, empty store.
package resultstest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/orrery-dev/orrery/internal/results"
)

// BadKeys are keys every store must reject with results.ErrInvalidKey.
var BadKeys = []string{
	"", "/abs", "/", "a//b", "a/", "..", "../x", "a/../b", "a/..", ".", "./a", "a/./b", `a\b`, "a\x00b",
}

// Run exercises newStore's stores against the results.Store contract.
func Run(t *testing.T, newStore func(t *testing.T) results.Store) {
	t.Helper()
	ctx := context.Background()

	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		big := make([]byte, 12<<20)
		_, _ = rand.NewChaCha8([32]byte{1}).Read(big)
		for _, tc := range []struct {
			name, key string
			data      []byte
		}{
			{"empty", "empty", []byte{}},
			{"small", "payloads/flow_runs/0b6e/parameters", []byte(`{"x": 1}`)},
			{"binary", "a/b/c/d/e", []byte{0, 1, 2, 0xff, '\n'}},
			{"dotted names", "results/.hidden/x..y/v1.2.json", []byte("dots")},
			{"spaces and unicode", "flow code/ünï cödé.py", []byte("print(1)")},
			{"12 MB", "big/payload.bin", big},
		} {
			t.Run(tc.name, func(t *testing.T) {
				s := newStore(t)
				if err := s.Put(ctx, tc.key, tc.data); err != nil {
					t.Fatalf("Put(%q): %v", tc.key, err)
				}
				got, err := s.Get(ctx, tc.key)
				if err != nil {
					t.Fatalf("Get(%q): %v", tc.key, err)
				}
				if !bytes.Equal(got, tc.data) {
					t.Fatalf("Get(%q) = %d bytes, want the %d put", tc.key, len(got), len(tc.data))
				}
			})
		}
	})

	t.Run("Overwrite", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		for _, v := range []string{"first, longer value", "second", ""} {
			if err := s.Put(ctx, "k/v", []byte(v)); err != nil {
				t.Fatal(err)
			}
			got, err := s.Get(ctx, "k/v")
			if err != nil || string(got) != v {
				t.Fatalf("Get after Put(%q) = %q, %v", v, got, err)
			}
		}
	})

	t.Run("CallerMayReuseSlices", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		buf := []byte("original")
		if err := s.Put(ctx, "k", buf); err != nil {
			t.Fatal(err)
		}
		copy(buf, "XXXXXXXX")
		got, err := s.Get(ctx, "k")
		if err != nil || string(got) != "original" {
			t.Fatalf("Get = %q, %v; the store kept the caller's slice", got, err)
		}
		copy(got, "YYYYYYYY")
		if again, _ := s.Get(ctx, "k"); string(again) != "original" {
			t.Fatalf("Get = %q; the store returned its own slice", again)
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		if err := s.Put(ctx, "dir/file", []byte("x")); err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{"missing", "dir/missing", "dir/file/below", "dir"} {
			if _, err := s.Get(ctx, key); !errors.Is(err, results.ErrNotFound) {
				t.Errorf("Get(%q) error = %v, want ErrNotFound", key, err)
			}
		}
	})

	t.Run("Delete", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		if err := s.Put(ctx, "a/b", []byte("x")); err != nil {
			t.Fatal(err)
		}
		if err := s.Put(ctx, "a/c", []byte("y")); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, "a/b"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if _, err := s.Get(ctx, "a/b"); !errors.Is(err, results.ErrNotFound) {
			t.Fatalf("Get after Delete error = %v, want ErrNotFound", err)
		}
		if got, err := s.Get(ctx, "a/c"); err != nil || string(got) != "y" {
			t.Fatalf("sibling after Delete = %q, %v", got, err)
		}
		for _, key := range []string{"a/b", "never/was", "a", "a/c/d"} {
			if err := s.Delete(ctx, key); err != nil {
				t.Errorf("Delete(%q) of a missing key = %v, want nil", key, err)
			}
		}
		if got, err := s.Get(ctx, "a/c"); err != nil || string(got) != "y" {
			t.Fatalf("Delete of a prefix removed a key below it: %q, %v", got, err)
		}
	})

	t.Run("BadKeys", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		for _, key := range BadKeys {
			if err := s.Put(ctx, key, []byte("x")); !errors.Is(err, results.ErrInvalidKey) {
				t.Errorf("Put(%q) error = %v, want ErrInvalidKey", key, err)
			}
			if _, err := s.Get(ctx, key); !errors.Is(err, results.ErrInvalidKey) {
				t.Errorf("Get(%q) error = %v, want ErrInvalidKey", key, err)
			}
			if err := s.Delete(ctx, key); !errors.Is(err, results.ErrInvalidKey) {
				t.Errorf("Delete(%q) error = %v, want ErrInvalidKey", key, err)
			}
		}
	})

	t.Run("ConcurrentWriters", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		const writers = 8
		var wg sync.WaitGroup
		for i := range writers {
			wg.Go(func() {
				v := bytes.Repeat([]byte{byte('a' + i)}, 64<<10)
				for range 5 {
					if err := s.Put(ctx, "shared/key", v); err != nil {
						t.Error(err)
						return
					}
				}
				if err := s.Put(ctx, fmt.Sprintf("own/%d", i), v); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		got, err := s.Get(ctx, "shared/key")
		if err != nil || len(got) != 64<<10 || !bytes.Equal(got, bytes.Repeat(got[:1], len(got))) {
			t.Fatalf("concurrent Puts left a torn value (len %d, err %v)", len(got), err)
		}
		for i := range writers {
			if got, err := s.Get(ctx, fmt.Sprintf("own/%d", i)); err != nil || got[0] != byte('a'+i) {
				t.Fatalf("own/%d: %v", i, err)
			}
		}
	})
}
