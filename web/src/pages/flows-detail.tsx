// A flow (/flows/flow/<id>): details, its runs (state filter in the URL),
// its deployments; delete.
import { api } from '../api/client';
import type { Deployment, Flow } from '../api/types';
import { useApi } from '../lib/hooks';
import { query, setQuery, href, navigate } from '../lib/router';
import { PageHeader } from '../components/Layout';
import { Loader } from '../components/Status';
import { Time } from '../components/Time';
import { DataTable, type Column } from '../components/DataTable';
import { FilterBar, ChipsFilter } from '../components/FilterBar';
import { FlowRunsList } from '../components/FlowRunsList';
import { confirm } from '../components/Dialog';
import { toast, toastError } from '../components/Toast';
import { ScheduleText, ScheduleToggle, QueueLink, useQueueIds } from './deployments-common';
import { STATE_CHIPS } from './deployments-detail';

export function FlowPage(props: { id: string }) {
  const flow = useApi((signal) => api.get<Flow>(`/flows/${props.id}`, { signal }), [props.id]);
  const scope = { flows: { id: { any_: [props.id] } } };
  const deps = useApi((signal) => api.post<Deployment[]>('/deployments/filter', { ...scope, sort: 'NAME_ASC', limit: 200 }, { signal }), [props.id]);
  const runCount = useApi((signal) => api.post<number>('/flow_runs/count', scope, { signal }), [props.id], 10000);
  const queueIds = useQueueIds();
  const tab = query.value.get('tab') || 'runs';

  const remove = async (f: Flow) => {
    const ok = await confirm({
      title: 'Delete flow',
      message: (
        <p>
          Delete <strong>{f.name}</strong> with its {deps.data?.length ?? 0} deployment(s) and {runCount.data ?? 'all'} flow run(s)? This cannot be undone.
        </p>
      ),
      confirmLabel: 'Delete',
      danger: true,
    });
    if (!ok) return;
    try {
      await api.delete(`/flows/${f.id}`);
      toast(`Deleted flow ${f.name}`);
      navigate('/flows');
    } catch (e) {
      toastError(e, 'Could not delete');
    }
  };

  const depColumns: Column<Deployment>[] = [
    {
      key: 'name',
      header: 'Deployment',
      render: (d) => (
        <a href={href(`/deployments/deployment/${d.id}`)} data-testid="deployment-link">
          <strong>{d.name}</strong>
        </a>
      ),
    },
    { key: 'schedule', header: 'Schedule', render: (d) => <ScheduleText schedule={d.schedule} /> },
    { key: 'active', header: 'Schedule active', render: (d) => <ScheduleToggle key={d.id + String(d.is_schedule_active)} dep={d} onDone={deps.reload} /> },
    { key: 'queue', header: 'Work queue', render: (d) => (d.work_queue_name ? <QueueLink name={d.work_queue_name} ids={queueIds} /> : <span class="muted">—</span>) },
    { key: 'tags', header: 'Tags', render: (d) => (d.tags ?? []).map((t) => <span class="tag" key={t}>{t}</span>) },
  ];

  return (
    <div data-testid="page-flow">
      <Loader state={flow}>
        {(f) => (
          <>
            <PageHeader
              title={f.name}
              crumbs={[{ label: 'Flows', href: '/flows' }]}
              actions={
                <button class="btn danger" onClick={() => remove(f)} data-testid="action-delete">
                  Delete
                </button>
              }
            />
            <div class="card" data-testid="flow-details">
              <dl class="kv">
                <dt>Runs</dt>
                <dd class="num">{runCount.data ?? '…'}</dd>
                <dt>Deployments</dt>
                <dd class="num">{deps.data?.length ?? '…'}</dd>
                <dt>Tags</dt>
                <dd>{f.tags?.length ? f.tags.map((t) => <span class="tag" key={t}>{t}</span>) : <span class="muted">none</span>}</dd>
                <dt>Created</dt>
                <dd>
                  <Time value={f.created} />
                </dd>
                <dt>ID</dt>
                <dd class="mono">{f.id}</dd>
              </dl>
            </div>
            <div class="tabs" role="tablist">
              <button role="tab" class={'tab' + (tab === 'runs' ? ' on' : '')} aria-selected={tab === 'runs'} onClick={() => setQuery({ tab: undefined })} data-testid="tab-runs">
                Runs <span class="count">{runCount.data ?? '…'}</span>
              </button>
              <button
                role="tab"
                class={'tab' + (tab === 'deployments' ? ' on' : '')}
                aria-selected={tab === 'deployments'}
                onClick={() => setQuery({ tab: 'deployments', state: undefined, offset: undefined })}
                data-testid="tab-deployments"
              >
                Deployments <span class="count">{deps.data?.length ?? '…'}</span>
              </button>
            </div>
            {tab === 'runs' && (
              <>
                <FilterBar onClear={query.value.getAll('state').length ? () => setQuery({ state: undefined, offset: undefined }) : undefined}>
                  <ChipsFilter param="state" label="State" options={STATE_CHIPS} />
                </FilterBar>
                <FlowRunsList base={scope} testid="flow-runs-table" pageSize={25} />
              </>
            )}
            {tab === 'deployments' && (
              <DataTable testid="deployments-table" columns={depColumns} rows={deps.data ?? []} rowKey={(d) => d.id!} loading={deps.loading} empty="This flow has no deployments." />
            )}
          </>
        )}
      </Loader>
    </div>
  );
}
