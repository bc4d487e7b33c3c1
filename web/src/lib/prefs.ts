// Display preferences kept in localStorage (the settings page edits them).
import { signal, effect } from '@preact/signals';

function load(key: string, fallback: string): string {
  try {
    return localStorage.getItem(key) ?? fallback;
  } catch {
    return fallback;
  }
}

function persisted<T extends string>(key: string, fallback: T) {
  const s = signal<T>(load(key, fallback) as T);
  effect(() => {
    try {
      localStorage.setItem(key, s.value);
    } catch {
      /* storage disabled */
    }
  });
  return s;
}

/** "local" (the browser's zone) or "utc". */
export const timeZonePref = persisted<'local' | 'utc'>('orrery.timeZone', 'local');
/** "24" (24-hour clock, the default) or "12". */
export const hourCyclePref = persisted<'24' | '12'>('orrery.hourCycle', '24');
