package store

import (
	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
)

// The filter types below are the 2.7 wire shapes of the filter bodies (the
// API decodes into them directly) and the query language every backend
// implements. A nil pointer or empty object matches everything.
//
// Semantics (see prefect-2.7-api.md §4.2):
//   - Operator "and_" (default) or "or_" combines the set sub-criteria of
//     the object it sits on.
//   - Any: value IN list (an empty list matches nothing). NotAny: NOT IN.
//   - Like: case-insensitive substring. StartsWith: any of the prefixes,
//     case-insensitive.
//   - Tags.All: the tags contain every listed value. Tags.IsNull: true means
//     tags == [], false means tags != [].
//   - IsNull on scalars: IS NULL / IS NOT NULL.
//   - Before/After: inclusive bounds. Ge/Le: inclusive bounds.

// Operator is "and_" or "or_".
type Operator string

// Operators.
const (
	And Operator = "and_"
	Or  Operator = "or_"
)

// Enum lists the operators (jsonschema-go's Enum interface: the OpenAPI
// document and the API's validator both read it).
func (Operator) Enum() []any { return []any{And, Or} }

// IsOr reports whether o selects OR-combination.
func (o *Operator) IsOr() bool { return o != nil && *o == Or }

// IDFilter filters on an id.
type IDFilter struct {
	Any    *[]uuid.UUID `json:"any_" maxItems:"10000"`
	NotAny *[]uuid.UUID `json:"not_any_" maxItems:"10000"`
}

// NameFilter filters on a name.
type NameFilter struct {
	Any        *[]string `json:"any_" maxItems:"10000" itemMaxLength:"1024"`
	Like       *string   `json:"like_" maxLength:"1024"`
	StartsWith *[]string `json:"startswith_" maxItems:"10000" itemMaxLength:"1024"`
}

// TagsFilter filters on a tag list.
type TagsFilter struct {
	Operator *Operator `json:"operator" nullable:"false"`
	All      *[]string `json:"all_" maxItems:"10000" itemMaxLength:"1024"`
	IsNull   *bool     `json:"is_null_"`
}

// OptIDFilter filters on an optional id (deployment_id, parent_task_run_id).
type OptIDFilter struct {
	Operator *Operator    `json:"operator" nullable:"false"`
	Any      *[]uuid.UUID `json:"any_" maxItems:"10000"`
	IsNull   *bool        `json:"is_null_"`
}

// OptStringFilter filters on an optional string (work_queue_name).
type OptStringFilter struct {
	Operator *Operator `json:"operator" nullable:"false"`
	Any      *[]string `json:"any_" maxItems:"10000" itemMaxLength:"1024"`
	IsNull   *bool     `json:"is_null_"`
}

// StringAnyFilter is {"any_": [...]}.
type StringAnyFilter struct {
	Any *[]string `json:"any_" maxItems:"10000" itemMaxLength:"1024"`
}

// StateFilter filters on the current state's type and name.
type StateFilter struct {
	Operator *Operator `json:"operator" nullable:"false"`
	Type     *struct {
		Any *[]core.StateType `json:"any_"`
	} `json:"type"`
	Name *StringAnyFilter `json:"name"`
}

// TimeFilter filters on a datetime.
type TimeFilter struct {
	Before *core.Time `json:"before_"`
	After  *core.Time `json:"after_"`
	IsNull *bool      `json:"is_null_"`
}

// BoolFilter is {"eq_": bool}.
type BoolFilter struct {
	Eq *bool `json:"eq_"`
}

// FlowFilter is the 2.7 FlowFilter.
type FlowFilter struct {
	Operator *Operator   `json:"operator" nullable:"false"`
	ID       *IDFilter   `json:"id"`
	Name     *NameFilter `json:"name"`
	Tags     *TagsFilter `json:"tags"`
}

// FlowRunFilter is the 2.7 FlowRunFilter.
type FlowRunFilter struct {
	Operator               *Operator        `json:"operator" nullable:"false"`
	ID                     *IDFilter        `json:"id"`
	Name                   *NameFilter      `json:"name"`
	Tags                   *TagsFilter      `json:"tags"`
	DeploymentID           *OptIDFilter     `json:"deployment_id"`
	WorkQueueName          *OptStringFilter `json:"work_queue_name"`
	State                  *StateFilter     `json:"state"`
	FlowVersion            *StringAnyFilter `json:"flow_version"`
	StartTime              *TimeFilter      `json:"start_time"`
	ExpectedStartTime      *TimeFilter      `json:"expected_start_time"`
	NextScheduledStartTime *TimeFilter      `json:"next_scheduled_start_time"`
	ParentTaskRunID        *OptIDFilter     `json:"parent_task_run_id"`
	IdempotencyKey         *StringAnyFilter `json:"idempotency_key"`
}

// TaskRunFilter is the 2.7 TaskRunFilter.
type TaskRunFilter struct {
	Operator    *Operator    `json:"operator" nullable:"false"`
	ID          *IDFilter    `json:"id"`
	Name        *NameFilter  `json:"name"`
	Tags        *TagsFilter  `json:"tags"`
	State       *StateFilter `json:"state"`
	StartTime   *TimeFilter  `json:"start_time"`
	SubflowRuns *struct {
		Exists *bool `json:"exists_"`
	} `json:"subflow_runs"`
}

// DeploymentFilter is the 2.7 DeploymentFilter.
type DeploymentFilter struct {
	Operator         *Operator        `json:"operator" nullable:"false"`
	ID               *IDFilter        `json:"id"`
	Name             *NameFilter      `json:"name"`
	IsScheduleActive *BoolFilter      `json:"is_schedule_active"`
	Tags             *TagsFilter      `json:"tags"`
	WorkQueueName    *StringAnyFilter `json:"work_queue_name"`
}

// LogFilter is the 2.7 LogFilter.
type LogFilter struct {
	Operator *Operator `json:"operator" nullable:"false"`
	Level    *struct {
		Ge *int `json:"ge_"`
		Le *int `json:"le_"`
	} `json:"level"`
	Timestamp *TimeFilter  `json:"timestamp"`
	FlowRunID *IDFilter    `json:"flow_run_id"`
	TaskRunID *OptIDFilter `json:"task_run_id"`
	// Text is Orrery's addition (2.7 has none): a search in the message.
	Text *LogTextFilter `json:"text" description:"Orrery's text search in the message (not in 2.7)"`
}

// RunFilters are the cross-object filters flows, flow runs and task runs
// are queried with: each object must match its own filter and the related
// objects theirs (EXISTS semantics).
type RunFilters struct {
	Flows       *FlowFilter       `json:"flows"`
	FlowRuns    *FlowRunFilter    `json:"flow_runs"`
	TaskRuns    *TaskRunFilter    `json:"task_runs"`
	Deployments *DeploymentFilter `json:"deployments"`
}

// Page is a limit/offset window. Limit 0 means no limit (internal callers
// only; the API always sets one).
type Page struct {
	Limit  int
	Offset int
}
