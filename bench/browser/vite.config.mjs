// The bench pages (bench/browser.mjs): built and served like the demo, with the same compressed
// assets and cross-origin isolation. pyodide.html loads Pyodide's own files, which the build
// copies into pyodide/ beside the pages with their .br/.gz; preview marks them immutable, as a
// CDN serves a pinned Pyodide, so a warm reload of either page asks the network for no runtime.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { compressed, ENCODINGS } from '../../scripts/compressed.mjs';
import { compressedAssets } from '../../scripts/vite-compressed.mjs';

const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
const outDir = fileURLToPath(new URL('../../node_modules/.cache/pybox-bench-page', import.meta.url));
/** The files loadPyodide fetches for its first result. */
const PYODIDE_FILES = /^(pyodide\.mjs|pyodide\.asm\.m?js|pyodide\.asm\.wasm|pyodide-lock\.json|python_stdlib\.zip)$/;

/** Copies Pyodide's runtime files (and their compressed forms) into the build; serves them immutable. */
function pyodideFiles() {
  return {
    name: 'bench:pyodide-files',
    async writeBundle() {
      let dir;
      try {
        dir = dirname(createRequire(import.meta.url).resolve('pyodide/package.json'));
      } catch {
        return; // not installed: the Pyodide page fails and its cells say so
      }
      const to = join(outDir, 'pyodide');
      mkdirSync(to, { recursive: true });
      for (const name of readdirSync(dir).filter((n) => PYODIDE_FILES.test(n))) {
        copyFileSync(join(dir, name), join(to, name));
        const forms = await compressed(readFileSync(join(dir, name)));
        for (const e of ENCODINGS) writeFileSync(join(to, name + e.suffix), forms[e.name]);
      }
    },
    configurePreviewServer(server) {
      server.middlewares.use((req, res, next) => {
        if (req.url?.startsWith('/pyodide/')) res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
        next();
      });
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  logLevel: 'warn',
  plugins: [pyodideFiles(), compressedAssets()],
  optimizeDeps: { exclude: ['@pybox/core'] },
  build: {
    outDir,
    emptyOutDir: true,
    assetsInlineLimit: 0,
    target: 'es2022',
    rollupOptions: {
      input: {
        pybox: fileURLToPath(new URL('index.html', import.meta.url)),
        pyodide: fileURLToPath(new URL('pyodide.html', import.meta.url)),
      },
    },
  },
  worker: { format: 'es' },
  preview: { headers: isolation },
});
