// Flows (/flows): every flow with its number of runs, its last run and its
// deployments; name search and paging live in the URL.
import { api } from '../api/client';
import type { Flow, FlowRun } from '../api/types';
import { useApi } from '../lib/hooks';
import { query, setQuery, href } from '../lib/router';
import { PageHeader } from '../components/Layout';
import { DataTable, Pagination, type Column } from '../components/DataTable';
import { FilterBar, TextFilter } from '../components/FilterBar';
import { ErrorView } from '../components/Status';
import { StateBadge } from '../components/StateBadge';
import { Time, Relative } from '../components/Time';

interface FlowStats {
  runs: number;
  last?: FlowRun;
  deployments: number;
}

/** Run count, last started run and deployment count of each flow on the page (a page holds at most 200). */
function useFlowStats(ids: string[]) {
  return useApi(
    async (signal) => {
      const out = new Map<string, FlowStats>();
      await Promise.all(
        ids.map(async (id) => {
          const scope = { flows: { id: { any_: [id] } } };
          const [runs, last, deployments] = await Promise.all([
            api.post<number>('/flow_runs/count', scope, { signal }),
            api.post<FlowRun[]>('/flow_runs/filter', { ...scope, flow_runs: { start_time: { is_null_: false } }, sort: 'START_TIME_DESC', limit: 1 }, { signal }),
            api.post<number>('/deployments/count', scope, { signal }),
          ]);
          out.set(id, { runs, last: last[0], deployments });
        }),
      );
      return out;
    },
    [ids.join()],
    60000,
  );
}

function LastRun(props: { r?: FlowRun }) {
  const r = props.r;
  if (!r) return <span class="muted">no run has started</span>;
  return (
    <span class="name-cell">
      <StateBadge type={r.state_type} name={r.state_name} small />
      <a href={href(`/flow-runs/flow-run/${r.id}`)}>{r.name}</a>
      <span class="muted">
        <Relative value={r.start_time} />
      </span>
    </span>
  );
}

export function FlowsPage() {
  const q = query.value;
  const name = q.get('name') ?? '';
  const offset = Math.max(0, Number(q.get('offset') ?? 0) || 0);
  const limit = Math.min(200, Math.max(1, Number(q.get('limit') ?? 50) || 50));
  const filter = name ? { flows: { name: { like_: name } } } : {};
  const key = JSON.stringify(filter);
  const flows = useApi((signal) => api.post<Flow[]>('/flows/filter', { ...filter, sort: 'NAME_ASC', offset, limit }, { signal }), [key, offset, limit], 20000);
  const count = useApi((signal) => api.post<number>('/flows/count', filter, { signal }), [key], 20000);
  const stats = useFlowStats((flows.data ?? []).map((f) => f.id!));
  const st = (id: string) => stats.data?.get(id);
  const dots = <span class="muted">…</span>;
  const columns: Column<Flow>[] = [
    {
      key: 'name',
      header: 'Flow',
      render: (f) => (
        <a href={href(`/flows/flow/${f.id}`)} data-testid="flow-link">
          <strong>{f.name}</strong>
        </a>
      ),
    },
    {
      key: 'runs',
      header: 'Runs',
      render: (f) =>
        st(f.id!) ? (
          <a href={href(`/flows/flow/${f.id}`)} class="num" data-testid="flow-run-count">
            {new Intl.NumberFormat().format(st(f.id!)!.runs)}
          </a>
        ) : (
          dots
        ),
      align: 'right',
      width: '6rem',
    },
    { key: 'last', header: 'Last run', render: (f) => (st(f.id!) ? <LastRun r={st(f.id!)!.last} /> : dots) },
    {
      key: 'deployments',
      header: 'Deployments',
      render: (f) => {
        const n = st(f.id!)?.deployments;
        if (n === undefined) return dots;
        return n ? <a href={href(`/flows/flow/${f.id}?tab=deployments`)}>{n}</a> : <span class="muted">0</span>;
      },
      align: 'right',
      width: '8rem',
    },
    { key: 'tags', header: 'Tags', render: (f) => (f.tags ?? []).map((t) => <span class="tag" key={t}>{t}</span>) },
    { key: 'created', header: 'Created', render: (f) => <Time value={f.created} seconds={false} /> },
  ];
  return (
    <div data-testid="page-flows">
      <PageHeader title="Flows" subtitle={count.data !== undefined ? <span data-testid="flows-count">{count.data} flows</span> : undefined} />
      <FilterBar onClear={name ? () => setQuery({ name: undefined, offset: undefined }) : undefined}>
        <TextFilter param="name" label="Name" placeholder="Search flows" />
      </FilterBar>
      {flows.error && !flows.data ? (
        <ErrorView error={flows.error} onRetry={flows.reload} />
      ) : (
        <>
          <DataTable
            testid="flows-table"
            columns={columns}
            rows={flows.data ?? []}
            rowKey={(f) => f.id!}
            loading={flows.loading}
            empty={flows.loading ? 'Loading…' : name ? 'No flow matches this name.' : 'No flows yet: a flow appears here when it first runs against this server.'}
          />
          <Pagination offset={offset} limit={limit} total={count.data} onChange={(o, l) => setQuery({ offset: o || undefined, limit: l === 50 ? undefined : l })} />
        </>
      )}
    </div>
  );
}
