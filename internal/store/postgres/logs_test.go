package postgres_test

import (
	"testing"

	"github.com/orrery-dev/orrery/internal/store"
	"github.com/orrery-dev/orrery/internal/store/storetest"
)

// TestLogs runs the log-area conformance tests, each in its own schema:
// pg_trgm, created once per database, is shared by them all, and dropping
// one schema leaves the others' indexes working.
func TestLogs(t *testing.T) {
	serverURL(t)
	storetest.RunLogs(t, func(t *testing.T) store.Store {
		_, u := freshSchema(t)
		return open(t, u)
	})
}
