// Writes <file>.br and <file>.gz beside each guest asset of a folder (default
// packages/core/dist/wasm): what a server sends with `Content-Encoding: br` or `gzip`
// (README: "Serving the assets"). Part of @pybox/core's build.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { compressed } from './compressed.mjs';

const dir = resolve(process.argv[2] ?? 'packages/core/dist/wasm');
const ASSETS = ['pybox.wasm', 'pybox.image', 'python313.zip'];
const t0 = performance.now();
const rows = await Promise.all(
  ASSETS.map(async (name) => {
    let bytes;
    try {
      bytes = readFileSync(join(dir, name));
    } catch {
      return null; // no boot image: nothing to compress
    }
    const { br, gzip } = await compressed(bytes);
    writeFileSync(join(dir, `${name}.br`), br);
    writeFileSync(join(dir, `${name}.gz`), gzip);
    return `${name} ${(bytes.length / 1e6).toFixed(2)} MB -> br ${(br.length / 1e6).toFixed(2)}, gzip ${(gzip.length / 1e6).toFixed(2)}`;
  }),
);
console.log(`compressed assets (${((performance.now() - t0) / 1000).toFixed(1)} s): ${rows.filter(Boolean).join('; ')}`);
