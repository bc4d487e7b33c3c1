package backend

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/orrery-dev/orrery/internal/core"
)

// A flow run whose parameters exceed DynamoDB's 400 KB item limit
// round-trips through the DynamoDB backend with the payload in S3, exactly
// as `orrery server start` wires them (ORRERY_DATABASE_URL=dynamodb://...,
// ORRERY_RESULTS_URL=s3://...).
func TestDynamoDBLargeItemsGoToS3(t *testing.T) {
	endpoint := os.Getenv("ORRERY_TEST_DYNAMODB_ENDPOINT")
	if endpoint == "" {
		if os.Getenv("ORRERY_REQUIRE_BACKENDS") == "1" {
			t.Fatal("ORRERY_TEST_DYNAMODB_ENDPOINT unset")
		}
		t.Skip("ORRERY_TEST_DYNAMODB_ENDPOINT unset: no DynamoDB emulator (scripts/with-backends.sh starts one)")
	}
	t.Parallel()
	ctx := context.Background()
	mem := s3mem.New()
	if err := mem.CreateBucket("orrery-results"); err != nil {
		t.Fatal(err)
	}
	fake := httptest.NewServer(gofakes3.New(mem).Server())
	defer fake.Close()

	table := "backend-s3-" + uuid.NewString()[:8]
	st, err := Open(ctx, "dynamodb://"+table+"?region=us-east-1&endpoint="+endpoint,
		"s3://orrery-results/prod?region=us-east-1&endpoint="+fake.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	defer st.Reset(ctx)

	now := core.T(time.Now())
	flow, _, err := st.CreateFlow(ctx, &core.Flow{ID: uuid.New(), Created: now, Updated: now, Name: "big", Tags: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	params := json.RawMessage(`{"blob":"` + strings.Repeat("p", 600<<10) + `"}`)
	state := &core.State{ID: uuid.New(), Type: core.Pending, Name: "Pending", Timestamp: now}
	run := &core.FlowRun{ID: uuid.New(), Created: now, Updated: now, Name: "big-run", FlowID: flow.ID, Parameters: params,
		Context: json.RawMessage(`{}`), Tags: []string{}}
	run.State, run.StateID, run.StateType, run.StateName = state, &state.ID, &state.Type, &state.Name
	if _, _, err := st.CreateFlowRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	got, err := st.GetFlowRun(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Parameters) != string(params) {
		t.Fatalf("parameters: %d bytes back, want %d", len(got.Parameters), len(params))
	}
	objects, err := mem.ListBucket("orrery-results", &gofakes3.Prefix{Prefix: "prod/", HasPrefix: true}, gofakes3.ListBucketPage{})
	if err != nil {
		t.Fatal(err)
	}
	if len(objects.Contents) == 0 {
		t.Fatal("no payload object under s3://orrery-results/prod/: the item was not offloaded to S3")
	}
}
