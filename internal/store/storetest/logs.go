package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
)

// logTests are the log-area tests: part of Run (`go test -run
// 'Conformance.*/Log'` picks them out), and runnable alone with RunLogs,
// which SQLite uses to run them again with every search on its index.
var logTests = map[string]func(*testing.T, store.Store){
	"LogTextSearch": testLogTextSearch,
	"LogRunPages":   testRunLogsPage,
}

// RunLogs runs the log-area tests only.
func RunLogs(t *testing.T, newStore Factory) {
	for name, fn := range logTests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			t.Cleanup(func() { s.Close() })
			fn(t, s)
		})
	}
}

func levelRange(ge, le *int) *struct {
	Ge *int `json:"ge_"`
	Le *int `json:"le_"`
} {
	return &struct {
		Ge *int `json:"ge_"`
		Le *int `json:"le_"`
	}{Ge: ge, Le: le}
}

func textFilter(q string) *store.LogTextFilter { return &store.LogTextFilter{Query: &q} }

func runsFilter(ids ...uuid.UUID) *store.IDFilter { return &store.IDFilter{Any: &ids} }

func testLogTextSearch(t *testing.T, s store.Store) {
	runA, runB, task := uuid.New(), uuid.New(), uuid.New()
	type line struct {
		run   uuid.UUID
		task  bool
		level int
		msg   string
	}
	lines := []line{
		{runA, false, 20, "Connection TIMEOUT after 30s"},
		{runA, true, 40, "ÉCHEC du téléchargement"},
		{runA, true, 20, "100% done"},
		{runA, false, 20, "a_b literal"},
		{runA, false, 30, `he said "hi" twice`},
		{runA, false, 20, "it's fine"},
		{runA, false, 40, "ПРИВЕТ мир"},
		{runA, false, 10, `back\slash path`},
		{runB, false, 20, "connection timeout again"},
		{runB, false, 20, "100 percent"},
		{runB, false, 20, "axb not an underscore"},
		{runB, false, 40, "Timeout while retrying"},
	}
	var logs []*core.Log
	for i, ln := range lines {
		l := &core.Log{ID: uuid.New(), Created: core.T(t0), Updated: core.T(t0), Name: "prefect.flow_runs", Level: ln.level,
			Message: ln.msg, Timestamp: core.T(t0.Add(time.Duration(i) * time.Second)), FlowRunID: ln.run}
		if ln.task {
			l.TaskRunID = &task
		}
		logs = append(logs, l)
	}
	must(t, s.CreateLogs(ctx, logs))

	msgs := func(ls []*core.Log) []string {
		out := make([]string, len(ls))
		for i, l := range ls {
			out[i] = l.Message
		}
		return out
	}
	both := runsFilter(runA, runB)
	tests := []struct {
		name string
		q    store.LogQuery
		want []string
	}{
		{"within a run", store.LogQuery{Filter: &store.LogFilter{FlowRunID: runsFilter(runA), Text: textFilter("timeout")}},
			[]string{"Connection TIMEOUT after 30s"}},
		{"across named runs, case-insensitive", store.LogQuery{Filter: &store.LogFilter{FlowRunID: both, Text: textFilter("TimeOut")}},
			[]string{"Connection TIMEOUT after 30s", "connection timeout again", "Timeout while retrying"}},
		{"non-ASCII folded", store.LogQuery{Filter: &store.LogFilter{FlowRunID: both, Text: textFilter("échec DU")}},
			[]string{"ÉCHEC du téléchargement"}},
		{"Cyrillic folded", store.LogQuery{Filter: &store.LogFilter{FlowRunID: both, Text: textFilter("привет")}},
			[]string{"ПРИВЕТ мир"}},
		{"percent is literal", store.LogQuery{Filter: &store.LogFilter{FlowRunID: both, Text: textFilter("100%")}},
			[]string{"100% done"}},
		{"underscore is literal", store.LogQuery{Filter: &store.LogFilter{FlowRunID: both, Text: textFilter("a_b")}},
			[]string{"a_b literal"}},
		{"double quotes", store.LogQuery{Filter: &store.LogFilter{FlowRunID: both, Text: textFilter(`"hi"`)}},
			[]string{`he said "hi" twice`}},
		{"single quote", store.LogQuery{Filter: &store.LogFilter{FlowRunID: both, Text: textFilter("it's")}},
			[]string{"it's fine"}},
		{"backslash", store.LogQuery{Filter: &store.LogFilter{FlowRunID: both, Text: textFilter(`k\s`)}},
			[]string{`back\slash path`}},
		{"short query in a run", store.LogQuery{Filter: &store.LogFilter{FlowRunID: both, Text: textFilter("%")}},
			[]string{"100% done"}},
		{"short underscore in a run", store.LogQuery{Filter: &store.LogFilter{FlowRunID: both, Text: textFilter("_")}},
			[]string{"a_b literal"}},
		{"short non-ASCII in a run", store.LogQuery{Filter: &store.LogFilter{FlowRunID: both, Text: textFilter("éc")}},
			[]string{"ÉCHEC du téléchargement"}},
		{"empty query matches all of the run", store.LogQuery{Filter: &store.LogFilter{FlowRunID: runsFilter(runB), Text: textFilter("")}},
			[]string{"connection timeout again", "100 percent", "axb not an underscore", "Timeout while retrying"}},
		{"no match", store.LogQuery{Filter: &store.LogFilter{FlowRunID: both, Text: textFilter("zzz-none")}}, nil},
		{"NUL never matches", store.LogQuery{Filter: &store.LogFilter{FlowRunID: both, Text: textFilter("on\x00")}}, nil},
		{"FTS syntax is literal", store.LogQuery{Filter: &store.LogFilter{FlowRunID: both, Text: textFilter(`a* OR NEAR(b c)`)}}, nil},
		{"with level", store.LogQuery{Filter: &store.LogFilter{FlowRunID: both, Text: textFilter("timeout"), Level: levelRange(ptr(30), nil)}},
			[]string{"Timeout while retrying"}},
		{"with timestamp", store.LogQuery{Filter: &store.LogFilter{FlowRunID: both, Text: textFilter("timeout"),
			Timestamp: &store.TimeFilter{Before: core.TP(t0.Add(9 * time.Second))}}},
			[]string{"Connection TIMEOUT after 30s", "connection timeout again"}},
		{"with task run", store.LogQuery{Filter: &store.LogFilter{FlowRunID: both, Text: textFilter("e"), TaskRunID: &store.OptIDFilter{Any: &[]uuid.UUID{task}}}},
			[]string{"ÉCHEC du téléchargement", "100% done"}},
		{"sorted descending, paged", store.LogQuery{Filter: &store.LogFilter{FlowRunID: both, Text: textFilter("timeout")}, Sort: "TIMESTAMP_DESC",
			Page: store.Page{Limit: 1, Offset: 1}}, []string{"connection timeout again"}},
		{"sorted by level, paged", store.LogQuery{Filter: &store.LogFilter{FlowRunID: both, Text: textFilter("o")}, Sort: "LEVEL_DESC",
			Page: store.Page{Limit: 2}}, []string{"Timeout while retrying", "Connection TIMEOUT after 30s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ListLogs(ctx, &tt.q)
			must(t, err)
			if !slices.Equal(msgs(got), tt.want) {
				t.Fatalf("got %q, want %q", msgs(got), tt.want)
			}
		})
	}

	// Across all runs: the SQL backends answer from their trigram index;
	// DynamoDB has none and refuses, naming what it needs.
	t.Run("across all runs", func(t *testing.T) {
		got, err := s.ListLogs(ctx, &store.LogQuery{Filter: &store.LogFilter{Text: textFilter("TIMEOUT")}})
		if core.ErrorCode(err) == core.EInvalid && strings.Contains(core.ErrorMessage(err), "flow_run_id") {
			t.Logf("this backend searches per run only: %v", err)
			return
		}
		must(t, err)
		want := []string{"Connection TIMEOUT after 30s", "connection timeout again", "Timeout while retrying"}
		if !slices.Equal(msgs(got), want) {
			t.Fatalf("got %q, want %q", msgs(got), want)
		}
		got, err = s.ListLogs(ctx, &store.LogQuery{Filter: &store.LogFilter{Text: textFilter("100%")}, Sort: "TIMESTAMP_DESC"})
		must(t, err)
		if !slices.Equal(msgs(got), []string{"100% done"}) {
			t.Fatalf("100%%: got %q", msgs(got))
		}
	})
	// A query too short for a trigram index is refused unless it names
	// runs, on every backend.
	t.Run("short query needs a run", func(t *testing.T) {
		for _, f := range []*store.LogFilter{
			{Text: textFilter("ab")},
			{Text: textFilter("é"), FlowRunID: both, Operator: ptr(store.Or)},
		} {
			_, err := s.ListLogs(ctx, &store.LogQuery{Filter: f})
			wantCode(t, err, core.EInvalid)
		}
	})
}

