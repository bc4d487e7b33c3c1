package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The notification block types Deliver knows, by slug: the five Prefect
// 2.7.12 registers and Orrery's JSON webhook.
const (
	SlackWebhook     = "slack-webhook"
	MSTeamsWebhook   = "ms-teams-webhook"
	PagerDutyWebhook = "pager-duty-webhook"
	TwilioSMS        = "twilio-sms"
	OpsgenieWebhook  = "opsgenie-webhook"
	JSONWebhook      = "json-webhook"
)

// BlockTypes lists the slugs Deliver supports.
func BlockTypes() []string {
	return []string{SlackWebhook, MSTeamsWebhook, PagerDutyWebhook, TwilioSMS, OpsgenieWebhook, JSONWebhook}
}

// Subject is the title 2.7.12's notifications service gives every message.
const Subject = "Prefect flow run notification"

// appID is the application name 2.7.12 gives apprise (its AppriseAsset):
// the User-Agent and the sender name providers show.
const appID = "Prefect Notifications"

// endpoints are the fixed API hosts of the providers whose URL is not in the
// block. They are a package variable, not a setting, so that only this
// package's tests can point them at a local receiver: an environment
// variable would let a misconfigured deployment send API keys and auth
// tokens to another host.
var endpoints = struct {
	PagerDutyUS, PagerDutyEU string
	Twilio                   string // + "/2010-04-01/Accounts/{sid}/Messages.json"
	OpsgenieUS, OpsgenieEU   string
}{
	PagerDutyUS: "https://events.pagerduty.com/v2/enqueue",
	PagerDutyEU: "https://events.eu.pagerduty.com/v2/enqueue",
	Twilio:      "https://api.twilio.com",
	OpsgenieUS:  "https://api.opsgenie.com/v2/alerts",
	OpsgenieEU:  "https://api.eu.opsgenie.com/v2/alerts",
}

// Message is one notification.
type Message struct {
	Subject string
	Body    string
	// Variables are the template variables the body was rendered from;
	// the JSON webhook sends them as structured data.
	Variables map[string]string
}

// noRedirects is the default client: a provider answering with a redirect
// is an error, not followed, since Go would resend a secret header (the
// JSON webhook's) to whatever host the redirect names.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// Deliverer sends messages through notification block documents.
type Deliverer struct {
	// Client sends the requests; nil means a client that follows no
	// redirects.
	Client *http.Client
	// Timeout bounds one message (all its requests); 0 means 10 s.
	Timeout time.Duration
	// Now stamps Slack's "ts"; nil means time.Now.
	Now func() time.Time
}

// DefaultTimeout bounds one delivery when Deliverer.Timeout is unset.
const DefaultTimeout = 10 * time.Second

// ConfigError is a block document that cannot deliver as it is (unknown
// type, missing or malformed field): retrying will not help.
type ConfigError struct {
	BlockType string
	Msg       string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("%s block: %s", e.BlockType, e.Msg)
}

// StatusError is a provider answering with a status outside 2xx.
type StatusError struct {
	BlockType string
	Status    int
	// Body is the start of the provider's answer.
	Body string
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("%s: the provider answered %d %s", e.BlockType, e.Status, http.StatusText(e.Status))
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// Permanent reports whether err says the block itself is unusable, so
// retrying cannot succeed.
func Permanent(err error) bool {
	var ce *ConfigError
	return errors.As(err, &ce)
}

// Deliver sends msg through the block document of type slug whose data,
// secrets opened, is data. It returns nil once the provider accepted every
// request (2xx).
func (d *Deliverer) Deliver(ctx context.Context, slug string, data map[string]any, msg Message) error {
	timeout := d.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	f := fields{slug: slug, data: data}
	var reqs []*http.Request
	var err error
	switch slug {
	case SlackWebhook:
		reqs, err = d.slack(ctx, f, msg)
	case MSTeamsWebhook:
		reqs, err = teams(ctx, f, msg)
	case PagerDutyWebhook:
		reqs, err = pagerDuty(ctx, f, msg)
	case TwilioSMS:
		reqs, err = twilio(ctx, f, msg)
	case OpsgenieWebhook:
		reqs, err = opsgenie(ctx, f, msg)
	case JSONWebhook:
		reqs, err = jsonWebhook(ctx, f, msg)
	default:
		return &ConfigError{BlockType: slug, Msg: "not a notification block type Orrery delivers (" + strings.Join(BlockTypes(), ", ") + ")"}
	}
	if err != nil {
		return err
	}
	client := d.Client
	if client == nil {
		client = noRedirects
	}
	for _, req := range reqs {
		if err := send(client, slug, req); err != nil {
			return err
		}
	}
	return nil
}

func send(client *http.Client, slug string, req *http.Request) error {
	resp, err := client.Do(req)
	if err != nil {
		// url.Error names the URL, which for webhooks is a secret.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("%s: sending to %s: %w", slug, req.URL.Host, err)
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // let the connection be reused
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &StatusError{BlockType: slug, Status: resp.StatusCode, Body: strings.TrimSpace(string(head))}
	}
	return nil
}

// fields reads a block document's data, remembering the first problem.
type fields struct {
	slug string
	data map[string]any
	err  error
}

func (f *fields) fail(format string, args ...any) {
	if f.err == nil {
		f.err = &ConfigError{BlockType: f.slug, Msg: fmt.Sprintf(format, args...)}
	}
}

// str returns a string field; def when absent or null.
func (f *fields) str(key, def string) string {
	v, ok := f.data[key]
	if !ok || v == nil {
		return def
	}
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	}
	f.fail("field %q is not a string", key)
	return def
}

