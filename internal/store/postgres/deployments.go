package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
)

var (
	_ store.DeploymentStore = (*Store)(nil)
	_ store.WorkQueueStore  = (*Store)(nil)
)

func (s *Store) UpsertDeployment(ctx context.Context, d *core.Deployment) (*core.Deployment, bool, error) {
	doc, err := marshal(d)
	if err != nil {
		return nil, false, err
	}
	tags := jsonList(d.Tags)
	// An overwrite keeps the stored identity: id and created columns stay,
	// and the document takes them (and created_by) from the old document.
	created, err := upsert(
		execN(ctx, s.pool, `UPDATE deployments SET tags = $3, is_schedule_active = $4, work_queue_name = $5, updated = $6,
			doc = $7::jsonb || jsonb_build_object('id', id, 'created', doc->'created', 'created_by', doc->'created_by')
			WHERE flow_id = $1 AND name = $2`,
			d.FlowID, d.Name, tags, d.IsScheduleActive, d.WorkQueueName, d.Updated.Time, doc),
		execN(ctx, s.pool, `INSERT INTO deployments (id, flow_id, name, tags, is_schedule_active, work_queue_name, created, updated, doc)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
			d.ID, d.FlowID, d.Name, tags, d.IsScheduleActive, d.WorkQueueName, d.Created.Time, d.Updated.Time, doc))
	if err != nil {
		return nil, false, err
	}
	out, err := getDoc[core.Deployment](ctx, s.pool, "Deployment", `SELECT doc FROM deployments WHERE flow_id = $1 AND name = $2`, d.FlowID, d.Name)
	return out, created, err
}

func (s *Store) GetDeployment(ctx context.Context, id uuid.UUID) (*core.Deployment, error) {
	return getDoc[core.Deployment](ctx, s.pool, "Deployment", `SELECT doc FROM deployments WHERE id = $1`, id)
}

func (s *Store) GetDeploymentByName(ctx context.Context, flowName, name string) (*core.Deployment, error) {
	return getDoc[core.Deployment](ctx, s.pool, "Deployment", `SELECT d.doc FROM deployments d JOIN flows f ON f.id = d.flow_id
		WHERE f.name = $1 AND d.name = $2`, flowName, name)
}

func (s *Store) UpdateDeployment(ctx context.Context, d *core.Deployment) error {
	doc, err := marshal(d)
	if err != nil {
		return err
	}
	return s.execOne(ctx, "Deployment", `UPDATE deployments SET flow_id = $2, name = $3, tags = $4, is_schedule_active = $5,
		work_queue_name = $6, created = $7, updated = $8, doc = $9 WHERE id = $1`,
		d.ID, d.FlowID, d.Name, jsonList(d.Tags), d.IsScheduleActive, d.WorkQueueName, d.Created.Time, d.Updated.Time, doc)
}

func (s *Store) DeleteDeployment(ctx context.Context, id uuid.UUID) error {
	// Runs outlive their deployment with deployment_id cleared, as in 2.7;
	// the version bump makes a transition holding the old copy retry.
	n, err := count(ctx, s.pool, `WITH d AS (DELETE FROM deployments WHERE id = $1 RETURNING id),
		runs AS (UPDATE flow_runs SET deployment_id = NULL, version = version + 1, doc = doc || '{"deployment_id": null}'
			WHERE deployment_id IN (SELECT id FROM d))
		SELECT count(*) FROM d`, id)
	if err == nil && n == 0 {
		return notFound("Deployment")
	}
	return err
}

func (s *Store) ListDeployments(ctx context.Context, q *store.DeploymentQuery) ([]*core.Deployment, error) {
	a := &args{}
	w := deploymentsWhere(a, &q.RunFilters)
	return listDocs[core.Deployment](ctx, s.pool, `SELECT d.doc FROM deployments d WHERE `+w+
		orderBy(deploymentSorts, q.Sort, "NAME_ASC")+page(q.Page), a.vals...)
}

func (s *Store) CountDeployments(ctx context.Context, f *store.RunFilters) (int, error) {
	a := &args{}
	w := deploymentsWhere(a, f)
	return count(ctx, s.pool, `SELECT count(*) FROM deployments d WHERE `+w, a.vals...)
}

func (s *Store) DeleteAutoScheduledRuns(ctx context.Context, deploymentID uuid.UUID) (int, error) {
	return count(ctx, s.pool, `WITH runs AS (DELETE FROM flow_runs
		WHERE deployment_id = $1 AND auto_scheduled AND state_type = '`+string(core.Scheduled)+`' RETURNING id)`+cascade+`
		SELECT count(*) FROM runs`, deploymentID)
}

// InsertScheduledRuns sends every insert in one pipelined batch inside one
// transaction. Each is ON CONFLICT DO NOTHING on (flow_id,
// idempotency_key), so a racing scheduler's runs are skipped, not doubled.
func (s *Store) InsertScheduledRuns(ctx context.Context, runs []*core.FlowRun) (int, error) {
	if len(runs) == 0 {
		return 0, nil
	}
	b := &pgx.Batch{}
	n := 0
	for _, r := range runs {
		sql, args, err := flowRunInsert(r)
		if err != nil {
			return 0, err
		}
		b.Queue(sql, args...).Exec(func(tag pgconn.CommandTag) error {
			n += int(tag.RowsAffected())
			return nil
		})
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		n = 0
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// ---- work queues

func workQueueExists() error {
	return core.Errorf(core.EConflict, "A work queue with this name already exists.")
}

func (s *Store) CreateWorkQueue(ctx context.Context, q *core.WorkQueue) error {
	doc, err := marshal(q)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO work_queues (id, name, doc) VALUES ($1, $2, $3)`, q.ID, q.Name, doc)
	if isUnique(err) {
		return workQueueExists()
	}
	return err
}

func (s *Store) GetWorkQueue(ctx context.Context, id uuid.UUID) (*core.WorkQueue, error) {
	return getDoc[core.WorkQueue](ctx, s.pool, "Work queue", `SELECT doc FROM work_queues WHERE id = $1`, id)
}

func (s *Store) GetWorkQueueByName(ctx context.Context, name string) (*core.WorkQueue, error) {
	return getDoc[core.WorkQueue](ctx, s.pool, "Work queue", `SELECT doc FROM work_queues WHERE name = $1`, name)
}

func (s *Store) UpdateWorkQueue(ctx context.Context, q *core.WorkQueue) error {
	doc, err := marshal(q)
	if err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `UPDATE work_queues SET name = $2, doc = $3 WHERE id = $1`, q.ID, q.Name, doc)
	if isUnique(err) {
		return workQueueExists()
	}
	return mustAffect(tag, err, "Work queue")
}

func (s *Store) TouchWorkQueue(ctx context.Context, id uuid.UUID, at time.Time) error {
	p, err := patch(map[string]any{"last_polled": core.T(at)})
	if err != nil {
		return err
	}
	return s.execOne(ctx, "Work queue", `UPDATE work_queues SET doc = doc || $2::jsonb WHERE id = $1`, id, p)
}

func (s *Store) DeleteWorkQueue(ctx context.Context, id uuid.UUID) error {
	return s.execOne(ctx, "Work queue", `DELETE FROM work_queues WHERE id = $1`, id)
}

func (s *Store) ListWorkQueues(ctx context.Context, f *store.WorkQueueFilter, p store.Page) ([]*core.WorkQueue, error) {
	a := &args{}
	w := workQueuesWhere(a, f)
	return listDocs[core.WorkQueue](ctx, s.pool, `SELECT doc FROM work_queues WHERE `+w+` ORDER BY name`+page(p), a.vals...)
}
