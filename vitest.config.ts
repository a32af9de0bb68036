import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';

/** Chromium flags for this sandbox: no GPU, no background network traffic. */
export const chromiumArgs = [
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          environment: 'node',
          include: ['test/conformance/inthread.test.ts', 'test/conformance/node-worker.test.ts', 'test/node/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'demo/test/**/*.test.ts'],
        },
      },
      {
        extends: true,
        optimizeDeps: {
          exclude: ['@pybox/core'],
          // Bundled up front: discovered mid-run, they make Vite reload the page under a running test.
          include: [
            '@pybox/core > @bjorn3/browser_wasi_shim',
            '@pybox/core > comlink/dist/esm/comlink.mjs',
            '@pybox/core > @cfworker/json-schema',
            '@pybox/agent > eventsource-parser',
            'zod',
            'valibot',
            '@valibot/to-json-schema',
            'arktype',
            'ai',
          ],
        },
        test: {
          name: 'browser',
          include: ['test/conformance/browser.test.ts', 'test/browser/**/*.test.ts'],
          // The local model server for the agent tests, started in Node; its URL reaches the page via inject().
          globalSetup: ['test/agent/global-setup.ts'],
          browser: {
            enabled: true,
            headless: true,
            provider: playwright({ launchOptions: { executablePath: '/usr/bin/chromium', args: chromiumArgs } }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
});
