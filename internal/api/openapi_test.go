package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/orrery-dev/orrery/internal/docs"
	"github.com/orrery-dev/orrery/internal/store/sqlite"
)

func openAPIServer(t *testing.T) *Server {
	t.Helper()
	st, err := sqlite.Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return New(Config{Store: st, DocsHandler: docs.Handler()})
}

var docFixture struct {
	once sync.Once
	srv  *httptest.Server
	s    *Server
	raw  []byte
	err  error
}

// sharedDoc serves one server for the document tests (building the
// document takes a second or more under the race detector) and returns a
// fresh decoding of its /api/openapi.json.
func sharedDoc(t *testing.T) (*httptest.Server, *Server, map[string]any) {
	t.Helper()
	docFixture.once.Do(func() {
		st, err := sqlite.Open(context.Background(), ":memory:")
		if err != nil {
			docFixture.err = err
			return
		}
		docFixture.s = New(Config{Store: st, DocsHandler: docs.Handler()})
		docFixture.srv = httptest.NewServer(docFixture.s)
		var resp *http.Response
		if resp, docFixture.err = http.Get(docFixture.srv.URL + "/api/openapi.json"); docFixture.err != nil {
			return
		}
		defer resp.Body.Close()
		docFixture.raw, docFixture.err = io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			docFixture.err = fmt.Errorf("openapi.json: %d %s", resp.StatusCode, docFixture.raw)
		}
	})
	if docFixture.err != nil {
		t.Fatal(docFixture.err)
	}
	var doc map[string]any
	if err := json.Unmarshal(docFixture.raw, &doc); err != nil {
		t.Fatal(err)
	}
	return docFixture.srv, docFixture.s, doc
}

// Every registered route has an entry in routeDocs (openAPI fails
// otherwise) and every entry names a registered route, so the table cannot
// go stale in either direction.
func TestOpenAPIEveryRoute(t *testing.T) {
	t.Parallel()
	_, srv, doc := sharedDoc(t)
	registered := map[string]bool{}
	for _, rt := range srv.routes {
		registered[rt.method+" "+strings.TrimPrefix(rt.path, "/api")] = true
	}
	for key := range routeDocs {
		if !registered[key] {
			t.Errorf("routeDocs has %q, which is not a registered route", key)
		}
	}
	paths := doc["paths"].(map[string]any)
	for _, rt := range srv.routes {
		op, _ := paths[rt.path].(map[string]any)[strings.ToLower(rt.method)].(map[string]any)
		if op == nil {
			t.Errorf("%s %s missing from the document", rt.method, rt.path)
		}
	}

	// A route registered without an entry makes the build fail.
	s := openAPIServer(t)
	s.routes = append([]route{{method: "GET", path: "/api/nowhere", tag: "X"}}, s.routes...)
	if _, err := s.openAPI(); err == nil || !strings.Contains(err.Error(), "/nowhere") {
		t.Fatalf("openAPI with an undocumented route: err = %v", err)
	}
}

// The document is valid OpenAPI 3.0 (the OAI's JSON schema for 3.0.x,
// testdata/openapi-3.0-schema.json, version 2021-09-28).
func TestOpenAPIValidates(t *testing.T) {
	t.Parallel()
	_, _, doc := sharedDoc(t)
	raw, err := os.ReadFile("testdata/openapi-3.0-schema.json")
	if err != nil {
		t.Fatal(err)
	}
	schemaDoc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("openapi-3.0.json", schemaDoc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("openapi-3.0.json")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(doc)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("the document is not valid OpenAPI 3.0: %v", err)
	}
}

