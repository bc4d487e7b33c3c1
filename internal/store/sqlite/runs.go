package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
)

func tagsJSON(tags []string) string {
	if len(tags) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(tags)
	return string(b)
}

// getDoc reads one JSON document; missing rows become notFound(what).
func getDoc[T any](ctx context.Context, q queryer, what, query string, args ...any) (*T, error) {
	var doc string
	if err := q.QueryRowContext(ctx, query, args...).Scan(&doc); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, notFound(what)
		}
		return nil, err
	}
	v := new(T)
	if err := json.Unmarshal([]byte(doc), v); err != nil {
		return nil, err
	}
	return v, nil
}

// listDocs reads JSON documents from the first column of a query.
func listDocs[T any](ctx context.Context, q queryer, query string, args ...any) ([]*T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*T
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, err
		}
		v := new(T)
		if err := json.Unmarshal([]byte(doc), v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func count(ctx context.Context, q queryer, query string, args ...any) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, query, args...).Scan(&n)
	return n, err
}

func flowRunVersion(r *core.FlowRun) *int64 { return &r.Version }
func taskRunVersion(r *core.TaskRun) *int64 { return &r.Version }

// readVersioned reads one (doc, version) row.
func readVersioned[T any](ctx context.Context, q queryer, what string, version func(*T) *int64, query string, args ...any) (*T, error) {
	var doc string
	v := new(T)
	if err := q.QueryRowContext(ctx, query, args...).Scan(&doc, version(v)); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, notFound(what)
		}
		return nil, err
	}
	ver := *version(v)
	if err := json.Unmarshal([]byte(doc), v); err != nil {
		return nil, err
	}
	*version(v) = ver
	return v, nil
}

// listVersioned reads (doc, version) rows.
func listVersioned[T any](ctx context.Context, q queryer, version func(*T) *int64, query string, args ...any) ([]*T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*T
	for rows.Next() {
		var doc string
		var ver int64
		if err := rows.Scan(&doc, &ver); err != nil {
			return nil, err
		}
		v := new(T)
		if err := json.Unmarshal([]byte(doc), v); err != nil {
			return nil, err
		}
		*version(v) = ver
		out = append(out, v)
	}
	return out, rows.Err()
}

// ---- flows

func (s *Store) CreateFlow(ctx context.Context, f *core.Flow) (*core.Flow, bool, error) {
	doc, _ := json.Marshal(f)
	res, err := s.exec(ctx, sqlCreateFlowIfAbsent,
		f.ID.String(), f.Name, tagsJSON(f.Tags), tm(f.Created.Time), tm(f.Updated.Time), string(doc))
	if err != nil {
		return nil, false, err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return f, true, nil
	}
	out, err := s.GetFlowByName(ctx, f.Name)
	return out, false, err
}

func (s *Store) GetFlow(ctx context.Context, id uuid.UUID) (*core.Flow, error) {
	return getDoc[core.Flow](ctx, s.r, "Flow", `SELECT doc FROM flows WHERE id = ?`, id.String())
}

func (s *Store) GetFlowByName(ctx context.Context, name string) (*core.Flow, error) {
	return getDoc[core.Flow](ctx, s.r, "Flow", `SELECT doc FROM flows WHERE name = ?`, name)
}

func (s *Store) UpdateFlowTags(ctx context.Context, id uuid.UUID, tags []string, now time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		f, err := getDoc[core.Flow](ctx, tx, "Flow", `SELECT doc FROM flows WHERE id = ?`, id.String())
		if err != nil {
			return err
		}
		f.Tags, f.Updated = tags, core.T(now)
		doc, _ := json.Marshal(f)
		_, err = tx.ExecContext(ctx, `UPDATE flows SET tags = ?, updated = ?, doc = ? WHERE id = ?`, tagsJSON(tags), tm(now), string(doc), id.String())
		return err
	})
}

func (s *Store) DeleteFlow(ctx context.Context, id uuid.UUID) error {
	return s.txThen(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM flows WHERE id = ?`, id.String())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("Flow")
		}
		if err := deleteRuns(ctx, tx, `SELECT id FROM flow_runs WHERE flow_id = ?`, id.String()); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM deployments WHERE flow_id = ?`, id.String())
		return err
	}, func() { s.flowRuns.clear(); s.taskRuns.clear() })
}