func testRunLogsPage(t *testing.T, s store.Store) {
	run, other, task := uuid.New(), uuid.New(), uuid.New()
	var logs []*core.Log
	for i := range 23 {
		// Pairs share a timestamp: the pages must neither skip nor repeat
		// a tie at a page boundary.
		l := &core.Log{ID: uuid.New(), Created: core.T(t0), Updated: core.T(t0), Name: "prefect.flow_runs", Level: 20,
			Message: fmt.Sprint(i), Timestamp: core.T(t0.Add(time.Duration(i/2) * time.Millisecond)), FlowRunID: run}
		if i%3 == 0 {
			l.TaskRunID = &task
		}
		logs = append(logs, l)
	}
	must(t, s.CreateLogs(ctx, logs))
	must(t, s.CreateLogs(ctx, []*core.Log{{ID: uuid.New(), Name: "x", Level: 20, Message: "other run", Timestamp: core.T(t0), FlowRunID: other}}))

	readAll := func(after string, limit int) ([]*core.Log, string) {
		var out []*core.Log
		for pages := 0; ; pages++ {
			if pages > 100 {
				t.Fatal("paging does not end")
			}
			p, err := s.RunLogsPage(ctx, &store.RunLogsQuery{FlowRunID: run, After: after, Limit: limit})
			must(t, err)
			if len(p.Logs) > limit {
				t.Fatalf("page of %d > limit %d", len(p.Logs), limit)
			}
			out = append(out, p.Logs...)
			if p.Next == "" || (len(p.Logs) > 0 && p.Next == after) {
				t.Fatalf("cursor %q after a page of %d from %q", p.Next, len(p.Logs), after)
			}
			after = p.Next
			if len(p.Logs) < limit {
				return out, after
			}
		}
	}
	for _, limit := range []int{1, 2, 7, 23, 100} {
		got, _ := readAll("", limit)
		if len(got) != 23 {
			t.Fatalf("limit %d: %d logs, want 23", limit, len(got))
		}
		seen := map[uuid.UUID]bool{}
		for i, l := range got {
			if seen[l.ID] || l.FlowRunID != run {
				t.Fatalf("limit %d: log %d repeated or of another run", limit, i)
			}
			seen[l.ID] = true
			if i > 0 && l.Timestamp.Before(got[i-1].Timestamp.Time) {
				t.Fatalf("limit %d: out of timestamp order at %d", limit, i)
			}
		}
	}
	// A cursor taken at the end still sees lines written later (how
	// --follow reads on).
	p, err := s.RunLogsPage(ctx, &store.RunLogsQuery{FlowRunID: run, Limit: 23})
	must(t, err)
	if len(p.Logs) != 23 || p.Next == "" {
		t.Fatalf("full page: %d logs, next %q", len(p.Logs), p.Next)
	}
	if end, err := s.RunLogsPage(ctx, &store.RunLogsQuery{FlowRunID: run, After: p.Next, Limit: 10}); err != nil || len(end.Logs) != 0 || end.Next != p.Next {
		t.Fatalf("past the end: %+v, %v", end, err)
	}
	must(t, s.CreateLogs(ctx, []*core.Log{{ID: uuid.New(), Name: "x", Level: 20, Message: "late", Timestamp: core.T(t0.Add(time.Second)), FlowRunID: run}}))
	late, err := s.RunLogsPage(ctx, &store.RunLogsQuery{FlowRunID: run, After: p.Next, Limit: 10})
	must(t, err)
	if len(late.Logs) != 1 || late.Logs[0].Message != "late" || late.Next == p.Next {
		t.Fatalf("after the end: %+v", late)
	}
	// An unknown run is an empty page; a cursor no page returned is
	// refused.
	empty, err := s.RunLogsPage(ctx, &store.RunLogsQuery{FlowRunID: uuid.New(), Limit: 10})
	must(t, err)
	if len(empty.Logs) != 0 || empty.Next != "" {
		t.Fatalf("unknown run: %+v", empty)
	}
	_, err = s.RunLogsPage(ctx, &store.RunLogsQuery{FlowRunID: run, After: "garbage", Limit: 10})
	wantCode(t, err, core.EInvalid)
}
