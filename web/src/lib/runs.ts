// Flow-run filters: URL query parameters <-> the API's filter body.
//
// Parameters (all optional, repeatable where plural):
//   flow=<id>  deployment=<id>  tag=<tag>  state=<STATE_TYPE>|Late
//   name=<substring>  range=1h|24h|7d|30d|all|custom  from=<ISO>  to=<ISO>
//   sort=<FlowRunSort>  offset=<n>  limit=<n>
import type { Schemas } from '../api/client';
import { rangeSeconds } from '../components/FilterBar';

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
  const states = q.getAll('state');
  const types = states.filter((s) => s !== 'Late') as NonNullable<NonNullable<Schemas['StateFilter']['type']>['any_']>;
  if (states.includes('Late')) {
    // Late is a SCHEDULED state's name: or-ed with the chosen types.
    fr.state = types.length ? { operator: 'or_', type: { any_: types }, name: { any_: ['Late'] } } : { name: { any_: ['Late'] } };
  } else if (types.length) fr.state = { type: { any_: types } };
  const w = timeWindow(q, rangeFallback);
  if (w.after || w.before) fr.expected_start_time = { after_: w.after ?? null, before_: w.before ?? null };
  if (Object.keys(fr).length) body.flow_runs = fr;
  return body;
}
