package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
	"github.com/orrery-dev/orrery/internal/store/sqlite"
)

// TestLogSearchAfterResetAndReopen: Reset drops the FTS table with its
// shadow tables and recreates it; a reopened database keeps the index.
func TestLogSearchAfterResetAndReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "o.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	search := func(s store.Store, q string) int {
		t.Helper()
		out, err := s.ListLogs(ctx, &store.LogQuery{Filter: &store.LogFilter{Text: &store.LogTextFilter{Query: &q}}})
		if err != nil {
			t.Fatal(err)
		}
		return len(out)
	}
	write := func(s store.Store, msg string) {
		t.Helper()
		if err := s.CreateLogs(ctx, []*core.Log{{ID: uuid.New(), Name: "x", Level: 20, Message: msg,
			Timestamp: core.T(time.Now()), FlowRunID: uuid.New()}}); err != nil {
			t.Fatal(err)
		}
	}
	write(s, "before the reset")
	if err := s.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if n := search(s, "reset"); n != 0 {
		t.Fatalf("%d matches after Reset", n)
	}
	write(s, "after the RESET")
	if n := search(s, "reset"); n != 1 {
		t.Fatalf("%d matches after Reset and a write", n)
	}
	s.Close()
	s, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n := search(s, "the reset"); n != 1 {
		t.Fatalf("%d matches after reopening", n)
	}
}
