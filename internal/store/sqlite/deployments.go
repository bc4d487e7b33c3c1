package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"

	"time"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
)

var (
	_ store.DeploymentStore = (*Store)(nil)
	_ store.WorkQueueStore  = (*Store)(nil)
)

func deploymentArgs(d *core.Deployment) []any {
	doc, _ := json.Marshal(d)
	return []any{d.ID.String(), d.FlowID.String(), d.Name, tagsJSON(d.Tags), d.IsScheduleActive, optStr(d.WorkQueueName),
		tm(d.Created.Time), tm(d.Updated.Time), string(doc)}
}

func (s *Store) UpsertDeployment(ctx context.Context, d *core.Deployment) (*core.Deployment, bool, error) {
	created := false
	err := s.tx(ctx, func(tx *sql.Tx) error {
		cur, err := getDoc[core.Deployment](ctx, tx, "Deployment", `SELECT doc FROM deployments WHERE flow_id = ? AND name = ?`, d.FlowID.String(), d.Name)
		switch {
		case core.IsNotFound(err):
			created = true
		case err != nil:
			return err
		default:
			d.ID, d.Created, d.CreatedBy = cur.ID, cur.Created, cur.CreatedBy
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO deployments (id, flow_id, name, tags, is_schedule_active, work_queue_name, created, updated, doc)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET flow_id = excluded.flow_id, name = excluded.name,
			tags = excluded.tags, is_schedule_active = excluded.is_schedule_active, work_queue_name = excluded.work_queue_name,
			updated = excluded.updated, doc = excluded.doc`, deploymentArgs(d)...)
		return err
	})
	return d, created, err
}

func (s *Store) GetDeployment(ctx context.Context, id uuid.UUID) (*core.Deployment, error) {
	return getDoc[core.Deployment](ctx, s.r, "Deployment", `SELECT doc FROM deployments WHERE id = ?`, id.String())
}

func (s *Store) GetDeploymentByName(ctx context.Context, flowName, name string) (*core.Deployment, error) {
	return getDoc[core.Deployment](ctx, s.r, "Deployment", `SELECT d.doc FROM deployments d JOIN flows f ON f.id = d.flow_id
		WHERE f.name = ? AND d.name = ?`, flowName, name)
}

func (s *Store) UpdateDeployment(ctx context.Context, d *core.Deployment) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		args := deploymentArgs(d)
		res, err := tx.ExecContext(ctx, `UPDATE deployments SET flow_id = ?, name = ?, tags = ?, is_schedule_active = ?, work_queue_name = ?,
			created = ?, updated = ?, doc = ? WHERE id = ?`, append(args[1:], args[0])...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("Deployment")
		}
		return nil
	})
}

func (s *Store) DeleteDeployment(ctx context.Context, id uuid.UUID) error {
	return s.txThen(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM deployments WHERE id = ?`, id.String())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("Deployment")
		}
		// Runs outlive their deployment with deployment_id cleared, as in 2.7.
		_, err = tx.ExecContext(ctx, `UPDATE flow_runs SET deployment_id = NULL, version = version + 1,
			doc = json_set(doc, '$.deployment_id', NULL) WHERE deployment_id = ?`, id.String())
		return err
	}, s.flowRuns.clear)
}

func (s *Store) ListDeployments(ctx context.Context, q *store.DeploymentQuery) ([]*core.Deployment, error) {
	w := deploymentsWhere(&q.RunFilters)
	return listDocs[core.Deployment](ctx, s.r, `SELECT d.doc FROM deployments d WHERE `+w.sql+orderBy(deploymentSorts, q.Sort, "NAME_ASC")+limitOffset(q.Page), w.args...)
}

func (s *Store) CountDeployments(ctx context.Context, f *store.RunFilters) (int, error) {
	w := deploymentsWhere(f)
	return count(ctx, s.r, `SELECT COUNT(*) FROM deployments d WHERE `+w.sql, w.args...)
}

