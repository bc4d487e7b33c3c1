package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/orrery-dev/orrery/internal/store"
)

// requestTypes are the bodies the routes decode, and the filter types the
// filter bodies decode into.
var requestTypes = []any{
	flowCreate{}, flowUpdate{}, flowRunCreate{}, flowRunUpdate{}, setStateBody{},
	taskRunCreate{}, taskRunUpdate{}, logBatch{}, concurrencyLimitCreate{}, savedSearchCreate{},
	blockTypeCreate{}, blockTypeUpdate{}, blockSchemaCreate{}, blockDocumentCreate{}, blockDocumentUpdate{},
	deploymentBody{}, deploymentCreate{}, deploymentFlowRunCreate{}, workQueueCreate{}, workQueueBody{}, getRunsBody{},
	ScheduleRequest{}, apiKeyCreate{}, confirmBody{},
	store.FlowFilter{}, store.FlowRunFilter{}, store.TaskRunFilter{}, store.DeploymentFilter{},
	store.LogFilter{}, store.WorkQueueFilter{}, store.BlockDocumentFilter{}, store.BlockSchemaFilter{}, store.BlockTypeFilter{},
}

// untagged are the fields bounded otherwise, each with its reason;
// README.md's "Limits" lists them.
var untagged = map[string]bool{
	// 2.7's own check in validate(), with 2.7's own wording.
	"api.taskRunCreate.cache_key": true,
	// Anonymous types that other code builds as literals (a tag would
	// change the type): bounded by the body size.
	"store.StateFilter.type.any_":                     true, // items: one of 8 state types
	"store.BlockTypeFilter.name.like_":                true,
	"store.BlockSchemaFilter.block_capabilities.all_": true,
}

// Every string and list a request carries has a documented bound: a test,
// so a new field cannot arrive without one.
func TestEveryStringAndListIsBounded(t *testing.T) {
	t.Parallel()
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type, owner string)
	walk = func(typ reflect.Type, owner string) {
		typ = derefType(typ)
		if typ.Kind() == reflect.Slice {
			typ = derefType(typ.Elem())
		}
		if typ.Kind() != reflect.Struct || seen[typ] || typ.PkgPath() != "" && !strings.HasSuffix(typ.PkgPath(), "/api") && !strings.HasSuffix(typ.PkgPath(), "/store") {
			return // core types: bounded by the body (README.md)
		}
		seen[typ] = true
		name := typ.String()
		if typ.Name() == "" {
			name = owner
		}
		for _, f := range specOf(typ).order {
			ft := derefType(f.typ)
			if ft.Implements(optionalIface) {
				ft = derefType(reflect.TypeOf(reflect.Zero(ft).Interface().(optionalType).schemaType()))
			}
			where := name + "." + f.name
			switch {
			case untagged[where]:
			case ft.Kind() == reflect.String && ft.PkgPath() == "":
				if f.rules.maxLength < 0 && len(f.rules.enum) == 0 {
					t.Errorf("%s: a string with no maxLength", where)
				}
			case ft.Kind() == reflect.Slice && ft != rawMessageType:
				if f.rules.maxItems < 0 {
					t.Errorf("%s: a list with no maxItems", where)
				}
				if et := derefType(ft.Elem()); et.Kind() == reflect.String && et.PkgPath() == "" && f.rules.itemMaxLength < 0 {
					t.Errorf("%s: a list of strings with no itemMaxLength", where)
				}
			}
			walk(ft, where)
		}
	}
	for _, v := range requestTypes {
		walk(reflect.TypeOf(v), "")
	}
}

// The tags say what the constants say (the README lists the constants).
func TestTagsMatchTheConstants(t *testing.T) {
	t.Parallel()
	allowed := map[int]bool{}
	for _, n := range []int{MaxNameLength, MaxURLLength, MaxTextLength, MaxTags, MaxFilterItems, MaxLogBatch, MaxSavedSearchFilters} {
		allowed[n] = true
	}
	for _, v := range requestTypes {
		typ := reflect.TypeOf(v)
		if typ.Kind() != reflect.Struct {
			continue
		}
		for _, f := range specOf(typ).order {
			for _, n := range []int{f.rules.maxLength, f.rules.maxItems, f.rules.itemMaxLength} {
				if n >= 0 && !allowed[n] {
					t.Errorf("%s.%s: bound %d is not one of the documented constants", typ, f.name, n)
				}
			}
		}
	}
	if got := parseRules(logBatch{}.bodyTag()).maxItems; got != MaxLogBatch {
		t.Errorf("log batch bound %d, want %d", got, MaxLogBatch)
	}
}