// required returns a non-empty string field.
func (f *fields) required(key string) string {
	s := f.str(key, "")
	if s == "" {
		f.fail("field %q is required", key)
	}
	return s
}

// list returns a list field's items as strings (absent or null: none).
func (f *fields) list(key string) []string {
	v, ok := f.data[key]
	if !ok || v == nil {
		return nil
	}
	items, ok := v.([]any)
	if !ok {
		f.fail("field %q is not a list", key)
		return nil
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		switch x := it.(type) {
		case string:
			out = append(out, x)
		case float64:
			out = append(out, strconv.FormatFloat(x, 'f', -1, 64))
		default:
			b, _ := json.Marshal(x)
			out = append(out, string(b))
		}
	}
	return out
}

// dict returns a string map field (absent or null: nil).
func (f *fields) dict(key string) map[string]string {
	v, ok := f.data[key]
	if !ok || v == nil {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		f.fail("field %q is not an object", key)
		return nil
	}
	out := make(map[string]string, len(m))
	for k, x := range m {
		if s, ok := x.(string); ok {
			out[k] = s
		} else {
			b, _ := json.Marshal(x)
			out[k] = string(b)
		}
	}
	return out
}

func (f *fields) boolean(key string, def bool) bool {
	v, ok := f.data[key]
	if !ok || v == nil {
		return def
	}
	b, ok := v.(bool)
	if !ok {
		f.fail("field %q is not a boolean", key)
	}
	return b
}

// webhookURL returns the block's url field, which must be http(s).
func (f *fields) webhookURL() string {
	raw := f.required("url")
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		f.fail("field \"url\" is not an http(s) URL")
		return ""
	}
	return raw
}

func postJSON(ctx context.Context, u string, body any, header http.Header) (*http.Request, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.Header = header
	return req, nil
}

// The apprise colours and images 2.7.12's notifications carry; its own
// "prefect_default" type has neither.
var (
	notifyColors = map[string]string{"info": "#3AA3E3", "success": "#3AA337", "failure": "#A32037", "warning": "#CACF29"}
	imageMask    = "https://github.com/caronc/apprise/raw/master/apprise/assets/themes/default/apprise-%s-%s.png"
)

func notifyImage(notifyType, size string) *string {
	if _, ok := notifyColors[notifyType]; !ok {
		return nil
	}
	s := fmt.Sprintf(imageMask, notifyType, size)
	return &s
}

func notifyColor(notifyType string) *string {
	if c, ok := notifyColors[notifyType]; ok {
		return &c
	}
	return nil
}

func (f *fields) notifyType(def string, allowed ...string) string {
	t := f.str("notify_type", def)
	if !slices.Contains(allowed, t) {
		f.fail("field \"notify_type\" must be one of %s", strings.Join(allowed, ", "))
	}
	return t
}

var appriseTypes = []string{"prefect_default", "info", "success", "warning", "failure"}

