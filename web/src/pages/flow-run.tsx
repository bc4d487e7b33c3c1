// /flow-runs/flow-run/:id — one flow run: state and history, task-run
// timeline and dependency graph (canvas), task runs (windowed), subflow
// runs, parameters, logs (level, search, download), and cancel / retry /
// resume / set state / delete.
import { useMemo, useState } from 'preact/hooks';
import { api } from '../api/client';
import type { FlowRun, Flow, Deployment, State, TaskRun } from '../api/types';
import { useApi } from '../lib/hooks';
import { query, setQuery, href, navigate } from '../lib/router';
import type { GraphNode } from '../lib/graph';
import { TERMINAL, STATE_TYPES, STATE_COLORS, stateLabel, type StateType } from '../lib/states';
import { cancelFlowRun, retryFlowRun, resumeFlowRun, deleteFlowRun, setFlowRunState, describeResult } from '../lib/actions';
import { PageHeader } from '../components/Layout';
import { Loader, Empty, ErrorView } from '../components/Status';
import { StateBadge } from '../components/StateBadge';
import { Time, Duration } from '../components/Time';
import { JsonView } from '../components/JsonView';
import { VirtualList } from '../components/VirtualList';
import { TaskTimeline } from '../components/TaskTimeline';
import { TaskGraph } from '../components/TaskGraph';
import { LogsView } from '../components/LogsView';
import { StateHistory } from '../components/StateHistory';
import { FlowRunsList, SetStateDialog, runDuration } from '../components/FlowRunsList';
import { confirm } from '../components/Dialog';
import { toast, toastError } from '../components/Toast';

const TABS = [
  ['logs', 'Logs'],
  ['timeline', 'Timeline'],
  ['graph', 'Graph'],
  ['task-runs', 'Task runs'],
  ['subflows', 'Subflow runs'],
  ['parameters', 'Parameters'],
  ['states', 'State history'],
  ['details', 'Details'],
] as const;

/** The task-runs table: client-side filter over the graph's nodes, windowed. */
function TaskRunsTable(props: { nodes: GraphNode[] }) {
  const [text, setText] = useState('');
  const [state, setState] = useState('');
  const rows = useMemo(() => {
    const t = text.toLowerCase();
    return props.nodes.filter((n) => (!t || n.name.toLowerCase().includes(t)) && (!state || n.state?.type === state));
  }, [props.nodes, text, state]);
  const cols = 'minmax(0, 2fr) 9rem 13rem 6rem 5rem';
  return (
    <div>
      <div class="logs-tools">
        <label class="filter grow">
          <span>Name contains</span>
          <input type="search" value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} data-testid="filter-task-name" />
        </label>
        <label class="filter">
          <span>State</span>
          <select value={state} onChange={(e) => setState((e.target as HTMLSelectElement).value)} data-testid="filter-task-state">
            <option value="">All states</option>
            {STATE_TYPES.map((t) => (
              <option key={t} value={t}>
                {stateLabel(t)}
              </option>
            ))}
          </select>
        </label>
        <span class="muted">
          {rows.length.toLocaleString()} of {props.nodes.length.toLocaleString()}
        </span>
      </div>
      {rows.length === 0 ? (
        <Empty title={props.nodes.length ? 'No task runs match' : 'No task runs'} />
      ) : (
        <VirtualList
          items={rows}
          rowHeight={36}
          height={520}
          testid="task-runs-table"
          header={
            <div class="vrow vhead" style={{ gridTemplateColumns: cols, height: '32px' }}>
              <span>Task run</span>
              <span>State</span>
              <span>Start</span>
              <span class="right">Duration</span>
              <span class="right">Upstream</span>
            </div>
          }
          render={(n) => (
            <div key={n.id} class="vrow" style={{ gridTemplateColumns: cols, height: '36px' }} data-testid="task-runs-table-row" data-id={n.id}>
              <a href={href(`/flow-runs/task-run/${n.id}`)}>{n.name}</a>
              <span>
                <StateBadge type={n.state?.type} name={n.state?.name} small />
              </span>
              <span class="small-text">
                <Time value={n.start_time ?? n.expected_start_time} />
              </span>
              <span class="right num">
                <Duration seconds={n.state?.type === 'RUNNING' ? n.estimated_run_time : n.total_run_time} />
              </span>
              <span class="right num">{n.upstream_dependencies.length}</span>
            </div>
          )}
        />
      )}
    </div>
  );
}

function Subflows(props: { id: string }) {
  // The subflows' parent task runs are the run's task runs that have a
  // subflow run; then their flow runs, by parent task run id.
  const parents = useApi(
    (signal) =>
      api.post<TaskRun[]>('/task_runs/filter', { flow_runs: { id: { any_: [props.id] } }, task_runs: { subflow_runs: { exists_: true } }, limit: 200 }, { signal }),
    [props.id],
  );
  return (
    <Loader state={parents}>
      {(ps) =>
        ps.length ? (
          <FlowRunsList base={{ flow_runs: { parent_task_run_id: { any_: ps.map((p) => p.id!) } } }} testid="subflow-runs-table" pollMs={0} />
        ) : (
          <Empty title="No subflow runs">Flows called from this flow run appear here.</Empty>
        )
      }
    </Loader>
  );
}

