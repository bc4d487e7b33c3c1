package sqlite

import (
	"context"
	"testing"

	"github.com/orrery-dev/orrery/internal/store"
	"github.com/orrery-dev/orrery/internal/store/storetest"
)

// TestLogsFromTheIndex runs the log conformance tests with no scan budget,
// so every text search of three or more characters is answered by the
// FTS5 trigram index (and shorter ones by the per-row check on the named
// runs) — small test data would otherwise be served by the scan.
func TestLogsFromTheIndex(t *testing.T) {
	budget, common := textScanBudget, ftsCommon
	textScanBudget, ftsCommon = 0, 0
	t.Cleanup(func() { textScanBudget, ftsCommon = budget, common })
	storetest.RunLogs(t, func(t *testing.T) store.Store {
		s, err := Open(context.Background(), ":memory:")
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
