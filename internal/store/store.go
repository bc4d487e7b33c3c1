// Package store defines the persistence contract every Orrery backend
// (SQLite, PostgreSQL, DynamoDB) implements, and the query language (filters,
// sorts, pages) the API speaks to it.
//
// The contract is shaped for DynamoDB first: no transaction spans two calls.
// A state change is read run (with Version) -> pure orchestration rules ->
// one Commit*Transition call that writes the new state and all its side
// effects atomically, on the condition that the run's version is still the
// one read and that every concurrency slot it claims is free. On
// ErrVersionConflict the orchestrator re-reads and re-runs the rules.
//
// Every method returns *core.Error values with code core.ENotFound or
// core.EConflict for missing objects and uniqueness violations; anything else
// is an internal error. The conformance suite in storetest pins the exact
// behaviour down.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
)

// ErrVersionConflict means a conditional write lost a race: the run changed
// since it was read, or a claimed concurrency slot was taken. Callers re-read
// and retry; it never reaches a client as such.
var ErrVersionConflict = errors.New("store: version conflict")

// Store is the whole persistence contract.
type Store interface {
	FlowStore
	RunStore
	ConcurrencyStore
	LogStore
	SavedSearchStore
	BlockStore
	DeploymentStore
	WorkQueueStore
	APIKeyStore
	NotificationStore
	RetentionStore

	// Reset deletes all data and re-applies the schema.
	Reset(ctx context.Context) error
	// Close releases the backend's resources.
	Close() error
}

// FlowStore persists flows.
type FlowStore interface {
	// CreateFlow inserts f unless a flow with f.Name exists, in which case the
	// existing flow is returned unchanged and created is false.
	CreateFlow(ctx context.Context, f *core.Flow) (out *core.Flow, created bool, err error)
	GetFlow(ctx context.Context, id uuid.UUID) (*core.Flow, error)
	GetFlowByName(ctx context.Context, name string) (*core.Flow, error)
	UpdateFlowTags(ctx context.Context, id uuid.UUID, tags []string, now time.Time) error
	// DeleteFlow deletes the flow with its runs (and their task runs, states
	// and logs).
	DeleteFlow(ctx context.Context, id uuid.UUID) error
	ListFlows(ctx context.Context, q *FlowQuery) ([]*core.Flow, error)
	CountFlows(ctx context.Context, f *RunFilters) (int, error)
}

// FlowQuery selects flows.
type FlowQuery struct {
	RunFilters
	Sort FlowSort
	Page
}

// FlowRunQuery selects flow runs.
type FlowRunQuery struct {
	RunFilters
	Sort FlowRunSort
	Page
}

// TaskRunQuery selects task runs.
type TaskRunQuery struct {
	RunFilters
	Sort TaskRunSort
	Page
}

// RunStore persists flow runs, task runs, their state histories and the
// task cache.
type RunStore interface {
	// CreateFlowRun inserts run with its first state (run.State, already
	// bookkept). If run.IdempotencyKey is set and a run of the same flow has
	// that key, the existing run is returned and created is false.
	CreateFlowRun(ctx context.Context, run *core.FlowRun) (out *core.FlowRun, created bool, err error)
	GetFlowRun(ctx context.Context, id uuid.UUID) (*core.FlowRun, error)
	// UpdateFlowRun writes the fields set in u.
	UpdateFlowRun(ctx context.Context, id uuid.UUID, u *FlowRunUpdate, now time.Time) error
	DeleteFlowRun(ctx context.Context, id uuid.UUID) error
	ListFlowRuns(ctx context.Context, q *FlowRunQuery) ([]*core.FlowRun, error)
	CountFlowRuns(ctx context.Context, f *RunFilters) (int, error)
	CommitFlowRunTransition(ctx context.Context, t *FlowRunTransition) error

	// CreateTaskRun inserts run with its first state unless a task run with
	// the same (flow_run_id, task_key, dynamic_key) exists; then that one is
	// returned and created is false.
	CreateTaskRun(ctx context.Context, run *core.TaskRun) (out *core.TaskRun, created bool, err error)
	GetTaskRun(ctx context.Context, id uuid.UUID) (*core.TaskRun, error)
	UpdateTaskRunName(ctx context.Context, id uuid.UUID, name string, now time.Time) error
	DeleteTaskRun(ctx context.Context, id uuid.UUID) error
	ListTaskRuns(ctx context.Context, q *TaskRunQuery) ([]*core.TaskRun, error)
	CountTaskRuns(ctx context.Context, f *RunFilters) (int, error)
	CommitTaskRunTransition(ctx context.Context, t *TaskRunTransition) error

	// States: one history per run, ordered by timestamp ascending.
	GetFlowRunState(ctx context.Context, id uuid.UUID) (*core.State, error)
	ListFlowRunStates(ctx context.Context, flowRunID uuid.UUID) ([]*core.State, error)
	GetTaskRunState(ctx context.Context, id uuid.UUID) (*core.State, error)
	ListTaskRunStates(ctx context.Context, taskRunID uuid.UUID) ([]*core.State, error)

	// LookupCache returns the newest cached COMPLETED state for key whose
	// expiration is unset or after now, or nil.
	LookupCache(ctx context.Context, key string, now time.Time) (*core.State, error)
}

