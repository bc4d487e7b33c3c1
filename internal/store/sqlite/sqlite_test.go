package sqlite_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
	"github.com/orrery-dev/orrery/internal/store/sqlite"
	"github.com/orrery-dev/orrery/internal/store/storetest"
)

func TestConformanceInMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := sqlite.Open(context.Background(), ":memory:")
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestConformanceFile(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "orrery.db"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "o.db")
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	f := &core.Flow{ID: uuid.New(), Name: "kept", Tags: []string{}}
	if _, _, err := s.CreateFlow(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.GetFlowByName(context.Background(), "kept"); err != nil {
		t.Fatal("data lost across reopen:", err)
	}
}

func TestParseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		bad      bool
	}{
		{"sqlite:///tmp/a.db", "/tmp/a.db", false},
		{"sqlite:////tmp/a.db", "/tmp/a.db", false},
		{"sqlite:///:memory:", ":memory:", false},
		{"sqlite://:memory:", ":memory:", false},
		{":memory:", ":memory:", false},
		{"sqlite:///tmp/a.db?mode=rw", "/tmp/a.db", false},
		{"sqlite://relative.db", "", true},
		{"sqlite:///", "", true},
		{"postgres://x", "", true},
	}
	for _, tt := range tests {
		got, err := sqlite.ParseURL(tt.in)
		if (err != nil) != tt.bad || got != tt.want {
			t.Errorf("ParseURL(%q) = %q, %v", tt.in, got, err)
		}
	}
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"sqlite:///a.db", "sqlite:///:memory:", "sqlite://x", ":memory:", "sqlite:////a//b/../c.db?x#y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := sqlite.ParseURL(s)
		if err == nil && p == "" {
			t.Fatalf("empty path for %q", s)
		}
	})
}

// BenchmarkTaskRunTransition measures the commit path of a task-run
// transition (the store's share of one orchestrated set_state).
func BenchmarkTaskRunTransition(b *testing.B) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	f, _, _ := s.CreateFlow(ctx, &core.Flow{ID: uuid.New(), Name: "f", Tags: []string{}})
	run := &core.FlowRun{ID: uuid.New(), FlowID: f.ID, Name: "r", Parameters: json.RawMessage(`{}`), Context: json.RawMessage(`{}`)}
	if _, _, err := s.CreateFlowRun(ctx, run); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			st := &core.State{ID: uuid.New(), Type: core.Pending, Name: "Pending", Timestamp: core.T(time.Now())}
			tr := &core.TaskRun{ID: uuid.New(), FlowRunID: run.ID, TaskKey: "k", DynamicKey: fmt.Sprint(uuid.New()), Name: "t", Tags: []string{}}
			tr.State = st
			if _, _, err := s.CreateTaskRun(ctx, tr); err != nil {
				b.Fatal(err)
			}
			next := *tr
			next.State = &core.State{ID: uuid.New(), Type: core.Running, Name: "Running", Timestamp: core.T(time.Now())}
			if err := s.CommitTaskRunTransition(ctx, &store.TaskRunTransition{Run: &next, ExpectedVersion: tr.Version, AppendState: true}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