func (s *Store) DeleteAutoScheduledRuns(ctx context.Context, deploymentID uuid.UUID) (int, error) {
	n := 0
	err := s.txThen(ctx, func(tx *sql.Tx) error {
		sel := `SELECT id FROM flow_runs WHERE deployment_id = ? AND auto_scheduled = 1 AND state_type = 'SCHEDULED'`
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM (`+sel+`)`, deploymentID.String()).Scan(&n); err != nil {
			return err
		}
		return deleteRuns(ctx, tx, sel, deploymentID.String())
	}, s.flowRuns.clear)
	return n, err
}

func (s *Store) InsertScheduledRuns(ctx context.Context, runs []*core.FlowRun) (int, error) {
	type row struct{ run, state []any }
	rows := make([]row, 0, len(runs))
	for _, r := range runs {
		r.Version = 1
		rw := row{run: append([]any{r.ID.String(), tm(r.Created.Time)}, flowRunCols(r)...)}
		if r.State != nil {
			rw.state = newStateRow(r.ID, r.State).args
		}
		rows = append(rows, rw)
	}
	n := 0
	err := s.tx(ctx, func(tx *sql.Tx) error {
		n = 0
		for _, rw := range rows {
			res, err := s.txExec(ctx, tx, sqlInsertFlowRun, rw.run...)
			if err != nil {
				return err
			}
			if c, _ := res.RowsAffected(); c == 0 {
				continue // this (flow, idempotency key) exists: never a duplicate
			}
			n++
			if rw.state != nil {
				if _, err := s.txExec(ctx, tx, sqlInsertFlowState, rw.state...); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return n, err
}

// ---- work queues

func (s *Store) CreateWorkQueue(ctx context.Context, q *core.WorkQueue) error {
	doc, _ := json.Marshal(q)
	_, err := s.exec(ctx, `INSERT INTO work_queues (id, name, doc) VALUES (?, ?, ?)`, q.ID.String(), q.Name, string(doc))
	if isUnique(err) {
		return core.Errorf(core.EConflict, "A work queue with this name already exists.")
	}
	return err
}

func (s *Store) GetWorkQueue(ctx context.Context, id uuid.UUID) (*core.WorkQueue, error) {
	return getDoc[core.WorkQueue](ctx, s.r, "Work queue", `SELECT doc FROM work_queues WHERE id = ?`, id.String())
}

func (s *Store) GetWorkQueueByName(ctx context.Context, name string) (*core.WorkQueue, error) {
	return getDoc[core.WorkQueue](ctx, s.r, "Work queue", `SELECT doc FROM work_queues WHERE name = ?`, name)
}

func (s *Store) UpdateWorkQueue(ctx context.Context, q *core.WorkQueue) error {
	doc, _ := json.Marshal(q)
	res, err := s.exec(ctx, `UPDATE work_queues SET name = ?, doc = ? WHERE id = ?`, q.Name, string(doc), q.ID.String())
	if isUnique(err) {
		return core.Errorf(core.EConflict, "A work queue with this name already exists.")
	}
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("Work queue")
	}
	return nil
}

func (s *Store) TouchWorkQueue(ctx context.Context, id uuid.UUID, at time.Time) error {
	res, err := s.exec(ctx, `UPDATE work_queues SET doc = json_set(doc, '$.last_polled', ?) WHERE id = ?`,
		core.T(at).UTC().Format("2006-01-02T15:04:05.000000+00:00"), id.String())
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("Work queue")
	}
	return nil
}

func (s *Store) DeleteWorkQueue(ctx context.Context, id uuid.UUID) error {
	return s.deleteByID(ctx, "work_queues", "Work queue", id)
}

func (s *Store) ListWorkQueues(ctx context.Context, f *store.WorkQueueFilter, p store.Page) ([]*core.WorkQueue, error) {
	w := fromC(dialect.WorkQueues(f))
	return listDocs[core.WorkQueue](ctx, s.r, `SELECT doc FROM work_queues WHERE `+w.sql+` ORDER BY name`+limitOffset(p), w.args...)
}
