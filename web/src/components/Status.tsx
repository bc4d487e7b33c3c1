// Loading, empty and error states, used the same way on every page.
import type { ComponentChildren } from 'preact';
import { ApiError } from '../api/client';

export function Loading(props: { label?: string }) {
  return (
    <div class="status loading" data-testid="loading" role="status">
      <span class="spinner" /> {props.label ?? 'Loading…'}
    </div>
  );
}

export function Empty(props: { children?: ComponentChildren; title?: string }) {
  return (
    <div class="status empty" data-testid="empty">
      <strong>{props.title ?? 'Nothing here yet'}</strong>
      {props.children && <div>{props.children}</div>}
    </div>
  );
}

export function ErrorView(props: { error: unknown; onRetry?: () => void }) {
  const e = props.error;
  const notFound = e instanceof ApiError && e.status === 404;
  const msg = e instanceof Error ? e.message : String(e);
  return (
    <div class="status error" data-testid="error" role="alert">
      <strong>{notFound ? 'Not found' : 'Something went wrong'}</strong>
      <div>{msg}</div>
      {props.onRetry && !notFound && (
        <button class="btn" onClick={props.onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** Renders loading / error / children for a useApi result. */
export function Loader<T>(props: {
  state: { data: T | undefined; error: Error | undefined; loading: boolean; reload: () => void };
  children: (data: T) => ComponentChildren;
}) {
  const { data, error, reload } = props.state;
  if (data === undefined && error) return <ErrorView error={error} onRetry={reload} />;
  if (data === undefined) return <Loading />;
  return <>{props.children(data)}</>;
}