// deleteRuns deletes the flow runs selected by sel (a query of ids) with
// their task runs, states and slots.
func deleteRuns(ctx context.Context, tx *sql.Tx, sel string, args ...any) error {
	tasks := `SELECT id FROM task_runs WHERE flow_run_id IN (` + sel + `)`
	stmts := []string{
		`DELETE FROM task_run_states WHERE run_id IN (` + tasks + `)`,
		`DELETE FROM concurrency_slots WHERE task_run_id IN (` + tasks + `)`,
		`DELETE FROM task_runs WHERE flow_run_id IN (` + sel + `)`,
		`DELETE FROM flow_run_states WHERE run_id IN (` + sel + `)`,
		`DELETE FROM flow_runs WHERE id IN (` + sel + `)`,
	}
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) ListFlows(ctx context.Context, q *store.FlowQuery) ([]*core.Flow, error) {
	w := flowsWhere(&q.RunFilters)
	return listDocs[core.Flow](ctx, s.r, `SELECT f.doc FROM flows f WHERE `+w.sql+orderBy(flowSorts, q.Sort, "NAME_ASC")+limitOffset(q.Page), w.args...)
}

func (s *Store) CountFlows(ctx context.Context, f *store.RunFilters) (int, error) {
	w := flowsWhere(f)
	return count(ctx, s.r, `SELECT COUNT(*) FROM flows f WHERE `+w.sql, w.args...)
}

// ---- flow runs

func flowRunCols(r *core.FlowRun) []any {
	doc, _ := json.Marshal(r)
	var st, sn any
	if r.StateType != nil {
		st = string(*r.StateType)
	}
	if r.StateName != nil {
		sn = *r.StateName
	}
	return []any{r.FlowID.String(), r.Name, optID(r.DeploymentID), optStr(r.WorkQueueName), st, sn, optStr(r.FlowVersion),
		micros(r.StartTime), micros(r.EndTime), micros(r.ExpectedStartTime), micros(r.NextScheduledStartTime),
		optID(r.ParentTaskRunID), optStr(r.IdempotencyKey), r.AutoScheduled, tagsJSON(r.Tags), string(doc)}
}

const flowRunColNames = `flow_id, name, deployment_id, work_queue_name, state_type, state_name, flow_version, start_time, end_time,
	expected_start_time, next_scheduled_start_time, parent_task_run_id, idempotency_key, auto_scheduled, tags, doc`

const flowRunSet = `flow_id = ?, name = ?, deployment_id = ?, work_queue_name = ?, state_type = ?, state_name = ?, flow_version = ?,
	start_time = ?, end_time = ?, expected_start_time = ?, next_scheduled_start_time = ?, parent_task_run_id = ?,
	idempotency_key = ?, auto_scheduled = ?, tags = ?, doc = ?`

var (
	sqlInsertFlowRun = `INSERT INTO flow_runs (id, created, ` + flowRunColNames + `) VALUES (?, ?, ` + placeholders(16) + `)
		ON CONFLICT DO NOTHING`
	sqlUpdateFlowRunCAS = `UPDATE flow_runs SET ` + flowRunSet + `, version = version + 1 WHERE id = ? AND version = ?`
	sqlInsertTaskRun    = `INSERT INTO task_runs (id, created, ` + taskRunColNames + `) VALUES (?, ?, ` + placeholders(12) + `)
			ON CONFLICT DO NOTHING`
	sqlUpdateTaskRunCAS   = `UPDATE task_runs SET ` + taskRunSet + `, version = version + 1 WHERE id = ? AND version = ?`
	sqlInsertFlowState    = `INSERT INTO flow_run_states (id, run_id, ts, doc) VALUES (?, ?, ?, ?)`
	sqlInsertTaskState    = `INSERT INTO task_run_states (id, run_id, ts, doc) VALUES (?, ?, ?, ?)`
	sqlReleaseSlots       = `DELETE FROM concurrency_slots WHERE task_run_id = ?`
	sqlInsertSlot         = `INSERT OR IGNORE INTO concurrency_slots (tag, task_run_id, acquired) VALUES (?, ?, ?)`
	sqlInsertCache        = `INSERT INTO task_cache (cache_key, expiration, doc) VALUES (?, ?, ?)`
	sqlGetFlowRun         = `SELECT doc, version FROM flow_runs WHERE id = ?`
	sqlGetTaskRun         = `SELECT doc, version FROM task_runs WHERE id = ?`
	sqlExistsFlowRun      = `SELECT 1 FROM flow_runs WHERE id = ?`
	sqlExistsTaskRun      = `SELECT 1 FROM task_runs WHERE id = ?`
	sqlCreateFlowIfAbsent = `INSERT INTO flows (id, name, tags, created, updated, doc) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`
)

