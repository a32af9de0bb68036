/**
 * The guest assets on disk: the files `@pybox/core` ships, read and
 * compiled once per process.
 */
import { readFile } from 'node:fs/promises';
import type { GuestAssets } from '@pybox/core/engine';

let shared: Promise<GuestAssets> | undefined;

/** Reads and compiles `pybox.wasm` and `python313.zip` from `@pybox/core`'s package folder. */
export function loadAssets(): Promise<GuestAssets> {
  shared ??= (async () => {
    const base = new URL('./wasm/', import.meta.resolve('@pybox/core'));
    const [wasm, stdlib] = await Promise.all([
      readFile(new URL('pybox.wasm', base)),
      readFile(new URL('python313.zip', base)),
    ]);
    return { module: await WebAssembly.compile(wasm), stdlib: new Uint8Array(stdlib) };
  })().catch((e: unknown) => {
    shared = undefined;
    throw e;
  });
  return shared;
}
