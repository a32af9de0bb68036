import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { defineConfig } from 'vite';
import { compressedAssets } from './scripts/vite-compressed.mjs';

/**
 * The guest's file sizes, for the loading bar: a server that compresses on
 * the fly sends no Content-Length, and the bar counts decoded bytes anyway.
 */
const require = createRequire(import.meta.url);
const guestSizes = Object.fromEntries(
  ['pybox.wasm', 'python313.zip', 'pybox.image'].map((name) => {
    try {
      return [name, statSync(require.resolve(`@pybox/core/wasm/${name}`, { paths: [new URL('./demo', import.meta.url).pathname] })).size];
    } catch {
      return [name, 0]; // not built yet: the bar falls back to Content-Length
    }
  }),
);

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
  // brotli/gzip from the dev and preview servers, <asset>.br/.gz beside the build's assets
  plugins: [compressedAssets()],
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
  define: { __GUEST_SIZES__: JSON.stringify(guestSizes) },
  worker: { format: 'es' },
  server: { headers: isolation, port: Number(process.env.DEMO_PORT ?? 5173) },
  preview: { headers: isolation },
});
