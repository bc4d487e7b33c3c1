// A server-paginated flow-run table with optional row selection and bulk
// actions. The flow-runs page passes the URL's filters; detail pages
// (a flow's or a deployment's runs) pass their scope as `base`.
import { useState, useMemo } from 'preact/hooks';
import { api } from '../api/client';
import type { FlowRun, Flow, Deployment } from '../api/types';
import { useApi } from '../lib/hooks';
import { query, setQuery, href } from '../lib/router';
import { flowRunFilter, type FlowRunsFilterBody, type FlowRunSort } from '../lib/runs';
import { cancelFlowRun, deleteFlowRun, forEachRun, setFlowRunState } from '../lib/actions';
import { STATE_TYPES, stateLabel, type StateType } from '../lib/states';
import { DataTable, Pagination, type Column } from './DataTable';
import { StateBadge } from './StateBadge';
import { Time, Duration } from './Time';
import { zoneLabel } from '../lib/time';
import { ErrorView } from './Status';
import { confirm, Dialog } from './Dialog';
import { toast } from './Toast';

/** Names of the flows and deployments a page of runs refers to. */
function useNames(runs: FlowRun[] | undefined) {
  const flowIds = [...new Set((runs ?? []).map((r) => r.flow_id).filter(Boolean) as string[])].sort();
  const depIds = [...new Set((runs ?? []).map((r) => r.deployment_id).filter(Boolean) as string[])].sort();
  const flows = useApi(
    (signal) => (flowIds.length ? api.post<Flow[]>('/flows/filter', { flows: { id: { any_: flowIds } }, limit: 200 }, { signal }) : Promise.resolve([])),
    [flowIds.join()],
  );
  const deps = useApi(
    (signal) =>
      depIds.length ? api.post<Deployment[]>('/deployments/filter', { deployments: { id: { any_: depIds } }, limit: 200 }, { signal }) : Promise.resolve([]),
    [depIds.join()],
  );
  return useMemo(() => {
    const m = new Map<string, string>();
    for (const f of flows.data ?? []) m.set(f.id!, f.name!);
    for (const d of deps.data ?? []) m.set(d.id!, d.name!);
    return m;
  }, [flows.data, deps.data]);
}

/** Seconds a run has run: total so far while RUNNING, none before it started. */
export function runDuration(r: { state_type?: string | null; start_time?: string | null; total_run_time?: number; estimated_run_time?: number }): number | null {
  if (r.state_type === 'RUNNING') return r.estimated_run_time ?? r.total_run_time ?? null;
  if (!r.start_time && !r.total_run_time) return null;
  return r.total_run_time ?? null;
}

