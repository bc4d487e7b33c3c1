// Every page of issue 12, opened by direct URL (a deep link or a reload):
// the page's root (data-testid="page-<name>", web/CONVENTIONS.md) and its
// title render, the seeded data shows, and the guard (lib/fixtures.ts)
// sees no page error, console error, failed API call or request off the
// origin. A full-page screenshot of each goes to out/screenshots/.
import { test, expect, screenshot } from '../lib/fixtures';
import { state } from '../lib/state';

const seed = () => state().seed;

interface PageCase {
  name: string; // screenshot name
  testid: string; // page root
  path: () => string;
  texts: () => string[]; // each must be visible somewhere on the page
}

export const pageCases: PageCase[] = [
  { name: 'dashboard', testid: 'page-dashboard', path: () => '/', texts: () => ['seed-late', 'seed-scheduled'] },
  { name: 'flow-runs', testid: 'page-flow-runs', path: () => '/flow-runs', texts: () => ['seed-failed', 'seed-crashed', 'seed-paused', 'seed-running', 'etl-pipeline'] },
  { name: 'flow-run', testid: 'page-flow-run', path: () => `/flow-runs/flow-run/${seed().flowRuns[seed().mainRun]}`, texts: () => [seed().mainRun, 'Reading orders from s3://orders/raw'] },
  { name: 'task-run', testid: 'page-task-run', path: () => `/flow-runs/task-run/${seed().taskRuns[`${seed().mainRun}/transform-0`]}`, texts: () => ['transform-0', seed().logLine] },
  { name: 'flows', testid: 'page-flows', path: () => '/flows', texts: () => ['etl-pipeline', 'report-builder', 'ml-train'] },
  { name: 'flow', testid: 'page-flow', path: () => `/flows/flow/${seed().flows['etl-pipeline']}`, texts: () => ['etl-pipeline', 'nightly', 'seed-failed'] },
  { name: 'deployments', testid: 'page-deployments', path: () => '/deployments', texts: () => ['nightly', 'hourly', 'adhoc'] },
  { name: 'deployment', testid: 'page-deployment', path: () => `/deployments/deployment/${seed().deployments['etl-pipeline/nightly']}`, texts: () => ['nightly', 'etl-queue', 'Europe/Berlin'] },
  { name: 'work-queues', testid: 'page-work-queues', path: () => '/work-queues', texts: () => ['etl-queue', 'reports', 'ml-gpu'] },
  { name: 'work-queue', testid: 'page-work-queue', path: () => `/work-queues/work-queue/${seed().workQueues['etl-queue']}`, texts: () => ['etl-queue', 'Nightly ETL jobs', 'orrery agent start'] },
  { name: 'blocks', testid: 'page-blocks', path: () => '/blocks', texts: () => ['warehouse-password', 'pipeline-config', 'etl-storage'] },
  { name: 'blocks-catalog', testid: 'page-blocks-catalog', path: () => '/blocks/catalog', texts: () => ['Secret', 'JSON', 'Local File System'] },
  { name: 'block', testid: 'page-block', path: () => `/blocks/block/${seed().blocks['json/pipeline-config']}`, texts: () => ['pipeline-config', 'regions'] },
  { name: 'concurrency-limits', testid: 'page-concurrency-limits', path: () => '/concurrency-limits', texts: () => ['db', 'gpu', 'etl', '1 / 5'] },
  { name: 'notifications', testid: 'page-notifications', path: () => '/notifications', texts: () => (seed().notificationPolicies.length ? ['Failed'] : []) },
  { name: 'settings', testid: 'page-settings', path: () => '/settings', texts: () => ['2.7.12', 'PREFECT_API_URL'] },
];

for (const c of pageCases) {
  test(`page ${c.name} loads by direct URL with the seeded data`, async ({ page }) => {
    await page.goto(c.path());
    await expect(page.getByTestId(c.testid)).toBeVisible();
    await expect(page.getByTestId('page-title').first()).toBeVisible();
    for (const text of c.texts()) {
      await expect(page.getByText(text, { exact: false }).filter({ visible: true }).first(), `${c.name} shows "${text}"`).toBeVisible();
    }
    await expect(page.getByTestId('loading')).toHaveCount(0);
    await expect(page.getByTestId('error')).toHaveCount(0);
    await page.waitForLoadState('networkidle');
    await screenshot(page, c.name);
  });
}

test('the block page never shows a secret value', async ({ page }) => {
  await page.goto(`/blocks/block/${seed().blocks['secret/warehouse-password']}`);
  await expect(page.getByTestId('page-block')).toBeVisible();
  await expect(page.getByText('warehouse-password').first()).toBeVisible();
  await page.waitForLoadState('networkidle');
  await expect(page.locator('body')).not.toContainText('hunter2-do-not-show');
});

test('an unknown path shows the not-found page, not a blank one', async ({ page, guard }) => {
  guard.allow('/api/', 404);
  await page.goto('/no-such-page');
  await expect(page.getByTestId('page-not-found')).toBeVisible();
});

test('the flow run page: task runs, graph, timeline, subflows, parameters', async ({ page }) => {
  await page.goto(`/flow-runs/flow-run/${seed().flowRuns[seed().mainRun]}`);
  await expect(page.getByTestId('page-flow-run')).toBeVisible();
  await page.getByTestId('tab-task-runs').click();
  const rows = page.getByTestId('task-runs-table-row');
  for (const t of ['extract-0', 'transform-0', 'transform-1', 'load-0', 'notify-0']) {
    await expect(rows.filter({ hasText: t })).toHaveCount(1);
  }
  await screenshot(page, 'flow-run-task-runs');
  await page.getByTestId('tab-graph').click();
  await expect(page).toHaveURL(/[?&]tab=graph/);
  await page.waitForLoadState('networkidle');
  await screenshot(page, 'flow-run-graph');
  await page.getByTestId('tab-timeline').click();
  await page.waitForLoadState('networkidle');
  await screenshot(page, 'flow-run-timeline');
  await page.getByTestId('tab-subflows').click();
  await expect(page.getByTestId('subflow-runs-table-row').filter({ hasText: 'seed-subflow' })).toHaveCount(1);
  await page.getByTestId('tab-parameters').click();
  await expect(page.getByTestId('parameters')).toContainText('s3://orders/raw');
  // The tab lives in the URL: a reload keeps it.
  await page.reload();
  await expect(page.getByTestId('parameters')).toContainText('s3://orders/raw');
});

test('the dashboard at a laptop size (the README picture, docs/img/dashboard.png)', async ({ page }) => {
  await page.setViewportSize({ width: 1440, height: 960 });
  await page.goto('/');
  await expect(page.getByTestId('page-dashboard')).toBeVisible();
  await expect(page.getByText('seed-scheduled').filter({ visible: true }).first()).toBeVisible();
  await page.waitForLoadState('networkidle');
  // The viewport, not the full page: what a user sees on opening the UI.
  await page.screenshot({ path: require('node:path').join(require('../lib/orrery').outDir, 'screenshots', 'readme-dashboard.png') });
});
