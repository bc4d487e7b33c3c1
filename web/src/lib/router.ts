// A small client-side router: the app's paths are the Prefect 2.7 UI's.
//
// Paths are relative to the app's root (document.baseURI), so links and
// reloads work under a sub-path. The current location is a signal; pages
// read query parameters from it and write them back with setQuery, which
// keeps filters in the URL (reload-proof and shareable).
import { signal, computed } from '@preact/signals';

/** The app's root path ("/" or "/prefix/"). */
export function basePath(): string {
  const p = new URL('./', document.baseURI).pathname;
  return p.endsWith('/') ? p : p + '/';
}

function current(): { path: string; search: string } {
  const base = basePath();
  let path = location.pathname;
  if (path.startsWith(base)) path = '/' + path.slice(base.length);
  else if (path + '/' === base) path = '/';
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return { path, search: location.search };
}

/** The current app path ("/flow-runs/flow-run/<id>") and query string. */
export const loc = signal(current());

/** The current query parameters. */
export const query = computed(() => new URLSearchParams(loc.value.search));

/** The browser URL of an app path ("/flows" -> "/prefix/flows"). */
export function href(path: string): string {
  return basePath() + path.replace(/^\//, '');
}

/** Goes to an app path (with optional "?query"). */
export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  const url = href(to);
  if (opts.replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  loc.value = current();
  if (!opts.replace) window.scrollTo(0, 0);
}

/**
 * Sets query parameters (undefined, null, "" or [] removes one; arrays are
 * repeated keys) and replaces the history entry unless push is set.
 */
export function setQuery(
  updates: Record<string, string | string[] | number | null | undefined>,
  opts: { push?: boolean } = {},
): void {
  const q = new URLSearchParams(loc.value.search);
  for (const [k, v] of Object.entries(updates)) {
    q.delete(k);
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) v.forEach((x) => x !== '' && q.append(k, x));
    else q.set(k, String(v));
  }
  const s = q.toString();
  navigate(loc.value.path + (s ? '?' + s : ''), { replace: !opts.push });
}

window.addEventListener('popstate', () => {
  loc.value = current();
});

// Same-origin <a href> clicks inside the app are handled here, so pages
// use plain links (middle-click, copy link and open-in-new-tab still work).
document.addEventListener('click', (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = (e.target as Element | null)?.closest?.('a');
  if (!a || a.target || a.hasAttribute('download') || a.dataset.external !== undefined) return;
  const url = new URL(a.href, document.baseURI);
  const base = basePath();
  if (url.origin !== location.origin || !url.pathname.startsWith(base)) return;
  if (url.pathname.startsWith(base + 'api/') || url.pathname.startsWith(base + 'docs')) return;
  e.preventDefault();
  navigate('/' + url.pathname.slice(base.length) + url.search);
});

export interface Route {
  pattern: string;
  parts: string[];
}

/** Matches a path against a pattern like "/flows/flow/:id"; returns the params or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split('/').filter(Boolean);
  const s = path.split('/').filter(Boolean);
  if (p.length !== s.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(':')) params[p[i].slice(1)] = decodeURIComponent(s[i]);
    else if (p[i] !== s[i]) return null;
  }
  return params;
}
