// Package orchestration decides state transitions of flow and task runs:
// the 2.7 core flow and task policies and the universal bookkeeping
// transforms, as pure functions of (run, proposed state, related objects,
// now). The Orchestrator in this package adds the read-decide-write loop on
// top of a store.Store; the rules themselves never touch storage, which is
// what lets every backend (and every shell: server, Lambda) share them.
//
// A transition is decided like this (2.7 semantics, simplified to explicit
// code instead of Prefect's nested context managers):
//
//  1. The rules whose FROM set holds the initial state type and whose TO set
//     holds the proposed type are selected, in priority order.
//  2. Each selected rule runs its "before" step in order. A rule may accept
//     silently, rename the proposal, reject it (replacing it with a server
//     made state, or with none), delay it (WAIT) or abort it. Once the
//     proposal's type changes, the remaining selected rules no longer apply;
//     once there is no proposal, none do.
//  3. The universal transforms update the run's bookkeeping from the final
//     proposal (start/end time, run counts, run time, expected start ...).
//  4. "After" steps of rules that still apply run (pause keys, resuming flag,
//     cache insertion, slot bookkeeping); rules that no longer apply undo
//     what their before step did.
package orchestration

import (
	"github.com/orrery-dev/orrery/internal/core"
)

// Status is the orchestration answer.
type Status string

// Statuses of 2.7.
const (
	Accept Status = "ACCEPT"
	Reject Status = "REJECT"
	Abort  Status = "ABORT"
	Wait   Status = "WAIT"
)

// Details explains a status; Type is the 2.7 discriminator.
type Details struct {
	Type         string  `json:"type"`
	Reason       *string `json:"reason,omitempty"`
	DelaySeconds *int    `json:"delay_seconds,omitempty"`
}

// Result is the body of set_state and resume responses.
type Result struct {
	State   *core.State `json:"state"`
	Status  Status      `json:"status"`
	Details Details     `json:"details"`
}

// MarshalDetails fills Details from the status; reason may be empty.
func details(s Status, reason string, delay int) Details {
	d := Details{}
	var r *string
	if reason != "" {
		r = &reason
	}
	switch s {
	case Accept:
		d.Type = "accept_details"
	case Reject:
		d.Type, d.Reason = "reject_details", r
	case Abort:
		d.Type, d.Reason = "abort_details", r
	case Wait:
		d.Type, d.Reason, d.DelaySeconds = "wait_details", r, &delay
	}
	return d
}