function Details(props: { run: FlowRun; flow?: Flow; deployment?: Deployment }) {
  const r = props.run;
  const row = (k: string, v: preact.ComponentChildren) => (
    <>
      <dt>{k}</dt>
      <dd>{v ?? <span class="muted">—</span>}</dd>
    </>
  );
  return (
    <dl class="kv" data-testid="run-details">
      {row('ID', <span class="mono">{r.id}</span>)}
      {row('Flow', props.flow ? <a href={href(`/flows/flow/${r.flow_id}`)}>{props.flow.name}</a> : r.flow_id)}
      {row('Deployment', r.deployment_id ? <a href={href(`/deployments/deployment/${r.deployment_id}`)}>{props.deployment?.name ?? r.deployment_id}</a> : null)}
      {row('Work queue', r.work_queue_name ? <a href={href(`/work-queues`)}>{r.work_queue_name}</a> : null)}
      {row('Flow version', r.flow_version)}
      {row('Created', <Time value={r.created} />)}
      {row('Expected start', <Time value={r.expected_start_time} />)}
      {row('Started', <Time value={r.start_time} />)}
      {row('Ended', <Time value={r.end_time} />)}
      {row('Run time', <Duration seconds={runDuration(r)} />)}
      {row('Run count', r.run_count)}
      {row('Retries', r.empirical_policy ? `${r.empirical_policy.retries ?? 0} (delay ${r.empirical_policy.retry_delay ?? 0}s)` : null)}
      {row('Parent task run', r.parent_task_run_id ? <a href={href(`/flow-runs/task-run/${r.parent_task_run_id}`)}>{r.parent_task_run_id}</a> : null)}
      {row('Idempotency key', r.idempotency_key ? <span class="mono">{r.idempotency_key}</span> : null)}
      {row('Infrastructure PID', r.infrastructure_pid)}
      {row('Auto-scheduled', r.auto_scheduled ? 'yes' : 'no')}
      {row('Tags', (r.tags ?? []).length ? (r.tags ?? []).map((t) => <span key={t} class="tag">{t}</span>) : null)}
    </dl>
  );
}