// The document carries what the issue asks for: request schemas with
// required fields, enums and formats; responses with their statuses and
// 2.7 error bodies; the version header; the bearer scheme.
func TestOpenAPIContent(t *testing.T) {
	t.Parallel()
	_, _, doc := sharedDoc(t)
	schemas := docPath(doc, "components", "schemas").(map[string]any)
	resolve := func(v any) map[string]any {
		m, _ := v.(map[string]any)
		if all, ok := m["allOf"].([]any); ok && len(all) == 1 {
			m, _ = all[0].(map[string]any) // a nullable wrapper
		}
		if ref, ok := m["$ref"].(string); ok {
			m, _ = schemas[strings.TrimPrefix(ref, "#/components/schemas/")].(map[string]any)
		}
		return m
	}
	op := func(method, path string) map[string]any {
		o, _ := docPath(doc, "paths", path, method).(map[string]any)
		if o == nil {
			t.Fatalf("%s %s not documented", method, path)
		}
		return o
	}
	reqSchema := func(method, path string) map[string]any {
		return resolve(docPath(op(method, path), "requestBody", "content", "application/json", "schema"))
	}
	respSchema := func(method, path, status string) map[string]any {
		return resolve(docPath(op(method, path), "responses", status, "content", "application/json", "schema"))
	}

	tests := []struct {
		name string
		got  func() any
		want any
	}{
		{"flow run create: flow_id is a uuid", func() any { return docPath(reqSchema("post", "/api/flow_runs/"), "properties", "flow_id", "format") }, "uuid"},
		{"flow run create: extra keys forbidden", func() any { return docPath(reqSchema("post", "/api/flow_runs/"), "additionalProperties") }, false},
		{"flow run create: parameters is an object", func() any { return docPath(reqSchema("post", "/api/flow_runs/"), "properties", "parameters", "type") }, "object"},
		{"set_state: state type enum", func() any {
			st := resolve(docPath(reqSchema("post", "/api/flow_runs/{id}/set_state"), "properties", "state"))
			e, _ := docPath(resolve(st), "properties", "type", "enum").([]any)
			return len(e)
		}, 9},
		{"flow run filter: sort enum", func() any {
			e, _ := docPath(reqSchema("post", "/api/flow_runs/filter"), "properties", "sort", "enum").([]any)
			return len(e) > 0
		}, true},
		{"flow run filter: limit bound", func() any {
			return docPath(reqSchema("post", "/api/flow_runs/filter"), "properties", "limit", "maximum")
		}, 200.0},
		{"history: required", func() any {
			r, _ := reqSchema("post", "/api/flow_runs/history")["required"].([]any)
			return len(r)
		}, 3},
		{"flow run response: created is date-time", func() any {
			return docPath(respSchema("get", "/api/flow_runs/{id}", "200"), "properties", "created", "format")
		}, "date-time"},
		{"flow run response: total_run_time is a number", func() any {
			return docPath(respSchema("get", "/api/flow_runs/{id}", "200"), "properties", "total_run_time", "type")
		}, "number"},
		{"flow run response: retry_delay_seconds is a number", func() any {
			pol := resolve(docPath(respSchema("get", "/api/flow_runs/{id}", "200"), "properties", "empirical_policy"))
			return docPath(pol, "properties", "retry_delay_seconds", "type")
		}, "number"},
		{"create answers 200 and 201", func() any {
			return docPath(op("post", "/api/flows/"), "responses", "201") != nil && docPath(op("post", "/api/flows/"), "responses", "200") != nil
		}, true},
		{"delete answers 204", func() any { return docPath(op("delete", "/api/flows/{id}"), "responses", "204") != nil }, true},
		{"404 body is {detail}", func() any {
			r, _ := respSchema("get", "/api/flows/{id}", "404")["required"].([]any)
			return len(r) == 1 && r[0] == "detail"
		}, true},
		{"graph 404 is the legacy body", func() any {
			return docPath(respSchema("get", "/api/flow_runs/{id}/graph", "404"), "properties", "exception_message", "type")
		}, "string"},
		{"422 body is the 2.7 validation body or an HTTP error", func() any {
			alts, _ := respSchema("post", "/api/flows/", "422")["anyOf"].([]any)
			if len(alts) != 2 {
				return nil
			}
			return docPath(resolve(alts[0]), "properties", "exception_detail", "type")
		}, "array"},
		{"null responses are exactly null", func() any {
			s := docPath(op("post", "/api/logs/"), "responses", "201", "content", "application/json", "schema")
			e, _ := docPath(s, "enum").([]any)
			return docPath(s, "nullable") == true && len(e) == 1 && e[0] == nil
		}, true},
		{"a body with required members is required", func() any { return docPath(op("post", "/api/flows/"), "requestBody", "required") }, true},
		{"filter bodies may be null", func() any {
			return docPath(op("post", "/api/flows/filter"), "requestBody", "content", "application/json", "schema", "nullable")
		}, true},
		{"int bounds are exact", func() any {
			return docPath(resolve(docPath(reqSchema("post", "/api/logs/"), "items")), "properties", "level", "minimum")
		}, -9223372036854775808.0},
		{"a queue filter's lists may be null", func() any { return docPath(schemas, "QueueFilter", "properties", "tags", "nullable") }, true},
		{"lists are not nullable", func() any { return docPath(reqSchema("post", "/api/flows/"), "properties", "tags", "nullable") }, nil},
		{"413 on body routes", func() any { return docPath(op("post", "/api/logs/"), "responses", "413") != nil }, true},
		{"409 on flow run create", func() any { return docPath(op("post", "/api/flow_runs/"), "responses", "409") != nil }, true},
		{"path id is a uuid", func() any {
			for _, p := range op("get", "/api/flows/{id}")["parameters"].([]any) {
				if docPath(p, "in") == "path" {
					return docPath(p, "schema", "format")
				}
			}
			return nil
		}, "uuid"},
		{"version header", func() any {
			for _, p := range op("post", "/api/flows/filter")["parameters"].([]any) {
				if docPath(p, "in") == "header" {
					return docPath(p, "name")
				}
			}
			return nil
		}, "X-PREFECT-API-VERSION"},
		{"no version header on health", func() any { return op("get", "/api/health")["parameters"] }, nil},
		{"bearer scheme", func() any { return docPath(doc, "components", "securitySchemes", "bearerAuth", "scheme") }, "bearer"},
		{"health is open", func() any { s, _ := op("get", "/api/health")["security"].([]any); return s != nil && len(s) == 0 }, true},
		{"scope extension", func() any { return op("post", "/api/admin/database/clear")["x-orrery-scope"] }, "admin"},
		{"state query param required", func() any {
			for _, p := range op("get", "/api/flow_run_states/")["parameters"].([]any) {
				if docPath(p, "in") == "query" {
					return docPath(p, "required")
				}
			}
			return nil
		}, true},
		{"logs body is a list", func() any { return reqSchema("post", "/api/logs/")["type"] }, "array"},
		// The document states what the checker takes (schemathesis ST201).
		{"deployment create requires flow_id", func() any {
			r, _ := reqSchema("post", "/api/deployments/")["required"].([]any)
			return slices.Contains(r, any("flow_id")) && slices.Contains(r, any("name"))
		}, true},
		{"work queue create requires name", func() any {
			r, _ := reqSchema("post", "/api/work_queues/")["required"].([]any)
			return slices.Contains(r, any("name"))
		}, true},
		{"filter operator is not nullable (2.7: operator: Operator = and_)", func() any {
			return docPath(schemas, "TagsFilter", "properties", "operator", "nullable")
		}, nil},
		{"resuming is nullable (2.7: Optional[bool])", func() any {
			return docPath(schemas, "FlowRunPolicy", "properties", "resuming", "nullable")
		}, true},
		{"optional[string] is a nullable string", func() any {
			p := docPath(reqSchema("patch", "/api/deployments/{id}"), "properties", "description")
			return docPath(p, "type") == "string" && docPath(p, "nullable") == true
		}, true},
		{"a nullable enum lists null (2.7 reads a null sort as its default)", func() any {
			e, _ := docPath(reqSchema("post", "/api/flow_runs/filter"), "properties", "sort", "enum").([]any)
			return slices.Contains(e, nil)
		}, true},
		{"a domain model's list takes null as the checker does (2.7: Optional[set])", func() any {
			return docPath(schemas, "FlowRunPolicy", "properties", "pause_keys", "nullable")
		}, true},
		{"a domain model's plain scalar is not nullable", func() any {
			return docPath(schemas, "FlowRunPolicy", "properties", "max_retries", "nullable")
		}, nil},
		{"a flow name may be empty (2.7.12 takes \"\")", func() any {
			return docPath(reqSchema("post", "/api/flows/"), "properties", "name", "minLength")
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.got(); got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// Swagger UI and ReDoc are served and read a document that parses.
func TestOpenAPIDocsPages(t *testing.T) {
	t.Parallel()
	srv, _, _ := sharedDoc(t)
	tests := []struct {
		path, contains string
	}{
		{"/docs/", "swagger"},
		{"/redoc", "/api/openapi.json"},
		{"/redoc/redoc.standalone.js", "redoc"},
		{"/api/openapi.json", `"openapi":"3.0.3"`},
		{"/openapi.json", `"openapi":"3.0.3"`},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			resp, err := http.Get(srv.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 || !strings.Contains(strings.ToLower(string(body)), strings.ToLower(tc.contains)) {
				t.Fatalf("%s: %d, body has no %q", tc.path, resp.StatusCode, tc.contains)
			}
			if strings.HasSuffix(tc.path, ".json") {
				var doc map[string]any
				if err := json.Unmarshal(body, &doc); err != nil {
					t.Fatalf("document does not parse: %v", err)
				}
			}
		})
	}
}
