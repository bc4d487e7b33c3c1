package core

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// Flow is a named workflow; flow runs belong to it.
type Flow struct {
	ID      uuid.UUID `json:"id"`
	Created Time      `json:"created"`
	Updated Time      `json:"updated"`
	Name    string    `json:"name"`
	Tags    []string  `json:"tags"`
}

// Float is a float64 that is always written as a JSON float (0.0, 5.0), as
// Python's json module writes a pydantic float field; Go would write 0 and 5,
// which a strictly typed client reads as integers.
type Float float64

// MarshalJSON implements json.Marshaler.
func (f Float) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil, fmt.Errorf("core.Float: %v is not valid JSON", v)
	}
	// Python's repr: positional between 1e-4 and 1e16, else exponent.
	format := byte('f')
	if a := math.Abs(v); a != 0 && (a < 1e-4 || a >= 1e16) {
		format = 'e'
	}
	b := strconv.AppendFloat(nil, v, format, -1, 64)
	if !bytes.ContainsAny(b, ".eE") {
		b = append(b, '.', '0')
	}
	return b, nil
}

// FlowRunPolicy is a flow run's retry and pause bookkeeping.
type FlowRunPolicy struct {
	MaxRetries        int      `json:"max_retries"`
	RetryDelaySeconds Float    `json:"retry_delay_seconds"`
	Retries           *int     `json:"retries"`
	RetryDelay        *int     `json:"retry_delay"`
	PauseKeys         []string `json:"pause_keys"`
	Resuming          bool     `json:"resuming"`
}

// Normalize applies 2.7's defaults: deprecated fields fill empty new ones.
func (p *FlowRunPolicy) Normalize() {
	if p.Retries == nil && p.MaxRetries != 0 {
		v := p.MaxRetries
		p.Retries = &v
	}
	if p.RetryDelay == nil && p.RetryDelaySeconds != 0 {
		v := int(p.RetryDelaySeconds)
		p.RetryDelay = &v
	}
	if p.PauseKeys == nil {
		p.PauseKeys = []string{}
	}
}

// CreatedBy names the actor that created an object.
type CreatedBy struct {
	ID           *uuid.UUID `json:"id"`
	Type         *string    `json:"type"`
	DisplayValue *string    `json:"display_value"`
}

// RunTiming is the server-maintained bookkeeping shared by flow and task runs.
type RunTiming struct {
	StateID                 *uuid.UUID `json:"state_id"`
	StateType               *StateType `json:"state_type"`
	StateName               *string    `json:"state_name"`
	RunCount                int        `json:"run_count"`
	ExpectedStartTime       *Time      `json:"expected_start_time"`
	NextScheduledStartTime  *Time      `json:"next_scheduled_start_time"`
	StartTime               *Time      `json:"start_time"`
	EndTime                 *Time      `json:"end_time"`
	TotalRunTime            Duration   `json:"total_run_time"`
	EstimatedRunTime        Duration   `json:"estimated_run_time"`
	EstimatedStartTimeDelta Duration   `json:"estimated_start_time_delta"`
	State                   *State     `json:"state"`
}

// Estimate fills the read-time estimates relative to now.
func (r *RunTiming) Estimate(now time.Time) {
	r.EstimatedRunTime = r.TotalRunTime
	if r.State != nil && r.State.Type == Running {
		r.EstimatedRunTime += Duration(now.Sub(r.State.Timestamp.Time))
	}
	r.EstimatedStartTimeDelta = 0
	switch {
	case r.StartTime != nil && r.ExpectedStartTime != nil:
		if d := r.StartTime.Sub(r.ExpectedStartTime.Time); d > 0 {
			r.EstimatedStartTimeDelta = Duration(d)
		}
	case r.StartTime == nil && r.ExpectedStartTime != nil && r.StateType != nil && !r.StateType.IsTerminal():
		if d := now.Sub(r.ExpectedStartTime.Time); d > 0 {
			r.EstimatedStartTimeDelta = Duration(d)
		}
	}
}