export function FlowRunsList(props: {
  /** The page's fixed scope (merged with URL filters). */
  base?: FlowRunsFilterBody;
  testid?: string;
  pageSize?: number;
  /** Show checkboxes and bulk actions. */
  selectable?: boolean;
  /** Default time range when ?range= is absent. */
  rangeFallback?: string;
  /** Reload every n ms (0: never). */
  pollMs?: number;
  /** Sort when ?sort= is absent (default: newest expected start first). */
  defaultSort?: FlowRunSort;
}) {
  const q = query.value;
  const offset = Math.max(0, Number(q.get('offset') ?? 0) || 0);
  const limit = Math.min(200, Math.max(1, Number(q.get('limit') ?? props.pageSize ?? 50) || 50));
  const sort = (q.get('sort') || props.defaultSort || 'EXPECTED_START_TIME_DESC') as FlowRunSort;
  const filter = flowRunFilter(q, props.base, props.rangeFallback ?? 'all');
  const key = JSON.stringify(filter);
  const runs = useApi((signal) => api.post<FlowRun[]>('/flow_runs/filter', { ...filter, sort, offset, limit }, { signal }), [key, sort, offset, limit], props.pollMs ?? 10000);
  const count = useApi((signal) => api.post<number>('/flow_runs/count', filter, { signal }), [key], props.pollMs ?? 10000);
  const names = useNames(runs.data);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [stateDialog, setStateDialog] = useState(false);
  const testid = props.testid ?? 'flow-runs-table';

  const reload = () => {
    runs.reload();
    count.reload();
  };
  const bulk = async (label: string, fn: (id: string) => Promise<unknown>) => {
    const ids = [...selected];
    const [ok, failures] = await forEachRun(ids, fn);
    if (failures.length) toast(`${label}: ${ok} done, ${failures.length} refused — ${[...new Set(failures)].slice(0, 3).join('; ')}`, 'error');
    else toast(`${label}: ${ok} run${ok === 1 ? '' : 's'}`);
    setSelected(new Set());
    reload();
  };

  const columns: Column<FlowRun>[] = [
    {
      key: 'name',
      header: 'Run',
      render: (r) => (
        <div>
          <a href={href(`/flow-runs/flow-run/${r.id}`)} data-testid="flow-run-link">
            {r.name}
          </a>
          <div class="muted small-text">
            {r.flow_id && <a href={href(`/flows/flow/${r.flow_id}`)}>{names.get(r.flow_id) ?? 'flow'}</a>}
            {r.deployment_id && (
              <>
                {' · '}
                <a href={href(`/deployments/deployment/${r.deployment_id}`)}>{names.get(r.deployment_id) ?? 'deployment'}</a>
              </>
            )}
          </div>
        </div>
      ),
    },
    { key: 'state', header: 'State', width: '9rem', render: (r) => <StateBadge type={r.state_type} name={r.state_name} /> },
    {
      key: 'start',
      header: `Start (${zoneLabel()})`,
      width: '13rem',
      render: (r) =>
        r.start_time ? (
          <span class="nowrap">
            <Time value={r.start_time} compact />
          </span>
        ) : (
          <span class="muted nowrap" title="Not started yet: the expected start">
            <Time value={r.expected_start_time} compact /> <span class="small-text">(expected)</span>
          </span>
        ),
    },
    { key: 'duration', header: 'Duration', width: '6rem', align: 'right', render: (r) => <Duration seconds={runDuration(r)} /> },
    {
      key: 'tags',
      header: 'Tags',
      render: (r) => (r.tags ?? []).map((t) => (
        <a key={t} class="tag" href={href(`/flow-runs?tag=${encodeURIComponent(t)}`)}>
          {t}
        </a>
      )),
    },
  ];

  if (runs.error && !runs.data) return <ErrorView error={runs.error} onRetry={reload} />;
  return (
    <div class="flow-runs-list">
      {props.selectable && selected.size > 0 && (
        <div class="bulk-bar" data-testid="bulk-bar">
          <strong>{selected.size} selected</strong>
          <button
            class="btn small"
            data-testid="action-cancel"
            onClick={async () => {
              if (await confirm({ title: 'Cancel runs', message: `Cancel ${selected.size} flow run(s)? Runs already finished are left as they are.`, confirmLabel: 'Cancel runs', danger: true }))
                bulk('Cancelled', cancelFlowRun);
            }}
          >
            Cancel
          </button>
          <button class="btn small" data-testid="action-set-state" onClick={() => setStateDialog(true)}>
            Set state…
          </button>
          <button
            class="btn small danger"
            data-testid="action-delete"
            onClick={async () => {
              if (await confirm({ title: 'Delete runs', message: `Delete ${selected.size} flow run(s) with their task runs and logs? This cannot be undone.`, confirmLabel: 'Delete', danger: true }))
                bulk('Deleted', deleteFlowRun);
            }}
          >
            Delete
          </button>
          <button class="btn small ghost" onClick={() => setSelected(new Set())}>
            Clear selection
          </button>
        </div>
      )}
      <DataTable
        columns={columns}
        rows={runs.data ?? []}
        rowKey={(r) => r.id!}
        testid={testid}
        loading={runs.loading}
        selected={props.selectable ? selected : undefined}
        onSelect={props.selectable ? setSelected : undefined}
        empty={runs.data ? 'No flow runs match these filters.' : 'Loading…'}
      />
      <Pagination offset={offset} limit={limit} total={count.data} onChange={(o, l) => setQuery({ offset: o || undefined, limit: l === (props.pageSize ?? 50) ? undefined : l })} />
      {stateDialog && (
        <SetStateDialog
          count={selected.size}
          onClose={() => setStateDialog(false)}
          onSet={(type, name, message) => {
            setStateDialog(false);
            bulk(`Set to ${name || stateLabel(type)}`, (id) => setFlowRunState(id, type, { name: name || stateLabel(type), message: message || undefined, force: true }));
          }}
        />
      )}
    </div>
  );
}

/** Asks for a state (type, optional name and message) to force on runs. */
export function SetStateDialog(props: { count: number; onClose: () => void; onSet: (type: StateType, name: string, message: string) => void }) {
  const [type, setType] = useState<StateType>('COMPLETED');
  const [name, setName] = useState('');
  const [message, setMessage] = useState('');
  return (
    <Dialog
      title={props.count === 1 ? 'Set the run’s state' : `Set the state of ${props.count} runs`}
      onClose={props.onClose}
      testid="set-state-dialog"
      footer={
        <>
          <button class="btn" onClick={props.onClose}>
            Cancel
          </button>
          <button class="btn primary" onClick={() => props.onSet(type, name.trim(), message.trim())} data-testid="set-state-submit">
            Set state
          </button>
        </>
      }
    >
      <label class="field">
        <span>State</span>
        <select value={type} onChange={(e) => setType((e.target as HTMLSelectElement).value as StateType)} data-testid="field-state-type">
          {STATE_TYPES.map((t) => (
            <option key={t} value={t}>
              {stateLabel(t)}
            </option>
          ))}
        </select>
      </label>
      <label class="field">
        <span>Name</span>
        <input value={name} placeholder={stateLabel(type)} onInput={(e) => setName((e.target as HTMLInputElement).value)} data-testid="field-state-name" />
      </label>
      <label class="field">
        <span>Message</span>
        <input value={message} placeholder="Optional" onInput={(e) => setMessage((e.target as HTMLInputElement).value)} data-testid="field-state-message" />
        <span class="help">The state is forced: orchestration rules do not apply.</span>
      </label>
    </Dialog>
  );
}
