package notify

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// received is one request a receiver saw.
type received struct {
	Method, Path string
	Header       http.Header
	Body         string
}

// receiver is an httptest server recording requests and answering status.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []received
	status int
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	r := &receiver{status: http.StatusOK}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, received{req.Method, req.URL.Path, req.Header.Clone(), string(b)})
		status := r.status
		r.mu.Unlock()
		w.WriteHeader(status)
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// pointEndpointsAt sends the fixed-host providers to base for one test.
func pointEndpointsAt(t *testing.T, base string) {
	t.Helper()
	saved := endpoints
	endpoints.PagerDutyUS, endpoints.PagerDutyEU = base+"/pd-us/v2/enqueue", base+"/pd-eu/v2/enqueue"
	endpoints.Twilio = base + "/twilio"
	endpoints.OpsgenieUS, endpoints.OpsgenieEU = base+"/og-us/v2/alerts", base+"/og-eu/v2/alerts"
	t.Cleanup(func() { endpoints = saved })
}

// want is an expected request: headers listed must match exactly, the body
// is compared as JSON (or as a form when form is set).
type want struct {
	path   string
	header map[string]string
	json   string
	form   url.Values
}

const testBody = "Flow run x/y entered state `Failed` at 2023.\n\nState message: <boom> & \"q\"\n"

