// Test helper: the guest assets from the repository's wasm/ folder, compiled once per worker.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { GuestAssets } from '../src/engine/index.js';

const wasmDir = fileURLToPath(new URL('../../../wasm/', import.meta.url));
let cached: Promise<GuestAssets> | undefined;

export function loadAssets(): Promise<GuestAssets> {
  cached ??= (async () => {
    const [bytes, stdlib] = await Promise.all([
      readFile(`${wasmDir}pybox.wasm`),
      readFile(`${wasmDir}python313.zip`),
    ]);
    return { module: await WebAssembly.compile(bytes), stdlib: new Uint8Array(stdlib) };
  })();
  return cached;
}
