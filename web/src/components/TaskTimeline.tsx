// The task-run timeline of a flow run, drawn on a canvas: one row per task
// run, a bar from start to end (or to now while running) coloured by
// state. Only the rows in view are drawn, so 5,000+ task runs scroll
// smoothly; hover shows the run, click opens it.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { GraphNode } from '../lib/graph';
import { STATE_COLORS, stateLabel, type StateType } from '../lib/states';
import { formatDuration, formatTime } from '../lib/time';
import { timeZonePref, hourCyclePref } from '../lib/prefs';
import { navigate } from '../lib/router';
import { setupCanvas, fitText } from './canvas';

const ROW = 18;
const LABEL = 220;
const AXIS = 24;

interface Bar {
  node: GraphNode;
  start: number;
  end: number;
  running: boolean;
}

export function TaskTimeline(props: { nodes: GraphNode[]; height?: number; testid?: string }) {
  const wrap = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const [tip, setTip] = useState<{ x: number; y: number; text: string } | null>(null);
  const tz = timeZonePref.value + hourCyclePref.value;
  // Computed once per answer, not on every hover.
  const { bars, t0, t1 } = useMemo(() => {
    const now = Date.now();
    const bars: Bar[] = [];
    let t0 = Infinity;
    let t1 = -Infinity;
    for (const n of props.nodes) {
      const s = Date.parse(n.start_time ?? '');
      if (!s) continue;
      const e = Date.parse(n.end_time ?? '');
      const b = { node: n, start: s, end: e || now, running: !e };
      bars.push(b);
      t0 = Math.min(t0, b.start);
      t1 = Math.max(t1, b.end);
    }
    bars.sort((a, b) => a.start - b.start || a.end - b.end);
    return bars.length ? { bars, t0, t1 } : { bars, t0: now, t1: now + 1000 };
  }, [props.nodes]);
  const viewH = Math.min(props.height ?? 420, bars.length * ROW + AXIS + 4);

  const draw = () => {
    const c = canvas.current;
    const w = wrap.current;
    if (!c || !w) return;
    const width = w.clientWidth;
    const ctx = setupCanvas(c, width, viewH);
    const top = w.scrollTop;
    ctx.clearRect(0, 0, width, viewH);
    ctx.font = '12px system-ui, sans-serif';
    const plotW = width - LABEL - 16;
    const x = (t: number) => LABEL + ((t - t0) / Math.max(1, t1 - t0)) * plotW;
    // Grid + axis labels.
    const ticks = 6;
    ctx.fillStyle = '#5f6b7a';
    ctx.strokeStyle = '#eef1f4';
    for (let i = 0; i <= ticks; i++) {
      const t = t0 + ((t1 - t0) * i) / ticks;
      const px = Math.round(x(t)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(px, AXIS);
      ctx.lineTo(px, viewH);
      ctx.stroke();
      const label = i === 0 ? formatTime(new Date(t)) : `+${formatDuration((t - t0) / 1000)}`;
      const tw = ctx.measureText(label).width;
      ctx.fillText(label, Math.min(Math.max(LABEL, px - tw / 2), width - tw - 4), 15);
    }
    const first = Math.max(0, Math.floor(top / ROW));
    const last = Math.min(bars.length, Math.ceil((top + viewH - AXIS) / ROW) + 1);
    ctx.save();
    ctx.beginPath();
    ctx.rect(0, AXIS, width, viewH - AXIS);
    ctx.clip();
    for (let i = first; i < last; i++) {
      const b = bars[i];
      const y = AXIS + i * ROW - top;
      if (i % 2) {
        ctx.fillStyle = '#f7f9fb';
        ctx.fillRect(0, y, width, ROW);
      }
      const type = (b.node.state?.type ?? 'PENDING') as StateType;
      ctx.fillStyle = STATE_COLORS[type] ?? '#718096';
      const bx = x(b.start);
      const bw = Math.max(2, x(b.end) - bx);
      ctx.globalAlpha = b.running ? 0.6 : 1;
      ctx.fillRect(bx, y + 3, bw, ROW - 6);
      ctx.globalAlpha = 1;
      ctx.fillStyle = '#1a202c';
      ctx.fillText(fitText(ctx, b.node.name, LABEL - 12), 8, y + ROW - 5);
    }
    ctx.restore();
  };

  useEffect(() => {
    draw();
    const w = wrap.current;
    if (!w) return;
    let raf = 0;
    const on = () => {
      cancelAnimationFrame(raf);
      raf = requestAnimationFrame(draw);
    };
    w.addEventListener('scroll', on, { passive: true });
    const ro = new ResizeObserver(on);
    ro.observe(w);
    return () => {
      w.removeEventListener('scroll', on);
      ro.disconnect();
      cancelAnimationFrame(raf);
    };
  });

  const hit = (e: MouseEvent): Bar | null => {
    const w = wrap.current!;
    const r = w.getBoundingClientRect();
    const y = e.clientY - r.top;
    if (y < AXIS) return null;
    const i = Math.floor((y - AXIS + w.scrollTop) / ROW);
    return bars[i] ?? null;
  };

  if (!bars.length) return <div class="status empty" data-testid={props.testid ?? 'task-timeline'}>No task run has started yet.</div>;
  return (
    <div class="canvas-wrap" data-testid={props.testid ?? 'task-timeline'} data-tz={tz}>
      <div
        ref={wrap}
        style={{ height: `${viewH}px`, overflowY: 'auto', position: 'relative', cursor: 'pointer' }}
        onMouseMove={(e) => {
          const b = hit(e);
          const r = wrap.current!.getBoundingClientRect();
          setTip(
            b
              ? {
                  x: Math.min(e.clientX - r.left + 12, r.width - 280),
                  y: e.clientY - r.top + 12,
                  text: `${b.node.name} · ${b.node.state?.name ?? stateLabel(b.node.state?.type ?? 'PENDING')} · ${formatDuration((b.end - b.start) / 1000)}${b.running ? ' (running)' : ''}`,
                }
              : null,
          );
        }}
        onMouseLeave={() => setTip(null)}
        onClick={(e) => {
          const b = hit(e);
          if (b) navigate(`/flow-runs/task-run/${b.node.id}`);
        }}
      >
        <canvas ref={canvas} style={{ position: 'sticky', top: 0, left: 0 }} />
        <div style={{ height: `${Math.max(0, bars.length * ROW + AXIS - viewH)}px` }} />
      </div>
      {tip && (
        <div class="canvas-tip" style={{ left: `${tip.x}px`, top: `${tip.y}px` }}>
          {tip.text}
        </div>
      )}
    </div>
  );
}
