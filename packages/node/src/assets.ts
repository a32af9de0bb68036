/**
 * The guest assets on disk: the files `@pybox/core` ships, read and
 * compiled once per process.
 */
import { readFile } from 'node:fs/promises';
import type { GuestAssets } from '@pybox/core/internal';

let shared: Promise<GuestAssets> | undefined;

/** Reads and compiles `pybox.wasm`, `python313.zip` and the boot image from `@pybox/core`'s package folder. */
export function loadAssets(): Promise<GuestAssets> {
  shared ??= (async () => {
    const base = new URL('./wasm/', import.meta.resolve('@pybox/core'));
    const [wasm, stdlib, image] = await Promise.all([
      readFile(new URL('pybox.wasm', base)),
      readFile(new URL('python313.zip', base)),
      readFile(new URL('pybox.image', base)).catch(() => undefined), // optional: speeds up every start
    ]);
    const module = await WebAssembly.compile(wasm);
    return image ? { module, stdlib: new Uint8Array(stdlib), image: new Uint8Array(image) } : { module, stdlib: new Uint8Array(stdlib) };
  })().catch((e: unknown) => {
    shared = undefined;
    throw e;
  });
  return shared;
}