// hotStatements are prepared once on the writer and the readers: parsing
// these on every call was a tenth of the server's CPU under load.
var hotStatements = []string{sqlInsertFlowRun, sqlUpdateFlowRunCAS, sqlInsertTaskRun, sqlUpdateTaskRunCAS, sqlInsertFlowState,
	sqlInsertTaskState, sqlReleaseSlots, sqlInsertSlot, sqlInsertCache, liveSlotsSQL, sqlExistsFlowRun, sqlExistsTaskRun}

var hotReads = []string{sqlGetFlowRun, sqlGetTaskRun}

// stateRow is a state history row, encoded outside the write lock.
type stateRow struct {
	args []any
}

func newStateRow(runID uuid.UUID, st *core.State) stateRow {
	doc, _ := json.Marshal(st)
	return stateRow{args: []any{st.ID.String(), runID.String(), tm(st.Timestamp.Time), string(doc)}}
}

// insertRun inserts a run row unless its unique key exists, and its first
// state with it; created reports whether the row was new. onCreated runs on
// the writer right after the commit of a new row.
func (s *Store) insertRun(ctx context.Context, insertSQL, stateSQL string, args []any, id uuid.UUID, st *core.State, onCreated func()) (bool, error) {
	var state *stateRow
	if st != nil {
		row := newStateRow(id, st)
		state = &row
	}
	created := false
	err := s.txThen(ctx, func(tx *sql.Tx) error {
		res, err := s.txExec(ctx, tx, insertSQL, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		created = true
		if state != nil {
			_, err = s.txExec(ctx, tx, stateSQL, state.args...)
		}
		return err
	}, func() {
		if created {
			onCreated()
		}
	})
	return created, err
}

func (s *Store) CreateFlowRun(ctx context.Context, r *core.FlowRun) (*core.FlowRun, bool, error) {
	r.Version = 1
	args := append([]any{r.ID.String(), tm(r.Created.Time)}, flowRunCols(r)...)
	// A new run is cached as written: its first transition, usually a
	// moment later, then skips a read and a JSON decode.
	created, err := s.insertRun(ctx, sqlInsertFlowRun, sqlInsertFlowState, args, r.ID, r.State, func() { s.flowRuns.put(r.ID, r) })
	if err != nil {
		return nil, false, err
	}
	if created {
		return r, true, nil
	}
	if r.IdempotencyKey == nil {
		return nil, false, core.Errorf(core.EConflict, "A flow run with id %s already exists.", r.ID)
	}
	out, err := s.readFlowRun(ctx, s.r, `SELECT doc, version FROM flow_runs WHERE flow_id = ? AND idempotency_key = ?`, r.FlowID.String(), *r.IdempotencyKey)
	return out, false, err
}

func (s *Store) readFlowRun(ctx context.Context, q queryer, query string, args ...any) (*core.FlowRun, error) {
	return readVersioned(ctx, q, "Flow run", flowRunVersion, query, args...)
}

func (s *Store) GetFlowRun(ctx context.Context, id uuid.UUID) (*core.FlowRun, error) {
	if r := s.flowRuns.get(id); r != nil {
		return r, nil
	}
	return s.readFlowRun(ctx, s.read(sqlGetFlowRun), "", id.String())
}

func (s *Store) UpdateFlowRun(ctx context.Context, id uuid.UUID, u *store.FlowRunUpdate, now time.Time) error {
	return s.txThen(ctx, func(tx *sql.Tx) error {
		r, err := s.readFlowRun(ctx, tx, `SELECT doc, version FROM flow_runs WHERE id = ?`, id.String())
		if err != nil {
			return err
		}
		u.Apply(r, now)
		_, err = tx.ExecContext(ctx, `UPDATE flow_runs SET `+flowRunSet+`, version = version + 1 WHERE id = ?`, append(flowRunCols(r), id.String())...)
		return err
	}, func() { s.flowRuns.drop(id) })
}

func (s *Store) DeleteFlowRun(ctx context.Context, id uuid.UUID) error {
	return s.txThen(ctx, func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM flow_runs WHERE id = ?`, id.String()).Scan(&one); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return notFound("Flow run")
			}
			return err
		}
		return deleteRuns(ctx, tx, `SELECT ?`, id.String())
	}, func() { s.flowRuns.drop(id); s.taskRuns.clear() })
}

func (s *Store) ListFlowRuns(ctx context.Context, q *store.FlowRunQuery) ([]*core.FlowRun, error) {
	order := orderBy(flowRunSorts, q.Sort, "ID_DESC")
	if query, args, ok := flowRunsByStateUnion(q, order); ok {
		return listVersioned(ctx, s.r, flowRunVersion, query, args...)
	}
	w := flowRunsWhere(&q.RunFilters)
	return listVersioned(ctx, s.r, flowRunVersion, `SELECT fr.doc, fr.version FROM flow_runs fr WHERE `+w.sql+order+limitOffset(q.Page), w.args...)
}

// flowRunsByStateUnion rewrites a page of flow runs filtered by several
// state types (Failed or Crashed, say) as one index walk per type: a UNION
// ALL of per-type pages, each served by a (state_type, sort key) index, then
// the page of their merge. Without it SQLite sorts every matching run (850
// ms at 1M runs). The result is the same rows in the same order: the sorts
// are total (id breaks ties) and each arm keeps limit+offset rows. It
// applies when the state-type list is ANDed with the rest of the filter and
// the page is bounded.
func flowRunsByStateUnion(q *store.FlowRunQuery, order string) (string, []any, bool) {
	fr := q.RunFilters.FlowRuns
	if q.Page.Limit <= 0 || fr == nil || fr.Operator.IsOr() || fr.State == nil || fr.State.Name != nil ||
		fr.State.Type == nil || fr.State.Type.Any == nil || len(*fr.State.Type.Any) < 2 {
		return "", nil, false
	}
	types := slices.Clone(*fr.State.Type.Any)
	slices.Sort(types)
	types = slices.Compact(types)
	arm := limitOffset(store.Page{Limit: q.Page.Limit + q.Page.Offset})
	var parts []string
	var args []any
	for _, t := range types {
		one := *fr
		st := *fr.State
		st.Type = store.StateTypes(t).Type
		one.State = &st
		f := q.RunFilters
		f.FlowRuns = &one
		w := flowRunsWhere(&f)
		parts = append(parts, `SELECT * FROM (SELECT fr.doc, fr.version, fr.id, fr.name, fr.start_time, fr.end_time,
			fr.expected_start_time, fr.next_scheduled_start_time FROM flow_runs fr WHERE `+w.sql+order+arm+`)`)
		args = append(args, w.args...)
	}
	return `SELECT fr.doc, fr.version FROM (` + strings.Join(parts, " UNION ALL ") + `) fr` + order + limitOffset(q.Page), args, true
}

func (s *Store) CountFlowRuns(ctx context.Context, f *store.RunFilters) (int, error) {
	if all, types, ok := stateTypeCount(f); ok {
		if all {
			return count(ctx, s.r, `SELECT COALESCE(SUM(n), 0) FROM flow_run_counts`)
		}
		c := in("state_type", types)
		return count(ctx, s.r, `SELECT COALESCE(SUM(n), 0) FROM flow_run_counts WHERE `+c.sql, c.args...)
	}
	w := flowRunsWhere(f)
	return count(ctx, s.r, `SELECT COUNT(*) FROM flow_runs fr WHERE `+w.sql, w.args...)
}

// stateTypeCount reports whether a count can be read from flow_run_counts:
// no filter at all (all), or only a flow-run state-type list (types).
func stateTypeCount(f *store.RunFilters) (all bool, types []string, ok bool) {
	if f.Flows != nil || f.TaskRuns != nil || f.Deployments != nil {
		return false, nil, false
	}
	if f.FlowRuns == nil {
		return true, nil, true
	}
	rest := *f.FlowRuns
	st := rest.State
	rest.State, rest.Operator = nil, nil
	if rest != (store.FlowRunFilter{}) {
		return false, nil, false
	}
	if st == nil || (st.Name == nil && (st.Type == nil || st.Type.Any == nil)) {
		return true, nil, true
	}
	if st.Name != nil {
		return false, nil, false
	}
	for _, t := range *st.Type.Any {
		types = append(types, string(t))
	}
	return false, types, true
}

func (s *Store) CommitFlowRunTransition(ctx context.Context, t *store.FlowRunTransition) error {
	args := append(flowRunCols(t.Run), t.Run.ID.String(), t.ExpectedVersion)
	var state *stateRow
	if t.AppendState && t.Run.State != nil {
		row := newStateRow(t.Run.ID, t.Run.State)
		state = &row
	}
	err := s.txThen(ctx, func(tx *sql.Tx) error {
		res, err := s.txExec(ctx, tx, sqlUpdateFlowRunCAS, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return s.missingOrConflict(ctx, tx, sqlExistsFlowRun, "Flow run", t.Run.ID)
		}
		if state != nil {
			_, err = s.txExec(ctx, tx, sqlInsertFlowState, state.args...)
		}
		if err == nil {
			err = insertNotifications(ctx, tx, t.Notifications)
		}
		return err
	}, func() {
		t.Run.Version = t.ExpectedVersion + 1
		s.flowRuns.put(t.Run.ID, t.Run)
	})
	if err != nil {
		s.flowRuns.drop(t.Run.ID)
	}
	return err
}

func (s *Store) missingOrConflict(ctx context.Context, tx *sql.Tx, existsSQL, what string, id uuid.UUID) error {
	var one int
	err := tx.StmtContext(ctx, s.prep[existsSQL]).QueryRowContext(ctx, id.String()).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(what)
	}
	if err != nil {
		return err
	}
	return store.ErrVersionConflict
}

// ---- task runs

func taskRunCols(r *core.TaskRun) []any {
	doc, _ := json.Marshal(r)
	var st, sn any
	if r.StateType != nil {
		st = string(*r.StateType)
	}
	if r.StateName != nil {
		sn = *r.StateName
	}
	return []any{r.FlowRunID.String(), r.Name, r.TaskKey, r.DynamicKey, st, sn, micros(r.StartTime), micros(r.EndTime),
		micros(r.ExpectedStartTime), micros(r.NextScheduledStartTime), tagsJSON(r.Tags), string(doc)}
}

const taskRunColNames = `flow_run_id, name, task_key, dynamic_key, state_type, state_name, start_time, end_time,
	expected_start_time, next_scheduled_start_time, tags, doc`

const taskRunSet = `flow_run_id = ?, name = ?, task_key = ?, dynamic_key = ?, state_type = ?, state_name = ?, start_time = ?,
	end_time = ?, expected_start_time = ?, next_scheduled_start_time = ?, tags = ?, doc = ?`

func (s *Store) CreateTaskRun(ctx context.Context, r *core.TaskRun) (*core.TaskRun, bool, error) {
	r.Version = 1
	args := append([]any{r.ID.String(), tm(r.Created.Time)}, taskRunCols(r)...)
	created, err := s.insertRun(ctx, sqlInsertTaskRun, sqlInsertTaskState, args, r.ID, r.State, func() { s.taskRuns.put(r.ID, r) })
	if err != nil {
		return nil, false, err
	}
	if created {
		return r, true, nil
	}
	out, err := s.readTaskRun(ctx, s.r, `SELECT doc, version FROM task_runs WHERE flow_run_id = ? AND task_key = ? AND dynamic_key = ?`,
		r.FlowRunID.String(), r.TaskKey, r.DynamicKey)
	if core.IsNotFound(err) {
		return nil, false, core.Errorf(core.EConflict, "A task run with id %s already exists.", r.ID)
	}
	return out, false, err
}

func (s *Store) readTaskRun(ctx context.Context, q queryer, query string, args ...any) (*core.TaskRun, error) {
	return readVersioned(ctx, q, "Task run", taskRunVersion, query, args...)
}

func (s *Store) GetTaskRun(ctx context.Context, id uuid.UUID) (*core.TaskRun, error) {
	if r := s.taskRuns.get(id); r != nil {
		return r, nil
	}
	return s.readTaskRun(ctx, s.read(sqlGetTaskRun), "", id.String())
}

func (s *Store) UpdateTaskRunName(ctx context.Context, id uuid.UUID, name string, now time.Time) error {
	return s.txThen(ctx, func(tx *sql.Tx) error {
		r, err := s.readTaskRun(ctx, tx, `SELECT doc, version FROM task_runs WHERE id = ?`, id.String())
		if err != nil {
			return err
		}
		r.Name, r.Updated = name, core.T(now)
		_, err = tx.ExecContext(ctx, `UPDATE task_runs SET `+taskRunSet+`, version = version + 1 WHERE id = ?`, append(taskRunCols(r), id.String())...)
		return err
	}, func() { s.taskRuns.drop(id) })
}

func (s *Store) DeleteTaskRun(ctx context.Context, id uuid.UUID) error {
	return s.txThen(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM task_runs WHERE id = ?`, id.String())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("Task run")
		}
		for _, q := range []string{`DELETE FROM task_run_states WHERE run_id = ?`, `DELETE FROM concurrency_slots WHERE task_run_id = ?`} {
			if _, err := tx.ExecContext(ctx, q, id.String()); err != nil {
				return err
			}
		}
		return nil
	}, func() { s.taskRuns.drop(id) })
}

