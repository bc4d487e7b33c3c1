// Command openapi writes Orrery's OpenAPI document (what GET
// /api/openapi.json answers) to stdout without starting a server or opening
// a database, so `npm run gen:api` in web/ can generate the UI's API types
// from the Go source alone.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/orrery-dev/orrery/internal/api"
	"github.com/orrery-dev/orrery/internal/store/sqlite"
)

func main() {
	// The document is built from the registered routes; no handler runs,
	// but registering them binds store methods, so a throwaway SQLite
	// database stands in.
	dir, err := os.MkdirTemp("", "orrery-openapi-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(dir)
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "openapi.db"))
	if err != nil {
		fail(err)
	}
	defer st.Close()
	srv := api.New(api.Config{Store: st, Logger: slog.New(slog.DiscardHandler)})
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://localhost/api/openapi.json", nil))
	if rec.Code != http.StatusOK {
		fail(fmt.Errorf("GET /api/openapi.json answered %d: %s", rec.Code, rec.Body.String()))
	}
	if _, err := io.Copy(os.Stdout, rec.Body); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "openapi:", err)
	os.Exit(1)
}
