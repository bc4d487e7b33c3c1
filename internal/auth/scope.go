package auth

import (
	"net/http"
	"strings"

	"github.com/orrery-dev/orrery/internal/core"
)

// Open reports whether a request needs no key. Only GET /api/health is open
// under /api, with the documentation (/api/openapi.json, /api/docs,
// /api/redoc): they describe the API and hold no data. Everything outside
// /api — the UI's static files, /docs, /redoc, /ui-settings — is static and
// open too; the data the UI shows comes from /api and needs a key.
func Open(method, path string) bool {
	if !strings.HasPrefix(path, "/api/") && path != "/api" {
		return true
	}
	if method != http.MethodGet && method != http.MethodHead {
		return false
	}
	switch strings.TrimSuffix(path, "/") {
	case "/api/health", "/api/openapi.json", "/api/docs", "/api/redoc":
		return true
	}
	return false
}

// RequiredScope returns the scope an /api request needs:
//   - admin: /api/api_keys/..., /api/admin/... (database clear included)
//     except GET /api/admin/version;
//   - read: GET and HEAD, and the POSTs that only query: .../filter,
//     .../count, .../history and /api/ui/...;
//   - write: everything else (what the client, the CLI and the agent do),
//     and block documents read with include_secrets=true, which the block
//     handlers check (the flag may be in a body; api.Config.SecretsScope).
func RequiredScope(method, path string) core.Scope {
	p := strings.TrimSuffix(path, "/")
	switch {
	case p == "/api/api_keys" || strings.HasPrefix(p, "/api/api_keys/"):
		return core.ScopeAdmin
	case p == "/api/admin/version" && method == http.MethodGet:
		return core.ScopeRead
	case p == "/api/admin" || strings.HasPrefix(p, "/api/admin/"):
		return core.ScopeAdmin
	case method == http.MethodGet || method == http.MethodHead:
		return core.ScopeRead
	case method == http.MethodPost && (strings.HasPrefix(p, "/api/ui/") ||
		strings.HasSuffix(p, "/filter") || strings.HasSuffix(p, "/count") || strings.HasSuffix(p, "/history")):
		return core.ScopeRead
	}
	return core.ScopeWrite
}
