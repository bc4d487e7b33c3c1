// Data-loading hooks.
import { useEffect, useRef, useState, useCallback } from 'preact/hooks';
import { authEpoch } from '../api/client';

export interface Loaded<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  /** Fetches again (keeps the old data on screen while loading). */
  reload: () => void;
}

/**
 * Runs load whenever deps change (and after a new API key is entered);
 * an older answer arriving late is dropped. pollMs > 0 reloads on a timer
 * while the tab is visible.
 */
export function useApi<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[], pollMs = 0): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const epoch = authEpoch.value;
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    const ctl = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    loadRef
      .current(ctl.signal)
      .then((data) => !ctl.signal.aborted && setState({ data, loading: false }))
      .catch((error) => {
        if (ctl.signal.aborted || error?.name === 'AbortError') return;
        setState((s) => ({ data: s.data, error, loading: false }));
      });
    return () => ctl.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick, epoch]);
  useEffect(() => {
    if (!pollMs) return;
    const id = setInterval(() => {
      if (document.visibilityState === 'visible') setTick((t) => t + 1);
    }, pollMs);
    return () => clearInterval(id);
  }, [pollMs]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** A value that follows v after ms without change (for search inputs). */
export function useDebounced<T>(v: T, ms = 300): T {
  const [d, setD] = useState(v);
  useEffect(() => {
    const id = setTimeout(() => setD(v), ms);
    return () => clearTimeout(id);
  }, [v, ms]);
  return d;
}
