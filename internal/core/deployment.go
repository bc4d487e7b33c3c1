package core

import (
	"encoding/json"

	"github.com/google/uuid"
)

// Deployment is a flow packaged to run on infrastructure, optionally on a
// schedule. Schedule is the 2.7 schedule JSON (interval, cron or rrule),
// validated by package schedule.
type Deployment struct {
	ID                       uuid.UUID       `json:"id"`
	Created                  Time            `json:"created"`
	Updated                  Time            `json:"updated"`
	Name                     string          `json:"name"`
	Version                  *string         `json:"version"`
	Description              *string         `json:"description"`
	FlowID                   uuid.UUID       `json:"flow_id"`
	Schedule                 json.RawMessage `json:"schedule"`
	IsScheduleActive         bool            `json:"is_schedule_active"`
	InfraOverrides           json.RawMessage `json:"infra_overrides"`
	Parameters               json.RawMessage `json:"parameters"`
	Tags                     []string        `json:"tags"`
	WorkQueueName            *string         `json:"work_queue_name"`
	ParameterOpenAPISchema   json.RawMessage `json:"parameter_openapi_schema"`
	Path                     *string         `json:"path"`
	Entrypoint               *string         `json:"entrypoint"`
	ManifestPath             *string         `json:"manifest_path"`
	StorageDocumentID        *uuid.UUID      `json:"storage_document_id"`
	InfrastructureDocumentID *uuid.UUID      `json:"infrastructure_document_id"`
	CreatedBy                *CreatedBy      `json:"created_by"`
	UpdatedBy                *CreatedBy      `json:"updated_by"`
	WorkPoolName             *string         `json:"work_pool_name"`
}

// QueueFilter is the deprecated tag/deployment filter of a work queue.
type QueueFilter struct {
	Tags          []string    `json:"tags"`
	DeploymentIDs []uuid.UUID `json:"deployment_ids"`
}

// WorkQueue routes flow runs to agents by name.
type WorkQueue struct {
	ID               uuid.UUID    `json:"id"`
	Created          Time         `json:"created"`
	Updated          Time         `json:"updated"`
	Name             string       `json:"name"`
	Description      *string      `json:"description"`
	IsPaused         bool         `json:"is_paused"`
	ConcurrencyLimit *int         `json:"concurrency_limit"`
	Priority         int          `json:"priority"`
	WorkPoolID       *uuid.UUID   `json:"work_pool_id"`
	Filter           *QueueFilter `json:"filter"`
	LastPolled       *Time        `json:"last_polled"`
}
