// A read-only JSON viewer: collapsible objects and arrays, coloured scalars.
import { useState } from 'preact/hooks';

function Scalar({ v }: { v: unknown }) {
  if (v === null) return <span class="j-null">null</span>;
  switch (typeof v) {
    case 'string':
      return <span class="j-str">{JSON.stringify(v)}</span>;
    case 'number':
      return <span class="j-num">{String(v)}</span>;
    case 'boolean':
      return <span class="j-bool">{String(v)}</span>;
    default:
      return <span>{String(v)}</span>;
  }
}

function Node({ name, v, depth }: { name?: string; v: unknown; depth: number }) {
  const [open, setOpen] = useState(depth < 2);
  const key = name !== undefined ? <span class="j-key">{name}: </span> : null;
  if (v === null || typeof v !== 'object') {
    return (
      <div class="j-row">
        {key}
        <Scalar v={v} />
      </div>
    );
  }
  const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v as object);
  const brackets = Array.isArray(v) ? ['[', ']'] : ['{', '}'];
  if (!entries.length)
    return (
      <div class="j-row">
        {key}
        {brackets.join('')}
      </div>
    );
  return (
    <div class="j-row">
      <button class="j-toggle" onClick={() => setOpen(!open)} aria-expanded={open}>
        {open ? '▾' : '▸'}
      </button>
      {key}
      {brackets[0]}
      {!open && <span class="muted"> {entries.length} {Array.isArray(v) ? 'items' : 'keys'} {brackets[1]}</span>}
      {open && (
        <div class="j-children">
          {entries.map(([k, x]) => (
            <Node key={k} name={Array.isArray(v) ? undefined : k} v={x} depth={depth + 1} />
          ))}
        </div>
      )}
      {open && brackets[1]}
    </div>
  );
}

export function JsonView(props: { value: unknown; testid?: string; raw?: boolean }) {
  const [raw, setRaw] = useState(!!props.raw);
  return (
    <div class="json-view" data-testid={props.testid ?? 'json-view'}>
      <div class="json-tools">
        <button class="btn small ghost" onClick={() => setRaw(!raw)}>
          {raw ? 'Tree' : 'Raw'}
        </button>
        <button
          class="btn small ghost"
          onClick={() => navigator.clipboard?.writeText(JSON.stringify(props.value, null, 2))}
        >
          Copy
        </button>
      </div>
      {raw ? <pre>{JSON.stringify(props.value, null, 2)}</pre> : <Node v={props.value} depth={0} />}
    </div>
  );
}
