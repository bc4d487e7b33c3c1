package sqlfilter

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
)

// ids and strs are lists of n made up values (deterministic and cheap:
// the tests build 50,000-item lists many times).
func ids(n int) *[]uuid.UUID {
	out := make([]uuid.UUID, n)
	for i := range out {
		binary.BigEndian.PutUint64(out[i][8:], uint64(i))
	}
	return &out
}

func strs(n int) *[]string {
	out := make([]string, n)
	for i := range out {
		out[i] = "v-" + strconv.Itoa(i)
	}
	return &out
}

func types(n int) *struct {
	Any *[]core.StateType `json:"any_"`
} {
	out := make([]core.StateType, n)
	for i := range out {
		out[i] = core.Completed
	}
	return &struct {
		Any *[]core.StateType `json:"any_"`
	}{Any: &out}
}

// TestListsAreOneParameter: every list of every filter object compiles to
// one parameter and the same SQL whatever its length, on both dialects —
// the fix for SQLite's "too many SQL variables" (32,767+ items) and
// "Expression tree is too large" (~1,000 tags.all_ or startswith_ items).
func TestListsAreOneParameter(t *testing.T) {
	cases := []struct {
		name    string
		compile func(d *Dialect, n int) Cond
	}{
		{"flow id any", func(d *Dialect, n int) Cond { return d.Flow("f", &store.FlowFilter{ID: &store.IDFilter{Any: ids(n)}}) }},
		{"flow name any", func(d *Dialect, n int) Cond {
			return d.Flow("f", &store.FlowFilter{Name: &store.NameFilter{Any: strs(n)}})
		}},
		{"flow tags all", func(d *Dialect, n int) Cond {
			return d.Flow("f", &store.FlowFilter{Tags: &store.TagsFilter{All: strs(n)}})
		}},
		{"run id not_any", func(d *Dialect, n int) Cond {
			return d.FlowRun("fr", &store.FlowRunFilter{ID: &store.IDFilter{NotAny: ids(n)}})
		}},
		{"run name startswith", func(d *Dialect, n int) Cond {
			return d.FlowRun("fr", &store.FlowRunFilter{Name: &store.NameFilter{StartsWith: strs(n)}})
		}},
		{"run deployment any", func(d *Dialect, n int) Cond {
			return d.FlowRun("fr", &store.FlowRunFilter{DeploymentID: &store.OptIDFilter{Any: ids(n)}})
		}},
		{"run work queue any", func(d *Dialect, n int) Cond {
			return d.FlowRun("fr", &store.FlowRunFilter{WorkQueueName: &store.OptStringFilter{Any: strs(n)}})
		}},
		{"run state type any", func(d *Dialect, n int) Cond {
			return d.FlowRun("fr", &store.FlowRunFilter{State: &store.StateFilter{Type: types(n)}})
		}},
		{"run state name any", func(d *Dialect, n int) Cond {
			return d.FlowRun("fr", &store.FlowRunFilter{State: &store.StateFilter{Name: &store.StringAnyFilter{Any: strs(n)}}})
		}},
		{"run flow version any", func(d *Dialect, n int) Cond {
			return d.FlowRun("fr", &store.FlowRunFilter{FlowVersion: &store.StringAnyFilter{Any: strs(n)}})
		}},
		{"run parent any", func(d *Dialect, n int) Cond {
			return d.FlowRun("fr", &store.FlowRunFilter{ParentTaskRunID: &store.OptIDFilter{Any: ids(n)}})
		}},
		{"run idempotency any", func(d *Dialect, n int) Cond {
			return d.FlowRun("fr", &store.FlowRunFilter{IdempotencyKey: &store.StringAnyFilter{Any: strs(n)}})
		}},
		{"task tags all", func(d *Dialect, n int) Cond {
			return d.TaskRun("tr", &store.TaskRunFilter{Tags: &store.TagsFilter{All: strs(n)}})
		}},
		{"deployment queue any", func(d *Dialect, n int) Cond {
			return d.Deployment("d", &store.DeploymentFilter{WorkQueueName: &store.StringAnyFilter{Any: strs(n)}})
		}},
		{"logs flow run any", func(d *Dialect, n int) Cond { return d.Logs(&store.LogFilter{FlowRunID: &store.IDFilter{Any: ids(n)}}) }},
		{"logs task run any", func(d *Dialect, n int) Cond {
			return d.Logs(&store.LogFilter{TaskRunID: &store.OptIDFilter{Any: ids(n)}})
		}},
		{"work queue name startswith", func(d *Dialect, n int) Cond {
			return d.WorkQueues(&store.WorkQueueFilter{Name: &store.NameFilter{StartsWith: strs(n)}})
		}},
		{"block schema capabilities", func(d *Dialect, n int) Cond {
			return d.BlockSchema("bs", &store.BlockSchemaFilter{BlockCapabilities: &struct {
				All *[]string `json:"all_"`
			}{All: strs(n)}})
		}},
		{"block document name any", func(d *Dialect, n int) Cond {
			return d.BlockDocument("bd", &store.BlockDocumentFilter{Name: &store.StringAnyFilter{Any: strs(n)}})
		}},
		{"cross filter", func(d *Dialect, n int) Cond {
			return d.TaskRuns(&store.RunFilters{FlowRuns: &store.FlowRunFilter{ID: &store.IDFilter{Any: ids(n)}},
				Flows: &store.FlowFilter{Name: &store.NameFilter{Any: strs(n)}}})
		}},
	}
	for _, d := range []struct {
		name string
		d    *Dialect
	}{{"sqlite", SQLite}, {"postgres", Postgres}} {
		for _, tc := range cases {
			t.Run(d.name+"/"+tc.name, func(t *testing.T) {
				short, long := tc.compile(d.d, 2), tc.compile(d.d, 50_000)
				if short.SQL != long.SQL || len(short.Args) != len(long.Args) {
					t.Fatalf("the list's length changes the statement:\n2:      %s (%d args)\n50,000: %.300s (%d args)",
						short.SQL, len(short.Args), long.SQL, len(long.Args))
				}
				if len(long.Args) > 2 {
					t.Fatalf("%d parameters for one list: %s", len(long.Args), long.SQL)
				}
				if got := strings.Count(long.SQL, "?"); got != len(long.Args) {
					t.Fatalf("%d marks for %d args: %s", got, len(long.Args), long.SQL)
				}
			})
		}
	}
}

