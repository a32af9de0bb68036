/**
 * Boot images: a guest's linear memory right after init (with the modules
 * agents use most imported), stored as the blocks that differ from the
 * memory a fresh instance of the module starts with (its data segments).
 * Starting from an image skips booting CPython: instantiate, copy the
 * blocks, go. `pnpm build` makes one from the committed guest
 * (scripts/make-boot-image.mjs).
 *
 * Layout (little endian): "PYBOXIMG" | u32 version (2) | u32 total pages |
 * u32 block size | u32 run count | (u32 first block, u32 blocks) × runs |
 * the runs' bytes, in order. An image is applied to a fresh instance of the
 * module it was taken from (the engine checks the build id separately).
 */

const MAGIC = 'PYBOXIMG';
const VERSION = 2;
const PAGE = 65536;
/** Small enough that a changed object costs little, large enough for a short run list. */
const BLOCK = 4096;

/**
 * Encodes `memory` as the runs of {@link BLOCK}-byte blocks that differ from
 * `base`, the memory of a fresh instance of the same module (zeros past its
 * end).
 *
 * @example
 * ```ts
 * const image = encodeImage(new Uint8Array(memory.buffer), initialMemory(module))
 * ```
 */
export function encodeImage(memory: Uint8Array, base: Uint8Array): Uint8Array {
  const total = Math.ceil(memory.length / PAGE);
  const runs: [number, number][] = [];
  const blocks = Math.ceil(memory.length / BLOCK);
  for (let b = 0; b < blocks; b++) {
    if (!blockDiffers(memory, base, b * BLOCK)) continue;
    const last = runs[runs.length - 1];
    if (last && last[0] + last[1] === b) last[1]++;
    else runs.push([b, 1]);
  }
  const stored = runs.reduce((n, [, count]) => n + count, 0);
  const header = 8 + 16 + runs.length * 8;
  const out = new Uint8Array(header + stored * BLOCK);
  out.set(new TextEncoder().encode(MAGIC), 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, VERSION, true);
  view.setUint32(12, total, true);
  view.setUint32(16, BLOCK, true);
  view.setUint32(20, runs.length, true);
  let at = header;
  runs.forEach(([first, count], i) => {
    view.setUint32(24 + i * 8, first, true);
    view.setUint32(28 + i * 8, count, true);
    out.set(memory.subarray(first * BLOCK, (first + count) * BLOCK), at);
    at += count * BLOCK;
  });
  return out;
}

function blockDiffers(memory: Uint8Array, base: Uint8Array, at: number): boolean {
  const a = new Int32Array(memory.buffer, memory.byteOffset + at, BLOCK / 4);
  if (at >= base.length) {
    for (let i = 0; i < a.length; i++) if (a[i] !== 0) return true;
    return false;
  }
  const b = new Int32Array(base.buffer, base.byteOffset + at, BLOCK / 4);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return true;
  return false;
}

/**
 * Writes an image into the memory of a fresh instance of its module, growing
 * it as needed.
 *
 * @example
 * ```ts
 * applyImage(image, (await WebAssembly.instantiate(module, imports)).exports.memory)
 * ```
 */
export function applyImage(image: Uint8Array, memory: WebAssembly.Memory): void {
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  if (new TextDecoder().decode(image.subarray(0, 8)) !== MAGIC || view.getUint32(8, true) !== VERSION) {
    throw new Error('not a PyBox boot image of this version: rebuild it with `pnpm build`');
  }
  const total = view.getUint32(12, true);
  const block = view.getUint32(16, true);
  const count = view.getUint32(20, true);
  const current = memory.buffer.byteLength / PAGE;
  if (total > current) memory.grow(total - current);
  const mem = new Uint8Array(memory.buffer);
  let at = 24 + count * 8;
  for (let i = 0; i < count; i++) {
    const first = view.getUint32(24 + i * 8, true);
    const bytes = view.getUint32(28 + i * 8, true) * block;
    mem.set(image.subarray(at, at + bytes), first * block);
    at += bytes;
  }
}

/**
 * The memory a fresh instance of `module` starts with (its data segments),
 * read from an instance that runs nothing: a reactor's instantiation only
 * writes its data segments, and every import is inert here.
 *
 * @example
 * ```ts
 * const base = initialMemory(module)
 * ```
 */
export function initialMemory(module: WebAssembly.Module): Uint8Array {
  const imports: Record<string, Record<string, () => number>> = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind === 'function') (imports[imp.module] ??= {})[imp.name] = () => 0;
  }
  const instance = new WebAssembly.Instance(module, imports as WebAssembly.Imports);
  return new Uint8Array((instance.exports.memory as WebAssembly.Memory).buffer).slice();
}
