// The stock Prefect 2.7.12 UI, from the pinned prefect wheel, against
// Orrery's API (lib/stockui.ts): every page loads, shows the seeded data,
// and no API call it makes fails. The guard of lib/fixtures.ts records
// every /api response >= 400 and page errors.
import { test, expect, screenshot } from '../lib/fixtures';
import { serveStockUI, stockUIDir, type StockUI } from '../lib/stockui';
import { state } from '../lib/state';
import { Api } from '../lib/api';

let ui: StockUI;

test.describe('stock Prefect 2.7.12 UI on Orrery', () => {
  // Each worker serves the UI itself (beforeAll runs once per worker).
  test.describe.configure({ mode: 'parallel' });
  test.beforeAll(async () => {
    ui = await serveStockUI(stockUIDir(), state().url, [4380, 4389]);
  });
  test.afterAll(async () => {
    await ui?.close();
  });
  test.use({ baseURL: undefined });

  const seed = () => state().seed;
  const pages: Array<{ name: string; path: () => string; expectText: () => string[]; after?: () => Promise<void> }> = [
    { name: 'dashboard (flow runs)', path: () => '/flow-runs', expectText: () => ['seed-failed', 'etl-pipeline'] },
    { name: 'flow run', path: () => `/flow-runs/flow-run/${seed().flowRuns[seed().mainRun]}`, expectText: () => [seed().mainRun] },
    { name: 'flow run radar', path: () => `/flow-runs/flow-run/${seed().flowRuns[seed().mainRun]}/radar`, expectText: () => [seed().mainRun] },
    { name: 'task run', path: () => `/flow-runs/task-run/${seed().taskRuns[`${seed().mainRun}/transform-0`]}`, expectText: () => ['transform-0'] },
    { name: 'flows', path: () => '/flows', expectText: () => ['etl-pipeline', 'report-builder', 'ml-train'] },
    { name: 'flow', path: () => `/flows/flow/${seed().flows['etl-pipeline']}`, expectText: () => ['etl-pipeline', 'nightly'] },
    { name: 'deployments', path: () => '/deployments', expectText: () => ['nightly', 'hourly', 'adhoc'] },
    { name: 'deployment', path: () => `/deployments/deployment/${seed().deployments['etl-pipeline/nightly']}`, expectText: () => ['nightly'] },
    { name: 'deployment run form', path: () => `/deployments/deployment/${seed().deployments['etl-pipeline/nightly']}/run`, expectText: () => ['Parameters', 'General'] },
    { name: 'work queues', path: () => '/work-queues', expectText: () => ['etl-queue', 'reports', 'ml-gpu'] },
    {
      name: 'work queue', path: () => `/work-queues/work-queue/${seed().workQueues['etl-queue']}`, expectText: () => ['etl-queue'],
      // The page previews the queue's runs with get_runs and the header
      // x-prefect-ui: true, which must not count as an agent's poll.
      after: async () => expect((await new Api(state().url).get(`/work_queues/${seed().workQueues['etl-queue']}`)).last_polled).toBeNull(),
    },
    { name: 'blocks', path: () => '/blocks', expectText: () => ['pipeline-config', 'warehouse-password'] },
    { name: 'block catalog', path: () => '/blocks/catalog', expectText: () => ['Secret', 'JSON'] },
    { name: 'block', path: () => `/blocks/block/${seed().blocks['json/pipeline-config']}`, expectText: () => ['pipeline-config'] },
    { name: 'concurrency limits', path: () => '/concurrency-limits', expectText: () => ['gpu', 'etl'] },
    { name: 'notifications', path: () => '/notifications', expectText: () => [] },
    { name: 'settings', path: () => '/settings', expectText: () => ['2.7.12'] },
  ];

  for (const p of pages) {
    test(`stock UI: ${p.name}`, async ({ page, guard }) => {
      guard.origin = ui.url;
      // 2.7's block types carry remote logo URLs; this machine is air-gapped,
      // so those loads are aborted. The stock UI's own problem, not the API's.
      guard.tolerateOffOrigin = true;
      // The stock radar sometimes throws "Cannot read properties of
      // undefined (reading 'downstreamNodes')" in its computeLinks (about 2
      // runs in 10, with the same seed): a race in the 2.7.12 UI's own
      // code, not bad data — the graph response of a failing run (from its
      // trace) is complete, every upstream id is a node of that same
      // response. API failures still fail this test.
      if (p.name === 'flow run radar') guard.tolerateConsole.push(/reading 'downstreamNodes'/);
      await page.goto(ui.url + p.path());
      await page.waitForLoadState('networkidle');
      for (const text of p.expectText()) {
        await expect(page.getByText(text, { exact: false }).first(), `${p.name} shows ${text}`).toBeVisible();
      }
      await screenshot(page, `stock-${p.name.replace(/[^\w]+/g, '-')}`);
      expect(guard.apiCalls.length, 'the page called the API').toBeGreaterThan(0);
      await p.after?.();
    });
  }
});