// TestShortLists: an empty list matches nothing and a one-item list is an
// equality (an index on (column, sort key) then serves the order).
func TestShortLists(t *testing.T) {
	for _, tc := range []struct {
		d    *Dialect
		vals []string
		want string
	}{
		{SQLite, nil, "0"},
		{SQLite, []string{"a"}, "c = ?"},
		{SQLite, []string{"a", "b"}, "c IN (SELECT value FROM json_each(?))"},
		{Postgres, []string{}, "FALSE"},
		{Postgres, []string{"a"}, "c = ?"},
		{Postgres, []string{"a", "b"}, "c = ANY(?)"},
	} {
		if got := tc.d.In("c", tc.vals).SQL; got != tc.want {
			t.Errorf("In(%q) = %q, want %q", tc.vals, got, tc.want)
		}
	}
	// SQLite's list is sorted JSON text (see jsonText).
	if got := SQLite.In("c", []string{"b", "a", "c"}).Args[0]; got != `["a","b","c"]` {
		t.Errorf("SQLite list = %v", got)
	}
}

func TestNumbered(t *testing.T) {
	for _, tc := range []struct {
		c    Cond
		from int
		want string
	}{
		{Cond{SQL: "TRUE"}, 4, "TRUE"},
		{Cond{SQL: "a = ? AND b @> ?::jsonb", Args: []any{1, 2}}, 0, "a = $1 AND b @> $2::jsonb"},
		{Cond{SQL: "a = ? OR b = ?", Args: []any{1, 2}}, 9, "a = $10 OR b = $11"},
	} {
		if got := tc.c.Numbered(tc.from); got != tc.want {
			t.Errorf("Numbered(%q, %d) = %q, want %q", tc.c.SQL, tc.from, got, tc.want)
		}
	}
}

// TestArgsFollowText: conditions nested in any order keep their arguments
// in the order of their marks (what Numbered and SQLite's ? rely on).
func TestArgsFollowText(t *testing.T) {
	like, prefix := "mid", "pre"
	before := core.TP(t0())
	c := SQLite.FlowRuns(&store.RunFilters{
		FlowRuns: &store.FlowRunFilter{Name: &store.NameFilter{Like: &like, StartsWith: &[]string{prefix}},
			StartTime: &store.TimeFilter{Before: before}},
		Flows: &store.FlowFilter{Name: &store.NameFilter{Any: &[]string{"f"}}},
	})
	want := []any{like, prefix, before.UnixMicro(), "f"}
	if fmt.Sprint(c.Args) != fmt.Sprint(want) {
		t.Fatalf("args %v, want %v\n%s", c.Args, want, c.SQL)
	}
}

func t0() time.Time { return time.Date(2023, 2, 7, 10, 0, 0, 0, time.UTC) }
