// Logs of a flow run or task run: level filter, server-side text search
// ({"logs": {"text": {"query": ...}}}), download, and a windowed list
// loaded page by page as it scrolls, so runs with many lines stay fast.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, download, type Schemas } from '../api/client';
import type { Log } from '../api/types';
import { query, setQuery, href } from '../lib/router';
import { formatTime, formatDateTime } from '../lib/time';
import { timeZonePref, hourCyclePref } from '../lib/prefs';
import { VirtualList } from './VirtualList';
import { Dialog } from './Dialog';
import { ErrorView } from './Status';
import { toastError } from './Toast';

const PAGE = 200;
const LEVELS: [number, string][] = [
  [0, 'All levels'],
  [10, 'Debug and up'],
  [20, 'Info and up'],
  [30, 'Warning and up'],
  [40, 'Error and up'],
  [50, 'Critical'],
];

export function levelName(n?: number): string {
  if (n === undefined) return '';
  if (n >= 50) return 'CRITICAL';
  if (n >= 40) return 'ERROR';
  if (n >= 30) return 'WARNING';
  if (n >= 20) return 'INFO';
  return 'DEBUG';
}

function Highlight(props: { text: string; q: string }) {
  if (!props.q) return <>{props.text}</>;
  const parts: (string | preact.JSX.Element)[] = [];
  const lower = props.text.toLowerCase();
  const q = props.q.toLowerCase();
  let i = 0;
  for (let j = lower.indexOf(q); j >= 0 && parts.length < 200; j = lower.indexOf(q, i)) {
    parts.push(props.text.slice(i, j), <mark key={j}>{props.text.slice(j, j + q.length)}</mark>);
    i = j + q.length;
  }
  parts.push(props.text.slice(i));
  return <>{parts}</>;
}

