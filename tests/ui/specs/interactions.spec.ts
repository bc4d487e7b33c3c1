// What a user does, checked against the API (the source of truth): filters
// that live in the URL, a custom run with parameters, the server's 422 next
// to the field, pausing a queue, creating a block from its schema, log
// search and download. The guard of lib/fixtures.ts applies to each.
import { test, expect, screenshot } from '../lib/fixtures';
import { Api } from '../lib/api';
import { state } from '../lib/state';

const seed = () => state().seed;
const api = () => new Api(state().url);

test('a filter narrows the flow-runs list, lives in the URL and survives a reload', async ({ page }) => {
  await page.goto('/flow-runs');
  const rows = page.getByTestId('flow-runs-table-row');
  await expect(rows.filter({ hasText: 'seed-crashed' })).toHaveCount(1);
  const all = await rows.count();
  expect(all).toBeGreaterThan(5);

  // The name filter: one run.
  await page.getByTestId('filter-name').fill('seed-cr');
  await expect(page).toHaveURL(/[?&]name=seed-cr/);
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText('seed-crashed');

  await page.reload();
  await expect(page.getByTestId('filter-name')).toHaveValue('seed-cr');
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText('seed-crashed');

  // A state filter on top of a cleared name: only the Failed runs, as the API counts them.
  await page.getByTestId('filter-clear').click();
  await expect(rows).toHaveCount(all);
  await page.getByTestId('filter-state').locator('[data-value="FAILED"]').click();
  await expect(page).toHaveURL(/[?&]state=FAILED/);
  const failed = await api().post<number>('/flow_runs/count', { flow_runs: { state: { type: { any_: ['FAILED'] } } } });
  await expect(rows).toHaveCount(failed);
  for (const name of ['seed-failed', 'seed-report-3']) await expect(rows.filter({ hasText: name })).toHaveCount(1);
  await page.reload();
  await expect(rows).toHaveCount(failed);
  await expect(page.getByTestId('filter-state').locator('[data-value="FAILED"]')).toHaveAttribute('aria-pressed', 'true');
  await screenshot(page, 'flow-runs-filtered');
});

test('a saved search applies its filters', async ({ page }) => {
  await page.goto('/flow-runs');
  await page.getByTestId('saved-search').filter({ hasText: 'Failed prod runs' }).click();
  const rows = page.getByTestId('flow-runs-table-row');
  // Saved by the stock 2.7 UI: states by name, tags; the failed prod run matches.
  await expect(rows.filter({ hasText: 'seed-failed' })).toHaveCount(1);
  await expect(rows.filter({ hasText: 'seed-report-1' })).toHaveCount(0);
});

test('log search finds a line and download returns the lines', async ({ page }) => {
  await page.goto(`/flow-runs/flow-run/${seed().flowRuns[seed().mainRun]}`);
  await expect(page.getByTestId('page-flow-run')).toBeVisible();
  const logs = page.getByTestId('logs');
  await expect(logs).toBeVisible();
  await expect(logs).toContainText('Reading orders from s3://orders/raw');

  await page.getByTestId('filter-logq').fill('shard 7');
  await page.getByTestId('filter-logq').press('Enter');
  await expect(page).toHaveURL(/[?&]logq=shard/);
  await expect(logs).toContainText(seed().logLine);
  await expect(page.getByTestId('log-line')).toHaveCount(1);
  await expect(logs).not.toContainText('Reading orders from s3://orders/raw');
  await screenshot(page, 'flow-run-log-search');

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('action-download-logs').click()]);
  const file = await download.path();
  const text = require('node:fs').readFileSync(file, 'utf8') as string;
  expect(text).toContain(seed().logLine);
  expect(text).toContain('Loaded 12,480 rows into warehouse table orders');
  expect(text).toContain('progress: batch 40/40 committed');
});

test('a custom run with parameters appears in the API', async ({ page }) => {
  // Reached by client-side navigation from another page (a page of another
  // depth): API calls must still go to the app's root.
  const depId = seed().deployments['etl-pipeline/nightly'];
  await page.goto(`/deployments/deployment/${depId}`);
  await page.getByTestId('action-custom-run').click();
  await expect(page).toHaveURL(new RegExp(`/deployments/deployment/${depId}/run`));
  const form = page.getByTestId('schema-form');
  await expect(form).toBeVisible();
  await form.getByTestId('field-source').fill('s3://orders/ui-test');
  await form.getByTestId('field-batch_size').fill('42');
  await form.getByTestId('field-target.table').fill('orders_ui');
  await screenshot(page, 'deployment-custom-run');
  const created = page.waitForResponse((r) => r.url().includes(`/api/deployments/${depId}/create_flow_run`) && r.request().method() === 'POST');
  await page.getByTestId('form-custom-run').getByTestId('action-run').click();
  const resp = await created;
  expect(resp.status()).toBe(201);
  const run = await resp.json();
  const stored = await api().get(`/flow_runs/${run.id}`);
  expect(stored.deployment_id).toBe(depId);
  expect(stored.parameters).toMatchObject({ source: 's3://orders/ui-test', batch_size: 42, target: { table: 'orders_ui' } });
  // The UI links to the new run.
  await expect(page.getByTestId('created-run-link')).toHaveAttribute('href', new RegExp(`flow-runs/flow-run/${run.id}$`));
  await page.getByTestId('created-run-link').click();
  await expect(page.getByTestId('page-flow-run')).toBeVisible();
});

