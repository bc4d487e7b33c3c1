// Filter inputs bound to URL query parameters: each reads its value from
// the URL and writes it back (replacing the history entry), so filters
// survive reloads and links carry them. Writing a filter resets "offset".
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { query, setQuery } from '../lib/router';

export function FilterBar(props: { children: ComponentChildren; testid?: string; onClear?: () => void }) {
  return (
    <div class="filter-bar" data-testid={props.testid ?? 'filter-bar'} role="search">
      {props.children}
      {props.onClear && (
        <button class="btn ghost small" onClick={props.onClear} data-testid="filter-clear">
          Clear filters
        </button>
      )}
    </div>
  );
}

/** A text input bound to ?param= (debounced). */
export function TextFilter(props: { param: string; label: string; placeholder?: string; testid?: string }) {
  const urlValue = query.value.get(props.param) ?? '';
  const [v, setV] = useState(urlValue);
  useEffect(() => setV(urlValue), [urlValue]);
  useEffect(() => {
    if (v === urlValue) return;
    const id = setTimeout(() => setQuery({ [props.param]: v, offset: undefined }), 350);
    return () => clearTimeout(id);
  }, [v]);
  return (
    <label class="filter">
      <span>{props.label}</span>
      <input
        type="search"
        value={v}
        placeholder={props.placeholder}
        onInput={(e) => setV((e.target as HTMLInputElement).value)}
        onKeyDown={(e) => e.key === 'Enter' && setQuery({ [props.param]: v, offset: undefined })}
        data-testid={props.testid ?? `filter-${props.param}`}
      />
    </label>
  );
}

/** A single-choice select bound to ?param=. */
export function SelectFilter(props: {
  param: string;
  label: string;
  options: { value: string; label: string }[];
  /** The label of the empty choice (no filter). */
  anyLabel?: string;
  testid?: string;
  fallback?: string;
}) {
  const v = query.value.get(props.param) ?? props.fallback ?? '';
  return (
    <label class="filter">
      <span>{props.label}</span>
      <select
        value={v}
        onChange={(e) => setQuery({ [props.param]: (e.target as HTMLSelectElement).value, offset: undefined })}
        data-testid={props.testid ?? `filter-${props.param}`}
      >
        {props.anyLabel !== undefined && <option value="">{props.anyLabel}</option>}
        {props.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );
}

/** Toggle chips for a multi-value parameter (?param=a&param=b). */
export function ChipsFilter(props: {
  param: string;
  label: string;
  options: { value: string; label: string; color?: string }[];
  testid?: string;
}) {
  const values = query.value.getAll(props.param);
  const toggle = (x: string) => {
    const next = values.includes(x) ? values.filter((y) => y !== x) : [...values, x];
    setQuery({ [props.param]: next, offset: undefined });
  };
  return (
    <div class="filter chips" data-testid={props.testid ?? `filter-${props.param}`}>
      <span>{props.label}</span>
      <div class="chip-row">
        {props.options.map((o) => (
          <button
            key={o.value}
            type="button"
            class={'chip' + (values.includes(o.value) ? ' on' : '')}
            style={o.color ? { '--chip': o.color } : undefined}
            aria-pressed={values.includes(o.value)}
            onClick={() => toggle(o.value)}
            data-value={o.value}
          >
            {o.label}
          </button>
        ))}
      </div>
    </div>
  );
}

/** Tag input: comma-separated tags in ?param=a&param=b. */
export function TagsFilter(props: { param: string; label: string; testid?: string }) {
  const values = query.value.getAll(props.param);
  const [v, setV] = useState(values.join(', '));
  const joined = values.join(', ');
  useEffect(() => setV(joined), [joined]);
  const commit = () => {
    const tags = v
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    if (tags.join(', ') !== joined) setQuery({ [props.param]: tags, offset: undefined });
  };
  return (
    <label class="filter">
      <span>{props.label}</span>
      <input
        type="text"
        value={v}
        placeholder="tag1, tag2"
        onInput={(e) => setV((e.target as HTMLInputElement).value)}
        onBlur={commit}
        onKeyDown={(e) => e.key === 'Enter' && commit()}
        data-testid={props.testid ?? `filter-${props.param}`}
      />
    </label>
  );
}

/** Time range presets, in seconds back from now (0 = any time). */
export const TIME_RANGES: { value: string; label: string; seconds: number }[] = [
  { value: '1h', label: 'Past hour', seconds: 3600 },
  { value: '24h', label: 'Past 24 hours', seconds: 86400 },
  { value: '7d', label: 'Past 7 days', seconds: 7 * 86400 },
  { value: '30d', label: 'Past 30 days', seconds: 30 * 86400 },
  { value: 'all', label: 'Any time', seconds: 0 },
];

export function rangeSeconds(v: string | null | undefined, fallback = '24h'): number {
  return (TIME_RANGES.find((r) => r.value === (v || fallback)) ?? TIME_RANGES[1]).seconds;
}