// FlowRun is one execution of a flow. Version increments on every write and
// guards state transitions (compare-and-set in every store backend).
//
// Its JSON is 2.7.12's FlowRunResponse key for key: no work_queue_id or
// work_pool_queue_name (core.FlowRun has them in 2.7, its response does
// not; Orrery routes runs by work_queue_name alone).
type FlowRun struct {
	ID                       uuid.UUID       `json:"id"`
	Created                  Time            `json:"created"`
	Updated                  Time            `json:"updated"`
	Name                     string          `json:"name"`
	FlowID                   uuid.UUID       `json:"flow_id"`
	DeploymentID             *uuid.UUID      `json:"deployment_id"`
	WorkQueueName            *string         `json:"work_queue_name"`
	FlowVersion              *string         `json:"flow_version"`
	Parameters               json.RawMessage `json:"parameters"`
	IdempotencyKey           *string         `json:"idempotency_key"`
	Context                  json.RawMessage `json:"context"`
	EmpiricalPolicy          FlowRunPolicy   `json:"empirical_policy"`
	Tags                     []string        `json:"tags"`
	ParentTaskRunID          *uuid.UUID      `json:"parent_task_run_id"`
	AutoScheduled            bool            `json:"auto_scheduled"`
	InfrastructureDocumentID *uuid.UUID      `json:"infrastructure_document_id"`
	InfrastructurePID        *string         `json:"infrastructure_pid"`
	CreatedBy                *CreatedBy      `json:"created_by"`
	WorkPoolName             *string         `json:"work_pool_name"`
	RunTiming
	Version int64 `json:"-"`
}

// TaskRunPolicy is a task run's retry policy. RetryDelay is an int or a
// list of ints (seconds per attempt).
type TaskRunPolicy struct {
	MaxRetries        int             `json:"max_retries"`
	RetryDelaySeconds Float           `json:"retry_delay_seconds"`
	Retries           *int            `json:"retries"`
	RetryDelay        json.RawMessage `json:"retry_delay"`
	RetryJitterFactor *Float          `json:"retry_jitter_factor"`
}

// Normalize applies 2.7's defaults: deprecated fields fill empty new ones.
func (p *TaskRunPolicy) Normalize() {
	if p.Retries == nil && p.MaxRetries != 0 {
		v := p.MaxRetries
		p.Retries = &v
	}
	if (len(p.RetryDelay) == 0 || string(p.RetryDelay) == "null") && p.RetryDelaySeconds != 0 {
		p.RetryDelay, _ = json.Marshal(int(p.RetryDelaySeconds))
	}
	if string(p.RetryDelay) == "null" {
		p.RetryDelay = nil
	}
}

// Delays returns the retry delays in seconds (nil when none is set).
func (p TaskRunPolicy) Delays() []float64 {
	if len(p.RetryDelay) == 0 {
		return nil
	}
	var one float64
	if json.Unmarshal(p.RetryDelay, &one) == nil {
		return []float64{one}
	}
	var many []float64
	_ = json.Unmarshal(p.RetryDelay, &many)
	return many
}

// TaskRunInput is one upstream reference in task_inputs.
type TaskRunInput struct {
	InputType string     `json:"input_type"`
	ID        *uuid.UUID `json:"id,omitempty"`
	Name      *string    `json:"name,omitempty"`
	Type      *string    `json:"type,omitempty"`
}

// TaskRun is one execution of a task inside a flow run.
type TaskRun struct {
	ID              uuid.UUID                 `json:"id"`
	Created         Time                      `json:"created"`
	Updated         Time                      `json:"updated"`
	Name            string                    `json:"name"`
	FlowRunID       uuid.UUID                 `json:"flow_run_id"`
	TaskKey         string                    `json:"task_key"`
	DynamicKey      string                    `json:"dynamic_key"`
	CacheKey        *string                   `json:"cache_key"`
	CacheExpiration *Time                     `json:"cache_expiration"`
	TaskVersion     *string                   `json:"task_version"`
	EmpiricalPolicy TaskRunPolicy             `json:"empirical_policy"`
	Tags            []string                  `json:"tags"`
	TaskInputs      map[string][]TaskRunInput `json:"task_inputs"`
	FlowRunRunCount int                       `json:"flow_run_run_count"`
	RunTiming
	Version int64 `json:"-"`
}