func (s *Store) ListTaskRuns(ctx context.Context, q *store.TaskRunQuery) ([]*core.TaskRun, error) {
	w := taskRunsWhere(&q.RunFilters)
	return listVersioned(ctx, s.r, taskRunVersion, `SELECT tr.doc, tr.version FROM task_runs tr WHERE `+w.sql+orderBy(taskRunSorts, q.Sort, "ID_DESC")+limitOffset(q.Page), w.args...)
}

func (s *Store) CountTaskRuns(ctx context.Context, f *store.RunFilters) (int, error) {
	w := taskRunsWhere(f)
	return count(ctx, s.r, `SELECT COUNT(*) FROM task_runs tr WHERE `+w.sql, w.args...)
}

// liveSlotCond is the lease rule over a slot s of task run t: the holder is
// RUNNING or CANCELLING and its flow run has not ended, so a flow run's
// terminal write frees its task runs' slots in that same write.
const liveSlotCond = `t.state_type IN ('RUNNING', 'CANCELLING') AND NOT EXISTS (SELECT 1 FROM flow_runs f
	WHERE f.id = t.flow_run_id AND f.state_type IN ('COMPLETED', 'FAILED', 'CANCELLED', 'CRASHED'))`

// liveSlots counts the live slots of tag held by task runs other than self.
const liveSlotsSQL = `SELECT COUNT(*) FROM concurrency_slots s JOIN task_runs t ON t.id = s.task_run_id
	WHERE s.tag = ? AND s.task_run_id != ? AND ` + liveSlotCond

