// A deployment (/deployments/deployment/<id>): details, schedule in words
// with its switch, quick and custom runs, its runs (state filter in the
// URL), parameters and schema; delete.
import { api } from '../api/client';
import type { BlockDocument, Deployment, Flow } from '../api/types';
import { useApi } from '../lib/hooks';
import { query, setQuery, href, navigate } from '../lib/router';
import { STATE_TYPES, STATE_COLORS, stateLabel } from '../lib/states';
import { PageHeader } from '../components/Layout';
import { Loader } from '../components/Status';
import { Time } from '../components/Time';
import { JsonView } from '../components/JsonView';
import { FilterBar, ChipsFilter } from '../components/FilterBar';
import { FlowRunsList } from '../components/FlowRunsList';
import { confirm } from '../components/Dialog';
import { toast, toastError } from '../components/Toast';
import { ScheduleText, ScheduleToggle, quickRun, QueueLink, useQueueIds } from './deployments-common';
import { scheduleKind, scheduleSource } from './deployments-schedule';
import { BlockIcon } from './blocks-common';

export const STATE_CHIPS = [...STATE_TYPES.map((t) => ({ value: t, label: stateLabel(t), color: STATE_COLORS[t] })), { value: 'Late', label: 'Late', color: STATE_COLORS.SCHEDULED }];

/** A block document by name and type (anonymous ones, as deployments often use, by type). */
function BlockLink(props: { id: string }) {
  const doc = useApi(
    (signal) => api.get<BlockDocument>(`/block_documents/${props.id}`, { signal }).catch(() => null),
    [props.id],
  );
  const b = doc.data;
  if (!b) return <a class="mono" href={href(`/blocks/block/${props.id}`)}>{props.id}</a>;
  return (
    <span class="name-cell" title={props.id}>
      <BlockIcon type={b.block_type} small />
      <a href={href(`/blocks/block/${b.id}`)}>{b.is_anonymous ? `${b.block_type?.name} (anonymous)` : b.name}</a>
      {!b.is_anonymous && <span class="muted">{b.block_type?.name}</span>}
    </span>
  );
}