// Log is one log record shipped by a run.
type Log struct {
	ID        uuid.UUID  `json:"id"`
	Created   Time       `json:"created"`
	Updated   Time       `json:"updated"`
	Name      string     `json:"name"`
	Level     int        `json:"level"`
	Message   string     `json:"message"`
	Timestamp Time       `json:"timestamp"`
	FlowRunID uuid.UUID  `json:"flow_run_id"`
	TaskRunID *uuid.UUID `json:"task_run_id"`
}

// ConcurrencyLimit caps how many task runs with a tag may run at once.
// ActiveSlots are the task runs holding a slot (leases, see the store).
type ConcurrencyLimit struct {
	ID               uuid.UUID   `json:"id"`
	Created          Time        `json:"created"`
	Updated          Time        `json:"updated"`
	Tag              string      `json:"tag"`
	ConcurrencyLimit int         `json:"concurrency_limit"`
	ActiveSlots      []uuid.UUID `json:"active_slots"`
}

// SavedSearchFilter is one UI filter of a saved search.
type SavedSearchFilter struct {
	Object    string `json:"object"`
	Property  string `json:"property"`
	Type      string `json:"type"`
	Operation string `json:"operation"`
	Value     any    `json:"value"`
}

// SavedSearch is a named set of UI filters.
type SavedSearch struct {
	ID      uuid.UUID           `json:"id"`
	Created Time                `json:"created"`
	Updated Time                `json:"updated"`
	Name    string              `json:"name"`
	Filters []SavedSearchFilter `json:"filters"`
}

// BlockType is a kind of block (e.g. local-file-system).
type BlockType struct {
	ID               uuid.UUID `json:"id"`
	Created          Time      `json:"created"`
	Updated          Time      `json:"updated"`
	Name             string    `json:"name"`
	Slug             string    `json:"slug"`
	LogoURL          *string   `json:"logo_url"`
	DocumentationURL *string   `json:"documentation_url"`
	Description      *string   `json:"description"`
	CodeExample      *string   `json:"code_example"`
	IsProtected      bool      `json:"is_protected"`
}

// BlockSchema is one version of a block type's fields.
type BlockSchema struct {
	ID           uuid.UUID       `json:"id"`
	Created      Time            `json:"created"`
	Updated      Time            `json:"updated"`
	Checksum     string          `json:"checksum"`
	Fields       json.RawMessage `json:"fields"`
	BlockTypeID  uuid.UUID       `json:"block_type_id"`
	BlockType    *BlockType      `json:"block_type"`
	Capabilities []string        `json:"capabilities"`
	Version      string          `json:"version"`
}

// BlockDocument is a configured block. Data holds the document's own values;
// references to other documents are kept separately (name -> document id).
type BlockDocument struct {
	ID                      uuid.UUID      `json:"id"`
	Created                 Time           `json:"created"`
	Updated                 Time           `json:"updated"`
	Name                    string         `json:"name"`
	Data                    map[string]any `json:"data"`
	BlockSchemaID           uuid.UUID      `json:"block_schema_id"`
	BlockSchema             *BlockSchema   `json:"block_schema"`
	BlockTypeID             uuid.UUID      `json:"block_type_id"`
	BlockType               *BlockType     `json:"block_type"`
	BlockDocumentReferences map[string]any `json:"block_document_references"`
	IsAnonymous             bool           `json:"is_anonymous"`
	// References maps a data key to the referenced document's id.
	References map[string]uuid.UUID `json:"-"`
}
