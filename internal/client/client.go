// Package client is a small Go client of Orrery's (Prefect 2.7) API, shared
// by the CLI and the native agent.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/orchestration"
)

// Client talks to one API base URL (e.g. http://127.0.0.1:4200/api).
type Client struct {
	Base   string
	APIKey string
	HTTP   *http.Client
}

// New returns a client for base.
func New(base, apiKey string) *Client {
	return &Client{Base: strings.TrimRight(base, "/"), APIKey: apiKey, HTTP: &http.Client{Timeout: 30 * time.Second}}
}

// Error is a non-2xx answer.
type Error struct {
	Status int
	Body   string
}

func (e *Error) Error() string {
	var d struct {
		Detail           any    `json:"detail"`
		ExceptionMessage string `json:"exception_message"`
	}
	if json.Unmarshal([]byte(e.Body), &d) == nil {
		if d.Detail != nil {
			return fmt.Sprintf("HTTP %d: %v", e.Status, d.Detail)
		}
		if d.ExceptionMessage != "" {
			return fmt.Sprintf("HTTP %d: %s", e.Status, d.ExceptionMessage)
		}
	}
	return fmt.Sprintf("HTTP %d: %s", e.Status, e.Body)
}

// IsNotFound reports whether err is, or wraps, a 404 answer.
func IsNotFound(err error) bool { return hasStatus(err, http.StatusNotFound) }

func hasStatus(err error, status int) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == status
}

// Do sends a request with a JSON body (nil for none) and decodes the answer
// into out (nil to discard).
func (c *Client) Do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-PREFECT-API-VERSION", "0.8.4")
	if c.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.APIKey)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &Error{Status: resp.StatusCode, Body: string(data)}
	}
	if out != nil && len(data) > 0 {
		return json.Unmarshal(data, out)
	}
	return nil
}

// FlowRun reads a flow run.
func (c *Client) FlowRun(ctx context.Context, id uuid.UUID) (*core.FlowRun, error) {
	var r core.FlowRun
	return &r, c.Do(ctx, http.MethodGet, "/flow_runs/"+id.String(), nil, &r)
}

// SetFlowRunState proposes a state.
func (c *Client) SetFlowRunState(ctx context.Context, id uuid.UUID, s core.StateCreate, force bool) (*orchestration.Result, error) {
	var res orchestration.Result
	if s.StateDetails == nil {
		s.StateDetails = &core.StateDetails{} // 2.7 servers reject a null state_details
	}
	err := c.Do(ctx, http.MethodPost, "/flow_runs/"+id.String()+"/set_state", map[string]any{"state": s, "force": force}, &res)
	return &res, err
}

// FilterFlowRuns queries flow runs with a raw filter body.
func (c *Client) FilterFlowRuns(ctx context.Context, body map[string]any) ([]*core.FlowRun, error) {
	var out []*core.FlowRun
	return out, c.Do(ctx, http.MethodPost, "/flow_runs/filter", body, &out)
}

// WorkQueueByName reads a queue, creating it when missing and create is set.
func (c *Client) WorkQueueByName(ctx context.Context, name string, create bool) (*core.WorkQueue, error) {
	var q core.WorkQueue
	err := c.Do(ctx, http.MethodGet, "/work_queues/name/"+url.PathEscape(name), nil, &q)
	if IsNotFound(err) && create {
		err = c.Do(ctx, http.MethodPost, "/work_queues/", map[string]any{"name": name}, &q)
		if hasStatus(err, http.StatusConflict) { // created by someone else meanwhile
			err = c.Do(ctx, http.MethodGet, "/work_queues/name/"+url.PathEscape(name), nil, &q)
		}
	}
	return &q, err
}

// QueueRuns polls a queue for runs due before the given time.
func (c *Client) QueueRuns(ctx context.Context, queueID uuid.UUID, before time.Time, limit int) ([]*core.FlowRun, error) {
	var out []*core.FlowRun
	err := c.Do(ctx, http.MethodPost, "/work_queues/"+queueID.String()+"/get_runs",
		map[string]any{"scheduled_before": core.T(before), "limit": limit}, &out)
	return out, err
}

// Deployment reads a deployment by id.
func (c *Client) Deployment(ctx context.Context, id uuid.UUID) (*core.Deployment, error) {
	var d core.Deployment
	return &d, c.Do(ctx, http.MethodGet, "/deployments/"+id.String(), nil, &d)
}

// DeploymentByName reads "flow-name/deployment-name".
func (c *Client) DeploymentByName(ctx context.Context, name string) (*core.Deployment, error) {
	flow, dep, ok := strings.Cut(name, "/")
	if !ok {
		return nil, fmt.Errorf("deployment name %q must be FLOW_NAME/DEPLOYMENT_NAME", name)
	}
	var d core.Deployment
	return &d, c.Do(ctx, http.MethodGet, "/deployments/name/"+url.PathEscape(flow)+"/"+url.PathEscape(dep), nil, &d)
}

// BlockDocument reads a block document with its secrets.
func (c *Client) BlockDocument(ctx context.Context, id uuid.UUID) (*core.BlockDocument, error) {
	var d core.BlockDocument
	return &d, c.Do(ctx, http.MethodGet, "/block_documents/"+id.String()+"?include_secrets=true", nil, &d)
}
