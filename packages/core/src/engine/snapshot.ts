/**
 * Snapshots of a guest's memory: between two export calls a guest's whole
 * state is its linear memory (guest/ABI.md), so a copy of memory, or a boot
 * image (image.ts), brings an instance back to that state.
 *
 * A box snapshot stores only what differs from its *base*: the memory a
 * fresh instance of the module has once the boot image is applied (or, with
 * no image, as instantiated). The memory is compared with the base in blocks
 * of {@link BLOCK} bytes; a changed block is stored XORed with the base, so
 * the bytes that did not change inside it are zeros and compress to nearly
 * nothing. Restoring is the reverse: a fresh instance, the boot image, then
 * the XOR of the stored blocks.
 */
import { GuestAbi, type GuestExports } from './abi.js';
import { applyImage } from './image.js';
import { instantiate } from './instantiate.js';

/** A clean guest state with no contexts: a boot image, or a copy of memory taken right after boot. */
export type CleanState = { image: Uint8Array } | { memory: Uint8Array };

/** The unit of comparison: small enough that a changed object costs little, large enough for a short index. */
export const BLOCK = 512;
const PAGE = 65536;
const WORDS_PER_BLOCK = BLOCK / 4;
const BLOCKS_PER_PAGE = PAGE / BLOCK;
/** A changed page is searched in stretches of 4 KiB before blocks (the native compare skips the unchanged ones). */
const STRETCH = 4096;
const BLOCKS_PER_STRETCH = STRETCH / BLOCK;

/**
 * Copies a guest's memory.
 *
 * @example
 * ```ts
 * const clean: CleanState = { memory: captureMemory(exports.memory) }
 * ```
 */
export function captureMemory(memory: WebAssembly.Memory): Uint8Array {
  return new Uint8Array(memory.buffer).slice();
}

/**
 * Writes a clean state into the memory of a fresh instance of the same module.
 *
 * @example
 * ```ts
 * restoreMemory(fresh.exports.memory as WebAssembly.Memory, clean)
 * ```
 */
export function restoreMemory(memory: WebAssembly.Memory, state: CleanState): void {
  if ('image' in state) return applyImage(state.image, memory);
  const missing = state.memory.length - memory.buffer.byteLength;
  if (missing > 0) memory.grow(Math.ceil(missing / 65536));
  new Uint8Array(memory.buffer).set(state.memory);
}

/**
 * The memory a restore starts from, page by page: `null` for a page of zeros
 * (most of them), else a copy of the page. Made once per module and image and
 * shared by every snapshot of them.
 */
export interface MemoryBase {
  pages: (Uint8Array | null)[];
  /** The guest build the module says it is (`pybox_build_id`). */
  build: string;
}

const bases = new WeakMap<object, Promise<MemoryBase>>();

/**
 * The base of snapshots of `module` booted from `image` (cached).
 *
 * @example
 * ```ts
 * const base = await memoryBase(assets.module, assets.image)
 * ```
 */
export function memoryBase(module: WebAssembly.Module, image: Uint8Array | undefined): Promise<MemoryBase> {
  const key = image ?? module;
  let base = bases.get(key);
  if (!base) {
    base = makeBase(module, image);
    base.catch(() => bases.delete(key));
    bases.set(key, base);
  }
  return base;
}

/** Instantiates the module with inert imports (a reactor runs nothing at instantiation) to read its initial memory. */
async function makeBase(module: WebAssembly.Module, image: Uint8Array | undefined): Promise<MemoryBase> {
  const imports: Record<string, Record<string, () => number>> = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind === 'function') (imports[imp.module] ??= {})[imp.name] = () => 0;
  }
  const instance = await instantiate(module, imports as WebAssembly.Imports);
  const memory = instance.exports.memory as WebAssembly.Memory;
  if (image) applyImage(image, memory);
  const bytes = new Uint8Array(memory.buffer);
  const pages: (Uint8Array | null)[] = [];
  for (let p = 0; p < bytes.length / PAGE; p++) {
    const page = bytes.subarray(p * PAGE, (p + 1) * PAGE);
    pages.push(pageEquals(page, ZERO_PAGE) ? null : page.slice());
  }
  return { pages, build: readBuild(instance) };
}