func (s *Store) CommitTaskRunTransition(ctx context.Context, t *store.TaskRunTransition) error {
	id := t.Run.ID.String()
	args := append(taskRunCols(t.Run), id, t.ExpectedVersion)
	var state *stateRow
	if t.AppendState && t.Run.State != nil {
		row := newStateRow(t.Run.ID, t.Run.State)
		state = &row
	}
	var cacheArgs []any
	// The cache entry points at the state this transition appends; without
	// a new state there is nothing to cache.
	if t.CacheKey != nil && state != nil {
		var exp any
		if t.CacheExpiration != nil {
			exp = t.CacheExpiration.UnixMicro()
		}
		cacheArgs = []any{*t.CacheKey, exp, state.args[3]}
	}
	acquired := time.Now().UnixMicro()
	err := s.txThen(ctx, func(tx *sql.Tx) error {
		res, err := s.txExec(ctx, tx, sqlUpdateTaskRunCAS, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return s.missingOrConflict(ctx, tx, sqlExistsTaskRun, "Task run", t.Run.ID)
		}
		if t.ReleaseSlots {
			if _, err := s.txExec(ctx, tx, sqlReleaseSlots, id); err != nil {
				return err
			}
		}
		for _, c := range t.AcquireSlots {
			var n int
			if err := tx.StmtContext(ctx, s.prep[liveSlotsSQL]).QueryRowContext(ctx, c.Tag, id).Scan(&n); err != nil {
				return err
			}
			if n >= c.Limit {
				return store.ErrVersionConflict
			}
			if _, err := s.txExec(ctx, tx, sqlInsertSlot, c.Tag, id, acquired); err != nil {
				return err
			}
		}
		if cacheArgs != nil {
			if _, err := s.txExec(ctx, tx, sqlInsertCache, cacheArgs...); err != nil {
				return err
			}
		}
		if state != nil {
			_, err = s.txExec(ctx, tx, sqlInsertTaskState, state.args...)
		}
		return err
	}, func() {
		t.Run.Version = t.ExpectedVersion + 1
		s.taskRuns.put(t.Run.ID, t.Run)
	})
	if err != nil {
		s.taskRuns.drop(t.Run.ID)
	}
	return err
}

