package store

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
)

// DeploymentStore persists deployments.
type DeploymentStore interface {
	// UpsertDeployment creates d or, if a deployment of the same flow has
	// d.Name, overwrites it (keeping id and created); created tells which.
	UpsertDeployment(ctx context.Context, d *core.Deployment) (out *core.Deployment, created bool, err error)
	GetDeployment(ctx context.Context, id uuid.UUID) (*core.Deployment, error)
	GetDeploymentByName(ctx context.Context, flowName, name string) (*core.Deployment, error)
	// UpdateDeployment replaces the stored deployment d.ID with d.
	UpdateDeployment(ctx context.Context, d *core.Deployment) error
	// DeleteDeployment deletes it; its flow runs keep running with
	// deployment_id cleared.
	DeleteDeployment(ctx context.Context, id uuid.UUID) error
	ListDeployments(ctx context.Context, q *DeploymentQuery) ([]*core.Deployment, error)
	CountDeployments(ctx context.Context, f *RunFilters) (int, error)
	// DeleteAutoScheduledRuns deletes the deployment's auto-scheduled runs
	// still in SCHEDULED state; it returns how many.
	DeleteAutoScheduledRuns(ctx context.Context, deploymentID uuid.UUID) (int, error)
	// InsertScheduledRuns inserts runs (already in their SCHEDULED state),
	// skipping any whose (flow_id, idempotency_key) exists; it returns how
	// many were inserted. Two schedulers racing never create duplicates.
	InsertScheduledRuns(ctx context.Context, runs []*core.FlowRun) (int, error)
}

// DeploymentQuery selects deployments.
type DeploymentQuery struct {
	RunFilters
	Sort DeploymentSort
	Page
}

// DeploymentSort is a 2.7 DeploymentSort.
type DeploymentSort string

// DeploymentSorts lists every DeploymentSort (default NAME_ASC).
var DeploymentSorts = []DeploymentSort{"CREATED_DESC", "UPDATED_DESC", "NAME_ASC", "NAME_DESC"}

// WorkQueueStore persists work queues.
type WorkQueueStore interface {
	// CreateWorkQueue inserts q; a queue with the same name is EConflict.
	CreateWorkQueue(ctx context.Context, q *core.WorkQueue) error
	GetWorkQueue(ctx context.Context, id uuid.UUID) (*core.WorkQueue, error)
	GetWorkQueueByName(ctx context.Context, name string) (*core.WorkQueue, error)
	// UpdateWorkQueue replaces the stored queue q.ID with q (a rename onto an
	// existing name is EConflict).
	UpdateWorkQueue(ctx context.Context, q *core.WorkQueue) error
	// TouchWorkQueue sets last_polled.
	TouchWorkQueue(ctx context.Context, id uuid.UUID, at time.Time) error
	DeleteWorkQueue(ctx context.Context, id uuid.UUID) error
	// ListWorkQueues returns matching queues ordered by name.
	ListWorkQueues(ctx context.Context, f *WorkQueueFilter, p Page) ([]*core.WorkQueue, error)
}

// WorkQueueFilter is the 2.7 WorkQueueFilter.
type WorkQueueFilter struct {
	Operator *Operator   `json:"operator" nullable:"false"`
	ID       *IDFilter   `json:"id"`
	Name     *NameFilter `json:"name"`
}