/** `pybox_build_id` of an instance (it runs no Python; its answer buffer changes memory, so it is read after the base). */
function readBuild(instance: WebAssembly.Instance): string {
  try {
    return new GuestAbi(instance.exports as unknown as GuestExports).buildId() || 'unknown';
  } catch {
    return 'unknown';
  }
}

const ZERO_PAGE = new Uint8Array(PAGE);

/** Whether two equally long stretches of memory are equal: a word loop here; `node:buffer`'s memcmp in Node ({@link usePageCompare}). */
let pageEquals = (a: Uint8Array, b: Uint8Array): boolean => {
  const x = new Int32Array(a.buffer, a.byteOffset, a.byteLength >> 2);
  const y = new Int32Array(b.buffer, b.byteOffset, b.byteLength >> 2);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
};

/**
 * Sets how this thread compares memory pages when taking snapshots (`@pybox/node` uses
 * `Buffer.compare`, a native memcmp about six times faster than a JavaScript loop).
 *
 * @example
 * ```ts
 * usePageCompare((a, b) => Buffer.compare(a, b) === 0)
 * ```
 */
export function usePageCompare(equal: (a: Uint8Array, b: Uint8Array) => boolean): void {
  pageEquals = equal;
}

/**
 * What differs from the base: runs of changed blocks (`[first block, count]`
 * pairs) and their bytes XORed with the base, in run order.
 */
export interface MemoryDiff {
  /** The memory's size in 64 KiB pages. */
  pages: number;
  /** `[first, count]` pairs of changed blocks. */
  runs: Uint32Array;
  /** The changed blocks XORed with the base. */
  xor: Uint8Array;
}

/**
 * Compares a guest's memory with its base.
 *
 * @example
 * ```ts
 * const diff = diffMemory(exports.memory, memoryBase(module, image))
 * ```
 */
export function diffMemory(memory: WebAssembly.Memory, base: MemoryBase): MemoryDiff {
  const bytes = new Uint8Array(memory.buffer);
  const words = new Int32Array(memory.buffer);
  const pages = bytes.length / PAGE;
  const changed: number[] = [];
  for (let p = 0; p < pages; p++) {
    const basePage = base.pages[p] ?? null;
    const against = basePage ?? ZERO_PAGE;
    if (pageEquals(bytes.subarray(p * PAGE, (p + 1) * PAGE), against)) continue;
    // The page changed: find its changed blocks, skipping unchanged 4 KiB stretches natively too.
    const baseWords = basePage ? new Int32Array(basePage.buffer, basePage.byteOffset, PAGE / 4) : null;
    for (let k = 0; k < BLOCKS_PER_PAGE; k++) {
      if (k % BLOCKS_PER_STRETCH === 0) {
        const from = p * PAGE + k * BLOCK;
        if (pageEquals(bytes.subarray(from, from + STRETCH), against.subarray(k * BLOCK, k * BLOCK + STRETCH))) {
          k += BLOCKS_PER_STRETCH - 1;
          continue;
        }
      }
      const start = p * (PAGE / 4) + k * WORDS_PER_BLOCK;
      const j0 = k * WORDS_PER_BLOCK;
      for (let i = 0; i < WORDS_PER_BLOCK; i++) {
        if (words[start + i] !== (baseWords ? baseWords[j0 + i] : 0)) {
          changed.push(p * BLOCKS_PER_PAGE + k);
          break;
        }
      }
    }
  }
  const runs: number[] = [];
  for (const b of changed) {
    const last = runs.length - 2;
    if (last >= 0 && runs[last]! + runs[last + 1]! === b) runs[last + 1]!++;
    else runs.push(b, 1);
  }
  const xor = new Int32Array(changed.length * WORDS_PER_BLOCK);
  let at = 0;
  for (const b of changed) {
    const basePage = base.pages[(b / BLOCKS_PER_PAGE) | 0] ?? null;
    const start = b * WORDS_PER_BLOCK;
    if (basePage === null) {
      xor.set(words.subarray(start, start + WORDS_PER_BLOCK), at);
    } else {
      const baseWords = new Int32Array(basePage.buffer, basePage.byteOffset + (b % BLOCKS_PER_PAGE) * BLOCK, WORDS_PER_BLOCK);
      for (let i = 0; i < WORDS_PER_BLOCK; i++) xor[at + i] = words[start + i]! ^ baseWords[i]!;
    }
    at += WORDS_PER_BLOCK;
  }
  return { pages, runs: Uint32Array.from(runs), xor: new Uint8Array(xor.buffer) };
}

