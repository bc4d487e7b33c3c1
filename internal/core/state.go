package core

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/uuid"
)

// StateType is the kind of a run state. The values are the 2.7 enum names.
//
//	SCHEDULED -> PENDING -> RUNNING -> COMPLETED | FAILED | CRASHED
//	    ^           |          |  \--> PAUSED --> RUNNING | SCHEDULED (Resuming)
//	    |           |          |
//	    +--(AwaitingRetry) <---+  (retry: RUNNING -> FAILED is rejected into SCHEDULED)
//	any non-terminal -> CANCELLING -> CANCELLED
type StateType string

// Every state type of 2.7.12.
const (
	Scheduled  StateType = "SCHEDULED"
	Pending    StateType = "PENDING"
	Running    StateType = "RUNNING"
	Completed  StateType = "COMPLETED"
	Failed     StateType = "FAILED"
	Cancelled  StateType = "CANCELLED"
	Crashed    StateType = "CRASHED"
	Paused     StateType = "PAUSED"
	Cancelling StateType = "CANCELLING"
)

// StateTypes lists every state type; tests loop over it so a new one is
// caught everywhere.
func StateTypes() []StateType {
	return []StateType{Scheduled, Pending, Running, Completed, Failed, Cancelled, Crashed, Paused, Cancelling}
}

// Valid reports whether t is a known state type.
func (t StateType) Valid() bool {
	for _, v := range StateTypes() {
		if v == t {
			return true
		}
	}
	return false
}

// IsTerminal reports whether a run in this state has finished for good
// (unless retried by hand).
func (t StateType) IsTerminal() bool {
	return t == Completed || t == Failed || t == Cancelled || t == Crashed
}

// DefaultName is the state name used when none is given: "Scheduled", ...
func (t StateType) DefaultName() string {
	s := strings.ToLower(string(t))
	if s == "" {
		return ""
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// UnmarshalJSON rejects unknown state types so they become 422s.
func (t *StateType) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("value is not a valid enumeration member")
	}
	v := StateType(s)
	if !v.Valid() {
		return fmt.Errorf("value is not a valid enumeration member; permitted: %s", permitted(StateTypes()))
	}
	*t = v
	return nil
}

func permitted[T ~string](vs []T) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = "'" + string(v) + "'"
	}
	return strings.Join(q, ", ")
}

// StateDetails carries the bookkeeping attached to a state.
type StateDetails struct {
	FlowRunID         *uuid.UUID `json:"flow_run_id"`
	TaskRunID         *uuid.UUID `json:"task_run_id"`
	ChildFlowRunID    *uuid.UUID `json:"child_flow_run_id"`
	ScheduledTime     *Time      `json:"scheduled_time"`
	CacheKey          *string    `json:"cache_key"`
	CacheExpiration   *Time      `json:"cache_expiration"`
	UntrackableResult bool       `json:"untrackable_result"`
	PauseTimeout      *Time      `json:"pause_timeout"`
	PauseReschedule   bool       `json:"pause_reschedule"`
	PauseKey          *string    `json:"pause_key"`
	RefreshCache      *bool      `json:"refresh_cache"`
}

// State is one state of a flow or task run. Data is opaque JSON (a result
// reference or literal written by the client) and is echoed verbatim.
type State struct {
	ID           uuid.UUID       `json:"id"`
	Type         StateType       `json:"type"`
	Name         string          `json:"name"`
	Timestamp    Time            `json:"timestamp"`
	Message      *string         `json:"message"`
	Data         json.RawMessage `json:"data"`
	StateDetails StateDetails    `json:"state_details"`
}

// StateCreate is a proposed state as clients send it. The id and timestamp
// a client may send are ignored: the server assigns both.
type StateCreate struct {
	Type         StateType       `json:"type"`
	Name         *string         `json:"name"`
	Message      *string         `json:"message"`
	Data         json.RawMessage `json:"data"`
	StateDetails *StateDetails   `json:"state_details"`
	ID           any             `json:"id,omitempty"`
	Timestamp    any             `json:"timestamp,omitempty"`
}

// NewState turns a proposal into a state with a fresh id at now, applying
// the 2.7 defaults (name from type; Scheduled states get scheduled_time=now).
func (c StateCreate) NewState(now Time) State {
	s := State{ID: uuid.New(), Type: c.Type, Timestamp: now, Message: c.Message, Data: c.Data}
	if c.Name != nil && *c.Name != "" {
		s.Name = *c.Name
	} else {
		s.Name = c.Type.DefaultName()
	}
	if c.StateDetails != nil {
		s.StateDetails = *c.StateDetails
	}
	if s.Type == Scheduled && s.StateDetails.ScheduledTime == nil {
		s.StateDetails.ScheduledTime = &now
	}
	if len(s.Data) == 0 {
		s.Data = nil
	}
	return s
}

// Copy returns a deep-enough copy of s (data is immutable JSON).
func (s *State) Copy() *State {
	if s == nil {
		return nil
	}
	c := *s
	return &c
}

// Conventional state names with a non-default type.
const (
	NameLate          = "Late"
	NameAwaitingRetry = "AwaitingRetry"
	NameResuming      = "Resuming"
	NameRetrying      = "Retrying"
	NameRerunning     = "Rerunning"
	NameCached        = "Cached"
	NameNotReady      = "NotReady"
	NameCancelling    = "Cancelling"
)
