// /: counts by state over a chosen range (exact: one count query per
// state type), the run history (exact buckets), late and failed run
// warnings, and the next scheduled runs.
import { api } from '../api/client';
import type { FlowRun, HistoryInterval, Flow } from '../api/types';
import { useApi } from '../lib/hooks';
import { query, href } from '../lib/router';
import { STATE_TYPES, STATE_COLORS, stateLabel, type StateType } from '../lib/states';
import { zoneLabel } from '../lib/time';
import { timeWindow } from '../lib/runs';
import { PageHeader } from '../components/Layout';
import { SelectFilter, TIME_RANGES, rangeSeconds } from '../components/FilterBar';
import { HistoryChart } from '../components/HistoryChart';
import { StateBadge } from '../components/StateBadge';
import { Relative } from '../components/Time';
import { Loader, Empty } from '../components/Status';

const RANGES = TIME_RANGES.filter((r) => r.seconds > 0);

/** A bucket size that gives 40–120 bars over the range, on a round boundary. */
function bucketSeconds(range: number): number {
  const steps = [60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
  return steps.find((s) => range / s <= 120) ?? 86400;
}

function Counts(props: { after: string; before: string; range: string }) {
  const window = { after_: props.after, before_: props.before };
  const counts = useApi(
    (signal) =>
      Promise.all(
        STATE_TYPES.map((t) => api.post<number>('/flow_runs/count', { flow_runs: { state: { type: { any_: [t] } }, expected_start_time: window } }, { signal })),
      ).then((ns) => Object.fromEntries(STATE_TYPES.map((t, i) => [t, ns[i]])) as Record<StateType, number>),
    [props.after, props.before],
    15000,
  );
  return (
    <Loader state={counts}>
      {(c) => {
        const total = STATE_TYPES.reduce((a, t) => a + c[t], 0);
        return (
          <div class="stat-row" data-testid="state-counts">
            <a class="stat" href={href(`/flow-runs?range=${props.range}`)} data-testid="count-total">
              <div class="n">{total.toLocaleString()}</div>
              <div class="l">All runs</div>
            </a>
            {STATE_TYPES.filter((t) => c[t] > 0 || ['COMPLETED', 'FAILED', 'RUNNING', 'SCHEDULED'].includes(t)).map((t) => (
              <a key={t} class="stat" style={{ '--state': STATE_COLORS[t] }} href={href(`/flow-runs?state=${t}&range=${props.range}`)} data-testid={`count-${t}`}>
                <div class="n">{c[t].toLocaleString()}</div>
                <div class="l">{stateLabel(t)}</div>
              </a>
            ))}
          </div>
        );
      }}
    </Loader>
  );
}

function RunLine(props: { run: FlowRun; flows: Map<string, string>; when: 'expected' | 'start' }) {
  const r = props.run;
  return (
    <li class="run-line" data-testid="run-line">
      <StateBadge type={r.state_type} name={r.state_name} small />
      <a href={href(`/flow-runs/flow-run/${r.id}`)}>{r.name}</a>
      <span class="muted">{r.flow_id ? props.flows.get(r.flow_id) ?? '' : ''}</span>
      <span class="muted right">{props.when === 'expected' ? <Relative value={r.expected_start_time} /> : <Relative value={r.start_time ?? r.expected_start_time} />}</span>
    </li>
  );
}

function useFlowNames(runs: FlowRun[] | undefined) {
  const ids = [...new Set((runs ?? []).map((r) => r.flow_id).filter(Boolean) as string[])].sort();
  const flows = useApi((signal) => (ids.length ? api.post<Flow[]>('/flows/filter', { flows: { id: { any_: ids } } }, { signal }) : Promise.resolve([])), [ids.join()]);
  return new Map((flows.data ?? []).map((f) => [f.id!, f.name!]));
}

export function Dashboard() {
  const asked = query.value.get('range') || '24h';
  const range = RANGES.some((r) => r.value === asked) ? asked : '24h';
  const secs = rangeSeconds(range, '24h') || 86400;
  const step = bucketSeconds(secs);
  // Align the window to the bucket size so reloads keep the same buckets.
  const nowS = Math.ceil(Date.now() / 1000 / step) * step;
  const start = new Date((nowS - Math.ceil(secs / step) * step) * 1000).toISOString();
  const end = new Date(nowS * 1000).toISOString();
  // Minute-rounded, so the queries (and their answers) stay put between polls.
  // The same window as the runs list's range filter (lib/runs.ts), so a
  // count and the list it links to agree.
  const { after: afterQ, before: beforeQ } = timeWindow(new URLSearchParams({ range }), '24h');
  const after = afterQ!;
  const before = beforeQ!;

  const history = useApi(
    (signal) => api.post<HistoryInterval[]>('/flow_runs/history', { history_start: start, history_end: end, history_interval_seconds: step }, { signal }),
    [start, end, step],
    30000,
  );
  const late = useApi(
    (signal) => api.post<FlowRun[]>('/flow_runs/filter', { flow_runs: { state: { name: { any_: ['Late'] } } }, sort: 'EXPECTED_START_TIME_ASC', limit: 5 }, { signal }),
    [],
    15000,
  );
  const lateCount = useApi((signal) => api.post<number>('/flow_runs/count', { flow_runs: { state: { name: { any_: ['Late'] } } } }, { signal }), [], 15000);
  const failed = useApi(
    (signal) =>
      api.post<FlowRun[]>('/flow_runs/filter', { flow_runs: { state: { type: { any_: ['FAILED', 'CRASHED'] } }, expected_start_time: { after_: after, before_: before } }, sort: 'EXPECTED_START_TIME_DESC', limit: 5 }, { signal }),
    [after, before],
    15000,
  );
  const failedCount = useApi(
    (signal) => api.post<number>('/flow_runs/count', { flow_runs: { state: { type: { any_: ['FAILED', 'CRASHED'] } }, expected_start_time: { after_: after, before_: before } } }, { signal }),
    [after, before],
    15000,
  );
  const upcoming = useApi(
    (signal) =>
      api.post<FlowRun[]>(
        '/flow_runs/filter',
        { flow_runs: { state: { type: { any_: ['SCHEDULED'] } }, expected_start_time: { after_: new Date().toISOString() } }, sort: 'EXPECTED_START_TIME_ASC', limit: 8 },
        { signal },
      ),
    [],
    30000,
  );
  const flows = useFlowNames([...(late.data ?? []), ...(failed.data ?? []), ...(upcoming.data ?? [])]);
  const rangeLabel = RANGES.find((r) => r.value === range)?.label.toLowerCase() ?? 'past 24 hours';

  return (
    <div data-testid="page-dashboard">
      <PageHeader
        title="Dashboard"
        subtitle={<span>Flow runs expected to start in the {rangeLabel} · times in {zoneLabel()}</span>}
        actions={<SelectFilter param="range" label="Time range" fallback="24h" options={RANGES.map((r) => ({ value: r.value, label: r.label }))} testid="filter-range" />}
      />
      {(lateCount.data ?? 0) > 0 && (
        <div class="banner warn" data-testid="late-warning">
          <span>
            <strong>
              {lateCount.data} late run{lateCount.data === 1 ? '' : 's'}
            </strong>
            {lateCount.data === 1
              ? ': scheduled, but no agent started it on time. Check that an agent polls its work queue.'
              : ': scheduled, but no agent started them on time. Check that an agent polls their work queues.'}
          </span>
          <a href={href('/flow-runs?state=Late')}>Show late runs</a>
        </div>
      )}
      {(failedCount.data ?? 0) > 0 && (
        <div class="banner bad" data-testid="failed-warning">
          <strong>
            {failedCount.data} failed or crashed run{failedCount.data === 1 ? '' : 's'}
          </strong>
          <span>in the {rangeLabel}.</span>
          <a href={href(`/flow-runs?state=FAILED&state=CRASHED&range=${range}`)}>Show them</a>
        </div>
      )}
      <Counts after={after} before={before} range={range} />
      <section class="card" style={{ marginTop: '16px' }}>
        <h2>
          Run history <span class="muted small-text">one bar per {step >= 3600 ? `${step / 3600} h` : `${step / 60} min`}, by expected start</span>
        </h2>
        <Loader state={history}>{(h) => <HistoryChart intervals={h} />}</Loader>
      </section>
      <div class="grid cols-3">
        <section class="card" data-testid="late-runs">
          <h2>Late runs</h2>
          <Loader state={late}>
            {(runs) =>
              runs.length ? (
                <ul class="run-lines">
                  {runs.map((r) => (
                    <RunLine key={r.id} run={r} flows={flows} when="expected" />
                  ))}
                </ul>
              ) : (
                <Empty title="No late runs" />
              )
            }
          </Loader>
        </section>
        <section class="card" data-testid="failed-runs">
          <h2>Recent failures</h2>
          <Loader state={failed}>
            {(runs) =>
              runs.length ? (
                <ul class="run-lines">
                  {runs.map((r) => (
                    <RunLine key={r.id} run={r} flows={flows} when="start" />
                  ))}
                </ul>
              ) : (
                <Empty title="No failures in this range" />
              )
            }
          </Loader>
        </section>
        <section class="card" data-testid="upcoming-runs">
          <h2>Upcoming scheduled runs</h2>
          <Loader state={upcoming}>
            {(runs) =>
              runs.length ? (
                <ul class="run-lines">
                  {runs.map((r) => (
                    <li class="run-line" key={r.id} data-testid="run-line">
                      <StateBadge type={r.state_type} name={r.state_name} small />
                      <a href={href(`/flow-runs/flow-run/${r.id}`)}>{r.name}</a>
                      <span class="muted">{r.flow_id ? flows.get(r.flow_id) ?? '' : ''}</span>
                      <span class="muted right" title="Expected start">
                        <Relative value={r.expected_start_time} />
                      </span>
                    </li>
                  ))}
                </ul>
              ) : (
                <Empty title="Nothing scheduled">Deployments with an active schedule create runs here.</Empty>
              )
            }
          </Loader>
        </section>
      </div>
    </div>
  );
}
