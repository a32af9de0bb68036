import { defineConfig } from 'vite';

/**
 * Cross-origin isolation gives the page SharedArrayBuffer, which PyBox uses
 * to stop CPU-bound Python at once (the Stop button during a loop). Without
 * it, Stop still ends tool waits at once and ends a loop by a hard stop (the
 * worker is replaced). `DEMO_ISOLATION=off` serves the page without the two
 * headers, the way a plain static server would (the e2e tests run both).
 */
const isolation =
  process.env.DEMO_ISOLATION === 'off'
    ? {}
    : {
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cross-Origin-Embedder-Policy': 'require-corp',
      };

/** The playground in demo/: `npm run demo` (dev) or `npm run demo:build` → dist-demo/. */
export default defineConfig({
  root: 'demo',
  // Relative URLs: the built folder works from any path of any static server.
  base: './',
  // Keep @pybox/core's `new URL('./wasm/...', import.meta.url)` references intact in dev mode.
  optimizeDeps: { exclude: ['@pybox/core'] },
  build: {
    outDir: '../dist-demo',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    target: 'es2022',
    // The guest is ~22 MB of assets; the page's own code is what this warning is about.
    chunkSizeWarningLimit: 1024,
  },
  worker: { format: 'es' },
  server: { headers: isolation, port: Number(process.env.DEMO_PORT ?? 5173) },
  preview: { headers: isolation },
});
