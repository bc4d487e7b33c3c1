// The `test` every spec uses: Playwright's, with an automatic guard that
// fails the test on
//   - an uncaught page error (pageerror),
//   - a console error,
//   - an /api response with status >= 400 that the test did not announce
//     with guard.allow(...) (a provoked 422, say),
//   - any request off the page's origin: it is aborted (the UI must work
//     air-gapped) and recorded.
import { test as base, expect, type Page, type ConsoleMessage } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { outDir } from './orrery';

export interface Guard {
  /** The origin requests may go to (the server's, by default). */
  origin: string;
  /** Announces an expected failing API call: path substring and status. */
  allow(pathPart: string, status: number): void;
  /** When true, requests off the origin are still aborted but not a
   *  failure (the stock 2.7.12 UI loads block logos from a CDN). */
  tolerateOffOrigin: boolean;
  /** Console errors matching one of these are not a failure: only for
   *  the stock 2.7.12 UI's own known defects, each named where it is set. */
  tolerateConsole: RegExp[];
  /** Requests aborted for leaving the origin. */
  blocked: string[];
  /** What was recorded so far. */
  problems(): string[];
  /** Every /api call the page made: "METHOD path status". */
  apiCalls: string[];
}

function attach(page: Page, guard: Guard, problems: string[], allowed: Array<{ part: string; status: number }>) {
  const isAllowed = (url: string, status: number) =>
    allowed.some((a) => url.includes(a.part) && (a.status === status || a.status === 0));
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg: ConsoleMessage) => {
    if (msg.type() !== 'error') return;
    const where = msg.location()?.url || '';
    // The browser logs every failed resource load; an announced API failure is not a problem.
    const m = /status of (\d+)/.exec(msg.text());
    if (m && isAllowed(where, Number(m[1]))) return;
    // The abort of an off-origin load is recorded (or tolerated) by the route.
    if (msg.text().includes('ERR_BLOCKED_BY_CLIENT') && where && new URL(where).origin !== guard.origin) return;
    if (guard.tolerateConsole.some((re) => re.test(msg.text()))) return;
    problems.push(`console error: ${msg.text()}${where ? ` (${where})` : ''}`);
  });
  page.on('response', (resp) => {
    const u = new URL(resp.url());
    if (u.origin !== guard.origin) return;
    const line = `${resp.request().method()} ${u.pathname} ${resp.status()}`;
    // "/api/" anywhere: a call sent to a wrong base path is an API call too.
    const isAPI = u.pathname.includes('/api/') || u.pathname === '/ui-settings';
    if (isAPI) guard.apiCalls.push(line);
    if (resp.status() >= 400 && !isAllowed(resp.url(), resp.status())) {
      problems.push(`${isAPI ? 'failed API call' : 'failed request'}: ${line}`);
    }
  });
  page.on('requestfailed', (req) => {
    const u = new URL(req.url());
    if (u.origin !== guard.origin) return; // recorded by the route below
    const f = req.failure()?.errorText || '';
    // Navigating away cancels in-flight loads: not a failure of the server.
    if (f.includes('ERR_ABORTED')) return;
    problems.push(`request failed: ${req.method()} ${req.url()} ${f}`);
  });
}

export const test = base.extend<{ guard: Guard }>({
  guard: [
    async ({ page, context, baseURL }, use, testInfo) => {
      const problems: string[] = [];
      const allowed: Array<{ part: string; status: number }> = [];
      const guard: Guard = {
        origin: new URL(baseURL || process.env.UI_TEST_BASE_URL || 'http://127.0.0.1').origin,
        allow: (part, status) => allowed.push({ part, status }),
        tolerateOffOrigin: false,
        tolerateConsole: [],
        blocked: [],
        problems: () => problems,
        apiCalls: [],
      };
      await context.route(
        (url) => url.protocol !== 'data:' && url.protocol !== 'blob:' && url.origin !== guard.origin,
        async (route) => {
          const line = `${route.request().method()} ${route.request().url()}`;
          guard.blocked.push(line);
          if (!guard.tolerateOffOrigin) problems.push(`request off the origin: ${line}`);
          await route.abort('blockedbyclient');
        },
      );
      attach(page, guard, problems, allowed);
      context.on('page', (p) => attach(p, guard, problems, allowed));
      await use(guard);
      if (guard.apiCalls.length) {
        fs.mkdirSync(path.join(outDir, 'api-calls'), { recursive: true });
        fs.writeFileSync(path.join(outDir, 'api-calls', `${testInfo.titlePath.slice(1).join(' - ').replace(/[^\w.-]+/g, '_')}.txt`), guard.apiCalls.join('\n') + '\n');
      }
      expect(problems, 'page errors, console errors, failed API calls or off-origin requests').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };

/** Saves a full-page screenshot as out/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string) {
  await page.screenshot({ path: path.join(outDir, 'screenshots', `${name}.png`), fullPage: true });
}