/**
 * Applies a diff to the memory of a fresh instance that holds the base (the boot image applied).
 * @throws RangeError when the diff does not fit the memory it describes (a damaged snapshot)
 *
 * @example
 * ```ts
 * applyImage(image, fresh.exports.memory); applyDiff(fresh.exports.memory, diff)
 * ```
 */
export function applyDiff(memory: WebAssembly.Memory, diff: MemoryDiff): void {
  const current = memory.buffer.byteLength / PAGE;
  if (diff.pages > current) memory.grow(diff.pages - current);
  const words = new Int32Array(memory.buffer);
  if (diff.xor.byteLength % 4 !== 0) throw new RangeError('the memory diff is not made of whole words');
  const aligned = diff.xor.byteOffset % 4 === 0 ? diff.xor : diff.xor.slice();
  const xor = new Int32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4);
  let k = 0;
  for (let r = 0; r < diff.runs.length; r += 2) {
    const start = diff.runs[r]! * WORDS_PER_BLOCK;
    const end = start + diff.runs[r + 1]! * WORDS_PER_BLOCK;
    if (end > words.length || k + (end - start) > xor.length) throw new RangeError('the memory diff does not fit the memory');
    for (let i = start; i < end; i++, k++) words[i] = words[i]! ^ xor[k]!;
  }
  if (k !== xor.length) throw new RangeError('the memory diff has bytes no block uses');
}

const fingerprints = new WeakMap<Uint8Array, string>();

/**
 * A fingerprint of a boot image (64 bits, hex; cached): a snapshot is a diff against its base,
 * so it restores only onto the very same image. Not cryptographic: it tells images apart.
 *
 * @example
 * ```ts
 * imageFingerprint(assets.image) // 'a1b2c3d4e5f60718'
 * ```
 */
export function imageFingerprint(image: Uint8Array): string {
  let id = fingerprints.get(image);
  if (id === undefined) {
    let h1 = 0x811c9dc5 | 0;
    let h2 = 0x01000193 | 0;
    const words = Math.floor(image.byteLength / 4);
    const view = image.byteOffset % 4 === 0 ? new Int32Array(image.buffer, image.byteOffset, words) : new Int32Array(image.slice(0, words * 4).buffer);
    for (let i = 0; i < words; i++) {
      const w = view[i]!;
      h1 = Math.imul(h1 ^ w, 0x01000193);
      h2 = Math.imul(h2 + w, 0x5bd1e995) ^ (h2 >>> 15);
    }
    for (let i = words * 4; i < image.byteLength; i++) h1 = Math.imul(h1 ^ image[i]!, 0x01000193);
    h1 = Math.imul(h1 ^ image.byteLength, 0x01000193);
    id = (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
    fingerprints.set(image, id);
  }
  return id;
}

/**
 * Puts the blocks `runs` names back to the base: a memory that was base ⊕ (those blocks) is the
 * base again (a reused engine's memory, before a new diff is applied to it).
 *
 * @example
 * ```ts
 * revertDiff(memory, base, lastDiff.runs)
 * ```
 */
export function revertDiff(memory: WebAssembly.Memory, base: MemoryBase, runs: Uint32Array): void {
  const bytes = new Uint8Array(memory.buffer);
  for (let r = 0; r < runs.length; r += 2) {
    for (let b = runs[r]!; b < runs[r]! + runs[r + 1]!; b++) {
      const page = base.pages[(b / BLOCKS_PER_PAGE) | 0] ?? null;
      const at = b * BLOCK;
      if (page === null) bytes.fill(0, at, at + BLOCK);
      else bytes.set(page.subarray((b % BLOCKS_PER_PAGE) * BLOCK, (b % BLOCKS_PER_PAGE + 1) * BLOCK), at);
    }
  }
}
