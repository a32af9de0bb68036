/**
 * End-to-end tests of the demo: `vite build && vite preview` from the repo
 * root, Debian's Chromium (Playwright's own browser download does not work
 * here). Run with `pnpm exec playwright test -c e2e/playwright.config.ts`.
 */
import { defineConfig } from '@playwright/test';
import { fileURLToPath } from 'node:url';

const PORT = 4173;

export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  // line for people; json for scripts/test-summary.mjs (the closing line of npm test)
  reporter: [['line'], ['json', { outputFile: '../test-results/e2e.json' }]],
  outputDir: '../test-results/e2e',
  webServer: {
    command: `npx vite build --logLevel warn && npx vite preview --port ${PORT} --strictPort`,
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    url: `http://localhost:${PORT}`,
    reuseExistingServer: false, // always test a fresh build
    timeout: 90_000,
  },
  use: {
    baseURL: `http://localhost:${PORT}`,
    viewport: { width: 1440, height: 900 },
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: ['--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    },
  },
  projects: [{ name: 'chromium', use: { browserName: 'chromium' } }],
});