// FlowRunUpdate holds the PATCH-able fields; nil means "leave as is".
type FlowRunUpdate struct {
	Name              *string
	FlowVersion       **string
	Parameters        []byte
	EmpiricalPolicy   *core.FlowRunPolicy
	Tags              *[]string
	InfrastructurePID **string
}

// Apply writes the fields set in u onto r and stamps it updated at now.
// Backends read the run, Apply, and write it back under their version check.
func (u *FlowRunUpdate) Apply(r *core.FlowRun, now time.Time) {
	if u.Name != nil {
		r.Name = *u.Name
	}
	if u.FlowVersion != nil {
		r.FlowVersion = *u.FlowVersion
	}
	if u.Parameters != nil {
		r.Parameters = json.RawMessage(u.Parameters)
	}
	if u.EmpiricalPolicy != nil {
		r.EmpiricalPolicy = *u.EmpiricalPolicy
	}
	if u.Tags != nil {
		r.Tags = *u.Tags
	}
	if u.InfrastructurePID != nil {
		r.InfrastructurePID = *u.InfrastructurePID
	}
	r.Updated = core.T(now)
}

// FlowRunTransition is one orchestrated state change of a flow run, written
// atomically: Run replaces the stored run (its State is the new current
// state and is appended to the history) if the stored version is still
// ExpectedVersion. On success Run.Version is the new version.
type FlowRunTransition struct {
	Run             *core.FlowRun
	ExpectedVersion int64
	// AppendState is false when only run fields change (no new state).
	AppendState bool
	// Notifications are queued in the same write (see NotificationStore);
	// one whose (PolicyID, StateID) is already queued is skipped.
	Notifications []*core.Notification
}

// TaskRunTransition is one orchestrated state change of a task run, with
// its side effects, written atomically.
type TaskRunTransition struct {
	Run             *core.TaskRun
	ExpectedVersion int64
	AppendState     bool
	// AcquireSlots claims a slot per tag for Run.ID; each claim holds only if
	// fewer than Limit live slots exist for the tag, else ErrVersionConflict.
	AcquireSlots []SlotClaim
	// ReleaseSlots drops every slot Run.ID holds.
	ReleaseSlots bool
	// CacheKey, when set, records Run.State in the task cache under it.
	CacheKey        *string
	CacheExpiration *time.Time
}

// SlotClaim is one concurrency slot to take.
type SlotClaim struct {
	Tag   string
	Limit int
}

// ConcurrencyStore persists tag concurrency limits and their slots.
//
// Slots are leases tied to their holder: a slot counts as taken only while
// its task run exists and is RUNNING or CANCELLING and the task run's flow
// run is not in a terminal state, so a run that crashed, was forced to
// another state or was deleted, or whose flow run ended (CRASHED through
// the API, say), gives its slot back in that same write, without anyone
// calling release.
type ConcurrencyStore interface {
	// UpsertConcurrencyLimit creates the limit for tag or updates its value.
	UpsertConcurrencyLimit(ctx context.Context, l *core.ConcurrencyLimit) (out *core.ConcurrencyLimit, created bool, err error)
	GetConcurrencyLimit(ctx context.Context, id uuid.UUID) (*core.ConcurrencyLimit, error)
	GetConcurrencyLimitByTag(ctx context.Context, tag string) (*core.ConcurrencyLimit, error)
	ListConcurrencyLimits(ctx context.Context, p Page) ([]*core.ConcurrencyLimit, error)
	// ConcurrencyLimitsForTags returns the limits whose tag is in tags,
	// ordered by tag.
	ConcurrencyLimitsForTags(ctx context.Context, tags []string) ([]*core.ConcurrencyLimit, error)
	DeleteConcurrencyLimit(ctx context.Context, id uuid.UUID) error
	DeleteConcurrencyLimitByTag(ctx context.Context, tag string) error
}

// LogStore persists run logs.
type LogStore interface {
	CreateLogs(ctx context.Context, logs []*core.Log) error
	ListLogs(ctx context.Context, q *LogQuery) ([]*core.Log, error)
	// RunLogsPage is one page of a flow run's logs (see RunLogsQuery).
	RunLogsPage(ctx context.Context, q *RunLogsQuery) (*RunLogs, error)
}

// LogQuery selects logs.
type LogQuery struct {
	Filter *LogFilter
	Sort   LogSort
	Page
}

// SavedSearchStore persists saved searches.
type SavedSearchStore interface {
	// UpsertSavedSearch creates s or replaces the filters of the search with
	// the same name.
	UpsertSavedSearch(ctx context.Context, s *core.SavedSearch) (out *core.SavedSearch, created bool, err error)
	GetSavedSearch(ctx context.Context, id uuid.UUID) (*core.SavedSearch, error)
	ListSavedSearches(ctx context.Context, p Page) ([]*core.SavedSearch, error)
	DeleteSavedSearch(ctx context.Context, id uuid.UUID) error
}

// StateTypes returns a state filter matching runs whose state type is one of
// types. It is built by decoding rather than as a literal so callers do not
// repeat StateFilter's anonymous Type struct (and its tags).
func StateTypes(types ...core.StateType) *StateFilter {
	b, _ := json.Marshal(map[string]any{"type": map[string]any{"any_": types}})
	f := &StateFilter{}
	if err := json.Unmarshal(b, f); err != nil {
		panic("store.StateTypes: " + err.Error()) // a StateFilter that cannot hold its own JSON is a bug
	}
	return f
}
