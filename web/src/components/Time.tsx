// Time and duration displays that follow the timezone / 24-hour settings.
import { formatDateTime, formatDuration, formatRelative, parseTime, zoneName } from '../lib/time';
import { timeZonePref, hourCyclePref } from '../lib/prefs';

/** An instant in the chosen zone with its zone label; the ISO value is in the title. */
export function Time(props: { value?: string | null; seconds?: boolean; relative?: boolean; /** Table cell: no zone, no current year. */ compact?: boolean }) {
  // Reading the signals subscribes this component to setting changes.
  void timeZonePref.value, hourCyclePref.value;
  const d = parseTime(props.value);
  if (!d) return <span class="muted">—</span>;
  const text = formatDateTime(d, { seconds: props.seconds, compact: props.compact });
  return (
    <time dateTime={d.toISOString()} title={`${d.toISOString()} (${zoneName()})`} data-testid="time">
      {text}
      {props.relative && <span class="muted"> ({formatRelative(d)})</span>}
    </time>
  );
}

/** A duration in seconds ("3m 4s"). */
export function Duration(props: { seconds?: number | null }) {
  return <span class="duration">{formatDuration(props.seconds)}</span>;
}

/** "5m ago" / "in 2h", with the full time in the title. */
export function Relative(props: { value?: string | null }) {
  void timeZonePref.value, hourCyclePref.value;
  const d = parseTime(props.value);
  if (!d) return <span class="muted">—</span>;
  return (
    <time dateTime={d.toISOString()} title={formatDateTime(d)}>
      {formatRelative(d)}
    </time>
  );
}