export function DeploymentPage(props: { id: string }) {
  const dep = useApi((signal) => api.get<Deployment>(`/deployments/${props.id}`, { signal }), [props.id]);
  const flow = useApi((signal) => (dep.data?.flow_id ? api.get<Flow>(`/flows/${dep.data.flow_id}`, { signal }) : Promise.resolve(undefined)), [dep.data?.flow_id]);
  const queueIds = useQueueIds();
  const tab = query.value.get('tab') || 'runs';

  const remove = async (d: Deployment) => {
    const ok = await confirm({
      title: 'Delete deployment',
      message: (
        <p>
          Delete <strong>{d.name}</strong>? Its flow runs are kept.
        </p>
      ),
      confirmLabel: 'Delete',
      danger: true,
    });
    if (!ok) return;
    try {
      await api.delete(`/deployments/${d.id}`);
      toast(`Deleted deployment ${d.name}`);
      navigate('/deployments');
    } catch (e) {
      toastError(e, 'Could not delete');
    }
  };

  return (
    <div data-testid="page-deployment">
      <Loader state={dep}>
        {(d) => (
          <>
            <PageHeader
              title={d.name}
              crumbs={[
                { label: 'Deployments', href: '/deployments' },
                ...(flow.data ? [{ label: flow.data.name!, href: `/flows/flow/${flow.data.id}` }] : []),
              ]}
              subtitle={d.description ? <span data-testid="deployment-description">{d.description}</span> : undefined}
              actions={
                <>
                  <button class="btn" onClick={async () => (await quickRun(d)) && setQuery({ tab: 'runs' })} data-testid="action-quick-run" title="Run now with the deployment's parameters">
                    Quick run
                  </button>
                  <a class="btn primary" href={href(`/deployments/deployment/${d.id}/run`)} data-testid="action-custom-run">
                    Custom run…
                  </a>
                  <button class="btn danger" onClick={() => remove(d)} data-testid="action-delete">
                    Delete
                  </button>
                </>
              }
            />
            <div class="grid cols-2">
              <div class="card" data-testid="deployment-details">
                <h2>Details</h2>
                <dl class="kv">
                  <dt>Flow</dt>
                  <dd>{flow.data ? <a href={href(`/flows/flow/${flow.data.id}`)}>{flow.data.name}</a> : '…'}</dd>
                  <dt>Work queue</dt>
                  <dd>{d.work_queue_name ? <QueueLink name={d.work_queue_name} ids={queueIds} /> : <span class="muted">none</span>}</dd>
                  <dt>Tags</dt>
                  <dd>{d.tags?.length ? d.tags.map((t) => <span class="tag" key={t}>{t}</span>) : <span class="muted">none</span>}</dd>
                  <dt>Version</dt>
                  <dd>{d.version || <span class="muted">—</span>}</dd>
                  <dt>Entrypoint</dt>
                  <dd class="mono">{d.entrypoint || <span class="muted">—</span>}</dd>
                  <dt>Path</dt>
                  <dd class="mono">{d.path || <span class="muted">—</span>}</dd>
                  <dt>Storage block</dt>
                  <dd>{d.storage_document_id ? <BlockLink id={d.storage_document_id} /> : <span class="muted">none (local)</span>}</dd>
                  <dt>Infrastructure block</dt>
                  <dd>{d.infrastructure_document_id ? <BlockLink id={d.infrastructure_document_id} /> : <span class="muted">none</span>}</dd>
                  <dt>Created</dt>
                  <dd>
                    <Time value={d.created} />
                  </dd>
                  <dt>Updated</dt>
                  <dd>
                    <Time value={d.updated} />
                  </dd>
                  <dt>ID</dt>
                  <dd class="mono">{d.id}</dd>
                </dl>
              </div>
              <div class="card" data-testid="deployment-schedule">
                <h2>
                  <span>Schedule</span>
                  <ScheduleToggle key={String(d.is_schedule_active)} dep={d} onDone={dep.reload} />
                </h2>
                {d.schedule ? (
                  <dl class="kv">
                    <dt>When</dt>
                    <dd>
                      <ScheduleText schedule={d.schedule} />
                    </dd>
                    <dt>{scheduleKind(d.schedule)}</dt>
                    <dd class="mono">{scheduleSource(d.schedule)}</dd>
                    <dt>Timezone</dt>
                    <dd>{d.schedule.timezone || 'UTC'}</dd>
                  </dl>
                ) : (
                  <p class="muted">No schedule: runs start only when asked (quick run, custom run, or the API).</p>
                )}
                {d.schedule && !d.is_schedule_active && <p class="banner warn">The schedule is paused: the scheduler creates no runs for it.</p>}
              </div>
            </div>
            <div class="tabs" role="tablist">
              {[
                ['runs', 'Runs'],
                ['parameters', 'Parameters'],
                ['schema', 'Parameter schema'],
                ['infra', 'Infrastructure overrides'],
              ].map(([k, label]) => (
                <button key={k} role="tab" class={'tab' + (tab === k ? ' on' : '')} aria-selected={tab === k} onClick={() => setQuery({ tab: k === 'runs' ? undefined : k })} data-testid={`tab-${k}`}>
                  {label}
                </button>
              ))}
            </div>
            {tab === 'runs' && (
              <>
                <FilterBar>
                  <ChipsFilter param="state" label="State" options={STATE_CHIPS} />
                </FilterBar>
                <FlowRunsList base={{ deployments: { id: { any_: [d.id!] } } }} testid="flow-runs-table" pageSize={25} />
              </>
            )}
            {tab === 'parameters' && <JsonView value={d.parameters ?? {}} testid="deployment-parameters" />}
            {tab === 'schema' && <JsonView value={d.parameter_openapi_schema ?? null} testid="deployment-schema" />}
            {tab === 'infra' && <JsonView value={d.infra_overrides ?? {}} testid="deployment-infra" />}
          </>
        )}
      </Loader>
    </div>
  );
}