func TestValidText(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]bool{
		`"plain"`: true, `"é"`: true, `"\u00e9"`: true, `"\ud83d\ude00"`: true, `"\\ud800"`: true,
		`"\ud800"`: false, `"\udc00"`: false, `"\ud800x"`: false, `"\ud800\u0041"`: false, "\"\xff\"": false,
	} {
		if got := validText([]byte(raw)); got != want {
			t.Errorf("validText(%s) = %v, want %v", raw, got, want)
		}
	}
}

// A repeated key keeps its last value and costs O(1) once an object is
// big: a body of many repeated keys cannot make the checker quadratic.
func TestObjectMembersRepeatedKeys(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("{")
	for i := range 50_000 {
		fmt.Fprintf(&b, `"k%d": %d, "k0": %d,`, i%20, i, i)
	}
	b.WriteString(`"k0": "last"}`)
	members, ok := objectMembers([]byte(b.String()))
	if !ok || len(members) != 20 || string(members[0].val) != `"last"` {
		t.Fatalf("ok=%v, %d members, k0=%s", ok, len(members), members[0].val)
	}
}

// logBody is a batch of n log records of size bytes of message each.
func logBody(n, size int) []byte {
	rec := map[string]any{"name": "prefect.flow_runs", "level": 20, "message": strings.Repeat("m", size),
		"timestamp": "2023-02-01T12:00:00.000000+00:00", "flow_run_id": "00000000-0000-0000-0000-000000000001", "task_run_id": nil}
	recs := make([]any, n)
	for i := range recs {
		recs[i] = rec
	}
	raw, _ := json.Marshal(recs)
	return raw
}

// The checker's cost on what the stock client sends at most: a 4 MB log
// batch (many small records, or few big ones).
func BenchmarkDecodeLogBatch(b *testing.B) {
	for _, c := range []struct{ n, size int }{{20_000, 40}, {4, 1_000_000}} {
		body := logBody(c.n, c.size)
		b.Run(fmt.Sprintf("%dx%dB", c.n, c.size), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				var in logBatch
				if err := decodeBytes(bytes.Clone(body), &in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// What the checker passes, encoding/json decodes: decodeBytes relies on it
// (a failure after the checker would be a 422 with a vaguer location), and
// the checker never panics on valid JSON.
func FuzzCheckerAgreesWithDecoder(f *testing.F) {
	for _, seed := range []string{
		`{"flow_id": "00000000-0000-0000-0000-000000000001", "tags": ["a"], "state": {"type": "RUNNING", "timestamp": "2023-01-01T00:00:00Z"}}`,
		`{"flow_id": null, "name": 5, "empirical_policy": {"retries": 1, "resuming": null}}`,
		`{"flows": {"name": {"any_": ["x"], "like_": "y"}}, "limit": 3}`,
		`[{"name": "n", "level": 20, "message": "m", "timestamp": "2023-01-01", "flow_run_id": "00000000-0000-0000-0000-000000000001"}]`,
		`{"name": "q", "priority": 1, "filter": {"tags": null}, "last_polled": null}`,
	} {
		f.Add(seed)
	}
	types := []reflect.Type{reflect.TypeOf(&flowRunCreate{}), reflect.TypeOf(&logBatch{}), reflect.TypeOf(&workQueueCreate{}),
		reflect.TypeOf(&deploymentCreate{}), reflect.TypeOf(&taskRunCreate{}), reflect.TypeOf(&store.FlowFilter{})}
	f.Fuzz(func(t *testing.T, doc string) {
		if !json.Valid([]byte(doc)) {
			return
		}
		for _, typ := range types {
			if len(checkJSON([]byte(doc), typ, false)) > 0 {
				continue
			}
			v := reflect.New(typ.Elem()).Interface()
			if err := json.Unmarshal([]byte(doc), v); err != nil {
				t.Fatalf("%s: the checker passed %s but encoding/json says %v", typ, doc, err)
			}
		}
	})
}
