package dynamo

import (
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
)

// TestLongListMatch: the Go-side matcher answers the same for short
// (scanned) and long (set) lists, the tag check likewise, and a long
// list's set is built once per list, not once per candidate.
func TestLongListMatch(t *testing.T) {
	run := &core.FlowRun{ID: uuid.New(), Name: "alpha", Tags: []string{"a", "b"}}
	long := func(want ...uuid.UUID) *[]uuid.UUID {
		out := append([]uuid.UUID{}, want...)
		for len(out) < 5000 {
			out = append(out, uuid.New())
		}
		return &out
	}
	names := func(n int, want ...string) *[]string {
		out := append([]string{}, want...)
		for i := 0; len(out) < n; i++ {
			out = append(out, fmt.Sprint("pad-", i))
		}
		return &out
	}
	manyTags := *names(3000, "a", "b")
	for _, tc := range []struct {
		name string
		f    store.FlowRunFilter
		want bool
	}{
		{"short id any", store.FlowRunFilter{ID: &store.IDFilter{Any: &[]uuid.UUID{run.ID}}}, true},
		{"long id any", store.FlowRunFilter{ID: &store.IDFilter{Any: long(run.ID)}}, true},
		{"long id any, absent", store.FlowRunFilter{ID: &store.IDFilter{Any: long()}}, false},
		{"long id not_any", store.FlowRunFilter{ID: &store.IDFilter{NotAny: long(run.ID)}}, false},
		{"long name any", store.FlowRunFilter{Name: &store.NameFilter{Any: names(5000, "alpha")}}, true},
		{"long name any, absent", store.FlowRunFilter{Name: &store.NameFilter{Any: names(5000)}}, false},
		{"tags all, held", store.FlowRunFilter{Tags: &store.TagsFilter{All: &[]string{"b", "a"}}}, true},
		{"long tags all, not held", store.FlowRunFilter{Tags: &store.TagsFilter{All: &manyTags}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.f
			for range 2 { // the second time from the memoized set
				if got := matchFlowRun(run, &f); got != tc.want {
					t.Fatalf("match = %v, want %v", got, tc.want)
				}
			}
		})
	}
	list := long()
	a, b := setOf(list), setOf(list)
	if fmt.Sprintf("%p", a) != fmt.Sprintf("%p", b) {
		t.Fatal("the set of one list was built twice")
	}
	if !containsAll(*names(40, "x"), []string{"x", "pad-3"}) || containsAll([]string{"x"}, *names(40, "x")) {
		t.Fatal("containsAll")
	}
}