// slackEscape applies apprise's Slack markdown rules: &, < and > become
// entities, then "<url|text>" and "<url>" links are restored.
var (
	slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	slackLink    = regexp.MustCompile(`(?i)((?:<|&lt;)?[ \t]*((?:https?|mailto)://[^| \n]+)(?:[ \t]*\|[ \t]*(?:([^\n]+?)[ \t]*)?(?:>|&gt;)|(?:>|&gt;)))`)
)

func slackEscape(body string) string {
	body = slackEscaper.Replace(body)
	for _, m := range slackLink.FindAllStringSubmatch(body, -1) {
		link := strings.ReplaceAll(m[2], "&amp;", "&")
		desc := strings.TrimSpace(m[3])
		repl := "<" + link + ">"
		if desc != "" {
			repl = "<" + link + "|" + desc + ">"
		}
		body = strings.ReplaceAll(body, m[1], repl)
	}
	return body
}

// slack posts apprise's Slack webhook payload (legacy attachments format,
// markdown on) to the block's incoming-webhook URL.
func (d *Deliverer) slack(ctx context.Context, f fields, msg Message) ([]*http.Request, error) {
	u := f.webhookURL()
	nt := f.notifyType("prefect_default", appriseTypes...)
	if f.err != nil {
		return nil, f.err
	}
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	type attachment struct {
		Title      string  `json:"title"`
		Text       string  `json:"text"`
		Color      *string `json:"color"`
		TS         float64 `json:"ts"`
		FooterIcon *string `json:"footer_icon,omitempty"`
		Footer     string  `json:"footer"`
	}
	img := notifyImage(nt, "72x72")
	payload := struct {
		Username    string       `json:"username"`
		Mrkdwn      bool         `json:"mrkdwn"`
		Attachments []attachment `json:"attachments"`
		IconURL     *string      `json:"icon_url,omitempty"`
	}{
		Username: appID,
		Mrkdwn:   true,
		Attachments: []attachment{{
			Title: slackEscaper.Replace(strings.TrimSpace(msg.Subject)), Text: slackEscape(strings.TrimRight(msg.Body, " \t\r\n\v\f")),
			Color: notifyColor(nt), TS: float64(now().UnixMicro()) / 1e6, FooterIcon: img, Footer: appID,
		}},
		IconURL: img,
	}
	req, err := postJSON(ctx, u, payload, http.Header{
		"User-Agent": {appID}, "Accept": {"application/json"}, "Content-Type": {"application/json; charset=utf-8"},
	})
	return []*http.Request{req}, err
}

// teams posts apprise's MessageCard to the block's Teams incoming-webhook
// URL.
func teams(ctx context.Context, f fields, msg Message) ([]*http.Request, error) {
	u := f.webhookURL()
	nt := f.notifyType("prefect_default", appriseTypes...)
	if f.err != nil {
		return nil, f.err
	}
	type section struct {
		ActivityImage *string `json:"activityImage"`
		ActivityTitle string  `json:"activityTitle"`
		Text          string  `json:"text"`
	}
	payload := struct {
		Type       string    `json:"@type"`
		Context    string    `json:"@context"`
		Summary    string    `json:"summary"`
		ThemeColor *string   `json:"themeColor"`
		Sections   []section `json:"sections"`
	}{
		Type: "MessageCard", Context: "https://schema.org/extensions", Summary: appID, ThemeColor: notifyColor(nt),
		Sections: []section{{ActivityImage: notifyImage(nt, "72x72"), ActivityTitle: strings.TrimSpace(msg.Subject), Text: strings.TrimRight(msg.Body, " \t\r\n\v\f")}},
	}
	req, err := postJSON(ctx, u, payload, http.Header{"User-Agent": {appID}, "Content-Type": {"application/json"}})
	return []*http.Request{req}, err
}

// titled joins subject and body as apprise does for services without a
// title (PagerDuty, Twilio).
func titled(msg Message) string {
	body := strings.TrimRight(msg.Body, " \t\r\n\v\f")
	if s := strings.TrimSpace(msg.Subject); s != "" {
		return s + "\r\n" + body
	}
	return body
}