func TestDeliverProviders(t *testing.T) {
	// Not parallel: the fixed-host providers' endpoints are package state.
	rcv := newReceiver(t)
	pointEndpointsAt(t, rcv.URL)
	d := &Deliverer{Now: func() time.Time { return time.Unix(1700000000, 250000000) }}
	msg := Message{Subject: Subject, Body: testBody, Variables: map[string]string{"flow_run_id": "r1"}}
	basic := "Basic " + b64("AC123:tok")

	// The expected bodies are what 2.7.12's blocks sent through apprise
	// 1.2.1 for the same data (captured with requests.post patched), with
	// the receiver's URL in place of the providers' hosts.
	tests := []struct {
		name string
		slug string
		data map[string]any
		want []want
	}{
		{"slack default", SlackWebhook, map[string]any{"url": rcv.URL + "/services/T0/B0/XX"}, []want{{
			path:   "/services/T0/B0/XX",
			header: map[string]string{"User-Agent": "Prefect Notifications", "Accept": "application/json", "Content-Type": "application/json; charset=utf-8"},
			json:   `{"username": "Prefect Notifications", "mrkdwn": true, "attachments": [{"title": "Prefect flow run notification", "text": "Flow run x/y entered state ` + "`Failed`" + ` at 2023.\n\nState message: &lt;boom&gt; &amp; \"q\"", "color": null, "ts": 1700000000.25, "footer": "Prefect Notifications"}]}`,
		}}},
		{"slack failure type", SlackWebhook, map[string]any{"url": rcv.URL + "/s", "notify_type": "failure"}, []want{{
			path: "/s",
			json: `{"username": "Prefect Notifications", "mrkdwn": true, "attachments": [{"title": "Prefect flow run notification", "text": "Flow run x/y entered state ` + "`Failed`" + ` at 2023.\n\nState message: &lt;boom&gt; &amp; \"q\"", "color": "#A32037", "ts": 1700000000.25, "footer_icon": "https://github.com/caronc/apprise/raw/master/apprise/assets/themes/default/apprise-failure-72x72.png", "footer": "Prefect Notifications"}], "icon_url": "https://github.com/caronc/apprise/raw/master/apprise/assets/themes/default/apprise-failure-72x72.png"}`,
		}}},
		{"teams", MSTeamsWebhook, map[string]any{"url": rcv.URL + "/webhookb2/AAA/IncomingWebhook/CCC/DDD", "notify_type": "prefect_default"}, []want{{
			path:   "/webhookb2/AAA/IncomingWebhook/CCC/DDD",
			header: map[string]string{"User-Agent": "Prefect Notifications", "Content-Type": "application/json"},
			json:   `{"@type": "MessageCard", "@context": "https://schema.org/extensions", "summary": "Prefect Notifications", "themeColor": null, "sections": [{"activityImage": null, "activityTitle": "Prefect flow run notification", "text": "Flow run x/y entered state ` + "`Failed`" + ` at 2023.\n\nState message: <boom> & \"q\""}]}`,
		}}},
		{"pagerduty defaults", PagerDutyWebhook, map[string]any{"integration_key": "intkey", "api_key": "apikey", "source": "Prefect", "component": "Notification", "group": nil, "class_id": nil, "region_name": "us", "clickable_url": nil, "include_image": true, "custom_details": nil, "notify_type": "info"}, []want{{
			path:   "/pd-us/v2/enqueue",
			header: map[string]string{"User-Agent": "Prefect Notifications", "Content-Type": "application/json", "Authorization": "Token token=apikey"},
			json:   `{"routing_key": "intkey", "payload": {"summary": "Prefect flow run notification\r\nFlow run x/y entered state ` + "`Failed`" + ` at 2023.\n\nState message: <boom> & \"q\"", "severity": "info", "source": "Prefect", "component": "Notification"}, "client": "Prefect Notifications", "event_action": "trigger", "images": [{"src": "https://github.com/caronc/apprise/raw/master/apprise/assets/themes/default/apprise-info-128x128.png", "alt": "info"}]}`,
		}}},
		{"pagerduty every field", PagerDutyWebhook, map[string]any{"integration_key": "intkey", "api_key": "apikey", "notify_type": "failure", "source": "src", "component": "comp", "group": "grp", "class_id": "cls", "region_name": "eu", "clickable_url": "https://example.com/x", "include_image": false, "custom_details": map[string]any{"disk": "145GB"}}, []want{{
			path: "/pd-eu/v2/enqueue",
			json: `{"routing_key": "intkey", "payload": {"summary": "Prefect flow run notification\r\nFlow run x/y entered state ` + "`Failed`" + ` at 2023.\n\nState message: <boom> & \"q\"", "severity": "critical", "source": "src", "component": "comp", "group": "grp", "class": "cls", "custom_details": {"disk": "145GB"}}, "client": "Prefect Notifications", "event_action": "trigger", "links": [{"href": "https://example.com/x"}]}`,
		}}},
		{"pagerduty null source", PagerDutyWebhook, map[string]any{"integration_key": "i", "api_key": "a", "source": nil, "component": "c"}, []want{{
			path: "/pd-us/v2/enqueue",
			json: `{"routing_key": "i", "payload": {"summary": "Prefect flow run notification\r\nFlow run x/y entered state ` + "`Failed`" + ` at 2023.\n\nState message: <boom> & \"q\"", "severity": "info", "source": "Apprise", "component": "c"}, "client": "Prefect Notifications", "event_action": "trigger", "images": [{"src": "https://github.com/caronc/apprise/raw/master/apprise/assets/themes/default/apprise-info-128x128.png", "alt": "info"}]}`,
		}}},
		{"twilio one SMS per number", TwilioSMS, map[string]any{"account_sid": "AC123", "auth_token": "tok", "from_phone_number": "18001234567", "to_phone_numbers": []any{"18005555555", "1 (800) 424-2424", "18005555555"}, "notify_type": "prefect_default"}, []want{
			{path: "/twilio/2010-04-01/Accounts/AC123/Messages.json", header: map[string]string{"User-Agent": "Prefect Notifications", "Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded", "Authorization": basic},
				form: url.Values{"Body": {"Prefect flow run notification\r\n" + strings.TrimRight(testBody, "\n")}, "From": {"+18001234567"}, "To": {"+18004242424"}}},
			{path: "/twilio/2010-04-01/Accounts/AC123/Messages.json",
				form: url.Values{"Body": {"Prefect flow run notification\r\n" + strings.TrimRight(testBody, "\n")}, "From": {"+18001234567"}, "To": {"+18005555555"}}},
		}},
		{"opsgenie defaults", OpsgenieWebhook, map[string]any{"apikey": "ogkey", "priority": float64(3), "region_name": "us", "batch": false, "notify_type": "prefect_default"}, []want{{
			path:   "/og-us/v2/alerts",
			header: map[string]string{"User-Agent": "Prefect Notifications", "Content-Type": "application/json", "Authorization": "GenieKey ogkey"},
			json:   `{"source": "Prefect Notifications", "message": "Prefect flow run notification", "description": "Flow run x/y entered state ` + "`Failed`" + ` at 2023.\n\nState message: <boom> & \"q\"", "details": {"type": "prefect_default"}, "priority": "P3"}`,
		}}},
		{"opsgenie batched with every field", OpsgenieWebhook, map[string]any{"apikey": "ogkey", "target_user": []any{"u1"}, "target_team": []any{"t1"}, "target_schedule": []any{"s1"}, "target_escalation": []any{"e1"}, "region_name": "eu", "batch": true, "tags": []any{"b", "a"}, "priority": "5", "alias": "al", "entity": "ent", "details": map[string]any{"k": "v"}}, []want{{
			path: "/og-eu/v2/alerts",
			json: `{"source": "Prefect Notifications", "message": "Prefect flow run notification", "description": "Flow run x/y entered state ` + "`Failed`" + ` at 2023.\n\nState message: <boom> & \"q\"", "details": {"k": "v", "type": "prefect_default"}, "priority": "P5", "tags": ["a", "b"], "entity": "ent", "alias": "al", "responders": [{"type": "team", "name": "t1"}, {"type": "schedule", "name": "s1"}, {"type": "user", "username": "u1"}, {"type": "escalation", "name": "e1"}]}`,
		}}},
		{"opsgenie one alert per responder", OpsgenieWebhook, map[string]any{"apikey": "k", "notify_type": "info", "target_user": []any{"u2", "u1"}, "target_team": []any{"t1"}}, []want{
			{path: "/og-us/v2/alerts", json: `{"source": "Prefect Notifications", "message": "Prefect flow run notification", "description": "Flow run x/y entered state ` + "`Failed`" + ` at 2023.\n\nState message: <boom> & \"q\"", "details": {"type": "info"}, "priority": "P3", "responders": [{"type": "team", "name": "t1"}]}`},
			{path: "/og-us/v2/alerts", json: `{"source": "Prefect Notifications", "message": "Prefect flow run notification", "description": "Flow run x/y entered state ` + "`Failed`" + ` at 2023.\n\nState message: <boom> & \"q\"", "details": {"type": "info"}, "priority": "P3", "responders": [{"type": "user", "username": "u1"}]}`},
			{path: "/og-us/v2/alerts", json: `{"source": "Prefect Notifications", "message": "Prefect flow run notification", "description": "Flow run x/y entered state ` + "`Failed`" + ` at 2023.\n\nState message: <boom> & \"q\"", "details": {"type": "info"}, "priority": "P3", "responders": [{"type": "user", "username": "u2"}]}`},
		}},
		{"json webhook with secret header", JSONWebhook, map[string]any{"url": rcv.URL + "/hook?x=1", "secret_header_name": "X-Token", "secret_header_value": "s3cret"}, []want{{
			path:   "/hook",
			header: map[string]string{"Content-Type": "application/json", "X-Token": "s3cret"},
			json:   `{"subject": "Prefect flow run notification", "body": ` + jsonString(testBody) + `, "variables": {"flow_run_id": "r1"}}`,
		}}},
		{"json webhook without header", JSONWebhook, map[string]any{"url": rcv.URL + "/hook2", "secret_header_name": nil, "secret_header_value": nil}, []want{{
			path: "/hook2",
			json: `{"subject": "Prefect flow run notification", "body": ` + jsonString(testBody) + `, "variables": {"flow_run_id": "r1"}}`,
		}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(rcv.requests())
			if err := d.Deliver(context.Background(), tc.slug, tc.data, msg); err != nil {
				t.Fatal(err)
			}
			got := rcv.requests()[before:]
			if len(got) != len(tc.want) {
				t.Fatalf("%d requests, want %d: %+v", len(got), len(tc.want), got)
			}
			for i, w := range tc.want {
				g := got[i]
				if g.Method != http.MethodPost || g.Path != w.path {
					t.Errorf("request %d: %s %s, want POST %s", i, g.Method, g.Path, w.path)
				}
				for k, v := range w.header {
					if g.Header.Get(k) != v {
						t.Errorf("request %d: header %s = %q, want %q", i, k, g.Header.Get(k), v)
					}
				}
				if w.form != nil {
					f, err := url.ParseQuery(g.Body)
					if err != nil || !reflect.DeepEqual(f, w.form) {
						t.Errorf("request %d: form %v (%v), want %v", i, f, err, w.form)
					}
					continue
				}
				var gotJSON, wantJSON any
				if err := json.Unmarshal([]byte(g.Body), &gotJSON); err != nil {
					t.Fatalf("request %d: body %q: %v", i, g.Body, err)
				}
				if err := json.Unmarshal([]byte(w.json), &wantJSON); err != nil {
					t.Fatalf("bad expectation: %v", err)
				}
				if !reflect.DeepEqual(gotJSON, wantJSON) {
					t.Errorf("request %d body:\n got %s\nwant %s", i, g.Body, w.json)
				}
			}
		})
	}
}

