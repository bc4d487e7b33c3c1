// The dependency graph of a flow run's task runs (from their task_inputs),
// drawn on a canvas: columns by dependency depth, left to right, nodes
// coloured by state. Drag to pan, wheel to zoom, click a node to open it.
// Hit-testing is by column and row, so thousands of nodes stay fast.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { layout, type GraphNode } from '../lib/graph';
import { STATE_COLORS, stateLabel, type StateType } from '../lib/states';
import { formatDuration } from '../lib/time';
import { navigate } from '../lib/router';
import { setupCanvas, fitText } from './canvas';

const COL_W = 200;
const NODE_W = 160;
const ROW_H = 30;
const NODE_H = 22;

export function TaskGraph(props: { nodes: GraphNode[]; height?: number; testid?: string }) {
  const { nodes } = props;
  const lay = useMemo(() => layout(nodes), [nodes]);
  const canvas = useRef<HTMLCanvasElement>(null);
  const box = useRef<HTMLDivElement>(null);
  const view = useRef({ x: 20, y: 20, k: 1 });
  const drag = useRef<{ x: number; y: number; moved: boolean } | null>(null);
  const [hover, setHover] = useState<number>(-1);
  const [, redraw] = useState(0);
  const height = props.height ?? 460;
  const maxRows = Math.max(1, ...lay.columns.map((c) => c.length));

  const draw = () => {
    const c = canvas.current;
    const b = box.current;
    if (!c || !b) return;
    const width = b.clientWidth;
    const ctx = setupCanvas(c, width, height);
    const { x: ox, y: oy, k } = view.current;
    ctx.clearRect(0, 0, width, height);
    ctx.save();
    ctx.translate(ox, oy);
    ctx.scale(k, k);
    const nx = (i: number) => lay.level[i] * COL_W;
    const ny = (i: number) => lay.row[i] * ROW_H;
    // Visible world rectangle, to skip what is off screen.
    const wx0 = -ox / k - COL_W;
    const wx1 = (width - ox) / k + COL_W;
    const wy0 = -oy / k - ROW_H;
    const wy1 = (height - oy) / k + ROW_H;
    ctx.lineWidth = 1 / k;
    ctx.strokeStyle = 'rgba(90, 105, 125, 0.35)';
    ctx.beginPath();
    for (const [a, z] of lay.edges) {
      const x0 = nx(a) + NODE_W;
      const y0 = ny(a) + NODE_H / 2;
      const x1 = nx(z);
      const y1 = ny(z) + NODE_H / 2;
      if ((x1 < wx0 && x0 < wx0) || (x0 > wx1 && x1 > wx1) || (y0 < wy0 && y1 < wy0) || (y0 > wy1 && y1 > wy1)) continue;
      const mx = (x0 + x1) / 2;
      ctx.moveTo(x0, y0);
      ctx.bezierCurveTo(mx, y0, mx, y1, x1, y1);
    }
    ctx.stroke();
    ctx.font = '12px system-ui, sans-serif';
    const showText = k > 0.45;
    for (let i = 0; i < nodes.length; i++) {
      const x = nx(i);
      const y = ny(i);
      if (x > wx1 || x + NODE_W < wx0 || y > wy1 || y + NODE_H < wy0) continue;
      const type = (nodes[i].state?.type ?? 'PENDING') as StateType;
      const color = STATE_COLORS[type] ?? '#718096';
      ctx.fillStyle = i === hover ? '#e8f0fb' : '#ffffff';
      ctx.strokeStyle = color;
      ctx.lineWidth = (i === hover ? 2.5 : 1.5) / k;
      ctx.beginPath();
      ctx.roundRect(x, y, NODE_W, NODE_H, 5);
      ctx.fill();
      ctx.stroke();
      ctx.fillStyle = color;
      ctx.fillRect(x, y, 5, NODE_H);
      if (showText) {
        ctx.fillStyle = '#1a202c';
        ctx.fillText(fitText(ctx, nodes[i].name, NODE_W - 16), x + 10, y + 15);
      }
    }
    ctx.restore();
  };

  useEffect(() => {
    draw();
    const b = box.current;
    if (!b) return;
    const ro = new ResizeObserver(() => draw());
    ro.observe(b);
    const wheel = (e: WheelEvent) => {
      e.preventDefault();
      const r = b.getBoundingClientRect();
      const px = e.clientX - r.left;
      const py = e.clientY - r.top;
      const v = view.current;
      const k = Math.min(3, Math.max(0.05, v.k * Math.exp(-e.deltaY * 0.0015)));
      v.x = px - ((px - v.x) * k) / v.k;
      v.y = py - ((py - v.y) * k) / v.k;
      v.k = k;
      draw();
    };
    b.addEventListener('wheel', wheel, { passive: false });
    return () => {
      ro.disconnect();
      b.removeEventListener('wheel', wheel);
    };
  });

  const nodeAt = (e: MouseEvent): number => {
    const r = box.current!.getBoundingClientRect();
    const { x: ox, y: oy, k } = view.current;
    const wx = (e.clientX - r.left - ox) / k;
    const wy = (e.clientY - r.top - oy) / k;
    const col = Math.floor(wx / COL_W);
    const row = Math.floor(wy / ROW_H);
    if (col < 0 || row < 0 || wx - col * COL_W > NODE_W || wy - row * ROW_H > NODE_H) return -1;
    return lay.columns[col]?.[row] ?? -1;
  };

  const fit = () => {
    const b = box.current;
    if (!b) return;
    const w = lay.columns.length * COL_W;
    const h = maxRows * ROW_H;
    // Fit the whole graph when it is small; a long one is fitted to its
    // height at a readable zoom and panned sideways.
    const kW = (b.clientWidth - 40) / w;
    const kH = (height - 40) / h;
    const k = Math.max(0.05, Math.min(1, kH, Math.max(kW, 0.5)));
    view.current = { x: 20, y: 20, k };
    redraw((n) => n + 1);
  };
  // Refit when task runs appear, not on every refetch of a live run (the
  // user's pan and zoom stay).
  useEffect(fit, [nodes.length]);

  if (!nodes.length) return <div class="status empty" data-testid={props.testid ?? 'task-graph'}>This flow run has no task runs.</div>;
  const h = hover >= 0 ? nodes[hover] : null;
  return (
    <div data-testid={props.testid ?? 'task-graph'}>
      <div class="graph-tools">
        <span class="muted">
          {nodes.length.toLocaleString()} task runs · {lay.edges.length.toLocaleString()} dependencies · {lay.columns.length} levels. Drag to pan, scroll to zoom.
        </span>
        <button class="btn small" onClick={fit} data-testid="graph-fit">
          Fit
        </button>
      </div>
      <div
        class="canvas-wrap"
        ref={box}
        style={{ height: `${height}px`, cursor: drag.current ? 'grabbing' : hover >= 0 ? 'pointer' : 'grab' }}
        onMouseDown={(e) => (drag.current = { x: e.clientX, y: e.clientY, moved: false })}
        onMouseMove={(e) => {
          const d = drag.current;
          if (d && e.buttons === 1) {
            const dx = e.clientX - d.x;
            const dy = e.clientY - d.y;
            if (Math.abs(dx) + Math.abs(dy) > 2) d.moved = true;
            view.current.x += dx;
            view.current.y += dy;
            d.x = e.clientX;
            d.y = e.clientY;
            draw();
            return;
          }
          const i = nodeAt(e);
          if (i !== hover) setHover(i);
        }}
        onMouseUp={(e) => {
          const d = drag.current;
          drag.current = null;
          if (d && !d.moved) {
            const i = nodeAt(e);
            if (i >= 0) navigate(`/flow-runs/task-run/${nodes[i].id}`);
          }
        }}
        onMouseLeave={() => {
          drag.current = null;
          setHover(-1);
        }}
      >
        <canvas ref={canvas} />
        {h && (
          <div class="canvas-tip" style={{ left: '8px', bottom: '8px' }}>
            {h.name} · {h.state?.name ?? stateLabel(h.state?.type ?? 'PENDING')} · {formatDuration(h.total_run_time)} · {h.upstream_dependencies.length} upstream
          </div>
        )}
      </div>
    </div>
  );
}