// pagerDuty triggers a PagerDuty Events API v2 event (what apprise's
// NotifyPagerDuty sends).
func pagerDuty(ctx context.Context, f fields, msg Message) ([]*http.Request, error) {
	routingKey := f.required("integration_key")
	apiKey := f.required("api_key")
	nt := f.notifyType("info", "info", "success", "warning", "failure")
	region := f.str("region_name", "us")
	endpoint := endpoints.PagerDutyUS
	switch region {
	case "us":
	case "eu":
		endpoint = endpoints.PagerDutyEU
	default:
		f.fail("field \"region_name\" must be us or eu")
	}
	severity := map[string]string{"info": "info", "success": "info", "warning": "warning", "failure": "critical"}[nt]
	// 2.7.12's default source is "Prefect"; a null one is apprise's default.
	source := "Prefect"
	if v, ok := f.data["source"]; ok && v == nil {
		source = "Apprise"
	}
	inner := map[string]any{
		"summary": titled(msg), "severity": severity,
		"source": f.str("source", source), "component": f.str("component", "Notification"),
	}
	if g := f.str("group", ""); g != "" {
		inner["group"] = g
	}
	if c := f.str("class_id", ""); c != "" {
		inner["class"] = c
	}
	if det := f.dict("custom_details"); len(det) > 0 {
		inner["custom_details"] = det
	}
	payload := map[string]any{
		"routing_key": routingKey, "payload": inner, "client": appID, "event_action": "trigger",
	}
	if click := f.str("clickable_url", ""); click != "" {
		payload["links"] = []map[string]string{{"href": click}}
	}
	if f.boolean("include_image", true) {
		payload["images"] = []map[string]string{{"src": *notifyImage(nt, "128x128"), "alt": nt}}
	}
	if f.err != nil {
		return nil, f.err
	}
	req, err := postJSON(ctx, endpoint, payload, http.Header{
		"User-Agent": {appID}, "Content-Type": {"application/json"}, "Authorization": {"Token token=" + apiKey},
	})
	return []*http.Request{req}, err
}

// phone normalises a phone number as apprise does: its digits, "+" first.
func phone(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return ""
	}
	return "+" + b.String()
}

// sortedUnique is apprise's parse_list: targets deduplicated and sorted.
func sortedUnique(xs []string) []string {
	out := slices.Clone(xs)
	slices.Sort(out)
	return slices.Compact(out)
}

// twilio sends one SMS per target through Twilio's Messages REST API
// (form-encoded, HTTP basic auth with the account SID and auth token).
func twilio(ctx context.Context, f fields, msg Message) ([]*http.Request, error) {
	sid := f.required("account_sid")
	token := f.required("auth_token")
	from := phone(f.required("from_phone_number"))
	var targets []string
	for _, t := range f.list("to_phone_numbers") {
		if p := phone(t); p != "" {
			targets = append(targets, p)
		}
	}
	if len(targets) == 0 {
		f.fail("field \"to_phone_numbers\" names no phone number")
	}
	if f.err != nil {
		return nil, f.err
	}
	u := endpoints.Twilio + "/2010-04-01/Accounts/" + url.PathEscape(sid) + "/Messages.json"
	var reqs []*http.Request
	for _, to := range sortedUnique(targets) {
		form := url.Values{"Body": {titled(msg)}, "From": {from}, "To": {to}}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
		if err != nil {
			return nil, err
		}
		req.Header = http.Header{"User-Agent": {appID}, "Accept": {"application/json"}, "Content-Type": {"application/x-www-form-urlencoded"}}
		req.SetBasicAuth(sid, token)
		reqs = append(reqs, req)
	}
	return reqs, nil
}

// opsgeniePriority maps 2.7.12's priority field (1-5, "P1".."P5" or a word)
// to Opsgenie's P1..P5 as apprise does; anything else is P3.
func opsgeniePriority(p string) string {
	p = strings.ToLower(p)
	for _, m := range []struct{ prefix, level string }{
		{"l", "1"}, {"m", "2"}, {"n", "3"}, {"h", "4"}, {"e", "5"},
		{"1", "1"}, {"2", "2"}, {"3", "3"}, {"4", "4"}, {"5", "5"},
		{"p1", "1"}, {"p2", "2"}, {"p3", "3"}, {"p4", "4"}, {"p5", "5"},
	} {
		if strings.HasPrefix(p, m.prefix) {
			return "P" + m.level
		}
	}
	return "P3"
}

