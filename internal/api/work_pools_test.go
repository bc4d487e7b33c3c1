package api_test

import (
	"testing"
)

// TestWorkPoolFilter: the stock 2.7.12 UI reads work pools on several pages;
// Orrery has none and says so with an empty list, while a malformed filter
// is still a 422.
func TestWorkPoolFilter(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cases := []struct {
		name   string
		body   any
		status int
		loc    []any // first error location for a 422
	}{
		{"no body", nil, 200, nil},
		{"null body", "null", 200, nil},
		{"empty object", map[string]any{}, 200, nil},
		{"the stock UI's name filter", map[string]any{"work_pools": map[string]any{"name": map[string]any{"any_": []string{"default"}}}}, 200, nil},
		{"id, type, operator and paging", map[string]any{
			"work_pools": map[string]any{"operator": "or_", "id": map[string]any{"any_": []string{"00000000-0000-0000-0000-000000000001"}}, "type": map[string]any{"any_": []string{"process"}}},
			"limit":      10, "offset": 5,
		}, 200, nil},
		{"not a uuid", map[string]any{"work_pools": map[string]any{"id": map[string]any{"any_": []string{"nope"}}}}, 422, []any{"body", "work_pools", "id", "any_", 0.0}},
		{"unknown filter key", map[string]any{"work_pools": map[string]any{"colour": map[string]any{}}}, 422, []any{"body", "work_pools", "colour"}},
		{"bad operator", map[string]any{"work_pools": map[string]any{"operator": "xor_"}}, 422, []any{"body", "work_pools", "operator"}},
		{"negative offset", map[string]any{"offset": -1}, 422, []any{"body", "offset"}},
		{"limit above the maximum", map[string]any{"limit": 201}, 422, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, out := b.do("POST", "/api/experimental/work_pools/filter", c.body)
			if status != c.status {
				t.Fatalf("status %d, want %d: %v", status, c.status, out)
			}
			if status == 200 {
				if l, ok := out.([]any); !ok || len(l) != 0 {
					t.Fatalf("body %v, want []", out)
				}
				return
			}
			if c.loc == nil {
				return
			}
			detail, _ := field(out, "exception_detail").([]any)
			if len(detail) == 0 {
				t.Fatalf("no exception_detail in %v", out)
			}
			loc, _ := field(detail[0], "loc").([]any)
			if len(loc) != len(c.loc) {
				t.Fatalf("loc %v, want %v", loc, c.loc)
			}
			for i := range loc {
				if loc[i] != c.loc[i] {
					t.Fatalf("loc %v, want %v", loc, c.loc)
				}
			}
		})
	}
	// The trailing-slash form answers too, and other methods are a 405.
	b.must(200, "POST", "/api/experimental/work_pools/filter/", nil)
	if status, _ := b.do("GET", "/api/experimental/work_pools/filter", nil); status != 405 {
		t.Fatalf("GET: status %d, want 405", status)
	}
}
