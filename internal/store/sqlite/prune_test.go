package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/orrery-dev/orrery/internal/store"
	"github.com/orrery-dev/orrery/internal/store/sqlite"
	"github.com/orrery-dev/orrery/internal/store/storetest"
)

// TestRetentionConformance is the suite's retention test on its own (it
// also runs inside TestConformanceFile).
func TestRetentionConformance(t *testing.T) {
	t.Parallel()
	storetest.RunRetention(t, func(t *testing.T) store.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "orrery.db"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
