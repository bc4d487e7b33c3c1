package postgres_test

import (
	"testing"

	"github.com/orrery-dev/orrery/internal/store"
	"github.com/orrery-dev/orrery/internal/store/storetest"
)

// TestRetentionConformance is the suite's retention test on its own (it
// also runs inside TestConformance).
func TestRetentionConformance(t *testing.T) {
	serverURL(t)
	storetest.RunRetention(t, func(t *testing.T) store.Store {
		_, u := freshSchema(t)
		return open(t, u)
	})
}
