package api

import (
	"net/http"
	"regexp"
	"sort"
	"strings"

	"github.com/orrery-dev/orrery/internal/auth"
)

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// openAPI builds the OpenAPI 3.0 document from the registered routes, so
// the document can never list a route that does not exist or miss one.
func (s *Server) openAPI() map[string]any {
	paths := map[string]any{}
	for _, rt := range s.routes {
		item, _ := paths[rt.path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[rt.path] = item
		}
		op := map[string]any{
			"summary":     rt.summary,
			"tags":        []string{rt.tag},
			"operationId": operationID(rt.method, rt.path),
			"responses": map[string]any{
				"200": map[string]any{"description": "Successful response", "content": jsonContent(map[string]any{})},
				"422": map[string]any{"description": "Validation error", "content": jsonContent(map[string]any{"$ref": "#/components/schemas/ValidationError"})},
			},
		}
		if auth.Open(rt.method, rt.path) {
			op["security"] = []any{} // overrides the global requirement: no key needed
		} else {
			op["x-orrery-scope"] = auth.RequiredScope(rt.method, rt.path)
			resp := op["responses"].(map[string]any)
			resp["401"] = map[string]any{"description": "Missing, unknown, expired or revoked API key", "content": jsonContent(map[string]any{"$ref": "#/components/schemas/HTTPError"})}
			resp["403"] = map[string]any{"description": "The API key's scope does not allow this request", "content": jsonContent(map[string]any{"$ref": "#/components/schemas/HTTPError"})}
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.path, -1) {
			schema := map[string]any{"type": "string"}
			if m[1] == "id" {
				schema["format"] = "uuid"
			}
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": schema})
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if rt.method == http.MethodPost || rt.method == http.MethodPatch || rt.method == http.MethodPut {
			op["requestBody"] = map[string]any{"content": jsonContent(map[string]any{"type": "object"})}
		}
		item[strings.ToLower(rt.method)] = op
	}
	tags := map[string]bool{}
	for _, rt := range s.routes {
		tags[rt.tag] = true
	}
	var tagList []any
	names := make([]string, 0, len(tags))
	for t := range tags {
		names = append(names, t)
	}
	sort.Strings(names)
	for _, t := range names {
		tagList = append(tagList, map[string]any{"name": t})
	}
	return map[string]any{
		"openapi": "3.0.2",
		"info": map[string]any{
			"title":       "Orrery",
			"version":     PrefectVersion,
			"description": "Orrery speaks the Prefect 2.7 (Orion) REST API. Point PREFECT_API_URL at /api.",
		},
		"tags":  tagList,
		"paths": paths,
		// Every route needs an API key (when the server checks keys) but
		// those whose operation sets an empty security list (health).
		"security": []any{map[string]any{"bearerAuth": []any{}}},
		"components": map[string]any{
			"securitySchemes": map[string]any{"bearerAuth": map[string]any{
				"type": "http", "scheme": "bearer",
				"description": "An Orrery API key (orr_...), sent by the Prefect client from PREFECT_API_KEY. " +
					"Scopes: read (GET, */filter, */count, */history), write (what the client and agent do), " +
					"admin (api_keys, admin/*). include_secrets=true needs write. Checked when the server runs with auth on.",
			}},
			"schemas": map[string]any{
				"HTTPError": map[string]any{"type": "object", "properties": map[string]any{"detail": map[string]any{"type": "string"}}},
				"ValidationError": map[string]any{
					"type": "object",
					"properties": map[string]any{
						"exception_message": map[string]any{"type": "string"},
						"exception_detail":  map[string]any{"type": "array", "items": map[string]any{"type": "object"}},
						"request_body":      map[string]any{},
					},
				},
			}},
	}
}

func jsonContent(schema map[string]any) map[string]any {
	return map[string]any{"application/json": map[string]any{"schema": schema}}
}

func operationID(method, path string) string {
	p := strings.NewReplacer("/api/", "", "/", "_", "{", "", "}", "").Replace(path)
	return strings.ToLower(method) + "_" + strings.Trim(p, "_")
}

func (s *Server) serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	s.openapiOnce.Do(func() { s.openapiDoc = s.openAPI() })
	writeJSON(w, http.StatusOK, s.openapiDoc)
}
