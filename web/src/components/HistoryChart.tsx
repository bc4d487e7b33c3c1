// A stacked bar chart of run counts by state type per time bucket (uPlot).
// Every bucket is drawn with its exact count: no sampling, no caps.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { HistoryInterval } from '../api/types';
import { STATE_TYPES, STATE_COLORS, stateLabel, type StateType } from '../lib/states';
import { formatDateTime, formatTime, formatDay } from '../lib/time';
import { timeZonePref, hourCyclePref } from '../lib/prefs';

export function HistoryChart(props: { intervals: HistoryInterval[]; height?: number; testid?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const tz = timeZonePref.value;
  const hc = hourCyclePref.value;
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const xs = props.intervals.map((i) => new Date(i.interval_start!).getTime() / 1000);
    const step = xs.length > 1 ? xs[1] - xs[0] : 3600;
    const present = STATE_TYPES.filter((t) => props.intervals.some((i) => i.states?.some((s) => s.state_type === t && (s.count_runs ?? 0) > 0)));
    const counts: Record<string, number[]> = {};
    for (const t of present) counts[t] = props.intervals.map((i) => (i.states ?? []).filter((s) => s.state_type === t).reduce((a, s) => a + (s.count_runs ?? 0), 0));
    // Stack: each series is the running sum of those below it, drawn top-down.
    const stacked: number[][] = [];
    let acc = xs.map(() => 0);
    for (const t of present) {
      acc = acc.map((a, i) => a + counts[t][i]);
      stacked.push(acc);
    }
    const bars = uPlot.paths.bars!({ size: [0.8, 40], align: 1 });
    const data = [xs, ...stacked.slice().reverse()] as uPlot.AlignedData;
    const order = present.slice().reverse();
    const span = (xs[xs.length - 1] ?? 0) - (xs[0] ?? 0);
    const fmtX = (v: number) => {
      const d = new Date(v * 1000);
      return span > 2 * 86400 ? formatDay(d) : formatTime(d).slice(0, 5);
    };
    const opts: uPlot.Options = {
      width: el.clientWidth || 600,
      height: props.height ?? 180,
      // Right padding keeps the last tick label (centred on its tick) whole.
      padding: [8, 16, 0, 0],
      legend: { show: false },
      cursor: { y: false, points: { show: false } },
      // Time scale for round tick positions; labels come from our
      // formatter (chosen zone, 24-hour setting).
      tzDate: (ts) => (tz === 'utc' ? uPlot.tzDate(new Date(ts * 1000), 'UTC') : new Date(ts * 1000)),
      // Bars start at their bucket's start (align 1), so the newest one
      // needs its own bucket plus one more on the right: otherwise it sits
      // on the edge and the axis labels stop short of it. The y headroom
      // keeps the tallest bar off the top edge.
      scales: { x: { time: true, range: () => [xs[0] ?? 0, (xs[xs.length - 1] ?? 0) + 2 * step] }, y: { range: (_u, _min, max) => [0, Math.max(1, Math.ceil(max * 1.1))] } },
      axes: [
        { values: (_u, vals) => vals.map(fmtX), grid: { show: false }, size: 30, font: '11px system-ui' },
        { values: (_u, vals) => vals.map((v) => (Number.isInteger(v) ? String(v) : '')), size: 40, font: '11px system-ui', grid: { stroke: '#eef1f4' } },
      ],
      series: [{}, ...order.map((t) => ({ label: stateLabel(t), fill: STATE_COLORS[t as StateType], stroke: STATE_COLORS[t as StateType], width: 0, paths: bars, points: { show: false } }))],
      hooks: {
        setCursor: [
          (u) => {
            const tip = el.querySelector<HTMLDivElement>('.canvas-tip');
            const idx = u.cursor.idx;
            if (!tip) return;
            if (idx == null || u.cursor.left! < 0) {
              tip.style.display = 'none';
              return;
            }
            const parts = present.filter((t) => counts[t][idx] > 0).map((t) => `${stateLabel(t)} ${counts[t][idx]}`);
            tip.textContent = `${formatDateTime(new Date(xs[idx] * 1000), { seconds: false })}: ${parts.length ? parts.join(', ') : 'no runs'}`;
            tip.style.display = 'block';
            tip.style.left = `${Math.min(u.cursor.left! + 50, el.clientWidth - 260)}px`;
            tip.style.top = '4px';
          },
        ],
      },
    };
    const plot = new uPlot(opts, data, el);
    const tip = document.createElement('div');
    tip.className = 'canvas-tip';
    tip.style.display = 'none';
    el.appendChild(tip);
    const ro = new ResizeObserver(() => plot.setSize({ width: el.clientWidth, height: props.height ?? 180 }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
      tip.remove();
    };
  }, [props.intervals, tz, hc]);
  const present = STATE_TYPES.filter((t) => props.intervals.some((i) => i.states?.some((s) => s.state_type === t && (s.count_runs ?? 0) > 0)));
  return (
    <div data-testid={props.testid ?? 'history-chart'}>
      <div ref={ref} class="chart" style={{ position: 'relative' }} />
      <div class="legend">
        {present.map((t) => (
          <span key={t}>
            <i style={{ background: STATE_COLORS[t] }} />
            {stateLabel(t)}
          </span>
        ))}
        {!present.length && <span>No runs in this range.</span>}
      </div>
    </div>
  );
}
