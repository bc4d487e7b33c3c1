package orchestration

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
)

// Closure says what becomes of a flow run's unfinished task runs when the
// flow run enters a terminal state.
//
// Prefect 2.7.12 does this only for CANCELLED: its CancellationCleanup
// service (every 20 s) forces every non-terminal task run of a recently
// cancelled flow run to CANCELLED, "The parent flow run was cancelled.".
// For COMPLETED, FAILED and CRASHED it does nothing: the task runs stay
// RUNNING and their tags' active_slots keep them until someone resets the
// limit, which is the slot leak of issue 11.
//
// Orrery frees the slots structurally (a slot is live only while its flow
// run is unfinished; see store.ConcurrencyStore), in the flow run's own
// terminal write, and then marks the task runs:
//   - CANCELLED: as 2.7's cleanup does, at once instead of up to 20 s
//     later: every non-terminal task run becomes CANCELLED, and so does
//     every unfinished subflow run those task runs started.
//   - CRASHED: the run's process is gone, so RUNNING, CANCELLING and PENDING
//     task runs can never report again: CRASHED.
//   - COMPLETED, FAILED: the client reported the end while task runs were
//     still RUNNING or CANCELLING (a flow timeout, a forced state): those
//     become CRASHED, naming the flow run's state, since nothing will finish
//     them; PENDING and SCHEDULED ones are left as 2.7 leaves them (they
//     hold nothing, and the task rules abort them if they try to run).
type Closure struct {
	// Type is the state the closed task runs get.
	Type core.StateType
	// From lists the task-run states that are closed.
	From []core.StateType
	// ClosesPending reports whether PENDING task runs are among From.
	ClosesPending bool
	Message       string
}

// ChildTaskClosure returns the closure for a flow run entering parent, or a
// zero Closure (From empty) for a non-terminal state.
func ChildTaskClosure(parent core.StateType) Closure {
	switch parent {
	case core.Cancelled:
		return Closure{Type: core.Cancelled, ClosesPending: true, Message: "The parent flow run was cancelled.",
			From: []core.StateType{core.Scheduled, core.Pending, core.Running, core.Paused, core.Cancelling}}
	case core.Crashed:
		return Closure{Type: core.Crashed, ClosesPending: true, Message: "The parent flow run crashed.",
			From: []core.StateType{core.Pending, core.Running, core.Cancelling}}
	case core.Completed, core.Failed:
		return Closure{Type: core.Crashed,
			Message: fmt.Sprintf("The parent flow run entered a terminal state (%s) while this task run was still running.", parent),
			From:    []core.StateType{core.Running, core.Cancelling}}
	}
	return Closure{}
}

// closeChildTasks applies ChildTaskClosure after a flow run's terminal
// write. The slots are already free (that write ended their leases); this
// only brings the task runs' states in line, each with a forced transition
// that holds only while the task run is still in a closed state, so a task
// run that finished in the meantime keeps its own state. A failure here
// (or a process dying between the two writes) leaves task runs RUNNING but
// holding nothing: bookkeeping only, never a slot. No background sweep
// looks for them: on DynamoDB finding them means reading every task run
// (task runs have no state index), each tick.
func (o *Orchestrator) closeChildTasks(ctx context.Context, flowRunID uuid.UUID, parent core.StateType) error {
	c := ChildTaskClosure(parent)
	if len(c.From) == 0 {
		return nil
	}
	tasks, err := o.Store.ListTaskRuns(ctx, &store.TaskRunQuery{RunFilters: store.RunFilters{
		FlowRuns: &store.FlowRunFilter{ID: &store.IDFilter{Any: &[]uuid.UUID{flowRunID}}},
		TaskRuns: &store.TaskRunFilter{State: store.StateTypes(c.From...)},
	}})
	if err != nil {
		return err
	}
	if parent == core.Cancelled && len(tasks) > 0 {
		// 2.7's cleanup also cancels the subflow runs of a cancelled flow
		// run. Cancelling one mirrors CANCELLED onto its parent task run,
		// which CloseTaskRun below then leaves as it is.
		if err := o.cancelSubflows(ctx, tasks, c.Message); err != nil {
			return err
		}
	}
	for _, t := range tasks {
		if err := o.CloseTaskRun(ctx, t.ID, c); err != nil {
			return err
		}
	}
	return nil
}

// cancelSubflows forces the unfinished subflow runs started by tasks to
// CANCELLED; their own terminal writes close their task runs in turn.
func (o *Orchestrator) cancelSubflows(ctx context.Context, tasks []*core.TaskRun, msg string) error {
	ids := make([]uuid.UUID, len(tasks))
	for i, t := range tasks {
		ids[i] = t.ID
	}
	unfinished := []core.StateType{core.Scheduled, core.Pending, core.Running, core.Paused, core.Cancelling}
	subs, err := o.Store.ListFlowRuns(ctx, &store.FlowRunQuery{RunFilters: store.RunFilters{FlowRuns: &store.FlowRunFilter{
		ParentTaskRunID: &store.OptIDFilter{Any: &ids},
		State:           store.StateTypes(unfinished...),
	}}})
	if err != nil {
		return err
	}
	for _, r := range subs {
		_, _, err := o.SetFlowRunStateIf(ctx, r.ID, core.StateCreate{Type: core.Cancelled, Message: &msg}, true,
			func(cur *core.FlowRun) bool { return cur.StateType != nil && !cur.StateType.IsTerminal() })
		if err != nil && !core.IsNotFound(err) {
			return err
		}
	}
	return nil
}

// CloseTaskRun forces task run id into c.Type with c.Message while it is in
// one of c.From; otherwise it leaves the run alone.
func (o *Orchestrator) CloseTaskRun(ctx context.Context, id uuid.UUID, c Closure) error {
	msg := c.Message
	_, _, err := o.setTaskRunState(ctx, id, core.StateCreate{Type: c.Type, Message: &msg}, true, nil,
		func(t *core.TaskRun) bool { return t.StateType != nil && slices.Contains(c.From, *t.StateType) })
	if core.IsNotFound(err) {
		return nil // deleted meanwhile: nothing to close
	}
	return err
}
