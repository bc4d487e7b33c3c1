// Measures the UI's budgets of issue 12 and writes docs/ui-budgets.md:
//   - JavaScript, gzipped, in total: every .js file of web/dist gzipped
//     (level 9, as internal/ui serves them), and the bytes a browser
//     actually received for scripts when opening the flow-runs page;
//   - the time from the start of a navigation to /flow-runs until the page
//     is usable (its table shows rows, nothing is loading), on the seeded
//     database of global setup and on a database of ORRERY_SCALE_DB's runs
//     (the `make bench` scale database; tests/ui/report.sh finds or builds it).
// Figures, not assertions: a slow machine does not fail the build.
import { test, expect, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { orreryBin, repoRoot, startOrrery } from '../lib/orrery';
import { state } from '../lib/state';

const REPS = Number(process.env.UI_REPORT_REPS || 7);
const results: Record<string, unknown> = {};

/** Navigates to /flow-runs and returns ms from navigation start to usable. */
async function timeToUsable(page: Page, url: string): Promise<number> {
  await page.goto(url + '/flow-runs', { waitUntil: 'commit' });
  const handle = await page.waitForFunction(
    () => {
      const root = document.querySelector('[data-testid="page-flow-runs"]');
      const rows = document.querySelectorAll('[data-testid="flow-runs-table-row"]').length;
      const loading = document.querySelector('[data-testid="loading"]');
      return root && rows > 0 && !loading ? performance.now() : false;
    },
    undefined,
    { polling: 'raf', timeout: 120_000 },
  );
  return (await handle.jsonValue()) as number;
}

/** What `orrery --version` says of the binary measured. */
function binVersion(): string {
  try {
    return execFileSync(orreryBin(), ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1], n: s.length };
};

async function measure(page: Page, url: string) {
  await timeToUsable(page, url); // warm the server's and the OS's caches once
  const xs: number[] = [];
  for (let i = 0; i < REPS; i++) xs.push(await timeToUsable(page, url));
  return stats(xs);
}

test('JavaScript size', async ({ page }) => {
  // The files the binary embeds: web/dist of this checkout (make ui-report
  // builds bin/orrery from it), or UI_WEB_DIST for a binary built elsewhere.
  const dist = process.env.UI_WEB_DIST || path.join(repoRoot, 'web', 'dist');
  const files: string[] = [];
  const walk = (d: string) => fs.readdirSync(d, { withFileTypes: true }).forEach((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : files.push(path.join(d, e.name))));
  walk(dist);
  let raw = 0;
  let gz = 0;
  const perFile: Array<[string, number, number]> = [];
  for (const f of files.filter((f) => f.endsWith('.js'))) {
    const b = fs.readFileSync(f);
    const g = zlib.gzipSync(b, { level: 9 }).length;
    raw += b.length;
    gz += g;
    perFile.push([path.relative(dist, f), b.length, g]);
  }
  // What the browser receives for scripts on the flow-runs page.
  let transferred = 0;
  page.on('requestfinished', async (req) => {
    if (req.resourceType() === 'script') transferred += (await req.sizes()).responseBodySize;
  });
  await page.goto(state().url + '/flow-runs');
  await expect(page.getByTestId('page-flow-runs')).toBeVisible();
  await page.waitForLoadState('networkidle');
  results.js = { raw, gzip: gz, transferred, files: perFile };
});

test('flow-runs page: time to usable, seeded database', async ({ page }) => {
  results.seeded = await measure(page, state().url);
  const r = await fetch(state().url + '/api/flow_runs/count', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
  results.seededRuns = await r.json();
});

test('flow-runs page: time to usable, scale database', async ({ page }) => {
  const db = process.env.ORRERY_SCALE_DB;
  test.skip(!db, 'ORRERY_SCALE_DB not set (tests/ui/report.sh sets it)');
  const copy = path.join(path.dirname(db!), `ui-report-${process.pid}.db`);
  execFileSync('cp', ['--reflink=auto', db!, copy]);
  const server = await startOrrery({ ports: [4380, 4389], databaseURL: `sqlite:///${copy}`, logName: 'orrery-scale.log' });
  try {
    const r = await fetch(server.url + '/api/flow_runs/count', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    results.scaleRuns = await r.json();
    results.scaleBytes = fs.statSync(db!).size;
    results.scale = await measure(page, server.url);
    // Filtered: one state, the query a user makes most.
    const xs: number[] = [];
    for (let i = 0; i < REPS; i++) {
      await page.goto(server.url + '/flow-runs?state=FAILED', { waitUntil: 'commit' });
      const h = await page.waitForFunction(() => {
        const rows = document.querySelectorAll('[data-testid="flow-runs-table-row"]').length;
        return rows > 0 && !document.querySelector('[data-testid="loading"]') ? performance.now() : false;
      }, undefined, { polling: 'raf', timeout: 120_000 });
      xs.push((await h.jsonValue()) as number);
    }
    results.scaleFailed = stats(xs);
  } finally {
    await server.stop();
    for (const f of [copy, copy + '-wal', copy + '-shm']) fs.rmSync(f, { force: true });
  }
});

test.afterAll(async ({ browser }) => {
  const cpu = (os.cpus()[0]?.model || 'unknown CPU').replace(/\s+/g, ' ').trim();
  const machine = `${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' / ')} at the start of the report; Chromium ${browser.version()} (Debian), headless; Node ${process.version}`;
  const js = results.js as { raw: number; gzip: number; transferred: number; files: Array<[string, number, number]> } | undefined;
  const kb = (n: number) => (n / 1024).toFixed(1) + ' KB';
  const ms = (s: any) => (s ? `${s.median.toFixed(0)} ms (min ${s.min.toFixed(0)}, max ${s.max.toFixed(0)}, n=${s.n})` : 'not measured');
  const verdict = (ok: boolean) => (ok ? 'within budget' : '**over budget**');
  const lines = [
    '# UI budgets',
    '',
    'Measured by `make ui-report` (tests/ui/report/budgets.spec.ts, Playwright driving Debian\'s Chromium',
    'against `bin/orrery server start` on 127.0.0.1). These are measurements, not timed tests: `make',
    'test` does not fail on them. Regenerate after UI changes.',
    '',
    `Machine: ${machine}.`,
    `Date: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC. Binary: \`${binVersion()}\`.`,
    '',
    '| Budget (issue 12) | Measured | |',
    '|---|---|---|',
    js ? `| JavaScript ≤ 300 KB gzipped in total | ${kb(js.gzip)} gzipped (${kb(js.raw)} raw) in ${js.files.length} file(s); ${kb(js.transferred)} received by the browser for the flow-runs page | ${verdict(js.gzip <= 300 * 1024)} |` : '| JavaScript | not measured | |',
    `| flow-runs page usable ≤ 1 s after navigation, seeded database (${results.seededRuns ?? '?'} runs) | median ${ms(results.seeded)} | ${results.seeded ? verdict((results.seeded as any).median <= 1000) : ''} |`,
    results.scale
      ? `| the same with the \`make bench\` scale database (${results.scaleRuns} runs) | median ${ms(results.scale)} | ${verdict((results.scale as any).median <= 1000)} |`
      : '| the same with the `make bench` scale database | not measured (ORRERY_SCALE_DB unset) | |',
    results.scaleFailed ? `| … filtered to one state (\`/flow-runs?state=FAILED\`), scale database | median ${ms(results.scaleFailed)} | ${verdict((results.scaleFailed as any).median <= 1000)} |` : '',
    '',
    results.scale
      ? `The scale database is the one \`make bench\` measures its scale scenario on: ${results.scaleRuns} flow runs of 100 flows written by bench/cmd/orrery-seed (70% Completed, 10% Failed, 5% each Cancelled, Crashed, Running, Scheduled; ${((results.scaleBytes as number) / 2 ** 30).toFixed(1)} GiB of SQLite), copied before the server opens it. tests/ui/report.sh builds it once (about 10 minutes on this machine under load) or reuses bench's cached copy.`
      : '',
    '',
    '"Usable" is the moment the page\'s root, at least one row of the runs table and no loading',
    'indicator are on screen, read from `performance.now()` in the page (milliseconds since the',
    'navigation started), polled every animation frame. Each figure follows one untimed warm-up',
    'navigation. The page asks for one page of runs (50, newest first) and the total count.',
    '',
  ];
  if (js) {
    lines.push('JavaScript files (web/dist):', '', '| File | Raw | Gzipped |', '|---|---|---|');
    for (const [f, r, g] of js.files) lines.push(`| ${f} | ${kb(r)} | ${kb(g)} |`);
    lines.push('');
  }
  fs.writeFileSync(path.join(repoRoot, 'docs', 'ui-budgets.md'), lines.filter((l, i, a) => !(l === '' && a[i - 1] === '')).join('\n'));
});
