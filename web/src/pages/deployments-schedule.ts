// Deployment schedules in words: cron (via cronstrue), interval, and the
// common RRULE forms (FREQ/INTERVAL/BYDAY/BYMONTHDAY/BYMONTH/BYHOUR/BYMINUTE/
// COUNT/UNTIL). An RRULE we cannot put into words is shown as written.
import cronstrue from 'cronstrue';
import type { Deployment } from '../api/types';
import { formatDuration } from '../lib/time';

export type Schedule = NonNullable<Deployment['schedule']>;

/** "every 1h", "At 02:00 AM, Monday through Friday (Europe/Berlin)", … */
export function describeSchedule(s: Schedule | null | undefined, hour24 = true): string {
  if (!s) return 'No schedule';
  const tz = s.timezone ? ` (${s.timezone})` : '';
  if ('cron' in s) {
    try {
      const text = cronstrue.toString(s.cron, { use24HourTimeFormat: hour24, verbose: false });
      const dayNote = s.day_or === false ? ' (day of month and day of week must both match)' : '';
      return text + dayNote + tz;
    } catch {
      return `cron ${s.cron}${tz}`;
    }
  }
  if ('interval' in s) return `Every ${intervalText(s.interval)}${tz}`;
  if ('rrule' in s) return describeRRule(s.rrule, hour24) + tz;
  return 'Unknown schedule';
}

/** The schedule as written (cron expression, interval seconds, RRULE). */
export function scheduleSource(s: Schedule | null | undefined): string {
  if (!s) return '';
  if ('cron' in s) return s.cron;
  if ('interval' in s) return `${s.interval} s` + (s.anchor_date ? ` from ${s.anchor_date}` : '');
  if ('rrule' in s) return s.rrule;
  return '';
}

export function scheduleKind(s: Schedule | null | undefined): string {
  if (!s) return 'none';
  return 'cron' in s ? 'cron' : 'interval' in s ? 'interval' : 'rrule' in s ? 'rrule' : 'unknown';
}

function intervalText(seconds: number): string {
  const units: [number, string][] = [
    [604800, 'week'],
    [86400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ];
  for (const [n, name] of units) {
    if (seconds >= n && seconds % n === 0) {
      const k = seconds / n;
      return k === 1 ? name : `${k} ${name}s`;
    }
  }
  return formatDuration(seconds);
}

const DAYS: Record<string, string> = { MO: 'Monday', TU: 'Tuesday', WE: 'Wednesday', TH: 'Thursday', FR: 'Friday', SA: 'Saturday', SU: 'Sunday' };
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const FREQ: Record<string, [string, string]> = {
  YEARLY: ['year', 'years'],
  MONTHLY: ['month', 'months'],
  WEEKLY: ['week', 'weeks'],
  DAILY: ['day', 'days'],
  HOURLY: ['hour', 'hours'],
  MINUTELY: ['minute', 'minutes'],
  SECONDLY: ['second', 'seconds'],
};

function list(xs: string[]): string {
  if (xs.length <= 1) return xs.join('');
  return xs.slice(0, -1).join(', ') + ' and ' + xs[xs.length - 1];
}

function ordinal(n: number): string {
  if (n < 0) return n === -1 ? 'last' : `${ordinal(-n)} from last`;
  const s = ['th', 'st', 'nd', 'rd'];
  const v = n % 100;
  return n + (s[(v - 20) % 10] || s[v] || s[0]);
}

/** Words for an RRULE (with or without DTSTART/"RRULE:" lines); the text itself when it uses parts we do not describe. */
export function describeRRule(text: string, hour24 = true): string {
  const line = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => /^(RRULE:)?FREQ=/i.test(l) || /(^|;)FREQ=/i.test(l.replace(/^RRULE:/i, '')));
  if (!line) return `RRULE ${text}`;
  const parts = new Map<string, string>();
  for (const p of line.replace(/^RRULE:/i, '').split(';')) {
    const [k, v] = p.split('=');
    if (k && v !== undefined) parts.set(k.toUpperCase(), v.toUpperCase());
  }
  const known = new Set(['FREQ', 'INTERVAL', 'BYDAY', 'BYMONTHDAY', 'BYMONTH', 'BYHOUR', 'BYMINUTE', 'BYSECOND', 'COUNT', 'UNTIL', 'WKST']);
  const freq = FREQ[parts.get('FREQ') ?? ''];
  if (!freq || [...parts.keys()].some((k) => !known.has(k))) return `RRULE ${line}`;
  const n = Number(parts.get('INTERVAL') ?? '1') || 1;
  const out: string[] = [n === 1 ? `Every ${freq[0]}` : `Every ${n} ${freq[1]}`];
  const byday = parts.get('BYDAY');
  if (byday) {
    const days = byday.split(',').map((d) => {
      const m = /^([+-]?\d+)?(MO|TU|WE|TH|FR|SA|SU)$/.exec(d);
      if (!m) return d;
      return m[1] ? `the ${ordinal(Number(m[1]))} ${DAYS[m[2]]}` : DAYS[m[2]];
    });
    out.push(`on ${list(days)}`);
  }
  const bymd = parts.get('BYMONTHDAY');
  if (bymd) out.push(`on the ${list(bymd.split(',').map((d) => ordinal(Number(d))))} day of the month`);
  const bymonth = parts.get('BYMONTH');
  if (bymonth) out.push(`in ${list(bymonth.split(',').map((m) => MONTHS[Number(m) - 1] ?? m))}`);
  const hours = parts.get('BYHOUR')?.split(',').map(Number);
  const minutes = parts.get('BYMINUTE')?.split(',').map(Number);
  if (hours && hours.every((h) => h >= 0 && h < 24)) {
    const mins = minutes && minutes.length ? minutes : [0];
    const times: string[] = [];
    for (const h of hours) for (const m of mins) times.push(clock(h, m, hour24));
    out.push(`at ${list(times)}`);
  } else if (minutes) {
    out.push(`at minute ${list(minutes.map(String))}`);
  }
  const count = parts.get('COUNT');
  if (count) out.push(`, ${count} times`);
  const until = parts.get('UNTIL');
  if (until) {
    const m = /^(\d{4})(\d{2})(\d{2})/.exec(until);
    out.push(`until ${m ? `${m[1]}-${m[2]}-${m[3]}` : until}`);
  }
  return out.join(' ').replace(' ,', ',');
}

function clock(h: number, m: number, hour24: boolean): string {
  const mm = String(m).padStart(2, '0');
  if (hour24) return `${String(h).padStart(2, '0')}:${mm}`;
  const suffix = h < 12 ? 'AM' : 'PM';
  return `${h % 12 === 0 ? 12 : h % 12}:${mm} ${suffix}`;
}
