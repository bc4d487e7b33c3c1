package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/orrery-dev/orrery/internal/api"
	"github.com/orrery-dev/orrery/internal/client"
	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/secretbox"
	"github.com/orrery-dev/orrery/internal/store/sqlite"
)

// notificationServer is apiServer with a secret box and the built-in block
// types, and a Slack webhook document named "alerts".
func notificationServer(t *testing.T) (*client.Client, *core.BlockDocument) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	box, err := secretbox.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	srv := api.New(api.Config{Store: st, Secret: box, Logger: slog.New(slog.DiscardHandler)})
	if err := srv.InstallSystemBlockTypes(ctx); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { hs.Close(); st.Close() })
	t.Setenv("PREFECT_API_URL", hs.URL+"/api")
	t.Setenv("PREFECT_API_KEY", "")
	c := client.New(hs.URL+"/api", "")
	var bt core.BlockType
	if err := c.Do(ctx, http.MethodGet, "/block_types/slug/slack-webhook", nil, &bt); err != nil {
		t.Fatal(err)
	}
	var schemas []core.BlockSchema
	post(t, c, "/block_schemas/filter", map[string]any{"block_schemas": map[string]any{"block_type_id": map[string]any{"any_": []string{bt.ID.String()}}}}, &schemas)
	if len(schemas) == 0 {
		t.Fatal("no slack-webhook schema")
	}
	var doc core.BlockDocument
	post(t, c, "/block_documents/", map[string]any{"name": "alerts", "block_type_id": bt.ID, "block_schema_id": schemas[0].ID,
		"data": map[string]any{"url": "https://hooks.slack.com/services/T/B/C"}}, &doc)
	return c, &doc
}

func TestNotificationCommands(t *testing.T) {
	c, doc := notificationServer(t)

	// create by slug/name, with states, tags and a template.
	out, err := run(t, "notification", "create", "--block", "slack-webhook/alerts", "--state", "Failed", "--state", "Crashed",
		"--tag", "prod", "--template", "{flow_run_name} is {flow_run_state_name}", "-o", "json")
	if err != nil {
		t.Fatalf("create: %v\n%s", err, out)
	}
	var p core.FlowRunNotificationPolicy
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if !p.IsActive || strings.Join(p.StateNames, ",") != "Failed,Crashed" || strings.Join(p.Tags, ",") != "prod" ||
		p.BlockDocumentID != doc.ID || p.MessageTemplate == nil || *p.MessageTemplate != "{flow_run_name} is {flow_run_state_name}" {
		t.Fatalf("created %+v", p)
	}
	// create by id, inactive, default template.
	out, err = run(t, "notification", "create", "--block", doc.ID.String(), "--state", "Completed", "--inactive", "-o", "json")
	if err != nil {
		t.Fatalf("create by id: %v\n%s", err, out)
	}
	var q core.FlowRunNotificationPolicy
	if err := json.Unmarshal([]byte(out), &q); err != nil || q.IsActive || q.MessageTemplate != nil || len(q.Tags) != 0 {
		t.Fatalf("created %+v (%v)", q, err)
	}

	out, err = run(t, "notification", "ls")
	if err != nil {
		t.Fatalf("ls: %v", err)
	}
	for _, want := range []string{"ID", "STATES", p.ID.String(), "Failed,Crashed", "prod", "slack-webhook/alerts", "{flow_run_name} is {flow_run_state_name}", q.ID.String(), "(any)", "(default)", "false"} {
		if !strings.Contains(out, want) {
			t.Errorf("ls lacks %q:\n%s", want, out)
		}
	}

	errs := []struct {
		args []string
		want string
	}{
		{[]string{"create", "--block", "slack-webhook/nope", "--state", "Failed"}, `block document "slack-webhook/nope" not found`},
		{[]string{"create", "--block", "nonsense", "--state", "Failed"}, "want a block document id or BLOCK_TYPE_SLUG/NAME"},
		{[]string{"create", "--block", "slack-webhook/alerts"}, `required flag(s) "state" not set`},
		{[]string{"create", "--block", "slack-webhook/alerts", "--state", "Failed", "--template", "{nope}"}, "Invalid template variable provided: 'nope'"},
		{[]string{"delete", "not-an-id"}, `"not-an-id" is not a policy id`},
	}
	for _, tc := range errs {
		out, err := run(t, append([]string{"notification"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("notification %v: err %v, want %q\n%s", tc.args, err, tc.want, out)
		}
	}

	if out, err := run(t, "notification", "delete", p.ID.String(), q.ID.String()); err != nil || strings.Count(out, "Deleted notification policy") != 2 {
		t.Fatalf("delete: %v\n%s", err, out)
	}
	if _, err := run(t, "notification", "delete", p.ID.String()); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("deleting twice: %v", err)
	}
	var left []core.FlowRunNotificationPolicy
	post(t, c, "/flow_run_notification_policies/filter", map[string]any{}, &left)
	if len(left) != 0 {
		t.Fatalf("%d policies left", len(left))
	}
}