export function FlowRunPage(props: { id: string }) {
  const tab = (query.value.get('tab') ?? 'logs') as (typeof TABS)[number][0];
  const run = useApi((signal) => api.get<FlowRun>(`/flow_runs/${props.id}`, { signal }), [props.id], 5000);
  const live = !!run.data && !TERMINAL.includes(run.data.state_type as StateType);
  // The whole task graph in one answer; while the run is live it is
  // fetched again, less often when it is big.
  const [bigGraph, setBigGraph] = useState(false);
  const graph = useApi(
    (signal) =>
      api.get<GraphNode[]>(`/flow_runs/${props.id}/graph`, { signal }).then((g) => {
        setBigGraph(g.length > 1000);
        return g;
      }),
    [props.id],
    live ? (bigGraph ? 30000 : 5000) : 0,
  );
  const states = useApi((signal) => api.get<State[]>('/flow_run_states/', { signal, query: { flow_run_id: props.id } }), [props.id, run.data?.state_id]);
  const flow = useApi((signal) => (run.data?.flow_id ? api.get<Flow>(`/flows/${run.data.flow_id}`, { signal }) : Promise.resolve(undefined)), [run.data?.flow_id]);
  const dep = useApi(
    (signal) => (run.data?.deployment_id ? api.get<Deployment>(`/deployments/${run.data.deployment_id}`, { signal }) : Promise.resolve(undefined)),
    [run.data?.deployment_id],
  );
  const [setting, setSetting] = useState(false);
  const taskNames = useMemo(() => new Map((graph.data ?? []).map((n) => [n.id, n.name])), [graph.data]);

  if (!run.data) return <div data-testid="page-flow-run">{run.error ? <ErrorView error={run.error} onRetry={run.reload} /> : <Loader state={run}>{() => null}</Loader>}</div>;
  const r = run.data;
  const type = r.state_type as StateType;

  const act = async (label: string, fn: () => Promise<unknown>) => {
    try {
      const res = await fn();
      const bad = describeResult(res as never);
      if (bad) toast(`${label}: the server answered ${bad}`, 'error');
      else toast(label);
    } catch (e) {
      toastError(e, label);
    }
    run.reload();
    states.reload();
  };

  const counts = STATE_TYPES.map((t) => [t, (graph.data ?? []).filter((n) => n.state?.type === t).length] as const).filter(([, n]) => n > 0);

  return (
    <div data-testid="page-flow-run">
      <PageHeader
        title={r.name}
        crumbs={[
          { label: 'Flow Runs', href: '/flow-runs' },
          ...(flow.data ? [{ label: flow.data.name!, href: `/flows/flow/${r.flow_id}` }] : []),
        ]}
        badge={<StateBadge type={r.state_type} name={r.state_name} />}
        subtitle={
          <>
            {dep.data && (
              <span>
                Deployment <a href={href(`/deployments/deployment/${r.deployment_id}`)}>{dep.data.name}</a>
              </span>
            )}
            <span>
              {r.start_time ? 'Started ' : 'Expected '}
              <Time value={r.start_time ?? r.expected_start_time} />
            </span>
            <span>
              Duration <Duration seconds={runDuration(r)} />
            </span>
            {(r.tags ?? []).length > 0 && (
              <span>
                {(r.tags ?? []).map((t) => (
                  <span key={t} class="tag">
                    {t}
                  </span>
                ))}
              </span>
            )}
          </>
        }
        actions={
          <>
            {type === 'PAUSED' && (
              <button class="btn primary" data-testid="action-resume" onClick={() => act('Resumed', () => resumeFlowRun(r.id!))}>
                Resume
              </button>
            )}
            {!TERMINAL.includes(type) && (
              <button
                class="btn"
                data-testid="action-cancel"
                onClick={async () => {
                  if (await confirm({ title: 'Cancel this run', message: `Cancel “${r.name}”? A running flow stops at its next state change.`, confirmLabel: 'Cancel run', danger: true }))
                    act('Cancelled', () => cancelFlowRun(r.id!));
                }}
              >
                Cancel
              </button>
            )}
            {TERMINAL.includes(type) && (
              <button
                class="btn"
                data-testid="action-retry"
                title={r.deployment_id ? 'Schedule this run again now; an agent picks it up' : 'Only runs of a deployment are picked up by an agent'}
                onClick={async () => {
                  if (await confirm({ title: 'Retry this run', message: `Schedule “${r.name}” to run again now? ${r.deployment_id ? 'An agent polling its work queue will start it.' : 'It has no deployment, so no agent will pick it up.'}`, confirmLabel: 'Retry' }))
                    act('Scheduled for a retry', () => retryFlowRun(r.id!));
                }}
              >
                Retry
              </button>
            )}
            <button class="btn" data-testid="action-set-state" onClick={() => setSetting(true)}>
              Set state…
            </button>
            <button
              class="btn danger"
              data-testid="action-delete"
              onClick={async () => {
                if (await confirm({ title: 'Delete this run', message: `Delete “${r.name}” with its task runs and logs? This cannot be undone.`, confirmLabel: 'Delete', danger: true })) {
                  try {
                    await deleteFlowRun(r.id!);
                    toast('Flow run deleted');
                    navigate('/flow-runs');
                  } catch (e) {
                    toastError(e, 'Delete failed');
                  }
                }
              }}
            >
              Delete
            </button>
          </>
        }
      />
      {r.state?.message && (
        <div class={'banner ' + (type === 'FAILED' || type === 'CRASHED' ? 'bad' : 'info')} data-testid="state-message">
          <span class="pre-wrap">{r.state.message}</span>
        </div>
      )}
      {counts.length > 0 && (
        <div class="task-counts" data-testid="task-state-counts">
          <span class="muted">{(graph.data ?? []).length.toLocaleString()} task runs:</span>
          {counts.map(([t, n]) => (
            <span key={t} class="task-count">
              <i style={{ background: STATE_COLORS[t] }} />
              {n.toLocaleString()} {stateLabel(t).toLowerCase()}
            </span>
          ))}
        </div>
      )}
      <div class="tabs" role="tablist">
        {TABS.map(([k, label]) => (
          <button key={k} role="tab" class={'tab' + (tab === k ? ' on' : '')} aria-selected={tab === k} onClick={() => setQuery({ tab: k === 'logs' ? undefined : k })} data-testid={`tab-${k}`}>
            {label}
            {k === 'task-runs' && graph.data && <span class="count">{graph.data.length.toLocaleString()}</span>}
          </button>
        ))}
      </div>
      <div class="card tab-body">
        {tab === 'logs' && <LogsView flowRunId={props.id} taskNames={taskNames} downloadable live={live} />}
        {tab === 'timeline' && <Loader state={graph}>{(g) => <TaskTimeline nodes={g} />}</Loader>}
        {tab === 'graph' && <Loader state={graph}>{(g) => <TaskGraph nodes={g} />}</Loader>}
        {tab === 'task-runs' && <Loader state={graph}>{(g) => <TaskRunsTable nodes={g} />}</Loader>}
        {tab === 'subflows' && <Subflows id={props.id} />}
        {tab === 'parameters' && <JsonView value={r.parameters ?? {}} testid="parameters" />}
        {tab === 'states' && <Loader state={states}>{(s) => <StateHistory states={s} />}</Loader>}
        {tab === 'details' && <Details run={r} flow={flow.data} deployment={dep.data} />}
      </div>
      {setting && (
        <SetStateDialog
          count={1}
          onClose={() => setSetting(false)}
          onSet={(t, name, message) => {
            setSetting(false);
            act(`State set to ${name || stateLabel(t)}`, () => setFlowRunState(r.id!, t, { name: name || stateLabel(t), message: message || undefined, force: true }));
          }}
        />
      )}
    </div>
  );
}
