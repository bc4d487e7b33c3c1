// Deployments (/deployments): every deployment with its flow, schedule in
// words, the schedule switch, tags and work queue; name search and paging
// live in the URL.
import { useMemo } from 'preact/hooks';
import { api } from '../api/client';
import type { Deployment, Flow } from '../api/types';
import { useApi } from '../lib/hooks';
import { query, setQuery, href } from '../lib/router';
import { PageHeader } from '../components/Layout';
import { DataTable, Pagination, type Column } from '../components/DataTable';
import { FilterBar, TextFilter, SelectFilter } from '../components/FilterBar';
import { ErrorView } from '../components/Status';
import { Time } from '../components/Time';
import { ScheduleText, ScheduleToggle, QueueLink, useQueueIds } from './deployments-common';

export function DeploymentsPage() {
  const q = query.value;
  const name = q.get('name') ?? '';
  const active = q.get('active') ?? '';
  const offset = Math.max(0, Number(q.get('offset') ?? 0) || 0);
  const limit = Math.min(200, Math.max(1, Number(q.get('limit') ?? 50) || 50));
  const filter: Record<string, unknown> = {};
  const df: Record<string, unknown> = {};
  if (name) df.name = { like_: name };
  if (active) df.is_schedule_active = { eq_: active === 'active' };
  if (Object.keys(df).length) filter.deployments = df;
  const key = JSON.stringify(filter);
  const deps = useApi((signal) => api.post<Deployment[]>('/deployments/filter', { ...filter, sort: 'NAME_ASC', offset, limit }, { signal }), [key, offset, limit], 15000);
  const count = useApi((signal) => api.post<number>('/deployments/count', filter, { signal }), [key], 15000);
  const flowIds = [...new Set((deps.data ?? []).map((d) => d.flow_id!).filter(Boolean))].sort();
  const flows = useApi(
    (signal) => (flowIds.length ? api.post<Flow[]>('/flows/filter', { flows: { id: { any_: flowIds } }, limit: 200 }, { signal }) : Promise.resolve([])),
    [flowIds.join()],
  );
  const queueIds = useQueueIds();
  const flowName = useMemo(() => new Map((flows.data ?? []).map((f) => [f.id!, f.name!])), [flows.data]);

  const columns: Column<Deployment>[] = [
    {
      key: 'name',
      header: 'Deployment',
      render: (d) => (
        <div>
          <a href={href(`/deployments/deployment/${d.id}`)} data-testid="deployment-link">
            <strong>{d.name}</strong>
          </a>
          <div class="muted">
            <a class="muted" href={href(`/flows/flow/${d.flow_id}`)}>
              {flowName.get(d.flow_id!) ?? '…'}
            </a>
          </div>
        </div>
      ),
    },
    { key: 'schedule', header: 'Schedule', render: (d) => <ScheduleText schedule={d.schedule} /> },
    { key: 'active', header: 'Schedule active', render: (d) => <ScheduleToggle key={d.id + String(d.is_schedule_active)} dep={d} onDone={deps.reload} />, width: '9rem' },
    { key: 'tags', header: 'Tags', render: (d) => (d.tags ?? []).map((t) => <span class="tag" key={t}>{t}</span>) },
    {
      key: 'queue',
      header: 'Work queue',
      render: (d) => (d.work_queue_name ? <QueueLink name={d.work_queue_name} ids={queueIds} /> : <span class="muted">—</span>),
    },
    { key: 'updated', header: 'Updated', render: (d) => <Time value={d.updated} seconds={false} /> },
  ];

  return (
    <div data-testid="page-deployments">
      <PageHeader title="Deployments" subtitle={count.data !== undefined ? <span data-testid="deployments-count">{count.data} deployments</span> : undefined} />
      <FilterBar onClear={name || active ? () => setQuery({ name: undefined, active: undefined, offset: undefined }) : undefined}>
        <TextFilter param="name" label="Name" placeholder="Search deployments" />
        <SelectFilter
          param="active"
          label="Schedule"
          anyLabel="Any"
          options={[
            { value: 'active', label: 'Active' },
            { value: 'paused', label: 'Paused' },
          ]}
        />
      </FilterBar>
      {deps.error && !deps.data ? (
        <ErrorView error={deps.error} onRetry={deps.reload} />
      ) : (
        <>
          <DataTable
            testid="deployments-table"
            columns={columns}
            rows={deps.data ?? []}
            rowKey={(d) => d.id!}
            loading={deps.loading}
            empty={deps.loading ? 'Loading…' : name || active ? 'No deployment matches these filters.' : 'No deployments yet. Create one with `prefect deployment build … --apply`.'}
          />
          <Pagination offset={offset} limit={limit} total={count.data} onChange={(o, l) => setQuery({ offset: o || undefined, limit: l === 50 ? undefined : l })} />
        </>
      )}
    </div>
  );
}

