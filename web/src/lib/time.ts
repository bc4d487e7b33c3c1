// Times and durations as users read them: the browser's zone (or UTC) with
// the zone named, 24-hour by default.
import { timeZonePref, hourCyclePref } from './prefs';

function options(extra: Intl.DateTimeFormatOptions): Intl.DateTimeFormatOptions {
  return {
    timeZone: timeZonePref.value === 'utc' ? 'UTC' : undefined,
    hourCycle: hourCyclePref.value === '12' ? 'h12' : 'h23',
    ...extra,
  };
}

const cache = new Map<string, Intl.DateTimeFormat>();
function fmt(kind: string, extra: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${kind}|${timeZonePref.value}|${hourCyclePref.value}`;
  let f = cache.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(undefined, options(extra));
    cache.set(key, f);
  }
  return f;
}

export function parseTime(t: string | Date | null | undefined): Date | null {
  if (!t) return null;
  const d = t instanceof Date ? t : new Date(t);
  return isNaN(d.getTime()) ? null : d;
}

/** "2026-12-02 14:05:09 UTC" style, in the chosen zone, with the zone's short name. */
export function formatDateTime(t: string | Date | null | undefined, opts: { seconds?: boolean; compact?: boolean } = {}): string {
  const d = parseTime(t);
  if (!d) return '—';
  // compact (table cells): no zone name, since the column header carries
  // it, and no year when it is the current one, so a cell fits one line.
  const utc = timeZonePref.value === 'utc';
  const thisYear = (x: Date) => (utc ? x.getUTCFullYear() : x.getFullYear());
  const withYear = !opts.compact || thisYear(d) !== thisYear(new Date());
  const f = fmt(`${opts.seconds === false ? 'dtm' : 'dts'}${opts.compact ? (withYear ? 'cy' : 'c') : ''}`, {
    year: withYear ? 'numeric' : undefined,
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: opts.seconds === false ? undefined : '2-digit',
    timeZoneName: opts.compact ? undefined : 'short',
  });
  return f.format(d);
}

/** Time of day only ("14:05:09"), for log lines and chart ticks. */
export function formatTime(t: string | Date | null | undefined, opts: { ms?: boolean } = {}): string {
  const d = parseTime(t);
  if (!d) return '—';
  const f = fmt(opts.ms ? 'tms' : 't', {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    fractionalSecondDigits: opts.ms ? 3 : undefined,
  });
  return f.format(d);
}

/** The zone label shown next to times ("UTC", "CET", "GMT+2"). */
export function zoneLabel(): string {
  if (timeZonePref.value === 'utc') return 'UTC';
  const part = fmt('z', { timeZoneName: 'short' })
    .formatToParts(new Date())
    .find((p) => p.type === 'timeZoneName');
  return part?.value ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** The IANA name of the zone in use ("Europe/Berlin" or "UTC"). */
export function zoneName(): string {
  return timeZonePref.value === 'utc' ? 'UTC' : Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** A duration in seconds as "1h 2m", "3m 4s", "5.2s", "120ms". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) return '—';
  const s = Math.abs(seconds);
  if (s < 1) return `${Math.round(s * 1000)}ms`;
  if (s < 10) return `${s.toFixed(1)}s`;
  if (s < 60) return `${Math.round(s)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${Math.round(s - m * 60)}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m - h * 60}m`;
  const d = Math.floor(h / 24);
  return `${d}d ${h - d * 24}h`;
}

/** "in 5m" / "3h ago" relative to now. */
export function formatRelative(t: string | Date | null | undefined, now = Date.now()): string {
  const d = parseTime(t);
  if (!d) return '—';
  const diff = (d.getTime() - now) / 1000;
  if (Math.abs(diff) < 5) return 'just now';
  const text = formatDuration(Math.abs(diff)).split(' ')[0];
  return diff > 0 ? `in ${text}` : `${text} ago`;
}

/** A value for <input type="datetime-local"> in the chosen zone. */
export function toInputValue(t: string | null | undefined): string {
  const d = parseTime(t);
  if (!d) return '';
  const shifted = timeZonePref.value === 'utc' ? d : new Date(d.getTime() - d.getTimezoneOffset() * 60000);
  return shifted.toISOString().slice(0, 16);
}

/** The ISO instant of an <input type="datetime-local"> value read in the chosen zone. */
export function fromInputValue(v: string): string | undefined {
  if (!v) return undefined;
  const d = timeZonePref.value === 'utc' ? new Date(v + ':00Z') : new Date(v);
  return isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** "Dec 2" in the chosen zone (chart ticks). */
export function formatDay(t: string | Date | null | undefined): string {
  const d = parseTime(t);
  if (!d) return '—';
  return fmt('day', { month: 'short', day: 'numeric' }).format(d);
}