// ---- states and cache

func (s *Store) GetFlowRunState(ctx context.Context, id uuid.UUID) (*core.State, error) {
	return getDoc[core.State](ctx, s.r, "Flow run state", `SELECT doc FROM flow_run_states WHERE id = ?`, id.String())
}

func (s *Store) ListFlowRunStates(ctx context.Context, runID uuid.UUID) ([]*core.State, error) {
	return listDocs[core.State](ctx, s.r, `SELECT doc FROM flow_run_states WHERE run_id = ? ORDER BY ts, rowid`, runID.String())
}

func (s *Store) GetTaskRunState(ctx context.Context, id uuid.UUID) (*core.State, error) {
	return getDoc[core.State](ctx, s.r, "Task run state", `SELECT doc FROM task_run_states WHERE id = ?`, id.String())
}

func (s *Store) ListTaskRunStates(ctx context.Context, runID uuid.UUID) ([]*core.State, error) {
	return listDocs[core.State](ctx, s.r, `SELECT doc FROM task_run_states WHERE run_id = ? ORDER BY ts, rowid`, runID.String())
}

func (s *Store) LookupCache(ctx context.Context, key string, now time.Time) (*core.State, error) {
	st, err := getDoc[core.State](ctx, s.r, "Cache entry", `SELECT doc FROM task_cache WHERE cache_key = ? AND (expiration IS NULL OR expiration > ?)
		ORDER BY seq DESC LIMIT 1`, key, now.UnixMicro())
	if core.IsNotFound(err) {
		return nil, nil
	}
	return st, err
}

// BulkCreateFlowRuns inserts new flow runs, each with its current state as
// its one history row, in a single transaction: the bulk-load path for
// imports and for seeding benchmark databases (bench/cmd/orrery-seed). The
// rows are exactly what CreateFlowRun writes; the run cache is not touched.
// Any conflict (an existing id or idempotency key) fails the whole batch.
func (s *Store) BulkCreateFlowRuns(ctx context.Context, runs []*core.FlowRun) error {
	type row struct{ run, state []any }
	rows := make([]row, len(runs))
	for i, r := range runs {
		r.Version = 1
		rows[i].run = append([]any{r.ID.String(), tm(r.Created.Time)}, flowRunCols(r)...)
		if r.State != nil {
			rows[i].state = newStateRow(r.ID, r.State).args
		}
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		ins, st := tx.StmtContext(ctx, s.prep[sqlInsertFlowRun]), tx.StmtContext(ctx, s.prep[sqlInsertFlowState])
		for _, r := range rows {
			res, err := ins.ExecContext(ctx, r.run...)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return core.Errorf(core.EConflict, "flow run %v already exists", r.run[0])
			}
			if r.state != nil {
				if _, err := st.ExecContext(ctx, r.state...); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
