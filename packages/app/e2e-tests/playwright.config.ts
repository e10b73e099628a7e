import { defineConfig } from '@playwright/test';
import { resolve } from 'node:path';

/**
 * The browser end-to-end tests of the app, run by `scripts/e2e.sh` against the app it starts
 * (frontend on :3000, backend on :7007) in Debian's Chromium; no browser is downloaded. Reports,
 * screenshots and failure traces go to `e2e-test-report/` at the repository root (git-ignored).
 */
const REPORT_DIR = resolve(__dirname, '../../../e2e-test-report');

export default defineConfig({
  testDir: __dirname,
  // The demo rollouts take their time: 30-second stages and a look every 10 seconds.
  timeout: 4 * 60_000,
  expect: { timeout: 20_000 },
  // The tests share one demo workload: one rollout at a time, in order.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  reporter: [
    ['list'],
    ['json', { outputFile: resolve(REPORT_DIR, 'results.json') }],
    ['html', { open: 'never', outputFolder: resolve(REPORT_DIR, 'html') }],
  ],
  outputDir: resolve(REPORT_DIR, 'artifacts'),
  use: {
    baseURL: process.env.E2E_BASE_URL ?? 'http://localhost:3000',
    viewport: { width: 1366, height: 768 },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.E2E_CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
});
