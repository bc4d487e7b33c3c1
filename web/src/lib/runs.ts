// Flow-run filters: URL query parameters <-> the API's filter body.
//
// Parameters (all optional, repeatable where plural):
//   flow=<id>  deployment=<id>  tag=<tag>  queue=<work queue name>
//   state=<STATE_TYPE>|<state name, e.g. Late>
//   name=<substring>  range=1h|24h|7d|30d|all|custom  from=<ISO>  to=<ISO>
//   sort=<FlowRunSort>  offset=<n>  limit=<n>
import type { Schemas } from '../api/client';
import { rangeSeconds } from '../components/FilterBar';
import { STATE_TYPES, stateLabel, type StateType } from './states';

export type FlowRunsFilterBody = Schemas['FlowRunFilterBody'];
export type FlowRunSort = NonNullable<FlowRunsFilterBody['sort']>;

export const FLOW_RUN_SORTS: { value: FlowRunSort; label: string }[] = [
  { value: 'EXPECTED_START_TIME_DESC', label: 'Newest first' },
  { value: 'EXPECTED_START_TIME_ASC', label: 'Oldest first' },
  { value: 'START_TIME_DESC', label: 'Started, newest' },
  { value: 'END_TIME_DESC', label: 'Ended, newest' },
  { value: 'NAME_ASC', label: 'Name A–Z' },
  { value: 'NAME_DESC', label: 'Name Z–A' },
];

/** The time window a range parameter names, as ISO instants (undefined: open). */
export function timeWindow(q: URLSearchParams, fallback = '24h', at = Date.now()): { after?: string; before?: string } {
  // Whole minutes: the filter (a request key) must not change on every
  // render, or each answer would trigger another request.
  const now = Math.ceil(at / 60000) * 60000;
  const range = q.get('range') || fallback;
  if (range === 'custom') {
    return { after: q.get('from') || undefined, before: q.get('to') || undefined };
  }
  const secs = rangeSeconds(range, fallback);
  // "Past n": up to now, as the dashboard counts them (runs scheduled for
  // later are not in the past day).
  return secs ? { after: new Date(now - secs * 1000).toISOString(), before: new Date(now).toISOString() } : {};
}

/**
 * The filter part of a flow-run query from URL parameters, merged over
 * base (a page's fixed scope, e.g. one flow's runs).
 */
export function flowRunFilter(q: URLSearchParams, base: FlowRunsFilterBody = {}, rangeFallback = 'all'): FlowRunsFilterBody {
  const body: FlowRunsFilterBody = JSON.parse(JSON.stringify(base));
  const fr: NonNullable<FlowRunsFilterBody['flow_runs']> = { ...(body.flow_runs ?? {}) };
  const flows = q.getAll('flow');
  if (flows.length) body.flows = { ...(body.flows ?? {}), id: { any_: flows } };
  const deps = q.getAll('deployment');
  if (deps.length) body.deployments = { ...(body.deployments ?? {}), id: { any_: deps } };
  const tags = q.getAll('tag');
  if (tags.length) fr.tags = { all_: tags };
  const name = q.get('name');
  if (name) fr.name = { like_: name };
  // state= holds types (FAILED) and state names (Late, AwaitingRetry):
  // a run matches either.
  const states = q.getAll('state');
  const types = states.filter((x) => (STATE_TYPES as string[]).includes(x)) as StateType[];
  const names = states.filter((x) => !(STATE_TYPES as string[]).includes(x));
  if (names.length) {
    fr.state = types.length ? { operator: 'or_', type: { any_: types }, name: { any_: names } } : { name: { any_: names } };
  } else if (types.length) fr.state = { type: { any_: types } };
  const queues = q.getAll('queue');
  if (queues.length) fr.work_queue_name = { any_: queues };
  const w = timeWindow(q, rangeFallback);
  if (w.after || w.before) fr.expected_start_time = { after_: w.after ?? null, before_: w.before ?? null };
  if (Object.keys(fr).length) body.flow_runs = fr;
  return body;
}

/** URL parameters a saved search keeps. */
export const SEARCH_PARAMS = ['flow', 'deployment', 'tag', 'queue', 'state', 'name', 'range', 'from', 'to', 'sort'];

export type SavedSearchFilter = Schemas['SavedSearchFilter'];

/**
 * A saved search's filters from URL parameters, in the stock 2.7 UI's
 * shape (object "flowRun", property = its filter key, value = the
 * selection; states by name), so either UI can apply the other's
 * searches. Our extra keys (name, range, …) are properties the 2.7 UI
 * ignores.
 */
export function toSavedFilters(q: URLSearchParams): SavedSearchFilter[] {
  return SEARCH_PARAMS.filter((p) => q.has(p)).map((p) => {
    let value: unknown = q.getAll(p);
    if (p === 'state') value = q.getAll(p).map((x) => ((STATE_TYPES as string[]).includes(x) ? stateLabel(x) : x));
    if (['name', 'range', 'from', 'to', 'sort'].includes(p)) value = q.get(p);
    return { object: 'flowRun', property: p === 'queue' ? 'workQueue' : p, type: '', operation: '', value };
  });
}

/** URL parameters from a saved search's filters (ours or the 2.7 UI's). */
export function fromSavedFilters(filters: SavedSearchFilter[]): URLSearchParams {
  const q = new URLSearchParams();
  for (const f of filters) {
    const prop = f.property === 'workQueue' ? 'queue' : f.property;
    if (!prop || !SEARCH_PARAMS.includes(prop)) continue;
    const vals = (Array.isArray(f.value) ? f.value : [f.value]).filter((v) => v !== null && v !== undefined && v !== '');
    for (const v of vals) {
      let s = String(v);
      if (prop === 'state') s = STATE_TYPES.find((t) => t === s.toUpperCase() && stateLabel(t).toLowerCase() === s.toLowerCase()) ?? s;
      q.append(prop, s);
    }
  }
  return q;
}
