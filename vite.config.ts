import { defineConfig } from 'vite';
import { compressedAssets } from './scripts/vite-compressed.mjs';

/**
 * Cross-origin isolation gives the page SharedArrayBuffer, which PyBox uses
 * to stop CPU-bound Python from the page (the Stop button during a loop).
 * Without it, Stop still ends tool waits, and the time limit still ends loops.
 */
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** The playground in demo/: `npm run demo` (dev) or `vite build` → dist-demo/. */
export default defineConfig({
  root: 'demo',
  // brotli/gzip from the dev and preview servers, <asset>.br/.gz beside the build's assets
  plugins: [compressedAssets()],
  // Keep @pybox/core's `new URL('./wasm/...', import.meta.url)` references intact in dev mode.
  optimizeDeps: { exclude: ['@pybox/core'] },
  build: {
    outDir: '../dist-demo',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    target: 'es2022',
  },
  worker: { format: 'es' },
  server: { headers: isolation },
  preview: { headers: isolation },
});