// opsgenie creates an alert through Opsgenie's Alert API, one request per
// responder unless batch is set (then up to 50 per request), as apprise's
// NotifyOpsgenie does.
func opsgenie(ctx context.Context, f fields, msg Message) ([]*http.Request, error) {
	key := f.required("apikey")
	nt := f.notifyType("prefect_default", appriseTypes...)
	endpoint := endpoints.OpsgenieUS
	switch f.str("region_name", "us") {
	case "us":
	case "eu":
		endpoint = endpoints.OpsgenieEU
	default:
		f.fail("field \"region_name\" must be us or eu")
	}
	// Targets as apprise reads them back from 2.7.12's URL: prefixed,
	// deduplicated and sorted ('#' team, '*' schedule, '@' user, '^'
	// escalation).
	var prefixed []string
	for _, g := range []struct{ key, prefix string }{{"target_user", "@"}, {"target_team", "#"}, {"target_schedule", "*"}, {"target_escalation", "^"}} {
		for _, t := range f.list(g.key) {
			prefixed = append(prefixed, g.prefix+t)
		}
	}
	var responders []map[string]string
	for _, t := range sortedUnique(prefixed) {
		kind, name := map[byte]string{'@': "user", '#': "team", '*': "schedule", '^': "escalation"}[t[0]], t[1:]
		r := map[string]string{"type": kind}
		switch {
		case isUUID(name):
			r["id"] = name
		case kind == "user":
			r["username"] = name
		default:
			r["name"] = name
		}
		responders = append(responders, r)
	}
	details := map[string]string{}
	for k, v := range f.dict("details") {
		details[k] = v
	}
	if _, ok := details["type"]; !ok {
		details["type"] = nt
	}
	title := strings.TrimSpace(msg.Subject)
	body := strings.TrimRight(msg.Body, " \t\r\n\v\f")
	message := title
	if message == "" {
		message = body
	}
	if r := []rune(message); len(r) > 130 {
		message = string(r[:127]) + "..."
	}
	payload := map[string]any{
		"source": appID, "message": message, "description": body, "details": details,
		"priority": opsgeniePriority(f.str("priority", "3")),
	}
	if tags := f.list("tags"); len(tags) > 0 {
		payload["tags"] = sortedUnique(tags)
	}
	if e := f.str("entity", ""); e != "" {
		payload["entity"] = e
	}
	if a := f.str("alias", ""); a != "" {
		payload["alias"] = a
	}
	batch := 1
	if f.boolean("batch", false) {
		batch = 50
	}
	if f.err != nil {
		return nil, f.err
	}
	header := func() http.Header {
		return http.Header{"User-Agent": {appID}, "Content-Type": {"application/json"}, "Authorization": {"GenieKey " + key}}
	}
	if len(responders) == 0 {
		req, err := postJSON(ctx, endpoint, payload, header())
		return []*http.Request{req}, err
	}
	var reqs []*http.Request
	for i := 0; i < len(responders); i += batch {
		payload["responders"] = responders[i:min(i+batch, len(responders))]
		req, err := postJSON(ctx, endpoint, payload, header())
		if err != nil {
			return nil, err
		}
		reqs = append(reqs, req)
	}
	return reqs, nil
}

func isUUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) >= 32
}

// jsonWebhook posts {"subject", "body", "variables"} to the block's URL,
// with the optional secret header.
func jsonWebhook(ctx context.Context, f fields, msg Message) ([]*http.Request, error) {
	u := f.webhookURL()
	name := f.str("secret_header_name", "")
	value := f.str("secret_header_value", "")
	if name != "" && !validHeaderName(name) {
		f.fail("field \"secret_header_name\" is not a valid HTTP header name")
	}
	if name == "" && value != "" {
		f.fail("field \"secret_header_value\" is set without secret_header_name")
	}
	if f.err != nil {
		return nil, f.err
	}
	vars := msg.Variables
	if vars == nil {
		vars = map[string]string{}
	}
	payload := struct {
		Subject   string            `json:"subject"`
		Body      string            `json:"body"`
		Variables map[string]string `json:"variables"`
	}{msg.Subject, msg.Body, vars}
	h := http.Header{"User-Agent": {"Orrery"}, "Content-Type": {"application/json"}}
	if name != "" {
		h.Set(name, value)
	}
	req, err := postJSON(ctx, u, payload, h)
	return []*http.Request{req}, err
}

// validHeaderName reports whether s is an RFC 9110 token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r > 0x7e || r <= ' ' || strings.ContainsRune("\"(),/:;<=>?@[\\]{}", r) {
			return false
		}
	}
	return true
}
