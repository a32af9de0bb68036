// Brotli (quality 11, 16 MiB window) and gzip (level 9) of a file's bytes, cached by content
// under node_modules/.cache/pybox-compressed: the guest assets take about a minute of CPU to
// compress that well, once. Used by compress-assets.mjs (the package build) and by the Vite
// plugin in vite-compressed.mjs (the demo's build, dev and preview servers).
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import zlib from 'node:zlib';

const CACHE = resolve(dirname(fileURLToPath(import.meta.url)), '../node_modules/.cache/pybox-compressed');
const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

/** The encodings made, as the `Content-Encoding` names them, with their file suffixes. */
export const ENCODINGS = [
  { name: 'br', suffix: '.br' },
  { name: 'gzip', suffix: '.gz' },
];

/**
 * The compressed forms of `bytes`: `{ br, gzip }` (Buffers), from the cache when made before.
 * @param {Uint8Array} bytes
 * @returns {Promise<{ br: Buffer, gzip: Buffer }>}
 */
export async function compressed(bytes) {
  const key = createHash('sha256').update(bytes).digest('hex');
  const path = (enc) => join(CACHE, `${key}.${enc}`);
  const cached = (enc) => {
    try {
      return readFileSync(path(enc));
    } catch {
      return null;
    }
  };
  const store = (enc, data) => {
    mkdirSync(CACHE, { recursive: true });
    writeFileSync(`${path(enc)}.tmp`, data);
    renameSync(`${path(enc)}.tmp`, path(enc));
    return data;
  };
  const [br, gz] = await Promise.all([
    cached('br') ??
      brotli(bytes, {
        params: {
          [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
          [zlib.constants.BROTLI_PARAM_LGWIN]: 24,
          [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
        },
      }).then((d) => store('br', d)),
    cached('gz') ?? gzip(bytes, { level: 9 }).then((d) => store('gz', d)),
  ]);
  return { br, gzip: gz };
}
