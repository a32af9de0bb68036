// A Vite plugin: the demo's dev and preview servers send compressed responses (brotli, else
// gzip, as the browser accepts them), and `vite build` writes <asset>.br and <asset>.gz beside
// each asset it emits, so any static server that serves precompressed files can do the same.
// The guest assets are most of what a page downloads: pybox.wasm 8.7 MB (1.8 MB brotli), the
// boot image, and the stdlib bundle (fetched after the first result). Preview also marks the
// hashed assets immutable, so a warm reload asks the network for none of them.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { compressed, ENCODINGS } from './compressed.mjs';

const TYPES = {
  '.wasm': 'application/wasm',
  '.zip': 'application/zip',
  '.image': 'application/octet-stream',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
};
/** Files worth compressing: text and the guest's binaries (not images or fonts, already packed). */
const COMPRESSIBLE = /\.(wasm|zip|image|m?js|css|html|json|svg)$/;
const MIN_BYTES = 1024;

/** The encoding to send for an `Accept-Encoding` header, in our order of preference (q=0 refuses). */
function pickEncoding(accept) {
  const weights = new Map();
  for (const part of String(accept ?? '').toLowerCase().split(',')) {
    const [name, ...params] = part.trim().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    weights.set(name, q ? Number(q.slice(2)) : 1);
  }
  return ENCODINGS.find((e) => (weights.get(e.name) ?? 0) > 0) ?? null;
}

/** Sends `body` with the encoding and the headers a compressed static file needs. */
function send(res, file, body, encoding, extraHeaders, immutable) {
  for (const [k, v] of Object.entries(extraHeaders ?? {})) res.setHeader(k, v);
  res.setHeader('Content-Type', TYPES[extname(file)] ?? 'application/octet-stream');
  res.setHeader('Content-Encoding', encoding);
  res.setHeader('Content-Length', body.length);
  res.setHeader('Vary', 'Accept-Encoding');
  if (immutable) res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
  res.statusCode = 200;
  res.end(body);
}

/**
 * @returns {import('vite').Plugin}
 * @example
 * // vite.config.ts
 * plugins: [compressedAssets()]
 */
export function compressedAssets() {
  let outDir = 'dist';
  let root = process.cwd();
  return {
    name: 'pybox:compressed-assets',
    configResolved(config) {
      root = config.root;
      outDir = resolve(config.root, config.build.outDir);
    },
    // Dev: the guest assets come from @pybox/core's folder (/@fs/...). Compressed once per
    // content (cached on disk), then from memory.
    configureServer(server) {
      const memory = new Map();
      server.middlewares.use(async (req, res, next) => {
        const url = new URL(req.url ?? '/', 'http://x');
        const encoding = pickEncoding(req.headers['accept-encoding']);
        if (!encoding || req.method !== 'GET' || !/\.(wasm|zip|image)$/.test(url.pathname)) return next();
        const file = url.pathname.startsWith('/@fs/') ? decodeURIComponent(url.pathname.slice(4)) : join(root, decodeURIComponent(url.pathname));
        // Only what Vite itself would serve (server.fs.allow), and only files.
        const allowed = server.config.server.fs.allow.some((dir) => normalize(file).startsWith(resolve(dir) + sep));
        if (!allowed || !existsSync(file) || !statSync(file).isFile()) return next();
        try {
          const key = `${file}:${statSync(file).mtimeMs}`;
          let forms = memory.get(key);
          if (!forms) memory.set(key, (forms = await compressed(readFileSync(file))));
          send(res, file, forms[encoding.name], encoding.name, server.config.server.headers, false);
        } catch (e) {
          next(e);
        }
      });
    },
    // Preview: what the build wrote beside each asset.
    configurePreviewServer(server) {
      server.middlewares.use((req, res, next) => {
        const url = new URL(req.url ?? '/', 'http://x');
        const encoding = pickEncoding(req.headers['accept-encoding']);
        if (!encoding || (req.method !== 'GET' && req.method !== 'HEAD')) return next();
        const path = url.pathname.endsWith('/') ? `${url.pathname}index.html` : url.pathname;
        const file = normalize(join(outDir, decodeURIComponent(path)));
        if (!file.startsWith(outDir + sep) || !existsSync(file + encoding.suffix)) return next();
        // Vite names built assets by content hash: they never change under their name.
        const immutable = /[-.][A-Za-z0-9_-]{8,}\.[a-z]+$/.test(path) && path.includes('/assets/');
        send(res, file, readFileSync(file + encoding.suffix), encoding.name, server.config.preview.headers, immutable);
      });
    },
    async writeBundle(options, bundle) {
      const dir = options.dir ?? outDir;
      const { writeFileSync } = await import('node:fs');
      await Promise.all(
        Object.values(bundle).map(async (chunk) => {
          const bytes = chunk.type === 'asset' ? chunk.source : chunk.code;
          if (!COMPRESSIBLE.test(chunk.fileName) || bytes.length < MIN_BYTES) return;
          const forms = await compressed(typeof bytes === 'string' ? Buffer.from(bytes) : bytes);
          for (const e of ENCODINGS) writeFileSync(join(dir, chunk.fileName + e.suffix), forms[e.name]);
        }),
      );
    },
  };
}
