/**
 * Snapshots of a guest: between two export calls a guest's whole state is
 * its linear memory (guest/ABI.md), so a copy of memory, or a boot image
 * (image.ts), brings an instance back to that state.
 */
import { applyImage } from './image.js';

/** A clean guest state with no contexts: a boot image, or a copy of memory taken right after boot. */
export type CleanState = { image: Uint8Array } | { memory: Uint8Array };

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
