package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orrery-dev/orrery/internal/api"
	"github.com/orrery-dev/orrery/internal/app"
	"github.com/orrery-dev/orrery/internal/backend"
	"github.com/orrery-dev/orrery/internal/services"
	"github.com/orrery-dev/orrery/internal/store"
	"github.com/orrery-dev/orrery/shared"
)

// closeTracker is a store that records being closed.
type closeTracker struct {
	store.Store
	closed bool
}

func (c *closeTracker) Close() error { c.closed = true; return c.Store.Close() }

func config(t *testing.T) shared.Config {
	dir := t.TempDir()
	return shared.Config{DatabaseURL: "sqlite:///:memory:", SecretKeyFile: filepath.Join(dir, "secret.key"),
		ResultsURL: "file://" + filepath.Join(dir, "results"), AgentDeadline: 1 << 62, Host: "127.0.0.1", Port: 4200}
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// TestNewFailures: an opener error is returned as is; a bad secret key
// closes the store it had opened (no leaked connections) and says why.
func TestNewFailures(t *testing.T) {
	boom := errors.New("no database here")
	_, err := app.New(context.Background(), config(t), func(context.Context, string, string) (store.Store, error) { return nil, boom },
		api.Config{Logger: quiet}, "test")
	if !errors.Is(err, boom) {
		t.Fatalf("opener error: %v", err)
	}

	cfg := config(t)
	if err := os.WriteFile(cfg.SecretKeyFile, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	var tracked *closeTracker
	_, err = app.New(context.Background(), cfg, func(ctx context.Context, db, results string) (store.Store, error) {
		st, err := backend.Open(ctx, db, results)
		tracked = &closeTracker{Store: st}
		return tracked, err
	}, api.Config{Logger: quiet}, "test")
	if err == nil || !strings.Contains(err.Error(), "secret key") {
		t.Fatalf("bad key file: %v", err)
	}
	if tracked == nil || !tracked.closed {
		t.Fatal("the store was left open after the secret key failed to load")
	}
}

func get(t *testing.T, h http.Handler, path, key string) *httptest.ResponseRecorder {
	// The server's own host: with keys off other Host names are refused.
	req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:4200"+path, nil)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestSettingsAndAuth: the settings page shows the configuration with the
// database password redacted; Auth turns API keys on.
func TestSettingsAndAuth(t *testing.T) {
	cfg := config(t)
	a, err := app.New(context.Background(), cfg, func(ctx context.Context, _, results string) (store.Store, error) {
		return backend.Open(ctx, "sqlite:///:memory:", results)
	}, api.Config{Logger: quiet}, "v-test")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	// The settings are what the configuration said, with secrets hidden.
	cfg.DatabaseURL = "postgres://orrery:hunter2@db.internal:5432/orrery"
	b, err := app.New(context.Background(), cfg, func(ctx context.Context, _, results string) (store.Store, error) {
		return backend.Open(ctx, "sqlite:///:memory:", results)
	}, api.Config{Logger: quiet}, "v-test")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	rec := get(t, b.API, "/api/admin/settings", "")
	if rec.Code != 200 || strings.Contains(rec.Body.String(), "hunter2") || !strings.Contains(rec.Body.String(), "db.internal") || !strings.Contains(rec.Body.String(), "v-test") {
		t.Fatalf("settings %d: %s", rec.Code, rec.Body)
	}
	if rec := get(t, a.API, "/api/flows/filter", ""); rec.Code == http.StatusUnauthorized {
		t.Fatal("auth is on without Config.Auth")
	}

	on := true
	cfg = config(t)
	cfg.Auth = &on
	c, err := app.New(context.Background(), cfg, backend.Open, api.Config{Logger: quiet}, "v-test")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	req := httptest.NewRequest(http.MethodPost, "/api/flows/filter", bytes.NewReader([]byte(`{}`)))
	rec = httptest.NewRecorder()
	c.API.ServeHTTP(rec, req)
	var body map[string]any
	if rec.Code != http.StatusUnauthorized || json.Unmarshal(rec.Body.Bytes(), &body) != nil || body["detail"] == nil {
		t.Fatalf("with Auth and no key: %d %s", rec.Code, rec.Body)
	}
	if rec := get(t, c.API, "/api/health", ""); rec.Code != 200 {
		t.Fatalf("health with Auth: %d", rec.Code)
	}
}

type stub struct {
	name string
	err  error
	ran  *[]string
}

func (s stub) Name() string { return s.name }
func (s stub) RunOnce(context.Context) error {
	*s.ran = append(*s.ran, s.name)
	return s.err
}

// TestRunServicesOnce: every service runs even when an earlier one fails;
// the first error comes back with its service's name.
func TestRunServicesOnce(t *testing.T) {
	a, err := app.New(context.Background(), config(t), backend.Open, api.Config{Logger: quiet}, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	names := []string{}
	for _, s := range a.Services {
		names = append(names, s.Name())
	}
	if strings.Join(names, ",") != "scheduler,late-runs,crashed-runs,notifications" {
		t.Fatalf("services %v", names)
	}
	var ran []string
	a.Services = []services.Service{stub{"a", errors.New("first"), &ran}, stub{"b", errors.New("second"), &ran}, stub{"c", nil, &ran}}
	err = a.RunServicesOnce(context.Background(), quiet)
	if err == nil || err.Error() != "a: first" || strings.Join(ran, ",") != "a,b,c" {
		t.Fatalf("err %v, ran %v", err, ran)
	}
}
