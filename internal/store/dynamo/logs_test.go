package dynamo_test

import (
	"testing"

	"github.com/orrery-dev/orrery/internal/store"
	"github.com/orrery-dev/orrery/internal/store/dynamo"
	"github.com/orrery-dev/orrery/internal/store/storetest"
)

func TestLogs(t *testing.T) {
	endpoint(t)
	storetest.RunLogs(t, func(t *testing.T) store.Store { return openTable(t, dynamo.Options{}) })
}
