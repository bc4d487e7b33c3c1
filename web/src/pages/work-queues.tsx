// Work queues (/work-queues): each queue with its state, limit, priority,
// last poll and the runs waiting in it; create.
import { useState } from 'preact/hooks';
import { api } from '../api/client';
import type { WorkQueue } from '../api/types';
import { useApi } from '../lib/hooks';
import { query, setQuery, href, navigate } from '../lib/router';
import { PageHeader } from '../components/Layout';
import { DataTable, type Column } from '../components/DataTable';
import { FilterBar, TextFilter } from '../components/FilterBar';
import { ErrorView } from '../components/Status';
import { Relative } from '../components/Time';
import { WorkQueueDialog } from './work-queues-form';
import type { FlowRunsFilterBody } from '../lib/runs';

/** The runs an agent polling the queue would pick up or has claimed: SCHEDULED or PENDING with this work_queue_name. */
export function waitingFilter(name: string): FlowRunsFilterBody {
  return { flow_runs: { work_queue_name: { any_: [name] }, state: { type: { any_: ['SCHEDULED', 'PENDING'] } } } };
}

export function PausedBadge(props: { paused: boolean }) {
  return props.paused ? (
    <span class="state-badge small" style={{ '--state': '#b7791f' }} data-testid="queue-paused">
      <span class="dot" />
      Paused
    </span>
  ) : (
    <span class="state-badge small" style={{ '--state': '#2f855a' }} data-testid="queue-active">
      <span class="dot" />
      Active
    </span>
  );
}

/** /work-queues, and /work-queues/new (2.7's create page) with the create dialog open. */
export function WorkQueuesPage(props: { create?: boolean }) {
  const name = query.value.get('name') ?? '';
  const [creating, setCreatingState] = useState(!!props.create);
  const setCreating = (v: boolean) => {
    setCreatingState(v);
    if (!v && props.create) navigate('/work-queues', { replace: true });
  };
  const queues = useApi((signal) => api.post<WorkQueue[]>('/work_queues/filter', { limit: 200 }, { signal }), [], 10000);
  const rows = (queues.data ?? []).filter((q) => !name || q.name!.toLowerCase().includes(name.toLowerCase())).sort((a, b) => (a.priority ?? 0) - (b.priority ?? 0) || a.name!.localeCompare(b.name!));
  const waiting = useApi(
    async (signal) => {
      const m = new Map<string, number>();
      await Promise.all(rows.map(async (q) => m.set(q.id!, await api.post<number>('/flow_runs/count', waitingFilter(q.name!), { signal }))));
      return m;
    },
    [rows.map((q) => q.id).join()],
    10000,
  );
  const columns: Column<WorkQueue>[] = [
    {
      key: 'name',
      header: 'Name',
      render: (q) => (
        <div>
          <a href={href(`/work-queues/work-queue/${q.id}`)} data-testid="work-queue-link">
            <strong>{q.name}</strong>
          </a>
          {q.description && <div class="muted">{q.description}</div>}
        </div>
      ),
    },
    { key: 'status', header: 'Status', render: (q) => <PausedBadge paused={!!q.is_paused} /> },
    { key: 'limit', header: 'Concurrency limit', render: (q) => (q.concurrency_limit == null ? <span class="muted">none</span> : q.concurrency_limit), align: 'right' },
    { key: 'priority', header: 'Priority', render: (q) => q.priority, align: 'right' },
    {
      key: 'waiting',
      header: 'Runs waiting',
      render: (q) => {
        const n = waiting.data?.get(q.id!);
        return n === undefined ? <span class="muted">…</span> : <a href={href(`/work-queues/work-queue/${q.id}`)}>{n}</a>;
      },
      align: 'right',
    },
    { key: 'polled', header: 'Last polled', render: (q) => (q.last_polled ? <Relative value={q.last_polled} /> : <span class="muted">never</span>) },
  ];
  return (
    <div data-testid="page-work-queues">
      <PageHeader
        title="Work Queues"
        subtitle={<span>Agents poll a queue for the flow runs of the deployments that name it.</span>}
        actions={
          <button class="btn primary" onClick={() => setCreating(true)} data-testid="action-create">
            + Work queue
          </button>
        }
      />
      <FilterBar onClear={name ? () => setQuery({ name: undefined }) : undefined}>
        <TextFilter param="name" label="Name" placeholder="Search queues" />
      </FilterBar>
      {queues.error && !queues.data ? (
        <ErrorView error={queues.error} onRetry={queues.reload} />
      ) : (
        <DataTable
          testid="work-queues-table"
          columns={columns}
          rows={rows}
          rowKey={(q) => q.id!}
          loading={queues.loading}
          empty={queues.loading ? 'Loading…' : name ? 'No queue matches this name.' : 'No work queues yet.'}
        />
      )}
      {creating && (
        <WorkQueueDialog
          onClose={() => setCreating(false)}
          onSaved={(q) => {
            setCreating(false);
            if (q) navigate(`/work-queues/work-queue/${q.id}`);
            else queues.reload();
          }}
        />
      )}
    </div>
  );
}

export function WorkQueueNewPage() {
  return <WorkQueuesPage create />;
}
