package postgres

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
)

// ---- flows

func (s *Store) CreateFlow(ctx context.Context, f *core.Flow) (*core.Flow, bool, error) {
	doc, err := marshal(f)
	if err != nil {
		return nil, false, err
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO flows (id, name, tags, created, updated, doc) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (name) DO NOTHING`, f.ID, f.Name, jsonList(f.Tags), f.Created.Time, f.Updated.Time, doc)
	if err != nil {
		return nil, false, err
	}
	if tag.RowsAffected() == 1 {
		return f, true, nil
	}
	out, err := s.GetFlowByName(ctx, f.Name)
	return out, false, err
}

func (s *Store) GetFlow(ctx context.Context, id uuid.UUID) (*core.Flow, error) {
	return getDoc[core.Flow](ctx, s.pool, "Flow", `SELECT doc FROM flows WHERE id = $1`, id)
}

func (s *Store) GetFlowByName(ctx context.Context, name string) (*core.Flow, error) {
	return getDoc[core.Flow](ctx, s.pool, "Flow", `SELECT doc FROM flows WHERE name = $1`, name)
}

// patch is a top-level jsonb merge (doc || patch): a field update in one
// statement instead of a locked read-modify-write.
func patch(fields map[string]any) ([]byte, error) { return marshal(fields) }

func (s *Store) UpdateFlowTags(ctx context.Context, id uuid.UUID, tags []string, now time.Time) error {
	tags = jsonList(tags)
	p, err := patch(map[string]any{"tags": tags, "updated": core.T(now)})
	if err != nil {
		return err
	}
	return s.execOne(ctx, "Flow", `UPDATE flows SET tags = $2, updated = $3, doc = doc || $4::jsonb WHERE id = $1`,
		id, tags, now, p)
}

// cascade deletes what hangs off the flow runs of a `runs` CTE (a DELETE
// ... RETURNING id): task runs, both state histories and slots. As one
// statement it needs no transaction and never half-applies.
const cascade = `,
	tasks AS (DELETE FROM task_runs WHERE flow_run_id IN (SELECT id FROM runs) RETURNING id),
	flow_states AS (DELETE FROM flow_run_states WHERE run_id IN (SELECT id FROM runs)),
	task_states AS (DELETE FROM task_run_states WHERE run_id IN (SELECT id FROM tasks)),
	slots AS (DELETE FROM concurrency_slots WHERE task_run_id IN (SELECT id FROM tasks))`

func (s *Store) DeleteFlow(ctx context.Context, id uuid.UUID) error {
	n, err := count(ctx, s.pool, `WITH flow AS (DELETE FROM flows WHERE id = $1 RETURNING id),
		deps AS (DELETE FROM deployments WHERE flow_id IN (SELECT id FROM flow)),
		runs AS (DELETE FROM flow_runs WHERE flow_id IN (SELECT id FROM flow) RETURNING id)`+cascade+`
		SELECT count(*) FROM flow`, id)
	if err == nil && n == 0 {
		return notFound("Flow")
	}
	return err
}

func (s *Store) ListFlows(ctx context.Context, q *store.FlowQuery) ([]*core.Flow, error) {
	a := &args{}
	w := flowsWhere(a, &q.RunFilters)
	return listDocs[core.Flow](ctx, s.pool, `SELECT f.doc FROM flows f WHERE `+w+orderBy(flowSorts, q.Sort, "NAME_ASC")+page(q.Page), a.vals...)
}

func (s *Store) CountFlows(ctx context.Context, f *store.RunFilters) (int, error) {
	a := &args{}
	w := flowsWhere(a, f)
	return count(ctx, s.pool, `SELECT count(*) FROM flows f WHERE `+w, a.vals...)
}

// ---- statements shared by flow and task runs

// runSQL holds the statements of one run table, generated from its column
// list so that INSERT, UPDATE and compare-and-set never drift apart.
type runSQL struct {
	insert string // $1 id, $2 created, $3.. the columns; skips a taken id or unique key
	update string // $1 id, $2.. the columns; bumps the version
	cas    string // update, plus $(n+2) the expected version
	nargs  int    // parameters of insert and cas
}

func newRunSQL(table string, cols []string) runSQL {
	n := len(cols)
	update := `UPDATE ` + table + ` SET ` + assignments(cols, 2) + `, version = version + 1 WHERE id = $1`
	return runSQL{
		insert: `INSERT INTO ` + table + ` (id, created, ` + strings.Join(cols, ", ") + `) VALUES (` + placeholders(1, n+2) + `)
			ON CONFLICT DO NOTHING`,
		update: update,
		cas:    update + ` AND version = $` + strconv.Itoa(n+2),
		nargs:  n + 2,
	}
}

// withState makes stmt (an INSERT or UPDATE of one run) also append the
// run's state to states, only if stmt touched the row: one statement, so
// one round trip and atomic without a transaction. The state's parameters
// follow stmt's; rows affected is 1 exactly when both happened.
func withState(stmt, states string, nargs int) string {
	return `WITH run AS (` + stmt + ` RETURNING id)
		INSERT INTO ` + states + ` (id, run_id, ts, doc)
		SELECT $` + strconv.Itoa(nargs+1) + `::uuid, id, $` + strconv.Itoa(nargs+2) + `::timestamptz, $` + strconv.Itoa(nargs+3) + `::jsonb FROM run`
}

func stateValues(st *core.State) ([]any, error) {
	doc, err := marshal(st)
	if err != nil {
		return nil, err
	}
	return []any{st.ID, st.Timestamp.Time, doc}, nil
}

// runExists tells a compare-and-set that matched no row apart: a missing
// run, or one whose version moved on.
func runExists(ctx context.Context, q querier, table, what string, id uuid.UUID) error {
	var ok bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+table+` WHERE id = $1)`, id).Scan(&ok); err != nil {
		return err
	}
	if !ok {
		return notFound(what)
	}
	return store.ErrVersionConflict
}

// ---- flow runs

var flowRunCols = []string{"flow_id", "name", "deployment_id", "work_queue_name", "state_type", "state_name", "flow_version",
	"start_time", "end_time", "expected_start_time", "next_scheduled_start_time", "parent_task_run_id", "idempotency_key",
	"auto_scheduled", "tags", "doc"}

var flowRunSQL = newRunSQL("flow_runs", flowRunCols)

func flowRunValues(r *core.FlowRun) ([]any, error) {
	doc, err := marshal(r)
	if err != nil {
		return nil, err
	}
	return []any{r.FlowID, r.Name, r.DeploymentID, r.WorkQueueName, r.StateType, r.StateName, r.FlowVersion,
		ts(r.StartTime), ts(r.EndTime), ts(r.ExpectedStartTime), ts(r.NextScheduledStartTime), r.ParentTaskRunID,
		r.IdempotencyKey, r.AutoScheduled, jsonList(r.Tags), doc}, nil
}

// flowRunInsert is the statement and arguments that insert r with its
// first state, if it has one.
func flowRunInsert(r *core.FlowRun) (string, []any, error) {
	r.Version = 1
	vals, err := flowRunValues(r)
	if err != nil {
		return "", nil, err
	}
	args := append([]any{r.ID, r.Created.Time}, vals...)
	if r.State == nil {
		return flowRunSQL.insert, args, nil
	}
	st, err := stateValues(r.State)
	if err != nil {
		return "", nil, err
	}
	return withState(flowRunSQL.insert, "flow_run_states", flowRunSQL.nargs), append(args, st...), nil
}

func (s *Store) CreateFlowRun(ctx context.Context, r *core.FlowRun) (*core.FlowRun, bool, error) {
	sql, args, err := flowRunInsert(r)
	if err != nil {
		return nil, false, err
	}
	tag, err := s.pool.Exec(ctx, sql, args...)
	if err != nil {
		return nil, false, err
	}
	if tag.RowsAffected() == 1 {
		return r, true, nil
	}
	if r.IdempotencyKey != nil {
		out, err := getRun[core.FlowRun](ctx, s.pool, "Flow run", `SELECT doc, version FROM flow_runs WHERE flow_id = $1 AND idempotency_key = $2`,
			r.FlowID, *r.IdempotencyKey)
		if !core.IsNotFound(err) {
			return out, false, err
		}
	}
	return nil, false, core.Errorf(core.EConflict, "A flow run with id %s already exists.", r.ID)
}

func (s *Store) GetFlowRun(ctx context.Context, id uuid.UUID) (*core.FlowRun, error) {
	return getRun[core.FlowRun](ctx, s.pool, "Flow run", `SELECT doc, version FROM flow_runs WHERE id = $1`, id)
}

func (s *Store) UpdateFlowRun(ctx context.Context, id uuid.UUID, u *store.FlowRunUpdate, now time.Time) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// FOR UPDATE: a transition committing meanwhile would otherwise be
		// overwritten by this stale copy of the run.
		r, err := getRun[core.FlowRun](ctx, tx, "Flow run", `SELECT doc, version FROM flow_runs WHERE id = $1 FOR UPDATE`, id)
		if err != nil {
			return err
		}
		u.Apply(r, now)
		vals, err := flowRunValues(r)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, flowRunSQL.update, append([]any{id}, vals...)...)
		return err
	})
}

func (s *Store) DeleteFlowRun(ctx context.Context, id uuid.UUID) error {
	n, err := count(ctx, s.pool, `WITH runs AS (DELETE FROM flow_runs WHERE id = $1 RETURNING id)`+cascade+`
		SELECT count(*) FROM runs`, id)
	if err == nil && n == 0 {
		return notFound("Flow run")
	}
	return err
}

func (s *Store) ListFlowRuns(ctx context.Context, q *store.FlowRunQuery) ([]*core.FlowRun, error) {
	a := &args{}
	w := flowRunsWhere(a, &q.RunFilters)
	return listRuns[core.FlowRun](ctx, s.pool, `SELECT fr.doc, fr.version FROM flow_runs fr WHERE `+w+
		orderBy(flowRunSorts, q.Sort, "ID_DESC")+page(q.Page), a.vals...)
}

func (s *Store) CountFlowRuns(ctx context.Context, f *store.RunFilters) (int, error) {
	a := &args{}
	w := flowRunsWhere(a, f)
	return count(ctx, s.pool, `SELECT count(*) FROM flow_runs fr WHERE `+w, a.vals...)
}

func (s *Store) CommitFlowRunTransition(ctx context.Context, t *store.FlowRunTransition) error {
	vals, err := flowRunValues(t.Run)
	if err != nil {
		return err
	}
	args := append(append([]any{t.Run.ID}, vals...), t.ExpectedVersion)
	sql := flowRunSQL.cas
	if t.AppendState && t.Run.State != nil {
		st, err := stateValues(t.Run.State)
		if err != nil {
			return err
		}
		sql, args = withState(flowRunSQL.cas, "flow_run_states", flowRunSQL.nargs), append(args, st...)
	}
	if len(t.Notifications) > 0 {
		return s.commitFlowRunWithNotifications(ctx, t, sql, args)
	}
	// A concurrent writer of the same run holds its row lock; this UPDATE
	// waits for it, re-reads the committed row and, its version gone,
	// matches nothing.
	tag, err := s.pool.Exec(ctx, sql, args...)
	if err != nil {
		return asConflict(err)
	}
	if tag.RowsAffected() == 0 {
		return runExists(ctx, s.pool, "flow_runs", "Flow run", t.Run.ID)
	}
	t.Run.Version = t.ExpectedVersion + 1
	return nil
}

// ---- task runs

var taskRunCols = []string{"flow_run_id", "name", "task_key", "dynamic_key", "state_type", "state_name", "start_time", "end_time",
	"expected_start_time", "next_scheduled_start_time", "tags", "doc"}

var taskRunSQL = newRunSQL("task_runs", taskRunCols)

func taskRunValues(r *core.TaskRun) ([]any, error) {
	doc, err := marshal(r)
	if err != nil {
		return nil, err
	}
	return []any{r.FlowRunID, r.Name, r.TaskKey, r.DynamicKey, r.StateType, r.StateName, ts(r.StartTime), ts(r.EndTime),
		ts(r.ExpectedStartTime), ts(r.NextScheduledStartTime), jsonList(r.Tags), doc}, nil
}

func (s *Store) CreateTaskRun(ctx context.Context, r *core.TaskRun) (*core.TaskRun, bool, error) {
	r.Version = 1
	vals, err := taskRunValues(r)
	if err != nil {
		return nil, false, err
	}
	sql, args := taskRunSQL.insert, append([]any{r.ID, r.Created.Time}, vals...)
	if r.State != nil {
		st, err := stateValues(r.State)
		if err != nil {
			return nil, false, err
		}
		sql, args = withState(taskRunSQL.insert, "task_run_states", taskRunSQL.nargs), append(args, st...)
	}
	tag, err := s.pool.Exec(ctx, sql, args...)
	if err != nil {
		return nil, false, err
	}
	if tag.RowsAffected() == 1 {
		return r, true, nil
	}
	out, err := getRun[core.TaskRun](ctx, s.pool, "Task run", `SELECT doc, version FROM task_runs
		WHERE flow_run_id = $1 AND task_key = $2 AND dynamic_key = $3`, r.FlowRunID, r.TaskKey, r.DynamicKey)
	if core.IsNotFound(err) {
		return nil, false, core.Errorf(core.EConflict, "A task run with id %s already exists.", r.ID)
	}
	return out, false, err
}

func (s *Store) GetTaskRun(ctx context.Context, id uuid.UUID) (*core.TaskRun, error) {
	return getRun[core.TaskRun](ctx, s.pool, "Task run", `SELECT doc, version FROM task_runs WHERE id = $1`, id)
}

func (s *Store) UpdateTaskRunName(ctx context.Context, id uuid.UUID, name string, now time.Time) error {
	p, err := patch(map[string]any{"name": name, "updated": core.T(now)})
	if err != nil {
		return err
	}
	return s.execOne(ctx, "Task run", `UPDATE task_runs SET name = $2, doc = doc || $3::jsonb, version = version + 1 WHERE id = $1`,
		id, name, p)
}

func (s *Store) DeleteTaskRun(ctx context.Context, id uuid.UUID) error {
	n, err := count(ctx, s.pool, `WITH tasks AS (DELETE FROM task_runs WHERE id = $1 RETURNING id),
		task_states AS (DELETE FROM task_run_states WHERE run_id IN (SELECT id FROM tasks)),
		slots AS (DELETE FROM concurrency_slots WHERE task_run_id IN (SELECT id FROM tasks))
		SELECT count(*) FROM tasks`, id)
	if err == nil && n == 0 {
		return notFound("Task run")
	}
	return err
}

func (s *Store) ListTaskRuns(ctx context.Context, q *store.TaskRunQuery) ([]*core.TaskRun, error) {
	a := &args{}
	w := taskRunsWhere(a, &q.RunFilters)
	return listRuns[core.TaskRun](ctx, s.pool, `SELECT tr.doc, tr.version FROM task_runs tr WHERE `+w+
		orderBy(taskRunSorts, q.Sort, "ID_DESC")+page(q.Page), a.vals...)
}

func (s *Store) CountTaskRuns(ctx context.Context, f *store.RunFilters) (int, error) {
	a := &args{}
	w := taskRunsWhere(a, f)
	return count(ctx, s.pool, `SELECT count(*) FROM task_runs tr WHERE `+w, a.vals...)
}

// liveStates are the states in which a slot's holder keeps its slot.
const liveStates = `('` + string(core.Running) + `', '` + string(core.Cancelling) + `')`

// liveSlotCond is the lease rule over a slot s of task run t: the holder is
// in liveStates and its flow run has not ended, so a flow run's terminal
// write frees its task runs' slots in that same write.
const liveSlotCond = `t.state_type IN ` + liveStates + ` AND NOT EXISTS (SELECT 1 FROM flow_runs f
	WHERE f.id = t.flow_run_id AND f.state_type IN ('COMPLETED', 'FAILED', 'CANCELLED', 'CRASHED'))`

// lockTagSQL serialises the claims on one tag across every connection and
// process until the transaction ends. The key is a hash, so two tags may
// share a lock: that costs waiting, never correctness.
const lockTagSQL = `SELECT pg_advisory_xact_lock(hashtextextended('orrery.slot:' || current_schema() || ':' || $1, 0))`

// claimSlotSQL takes a slot of tag $1 for run $2 if fewer than $3 live
// slots are held by others. It runs after lockTagSQL in the same READ
// COMMITTED transaction, so its count sees every claim committed before the
// lock was granted. Re-claiming a slot already held counts as a claim.
const claimSlotSQL = `INSERT INTO concurrency_slots (tag, task_run_id, acquired)
	SELECT $1::text, $2::uuid, now()
	WHERE (SELECT count(*) FROM concurrency_slots s JOIN task_runs t ON t.id = s.task_run_id
		WHERE s.tag = $1 AND s.task_run_id <> $2 AND ` + liveSlotCond + `) < $3
	ON CONFLICT (tag, task_run_id) DO UPDATE SET acquired = concurrency_slots.acquired`

func (s *Store) CommitTaskRunTransition(ctx context.Context, t *store.TaskRunTransition) error {
	id := t.Run.ID
	vals, err := taskRunValues(t.Run)
	if err != nil {
		return err
	}
	var state []any
	if (t.AppendState || t.CacheKey != nil) && t.Run.State != nil {
		if state, err = stateValues(t.Run.State); err != nil {
			return err
		}
	}
	// Tag order: two transitions claiming the same tags lock them in the
	// same order, so they queue instead of deadlocking.
	claims := append([]store.SlotClaim(nil), t.AcquireSlots...)
	sort.SliceStable(claims, func(i, j int) bool { return claims[i].Tag < claims[j].Tag })

	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, taskRunSQL.cas, append(append([]any{id}, vals...), t.ExpectedVersion)...)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return runExists(ctx, tx, "task_runs", "Task run", id)
		}
		// The version check passed and the row is locked: the side effects
		// go in one pipelined round trip.
		b := &pgx.Batch{}
		if t.ReleaseSlots {
			b.Queue(`DELETE FROM concurrency_slots WHERE task_run_id = $1`, id)
		}
		for _, c := range claims {
			b.Queue(lockTagSQL, c.Tag)
			b.Queue(claimSlotSQL, c.Tag, id, c.Limit).Exec(func(ct pgconn.CommandTag) error {
				if ct.RowsAffected() == 0 {
					return store.ErrVersionConflict
				}
				return nil
			})
		}
		if t.CacheKey != nil && state != nil {
			var exp *time.Time
			if t.CacheExpiration != nil {
				e := *t.CacheExpiration
				exp = &e
			}
			b.Queue(`INSERT INTO task_cache (cache_key, expiration, doc) VALUES ($1, $2, $3)`, *t.CacheKey, exp, state[2])
		}
		if t.AppendState && state != nil {
			b.Queue(`INSERT INTO task_run_states (id, run_id, ts, doc) VALUES ($1, $2, $3, $4)`, state[0], id, state[1], state[2])
		}
		if b.Len() == 0 {
			return nil
		}
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return asConflict(err)
	}
	t.Run.Version = t.ExpectedVersion + 1
	return nil
}

// ---- states and cache

func (s *Store) GetFlowRunState(ctx context.Context, id uuid.UUID) (*core.State, error) {
	return getDoc[core.State](ctx, s.pool, "Flow run state", `SELECT doc FROM flow_run_states WHERE id = $1`, id)
}

func (s *Store) ListFlowRunStates(ctx context.Context, runID uuid.UUID) ([]*core.State, error) {
	return listDocs[core.State](ctx, s.pool, `SELECT doc FROM flow_run_states WHERE run_id = $1 ORDER BY ts, seq`, runID)
}

func (s *Store) GetTaskRunState(ctx context.Context, id uuid.UUID) (*core.State, error) {
	return getDoc[core.State](ctx, s.pool, "Task run state", `SELECT doc FROM task_run_states WHERE id = $1`, id)
}

func (s *Store) ListTaskRunStates(ctx context.Context, runID uuid.UUID) ([]*core.State, error) {
	return listDocs[core.State](ctx, s.pool, `SELECT doc FROM task_run_states WHERE run_id = $1 ORDER BY ts, seq`, runID)
}

func (s *Store) LookupCache(ctx context.Context, key string, now time.Time) (*core.State, error) {
	st, err := getDoc[core.State](ctx, s.pool, "Cache entry", `SELECT doc FROM task_cache
		WHERE cache_key = $1 AND (expiration IS NULL OR expiration > $2) ORDER BY seq DESC LIMIT 1`, key, now)
	if core.IsNotFound(err) {
		return nil, nil
	}
	return st, err
}
