// /flow-runs/task-run/:id — one task run: state and history, inputs (with
// links to upstream task runs), cache key, details, logs.
import { api } from '../api/client';
import type { TaskRun, FlowRun, State } from '../api/types';
import { useApi } from '../lib/hooks';
import { query, setQuery, href } from '../lib/router';
import { TERMINAL, type StateType } from '../lib/states';
import { PageHeader } from '../components/Layout';
import { Loader, Empty, ErrorView } from '../components/Status';
import { StateBadge } from '../components/StateBadge';
import { Time, Duration } from '../components/Time';
import { JsonView } from '../components/JsonView';
import { LogsView } from '../components/LogsView';
import { StateHistory } from '../components/StateHistory';
import { runDuration } from '../components/FlowRunsList';

const TABS = [
  ['logs', 'Logs'],
  ['inputs', 'Inputs'],
  ['states', 'State history'],
  ['details', 'Details'],
] as const;

function Inputs(props: { run: TaskRun }) {
  const inputs = Object.entries(props.run.task_inputs ?? {});
  // Names of the upstream task runs, to show instead of their ids.
  const ids = [...new Set(inputs.flatMap(([, l]) => l.filter((i) => i.input_type === 'task_run' && i.id).map((i) => i.id!)))].sort();
  const ups = useApi(
    (signal) => (ids.length ? api.post<TaskRun[]>('/task_runs/filter', { task_runs: { id: { any_: ids } }, limit: 200 }, { signal }) : Promise.resolve([])),
    [ids.join()],
  );
  const names = new Map((ups.data ?? []).map((t) => [t.id!, t]));
  if (!inputs.length) return <Empty title="No inputs">This task run was called without arguments.</Empty>;
  return (
    <table class="data-table" data-testid="task-inputs">
      <thead>
        <tr>
          <th>Argument</th>
          <th>Comes from</th>
        </tr>
      </thead>
      <tbody>
        {inputs.map(([name, list]) => (
          <tr key={name} data-testid="task-input-row">
            <td class="mono">{name}</td>
            <td>
              {list.length === 0 && <span class="muted">a value (not another run's result)</span>}
              {list.map((i, n) => (
                <div key={n}>
                  {i.input_type === 'task_run' && i.id ? (
                    <>
                      result of task run <a href={href(`/flow-runs/task-run/${i.id}`)}>{names.get(i.id)?.name ?? i.id}</a>{' '}
                      {names.get(i.id) && <StateBadge type={names.get(i.id)!.state_type} name={names.get(i.id)!.state_name} small />}
                    </>
                  ) : i.input_type === 'parameter' ? (
                    <>
                      flow parameter <code>{i.name}</code>
                    </>
                  ) : (
                    <>
                      {i.input_type} {i.name ?? i.id}
                    </>
                  )}
                </div>
              ))}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function TaskRunPage(props: { id: string }) {
  const tab = (query.value.get('tab') ?? 'logs') as (typeof TABS)[number][0];
  const run = useApi((signal) => api.get<TaskRun>(`/task_runs/${props.id}`, { signal }), [props.id], 5000);
  const flowRun = useApi(
    (signal) => (run.data?.flow_run_id ? api.get<FlowRun>(`/flow_runs/${run.data.flow_run_id}`, { signal }) : Promise.resolve(undefined)),
    [run.data?.flow_run_id],
  );
  const states = useApi((signal) => api.get<State[]>('/task_run_states/', { signal, query: { task_run_id: props.id } }), [props.id, run.data?.state_id]);
  // A task run that called a subflow: link the subflow run.
  const subflow = useApi(
    (signal) => api.post<FlowRun[]>('/flow_runs/filter', { flow_runs: { parent_task_run_id: { any_: [props.id] } }, limit: 1 }, { signal }),
    [props.id],
  );

  if (!run.data) return <div data-testid="page-task-run">{run.error ? <ErrorView error={run.error} onRetry={run.reload} /> : <Loader state={run}>{() => null}</Loader>}</div>;
  const r = run.data;
  const live = !TERMINAL.includes(r.state_type as StateType);
  const fr = flowRun.data;
  return (
    <div data-testid="page-task-run">
      <PageHeader
        title={r.name}
        crumbs={[{ label: 'Flow Runs', href: '/flow-runs' }, ...(fr ? [{ label: fr.name!, href: `/flow-runs/flow-run/${fr.id}` }] : [])]}
        badge={<StateBadge type={r.state_type} name={r.state_name} />}
        subtitle={
          <>
            {fr && (
              <span>
                In flow run <a href={href(`/flow-runs/flow-run/${fr.id}`)}>{fr.name}</a>
              </span>
            )}
            <span>
              {r.start_time ? 'Started ' : 'Expected '}
              <Time value={r.start_time ?? r.expected_start_time} />
            </span>
            <span>
              Duration <Duration seconds={runDuration(r)} />
            </span>
            {r.cache_key && (
              <span>
                Cache key <code data-testid="cache-key">{r.cache_key}</code>
              </span>
            )}
          </>
        }
      />
      {(subflow.data ?? []).length > 0 && (
        <div class="banner info">
          This task run called the subflow run <a href={href(`/flow-runs/flow-run/${subflow.data![0].id}`)}>{subflow.data![0].name}</a>.
        </div>
      )}
      {r.state?.message && <div class={'banner ' + (r.state_type === 'FAILED' || r.state_type === 'CRASHED' ? 'bad' : 'info')}>{r.state.message}</div>}
      <div class="tabs" role="tablist">
        {TABS.map(([k, label]) => (
          <button key={k} role="tab" class={'tab' + (tab === k ? ' on' : '')} aria-selected={tab === k} onClick={() => setQuery({ tab: k === 'logs' ? undefined : k })} data-testid={`tab-${k}`}>
            {label}
          </button>
        ))}
      </div>
      <div class="card tab-body">
        {tab === 'logs' && <LogsView taskRunId={props.id} flowRunId={r.flow_run_id ?? undefined} live={live} />}
        {tab === 'inputs' && <Inputs run={r} />}
        {tab === 'states' && <Loader state={states}>{(s) => <StateHistory states={s} />}</Loader>}
        {tab === 'details' && (
          <dl class="kv" data-testid="run-details">
            <dt>ID</dt>
            <dd class="mono">{r.id}</dd>
            <dt>Task key</dt>
            <dd class="mono">{r.task_key}</dd>
            <dt>Dynamic key</dt>
            <dd class="mono">{r.dynamic_key}</dd>
            <dt>Cache key</dt>
            <dd class="mono">{r.cache_key ?? <span class="muted">—</span>}</dd>
            <dt>Cache expires</dt>
            <dd>
              <Time value={r.cache_expiration} />
            </dd>
            <dt>Version</dt>
            <dd>{r.task_version ?? <span class="muted">—</span>}</dd>
            <dt>Created</dt>
            <dd>
              <Time value={r.created} />
            </dd>
            <dt>Started</dt>
            <dd>
              <Time value={r.start_time} />
            </dd>
            <dt>Ended</dt>
            <dd>
              <Time value={r.end_time} />
            </dd>
            <dt>Run count</dt>
            <dd>{r.run_count}</dd>
            <dt>Retries</dt>
            <dd>
              {r.empirical_policy?.retries ?? 0}
              {r.empirical_policy?.retry_delay ? ` (delay ${JSON.stringify(r.empirical_policy.retry_delay)}s)` : ''}
            </dd>
            <dt>Tags</dt>
            <dd>{(r.tags ?? []).length ? (r.tags ?? []).map((t) => <span key={t} class="tag">{t}</span>) : <span class="muted">—</span>}</dd>
            <dt>Empirical policy</dt>
            <dd>
              <JsonView value={r.empirical_policy ?? {}} />
            </dd>
          </dl>
        )}
      </div>
    </div>
  );
}
