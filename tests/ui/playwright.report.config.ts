// The budgets report (make ui-report): not a pass/fail test of timing, a
// measurement written to docs/ui-budgets.md. One worker, so the figures
// are not disturbed by a second browser.
import { defineConfig } from '@playwright/test';
import base from './playwright.config';

export default defineConfig({
  ...base,
  testDir: './report',
  workers: 1,
  timeout: 600_000,
  reporter: [['list']],
});
