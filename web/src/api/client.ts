// A small typed client of Orrery's REST API.
//
// URLs are relative to the document's base (see internal/ui: index.html
// carries a <base href> pointing at the app's root), so the UI works at /,
// behind HTTPS or a proxy, and under a sub-path without configuration.
import { signal } from '@preact/signals';
import type { components } from './schema';

export type Schemas = components['schemas'];

const KEY_STORAGE = 'orrery.apiKey';

/** True while the server answered 401 and no usable key is stored: App shows the key prompt. */
export const needKey = signal(false);
/** Bumped when the key changes, so pages that failed with 401 fetch again. */
export const authEpoch = signal(0);

export function apiKey(): string | null {
  try {
    return sessionStorage.getItem(KEY_STORAGE);
  } catch {
    return null;
  }
}

export function setApiKey(key: string | null): void {
  try {
    if (key) sessionStorage.setItem(KEY_STORAGE, key);
    else sessionStorage.removeItem(KEY_STORAGE);
  } catch {
    /* storage disabled: the key lives for this page only */
  }
  needKey.value = false;
  authEpoch.value++;
}

/** The app's root URL ("https://host/prefix/"), from the document's base. */
export function appRoot(): URL {
  return new URL('./', document.baseURI);
}

/** The absolute URL of an API path such as "/flow_runs/filter". */
export function apiURL(path: string): string {
  return new URL('api' + (path.startsWith('/') ? path : '/' + path), appRoot()).toString();
}

/** One validation problem of a 422 answer (Prefect 2.7's shape). */
export interface ValidationDetail {
  loc: (string | number)[];
  msg: string;
  type?: string;
}

/** An API answer other than 2xx, with the server's message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The 422 validation details, if any. */
  get details(): ValidationDetail[] {
    const b = this.body as { exception_detail?: ValidationDetail[] } | null;
    return Array.isArray(b?.exception_detail) ? b!.exception_detail : [];
  }
}

/** The message a user should see for a failed answer. */
export function errorMessage(status: number, body: unknown): string {
  const b = body as Record<string, unknown> | null;
  if (b && typeof b === 'object') {
    if (Array.isArray(b.exception_detail) && b.exception_detail.length) {
      return (b.exception_detail as ValidationDetail[])
        .map((d) => {
          const loc = (d.loc ?? []).filter((p) => p !== 'body').join('.');
          return loc ? `${loc}: ${d.msg}` : d.msg;
        })
        .join('; ');
    }
    if (typeof b.detail === 'string') return b.detail;
    if (typeof b.exception_message === 'string') return b.exception_message;
  }
  if (typeof body === 'string' && body) return body.slice(0, 300);
  return `The server answered ${status}.`;
}

export interface RequestOptions {
  signal?: AbortSignal;
  query?: Record<string, string | number | boolean | undefined>;
}

/** Sends a request; resolves to the parsed JSON body (undefined for 204). */
export async function request<T>(method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
  const url = new URL(apiURL(path));
  for (const [k, v] of Object.entries(opts.query ?? {})) {
    if (v !== undefined) url.searchParams.set(k, String(v));
  }
  const headers: Record<string, string> = { Accept: 'application/json' };
  const key = apiKey();
  if (key) headers.Authorization = `Bearer ${key}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: opts.signal,
    credentials: 'same-origin',
  });
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON: keep the text */
  }
  if (!res.ok) {
    if (res.status === 401) needKey.value = true;
    throw new ApiError(res.status, parsed, errorMessage(res.status, parsed));
  }
  return parsed as T;
}

/** Fetches a non-JSON resource (log download) with the key; resolves to the Response. */
export async function download(path: string): Promise<Response> {
  const headers: Record<string, string> = {};
  const key = apiKey();
  if (key) headers.Authorization = `Bearer ${key}`;
  const res = await fetch(apiURL(path), { headers, credentials: 'same-origin' });
  if (!res.ok) {
    if (res.status === 401) needKey.value = true;
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* keep text */
    }
    throw new ApiError(res.status, parsed, errorMessage(res.status, parsed));
  }
  return res;
}

export const api = {
  get: <T>(path: string, opts?: RequestOptions) => request<T>('GET', path, undefined, opts),
  post: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>('POST', path, body ?? {}, opts),
  patch: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>('PATCH', path, body ?? {}, opts),
  put: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>('PUT', path, body ?? {}, opts),
  delete: <T = void>(path: string, opts?: RequestOptions) => request<T>('DELETE', path, undefined, opts),
};
