// A small client of Orrery's REST API for seeding and for checking what
// the UI did (the API is the source of truth a test reads back).
export class Api {
  constructor(readonly base: string) {}

  async call<T = any>(method: string, path: string, body?: unknown, okStatuses: number[] = [200, 201, 204]): Promise<T> {
    const r = await fetch(this.base + '/api' + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    if (!okStatuses.includes(r.status)) {
      throw new Error(`${method} ${path}: ${r.status} ${text}`);
    }
    return (text ? JSON.parse(text) : null) as T;
  }

  get<T = any>(path: string) {
    return this.call<T>('GET', path);
  }
  post<T = any>(path: string, body?: unknown) {
    return this.call<T>('POST', path, body ?? {});
  }
  patch<T = any>(path: string, body: unknown) {
    return this.call<T>('PATCH', path, body);
  }
  put<T = any>(path: string, body: unknown) {
    return this.call<T>('PUT', path, body);
  }
}
