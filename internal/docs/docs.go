// Package docs serves the API documentation pages from the binary: Swagger
// UI at /docs (assets embedded by github.com/swaggest/swgui) and ReDoc at
// /redoc (the npm bundle vendored by scripts/update-redoc.sh). Both read the
// OpenAPI document at /api/openapi.json; no page loads anything from a CDN.
package docs

import (
	_ "embed"
	"net/http"
	"strings"

	"github.com/swaggest/swgui"
	"github.com/swaggest/swgui/v5emb"
)

//go:embed assets/redoc.standalone.js
var redocJS []byte

const redocPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>Orrery API – ReDoc</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{margin:0;padding:0}</style></head>
<body><redoc spec-url="/api/openapi.json"></redoc>
<script src="/redoc/redoc.standalone.js"></script></body></html>`

// Handler serves /docs, /docs/*, /redoc and /redoc/redoc.standalone.js
// (and the /api/docs, /api/redoc aliases).
func Handler() http.Handler {
	swagger := v5emb.NewWithConfig(swgui.Config{
		Title:       "Orrery API",
		SwaggerJSON: "/api/openapi.json",
		BasePath:    "/docs/",
		HideCurl:    false,
	})("Orrery API", "/api/openapi.json", "/docs/")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := strings.TrimPrefix(r.URL.Path, "/api")
		switch {
		case p == "/redoc" || p == "/redoc/":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte(redocPage))
		case p == "/redoc/redoc.standalone.js":
			w.Header().Set("Content-Type", "application/javascript")
			w.Header().Set("Cache-Control", "public, max-age=86400")
			_, _ = w.Write(redocJS)
		case p == "/docs":
			http.Redirect(w, r, "/docs/", http.StatusMovedPermanently)
		case strings.HasPrefix(p, "/docs/"):
			r2 := r.Clone(r.Context())
			r2.URL.Path = p
			swagger.ServeHTTP(w, r2)
		default:
			http.NotFound(w, r)
		}
	})
}