test("a bad parameter shows the server's 422 message next to the field", async ({ page, guard }) => {
  const depId = seed().deployments['etl-pipeline/nightly'];
  guard.allow(`/api/deployments/${depId}/create_flow_run`, 422);
  await page.goto(`/deployments/deployment/${depId}/run`);
  const form = page.getByTestId('schema-form');
  await expect(form).toBeVisible();
  await form.getByTestId('field-source').fill('s3://orders/bad');
  await form.getByTestId('field-target.table').fill('orders');
  // batch_size has "minimum": 1 in the schema: the server refuses 0.
  await form.getByTestId('field-batch_size').fill('0');
  const refused = page.waitForResponse((r) => r.url().includes(`/api/deployments/${depId}/create_flow_run`));
  await page.getByTestId('form-custom-run').getByTestId('action-run').click();
  const resp = await refused;
  expect(resp.status()).toBe(422);
  const body = await resp.json();
  const detail = body.exception_detail.find((d: any) => d.loc.includes('batch_size'));
  expect(detail, JSON.stringify(body)).toBeTruthy();
  // The field shows the server's words; the "at '/batch_size':" location
  // prefix may be dropped, since the message sits at that field.
  await expect(page.getByTestId('field-error-batch_size')).toContainText(detail.msg.replace(/^at '[^']*': /, ''));
  await screenshot(page, 'deployment-custom-run-422');
  const runs = await api().post<any[]>('/flow_runs/filter', { deployments: { id: { any_: [depId] } } });
  expect(runs.filter((r) => r.parameters?.source === 's3://orders/bad')).toHaveLength(0);
});

test('a queue paused in the UI is paused in the API, and resumed', async ({ page }) => {
  const id = seed().workQueues['pause-me'];
  await page.goto(`/work-queues/work-queue/${id}`);
  await expect(page.getByTestId('page-work-queue')).toBeVisible();
  expect((await api().get(`/work_queues/${id}`)).is_paused).toBe(false);
  await page.getByTestId('action-pause').click();
  await expect.poll(async () => (await api().get(`/work_queues/${id}`)).is_paused).toBe(true);
  await expect(page.getByTestId('action-resume')).toBeVisible();
  await screenshot(page, 'work-queue-paused');
  await page.getByTestId('action-resume').click();
  await expect.poll(async () => (await api().get(`/work_queues/${id}`)).is_paused).toBe(false);
});

test('a block created from its schema reads back', async ({ page }) => {
  // Reached by client-side navigation from another page (a page of another
  // depth): API calls must still go to the app's root.
  await page.goto('/blocks/catalog');
  await expect(page.getByTestId('page-blocks-catalog')).toBeVisible();
  await page.locator('[data-testid="block-type-card"][data-slug="json"]').getByTestId('action-create').click();
  const form = page.getByTestId('form-block');
  await expect(form.getByTestId('schema-form')).toBeVisible();
  await form.getByTestId('field-name').fill('ui-made-config');
  await form.getByTestId('schema-form').getByTestId('field-value').fill('{"answer": 42, "tags": ["a", "b"]}');
  const created = page.waitForResponse((r) => r.url().endsWith('/api/block_documents/') || r.url().endsWith('/api/block_documents'));
  await form.getByTestId('action-save').click();
  const resp = await created;
  expect(resp.status()).toBe(201);
  const doc = await resp.json();
  const back = await api().get(`/block_documents/${doc.id}`);
  expect(back.name).toBe('ui-made-config');
  expect(back.block_type.slug).toBe('json');
  expect(back.data.value).toEqual({ answer: 42, tags: ['a', 'b'] });
  await expect(page).toHaveURL(new RegExp(`/blocks/block/${doc.id}`));
  await expect(page.getByText('ui-made-config').first()).toBeVisible();
});

test('settings show the API URL to copy and the timezone choice changes how times are shown', async ({ page }) => {
  await page.goto('/settings');
  await expect(page.getByTestId('page-settings')).toBeVisible();
  await expect(page.getByText(`PREFECT_API_URL=${state().url}/api`).first()).toBeVisible();
});
