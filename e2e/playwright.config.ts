/**
 * End-to-end tests of the playground: one `vite build`, served twice by
 * `vite preview` — cross-origin isolated (COOP/COEP headers, the `isolated`
 * project) and without those headers as a plain static server would (the
 * `plain` project) — in Debian's Chromium (Playwright's own browser download
 * does not work here). Run with `pnpm exec playwright test -c e2e/playwright.config.ts`;
 * `E2E_PORT` moves the two ports (default 4173 and 4174) beside other servers.
 */
import { defineConfig } from '@playwright/test';
import { fileURLToPath } from 'node:url';

const PORT = Number(process.env.E2E_PORT ?? 4173);
const PLAIN_PORT = PORT + 1;
const root = fileURLToPath(new URL('..', import.meta.url));

export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  // line for people; json for scripts/test-summary.mjs (the closing line of npm test)
  reporter: [['line'], ['json', { outputFile: '../test-results/e2e.json' }]],
  outputDir: '../test-results/e2e',
  // Started one after the other: the first builds, the second serves the same files.
  webServer: [
    {
      command: `npx vite build --logLevel warn && npx vite preview --port ${PORT} --strictPort`,
      cwd: root,
      url: `http://localhost:${PORT}`,
      reuseExistingServer: false, // always test a fresh build
      timeout: 120_000,
    },
    {
      command: `npx vite preview --port ${PLAIN_PORT} --strictPort`,
      cwd: root,
      env: { DEMO_ISOLATION: 'off' },
      url: `http://localhost:${PLAIN_PORT}`,
      reuseExistingServer: false,
      timeout: 60_000,
    },
  ],
  use: {
    viewport: { width: 1280, height: 800 },
    acceptDownloads: true,
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: ['--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    },
  },
  projects: [
    { name: 'isolated', use: { browserName: 'chromium', baseURL: `http://localhost:${PORT}` } },
    { name: 'plain', use: { browserName: 'chromium', baseURL: `http://localhost:${PLAIN_PORT}` }, grep: /@plain/ },
  ],
});
