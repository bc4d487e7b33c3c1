// A work queue (/work-queues/work-queue/<id>): details and health, pause /
// resume, edit, delete, the agent command to copy, and the runs waiting in
// it (flow_runs/filter by work_queue_name and SCHEDULED/PENDING: unlike
// get_runs, reading them here changes nothing).
import { useState } from 'preact/hooks';
import { api } from '../api/client';
import type { WorkQueue } from '../api/types';
import { useApi } from '../lib/hooks';
import { href, navigate } from '../lib/router';
import { PageHeader } from '../components/Layout';
import { Loader } from '../components/Status';
import { Time, Relative } from '../components/Time';
import { FlowRunsList } from '../components/FlowRunsList';
import { confirm } from '../components/Dialog';
import { toast, toastError } from '../components/Toast';
import { WorkQueueDialog } from './work-queues-form';
import { PausedBadge, waitingFilter } from './work-queues';
import { CopyBox } from './settings';

interface QueueStatus {
  healthy: boolean;
  late_runs_count: number;
  last_polled: string | null;
  health_check_policy: { maximum_late_runs: number | null; maximum_seconds_since_last_polled: number | null };
}

/** The queue name as a shell word (quoted when it needs it). */
function shellWord(s: string): string {
  return /^[A-Za-z0-9_.:@%+=,/-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** /work-queues/work-queue/<id>, and .../edit (2.7's edit page) with the edit dialog open. */
export function WorkQueuePage(props: { id: string; edit?: boolean }) {
  const queue = useApi((signal) => api.get<WorkQueue>(`/work_queues/${props.id}`, { signal }), [props.id], 10000);
  const status = useApi((signal) => api.get<QueueStatus>(`/work_queues/${props.id}/status`, { signal }), [props.id], 10000);
  const [editing, setEditingState] = useState(!!props.edit);
  const setEditing = (v: boolean) => {
    setEditingState(v);
    if (!v && props.edit) navigate(`/work-queues/work-queue/${props.id}`, { replace: true });
  };
  const [busy, setBusy] = useState(false);

  const setPaused = async (q: WorkQueue, paused: boolean) => {
    setBusy(true);
    try {
      await api.patch(`/work_queues/${q.id}`, { is_paused: paused });
      toast(paused ? `Paused ${q.name}: agents get no runs from it` : `Resumed ${q.name}`);
      queue.reload();
      status.reload();
    } catch (e) {
      toastError(e, 'Could not change the queue');
    } finally {
      setBusy(false);
    }
  };
  const remove = async (q: WorkQueue) => {
    const ok = await confirm({
      title: 'Delete work queue',
      message: (
        <p>
          Delete <strong>{q.name}</strong>? Deployments that name it keep sending runs to the name; agents polling it stop getting them until a queue of that name exists again.
        </p>
      ),
      confirmLabel: 'Delete',
      danger: true,
    });
    if (!ok) return;
    try {
      await api.delete(`/work_queues/${q.id}`);
      toast(`Deleted work queue ${q.name}`);
      navigate('/work-queues');
    } catch (e) {
      toastError(e, 'Could not delete');
    }
  };

  return (
    <div data-testid="page-work-queue">
      <Loader state={queue}>
        {(q) => (
          <>
            <PageHeader
              title={q.name}
              crumbs={[{ label: 'Work Queues', href: '/work-queues' }]}
              badge={<PausedBadge paused={!!q.is_paused} />}
              subtitle={q.description ? <span>{q.description}</span> : undefined}
              actions={
                <>
                  {q.is_paused ? (
                    <button class="btn primary" disabled={busy} onClick={() => setPaused(q, false)} data-testid="action-resume">
                      Resume
                    </button>
                  ) : (
                    <button class="btn" disabled={busy} onClick={() => setPaused(q, true)} data-testid="action-pause">
                      Pause
                    </button>
                  )}
                  <button class="btn" onClick={() => setEditing(true)} data-testid="action-edit">
                    Edit
                  </button>
                  <button class="btn danger" onClick={() => remove(q)} data-testid="action-delete">
                    Delete
                  </button>
                </>
              }
            />
            <div class="grid cols-2">
              <div class="card" data-testid="work-queue-details">
                <h2>Details</h2>
                <dl class="kv">
                  <dt>Status</dt>
                  <dd>{q.is_paused ? 'Paused: agents polling it get no runs' : 'Active'}</dd>
                  <dt>Concurrency limit</dt>
                  <dd data-testid="work-queue-limit">{q.concurrency_limit == null ? <span class="muted">none</span> : q.concurrency_limit}</dd>
                  <dt>Priority</dt>
                  <dd>{q.priority}</dd>
                  <dt>Last polled</dt>
                  <dd data-testid="work-queue-last-polled">
                    {q.last_polled ? (
                      <>
                        <Time value={q.last_polled} /> <span class="muted">(<Relative value={q.last_polled} />)</span>
                      </>
                    ) : (
                      <span class="muted">never: no agent has polled it</span>
                    )}
                  </dd>
                  <dt>Health</dt>
                  <dd data-testid="work-queue-health">
                    {!status.data ? (
                      '…'
                    ) : !status.data.last_polled ? (
                      <span class="muted">Not polled yet: start an agent for it</span>
                    ) : status.data.healthy ? (
                      <span style={{ color: 'var(--ok)' }}>Healthy</span>
                    ) : (
                      <span style={{ color: 'var(--danger)' }}>
                        Unhealthy
                        <span class="muted">
                          {' '}
                          —{' '}
                          {status.data.late_runs_count > 0
                            ? `${status.data.late_runs_count} late run${status.data.late_runs_count === 1 ? '' : 's'}`
                            : `no poll in the last ${status.data.health_check_policy.maximum_seconds_since_last_polled ?? 60} s`}
                        </span>
                      </span>
                    )}
                  </dd>
                  {q.filter && (
                    <>
                      <dt>Filter tags</dt>
                      <dd>{q.filter.tags?.length ? q.filter.tags.map((t) => <span class="tag" key={t}>{t}</span>) : <span class="muted">none</span>}</dd>
                      <dt>Filter deployments</dt>
                      <dd>
                        {q.filter.deployment_ids?.length ? (
                          q.filter.deployment_ids.map((id) => (
                            <div key={id}>
                              <a class="mono" href={href(`/deployments/deployment/${id}`)}>
                                {id}
                              </a>
                            </div>
                          ))
                        ) : (
                          <span class="muted">none</span>
                        )}
                      </dd>
                    </>
                  )}
                  <dt>Created</dt>
                  <dd>
                    <Time value={q.created} />
                  </dd>
                  <dt>ID</dt>
                  <dd class="mono">{q.id}</dd>
                </dl>
              </div>
              <div class="card" data-testid="agent-command">
                <h2>Start an agent</h2>
                <p class="muted">Run one of these where your flows can run; it polls this queue and starts its runs.</p>
                <CopyBox text={`orrery agent start -q ${shellWord(q.name!)}`} testid="agent-command-orrery" />
                <CopyBox text={`prefect agent start -q ${shellWord(q.name!)}`} testid="agent-command-prefect" />
                <p class="muted help">Both need PREFECT_API_URL pointing at this server (see Settings).</p>
              </div>
            </div>
            <h2>Runs waiting</h2>
            <p class="muted">Scheduled and pending runs sent to this queue (by its name).</p>
            <FlowRunsList base={waitingFilter(q.name!)} testid="flow-runs-table" pageSize={25} defaultSort="EXPECTED_START_TIME_ASC" />
            {editing && (
              <WorkQueueDialog
                queue={q}
                onClose={() => setEditing(false)}
                onSaved={() => {
                  setEditing(false);
                  queue.reload();
                  status.reload();
                }}
              />
            )}
          </>
        )}
      </Loader>
    </div>
  );
}

export function WorkQueueEditPage(props: { id: string }) {
  return <WorkQueuePage id={props.id} edit />;
}
