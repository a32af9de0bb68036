/**
 * Boot images: a guest's linear memory right after init (with the driver's
 * heavy modules imported), stored sparsely. Starting from an image skips
 * booting CPython: instantiate, copy the pages, go. `pnpm build` makes one
 * from the committed guest (scripts/make-boot-image.mjs).
 *
 * Layout (little endian): "PYBOXIMG" | u32 version | u32 total pages |
 * u32 stored pages | u32 page index × stored | 64 KiB × stored.
 */

const MAGIC = 'PYBOXIMG';
const VERSION = 1;
const PAGE = 65536;

/** Encodes memory, leaving out pages that are all zero. */
export function encodeImage(memory: Uint8Array): Uint8Array {
  const total = Math.ceil(memory.length / PAGE);
  const stored: number[] = [];
  for (let p = 0; p < total; p++) {
    const page = new BigUint64Array(memory.buffer, memory.byteOffset + p * PAGE, PAGE / 8);
    if (page.some((word) => word !== 0n)) stored.push(p);
  }
  const header = 8 + 12 + stored.length * 4;
  const out = new Uint8Array(header + stored.length * PAGE);
  out.set(new TextEncoder().encode(MAGIC), 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, VERSION, true);
  view.setUint32(12, total, true);
  view.setUint32(16, stored.length, true);
  stored.forEach((p, i) => {
    view.setUint32(20 + i * 4, p, true);
    out.set(memory.subarray(p * PAGE, (p + 1) * PAGE), header + i * PAGE);
  });
  return out;
}

/** Writes an image into a guest memory, growing it as needed. */
export function applyImage(image: Uint8Array, memory: WebAssembly.Memory): void {
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  if (new TextDecoder().decode(image.subarray(0, 8)) !== MAGIC || view.getUint32(8, true) !== VERSION) {
    throw new Error('not a PyBox boot image of this version: rebuild it with `pnpm build`');
  }
  const total = view.getUint32(12, true);
  const count = view.getUint32(16, true);
  const current = memory.buffer.byteLength / PAGE;
  if (total > current) memory.grow(total - current);
  const mem = new Uint8Array(memory.buffer);
  const header = 20 + count * 4;
  for (let i = 0; i < count; i++) {
    const p = view.getUint32(20 + i * 4, true);
    mem.set(image.subarray(header + i * PAGE, header + (i + 1) * PAGE), p * PAGE);
  }
}