export function LogsView(props: {
  flowRunId?: string;
  taskRunId?: string;
  /** Task-run names by id, to label lines. */
  taskNames?: Map<string, string>;
  /** Offer the whole-run download (flow runs). */
  downloadable?: boolean;
  /** Reload while the run is live. */
  live?: boolean;
}) {
  const q = query.value;
  const level = Number(q.get('level') ?? 0) || 0;
  const text = q.get('logq') ?? '';
  const [input, setInput] = useState(text);
  const [logs, setLogs] = useState<Log[]>([]);
  const [done, setDone] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const [loading, setLoading] = useState(false);
  const [open, setOpen] = useState<Log | null>(null);
  const gen = useRef(0);
  // The offset being fetched (-1: none), so a page is asked for once.
  const inflight = useRef(-1);
  void timeZonePref.value, hourCyclePref.value;

  useEffect(() => setInput(text), [text]);
  useEffect(() => {
    if (input === text) return;
    const id = setTimeout(() => setQuery({ logq: input || undefined }), 400);
    return () => clearTimeout(id);
  }, [input]);

  const filter = (): Schemas['LogFilterBody'] => {
    const logs: Schemas['LogFilter'] = {};
    if (props.flowRunId) logs.flow_run_id = { any_: [props.flowRunId] };
    if (props.taskRunId) logs.task_run_id = { any_: [props.taskRunId] };
    if (level) logs.level = { ge_: level };
    if (text) logs.text = { query: text };
    return { logs, sort: 'TIMESTAMP_ASC' };
  };

  const load = async (offset: number, g: number) => {
    if (inflight.current === offset && offset > 0) return;
    inflight.current = offset;
    setLoading(true);
    try {
      const page = await api.post<Log[]>('/logs/filter', { ...filter(), offset, limit: PAGE });
      if (g !== gen.current) return;
      setLogs((old) => (offset === 0 ? page : [...old, ...page]));
      setDone(page.length < PAGE);
      setError(null);
    } catch (e) {
      if (g === gen.current) setError(e as Error);
    } finally {
      if (g === gen.current) {
        setLoading(false);
        inflight.current = -1;
      }
    }
  };

  useEffect(() => {
    const g = ++gen.current;
    inflight.current = -1;
    setLogs([]);
    setDone(false);
    load(0, g);
  }, [props.flowRunId, props.taskRunId, level, text]);

  // While the run is live and everything is loaded, look for new lines.
  useEffect(() => {
    if (!props.live) return;
    const id = setInterval(() => {
      if (!loading && done && document.visibilityState === 'visible') {
        const g = gen.current;
        api
          .post<Log[]>('/logs/filter', { ...filter(), offset: logs.length, limit: PAGE })
          .then((page) => {
            if (g === gen.current && page.length) {
              setLogs((old) => [...old, ...page]);
              setDone(page.length < PAGE);
            }
          })
          .catch(() => {});
      }
    }, 5000);
    return () => clearInterval(id);
  });

  const onDownload = async () => {
    try {
      const res = await download(`/flow_runs/${props.flowRunId}/logs/download`);
      const blob = await res.blob();
      const cd = res.headers.get('Content-Disposition') ?? '';
      const name = /filename="?([^";]+)"?/.exec(cd)?.[1] ?? `${props.flowRunId}.log`;
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = name;
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 10000);
    } catch (e) {
      toastError(e, 'Download failed');
    }
  };

  const rowH = 22;
  return (
    <div class="logs-view" data-testid="logs">
      <div class="logs-tools">
        <label class="filter">
          <span>Level</span>
          <select value={String(level)} onChange={(e) => setQuery({ level: Number((e.target as HTMLSelectElement).value) || undefined })} data-testid="filter-level">
            {LEVELS.map(([n, l]) => (
              <option key={n} value={String(n)}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <label class="filter grow">
          <span>Search the messages</span>
          <input type="search" value={input} placeholder="text in the log message" onInput={(e) => setInput((e.target as HTMLInputElement).value)} onKeyDown={(e) => e.key === 'Enter' && setQuery({ logq: input || undefined })} data-testid="filter-logq" />
        </label>
        {props.downloadable && props.flowRunId && (
          <button class="btn" onClick={onDownload} data-testid="action-download-logs" title="All lines of this run as text">
            Download
          </button>
        )}
      </div>
      {error && logs.length === 0 ? (
        <ErrorView error={error} onRetry={() => load(0, gen.current)} />
      ) : logs.length === 0 ? (
        <div class="status empty" data-testid="logs-empty">
          {loading ? 'Loading…' : text || level ? 'No log lines match.' : 'No logs yet.'}
        </div>
      ) : (
        <div class="logs">
          <VirtualList
            items={logs}
            rowHeight={rowH}
            height={480}
            testid="log-lines"
            render={(l, i) => {
              if (i === logs.length - 1 && !done && !loading) queueMicrotask(() => load(logs.length, gen.current));
              const lvl = levelName(l.level);
              return (
                <div key={l.id ?? i} class="log-row" style={{ height: `${rowH}px` }} data-testid="log-line" onClick={() => setOpen(l)} title="Show the whole line">
                  <span class="muted">{formatTime(l.timestamp, { ms: true })}</span>
                  <span class={`lvl lvl-${lvl}`}>{lvl}</span>
                  <span class="msg">
                    {l.task_run_id && props.taskNames?.get(l.task_run_id) && <span class="muted">{props.taskNames.get(l.task_run_id)} · </span>}
                    <Highlight text={l.message ?? ''} q={text} />
                  </span>
                </div>
              );
            }}
          />
          <div class="muted small-text logs-foot">
            {logs.length.toLocaleString()} line{logs.length === 1 ? '' : 's'}
            {!done && ' loaded — scroll for more'}
            {loading && ' · loading…'}
          </div>
        </div>
      )}
      {open && (
        <Dialog title={`${levelName(open.level)} · ${formatDateTime(open.timestamp)}`} onClose={() => setOpen(null)} wide testid="log-dialog">
          <div class="kv small-text" style={{ marginBottom: '8px' }}>
            <span class="muted">Logger</span>
            <span class="mono">{open.name}</span>
            {open.task_run_id && (
              <>
                <span class="muted">Task run</span>
                <a href={href(`/flow-runs/task-run/${open.task_run_id}`)}>{props.taskNames?.get(open.task_run_id) ?? open.task_run_id}</a>
              </>
            )}
          </div>
          <pre class="log-full">{open.message}</pre>
        </Dialog>
      )}
    </div>
  );
}
