// Playwright configuration of Orrery's browser tests (see README.md here).
//
// Debian's chromium is driven through executablePath: Playwright's own
// browser downloads are not used (and cannot be fetched on CI machines).
// global-setup.ts starts a real `orrery server start` on a temporary SQLite
// database, seeds it over the REST API and hands the URL to the workers in
// UI_TEST_BASE_URL.
import { defineConfig } from '@playwright/test';
import path from 'node:path';

const out = path.join(__dirname, 'out');

export default defineConfig({
  testDir: './specs',
  outputDir: path.join(out, 'test-results'),
  globalSetup: require.resolve('./global-setup'),
  fullyParallel: false,
  workers: Number(process.env.UI_WORKERS || 2),
  retries: 0,
  forbidOnly: !!process.env.CI,
  timeout: 60_000,
  // Generous: make test runs this beside the CPU-heavy CDK compile.
  expect: { timeout: 10_000 },
  reporter: [
    ['list'],
    ['json', { outputFile: path.join(out, 'report.json') }],
    ['html', { outputFolder: path.join(out, 'html'), open: 'never' }],
  ],
  use: {
    baseURL: process.env.UI_TEST_BASE_URL,
    headless: true,
    viewport: { width: 1440, height: 900 },
    timezoneId: 'UTC',
    locale: 'en-US',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    },
  },
  projects: [{ name: 'chromium' }],
});