func TestDeliverErrors(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t)
	rcv.status = http.StatusInternalServerError
	d := &Deliverer{}
	msg := Message{Subject: Subject, Body: "b"}
	tests := []struct {
		name      string
		slug      string
		data      map[string]any
		permanent bool
		contains  string
	}{
		{"non-2xx", SlackWebhook, map[string]any{"url": rcv.URL + "/secret-token"}, false, "slack-webhook: the provider answered 500 Internal Server Error: ok"},
		{"unreachable", JSONWebhook, map[string]any{"url": "http://127.0.0.1:1/secret-token"}, false, "json-webhook: sending to 127.0.0.1:1"},
		{"unknown type", "s3", map[string]any{}, true, "s3 block: not a notification block type"},
		{"missing url", SlackWebhook, map[string]any{}, true, `slack-webhook block: field "url" is required`},
		{"not http", MSTeamsWebhook, map[string]any{"url": "ftp://x/y"}, true, `field "url" is not an http(s) URL`},
		{"bad notify type", SlackWebhook, map[string]any{"url": rcv.URL, "notify_type": "loud"}, true, `field "notify_type" must be one of`},
		{"twilio without targets", TwilioSMS, map[string]any{"account_sid": "a", "auth_token": "b", "from_phone_number": "1", "to_phone_numbers": []any{}}, true, "names no phone number"},
		{"pagerduty bad region", PagerDutyWebhook, map[string]any{"integration_key": "a", "api_key": "b", "region_name": "mars"}, true, "region_name"},
		{"header value without name", JSONWebhook, map[string]any{"url": rcv.URL, "secret_header_value": "x"}, true, "without secret_header_name"},
		{"list field of wrong type", OpsgenieWebhook, map[string]any{"apikey": "k", "tags": "a,b"}, true, `field "tags" is not a list`},
	}
	for _, tc := range tests {
		err := d.Deliver(context.Background(), tc.slug, tc.data, msg)
		if err == nil || !strings.Contains(err.Error(), tc.contains) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.contains)
			continue
		}
		if Permanent(err) != tc.permanent {
			t.Errorf("%s: Permanent = %v, want %v", tc.name, Permanent(err), tc.permanent)
		}
		if strings.Contains(err.Error(), "secret-token") {
			t.Errorf("%s: the error shows the webhook URL: %v", tc.name, err)
		}
	}
	redirect := httptest.NewServer(http.RedirectHandler(rcv.URL+"/elsewhere", http.StatusTemporaryRedirect))
	defer redirect.Close()
	before := len(rcv.requests())
	err := d.Deliver(context.Background(), JSONWebhook, map[string]any{"url": redirect.URL, "secret_header_name": "X-Token", "secret_header_value": "s"}, msg)
	if err == nil || !strings.Contains(err.Error(), "answered 307") || len(rcv.requests()) != before {
		t.Errorf("a redirect: %v, %d requests followed it", err, len(rcv.requests())-before)
	}
	var se *StatusError
	if err := d.Deliver(context.Background(), SlackWebhook, map[string]any{"url": rcv.URL}, msg); !errors.As(err, &se) || se.Status != 500 {
		t.Errorf("want a *StatusError 500, got %v", err)
	}
}

func TestDeliverTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	d := &Deliverer{Timeout: 50 * time.Millisecond}
	err := d.Deliver(context.Background(), JSONWebhook, map[string]any{"url": srv.URL}, Message{Body: "b"})
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want a deadline error, got %v", err)
	}
}

func TestOpsgeniePriority(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"1": "P1", "3": "P3", "5": "P5", "P4": "P4", "low": "P1", "Emergency": "P5", "high": "P4", "": "P3", "x": "P3"} {
		if got := opsgeniePriority(in); got != want {
			t.Errorf("opsgeniePriority(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestSlackEscape(t *testing.T) {
	t.Parallel()
	// From apprise 1.2.1 with 2.7.12's SlackWebhook.
	if got, want := slackEscape("a <http://x.y/z|link> & b"), "a <http://x.y/z|link> &amp; b"; got != want {
		t.Errorf("slackEscape = %q, want %q", got, want)
	}
	if got, want := slackEscape("see <https://a.b/c?d=1&e=2> now"), "see <https://a.b/c?d=1&e=2> now"; got != want {
		t.Errorf("slackEscape = %q, want %q", got, want)
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
