/**
 * The in-memory files of an overlay mount (and of files moved into a mount
 * from the in-memory tree).
 */
import type { File } from '@pybox/core/internal';

/** Writes into an in-memory file, growing its buffer geometrically (appends stay linear). */
export function memWrite(file: File, data: Uint8Array, at: number): void {
  memResize(file, Math.max(file.data.length, at + data.length));
  file.data.set(data, at);
}

/** Sets an in-memory file's size; new bytes are zeros. */
export function memResize(file: File, size: number): void {
  const old = file.data;
  if (size === old.length) return;
  const buffer = old.buffer;
  if (size <= old.length || (old.byteOffset === 0 && buffer instanceof ArrayBuffer && size <= buffer.byteLength)) {
    file.data = new Uint8Array(buffer, old.byteOffset, size);
    file.data.fill(0, old.length);
    return;
  }
  const next = new Uint8Array(new ArrayBuffer(Math.max(size, old.length * 2, 4096)), 0, size);
  next.set(old);
  file.data = next;
}
