/**
 * The snapshot container: what `box.snapshot()` returns and `PyBox.restore()`
 * reads. It knows bytes, not boxes: a JSON description and binary sections.
 *
 * Layout: `"PYBOXSNP"` | u32 format version (little endian) | a gzip stream
 * of the body. The body is u32 description length | the description (UTF-8
 * JSON) | the sections, each padded to 4 bytes (their lengths are in the
 * description). gzip both compresses and checksums: its CRC-32 and length of
 * the body catch a truncated or changed blob before anything is read from it.
 * The gzip header's fields that decoders ignore (flags, time, OS) are written
 * as zeros and must read as zeros, so that they are checked too. What passes
 * is the very body that was written: a changed bit of the deflate stream can
 * still decode to the same body (a copy from a run of zeros reads the same at
 * another distance), and then the snapshot is intact.
 * Browsers use `CompressionStream`; `@pybox/node` plugs in `node:zlib`
 * ({@link useGzip}), several times faster on small inputs. Both write gzip,
 * so a snapshot taken in one runtime restores in the other.
 */
import { SnapshotError } from '../errors.js';

/**
 * A gzip implementation. `gunzip` must fail on a damaged stream (bad CRC,
 * truncation) and must stop with {@link SnapshotError} `too-large` past `maxBytes`.
 *
 * @example
 * ```ts
 * useGzip({ gzip: (parts) => zlib.gzipSync(Buffer.concat(parts), { level: 1 }), gunzip: (b, max) => zlib.gunzipSync(b, { maxOutputLength: max }) })
 * ```
 */
export interface Gzip {
  gzip(parts: Uint8Array[]): Uint8Array | Promise<Uint8Array>;
  gunzip(bytes: Uint8Array, maxBytes: number): Uint8Array | Promise<Uint8Array>;
}

/** gzip with the web's `CompressionStream` (every browser, Node 18+). */
export const streamGzip: Gzip = {
  gzip: (parts) => pipe(parts, new CompressionStream('gzip'), Infinity),
  gunzip: (bytes, maxBytes) => pipe([bytes], new DecompressionStream('gzip'), maxBytes),
};

let gzipImpl: Gzip = streamGzip;

/**
 * Sets the gzip implementation of this thread's snapshots (`@pybox/node` sets `node:zlib`).
 *
 * @example
 * ```ts
 * useGzip(zlibGzip)
 * ```
 */
export function useGzip(impl: Gzip): void {
  gzipImpl = impl;
}

/** The `too-large` refusal of unpacking past `maxBytes`. */
export function unpackedTooLarge(maxBytes: number): SnapshotError {
  return new SnapshotError(
    `the snapshot unpacks to more than maxBytes (${maxBytes}): raise PyBox.restore's maxBytes if you trust it`,
    'too-large',
  );
}

const MAGIC = 'PYBOXSNP';
const HEADER = 12;
/** The gzip header every snapshot has: deflate, no flags, no time, no OS. */
const GZIP_HEADER = [0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0];

/**
 * The format this PyBox writes, and the newest it reads.
 *
 * @example
 * ```ts
 * SNAPSHOT_FORMAT // 1
 * ```
 */
export const SNAPSHOT_FORMAT = 1;

/** What `PyBox.restore` accepts by default (compressed, and once unpacked). */
export const DEFAULT_MAX_SNAPSHOT_BYTES = 1024 * 1024 * 1024;

const encoder = new TextEncoder();

/**
 * Packs a description and binary sections into a snapshot.
 *
 * @example
 * ```ts
 * const bytes = await encodeSnapshot({ build }, [runs, xor])
 * ```
 */
export async function encodeSnapshot(description: object, sections: Uint8Array[]): Promise<Uint8Array> {
  const meta = encoder.encode(JSON.stringify({ ...description, sections: sections.map((s) => s.byteLength) }));
  const head = new Uint8Array(4 + meta.length + pad(4 + meta.length));
  new DataView(head.buffer).setUint32(0, meta.length, true);
  head.set(meta, 4);
  const parts: Uint8Array[] = [head];
  for (const section of sections) {
    parts.push(section);
    const extra = pad(section.byteLength);
    if (extra) parts.push(new Uint8Array(extra));
  }
  const compressed = await gzipImpl.gzip(parts);
  const out = new Uint8Array(HEADER + compressed.length);
  compressed.set(GZIP_HEADER.slice(3), 3); // fields decoders ignore: fixed, so that they are checked too
  out.set(encoder.encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, SNAPSHOT_FORMAT, true);
  out.set(compressed, HEADER);
  return out;
}

/**
 * Unpacks a snapshot, refusing anything but an intact snapshot of a format this PyBox reads.
 * @throws SnapshotError (`not-a-snapshot`, `newer-format`, `too-large`, `corrupted`)
 *
 * @example
 * ```ts
 * const { description, sections } = await decodeSnapshot(bytes, 64 * 1024 * 1024)
 * ```
 */
export async function decodeSnapshot(
  bytes: Uint8Array,
  maxBytes: number = DEFAULT_MAX_SNAPSHOT_BYTES,
): Promise<{ description: Record<string, unknown>; sections: Uint8Array[] }> {
  if (bytes.byteLength > maxBytes) {
    throw new SnapshotError(
      `the snapshot is ${bytes.byteLength} bytes, more than maxBytes (${maxBytes}): raise PyBox.restore's maxBytes if you trust it`,
      'too-large',
    );
  }
  if (bytes.byteLength < HEADER || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) {
    throw new SnapshotError('these bytes are not a PyBox snapshot (it starts with "PYBOXSNP"): pass what box.snapshot() returned', 'not-a-snapshot');
  }
  const format = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
  if (format > SNAPSHOT_FORMAT) {
    throw new SnapshotError(
      `the snapshot is in format ${format}, newer than this PyBox reads (${SNAPSHOT_FORMAT}): restore it with the PyBox version that took it, or a newer one`,
      'newer-format',
    );
  }
  if (format < 1) throw corrupted(`format number ${format}`);
  if (GZIP_HEADER.some((b, i) => bytes[HEADER + i] !== b)) throw corrupted('its gzip header');
  let body: Uint8Array;
  try {
    body = await gzipImpl.gunzip(bytes.subarray(HEADER), maxBytes);
  } catch (e) {
    if (e instanceof SnapshotError) throw e;
    throw corrupted(e instanceof Error ? e.message : String(e));
  }
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  if (body.byteLength < 4) throw corrupted('no description');
  const metaLength = view.getUint32(0, true);
  if (4 + metaLength > body.byteLength) throw corrupted('the description is cut');
  let description: Record<string, unknown>;
  try {
    description = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body.subarray(4, 4 + metaLength))) as Record<string, unknown>;
  } catch {
    throw corrupted('the description is not JSON');
  }
  const lengths = description.sections;
  if (!Array.isArray(lengths) || !lengths.every((n) => Number.isSafeInteger(n) && (n as number) >= 0)) throw corrupted('no section table');
  const sections: Uint8Array[] = [];
  let at = 4 + metaLength + pad(4 + metaLength);
  for (const length of lengths as number[]) {
    if (at + length > body.byteLength) throw corrupted('a section is cut');
    sections.push(body.subarray(at, at + length));
    at += length + pad(length);
  }
  if (at !== body.byteLength) throw corrupted('bytes after the last section');
  return { description, sections };
}

/**
 * The `corrupted` refusal of a snapshot whose bytes are intact but whose content does not hold
 * together (a description or a section that no `box.snapshot()` writes).
 *
 * @example
 * ```ts
 * throw damaged('its description')
 * ```
 */
export function damaged(what: string): SnapshotError {
  return new SnapshotError(`the snapshot is damaged (${what}): it was changed after box.snapshot() made it`, 'corrupted');
}

function corrupted(detail: string): SnapshotError {
  return new SnapshotError(
    `the snapshot is damaged (${detail}): it was truncated or changed after box.snapshot() made it; store and send it as binary, unchanged`,
    'corrupted',
  );
}

/** Bytes of padding after `n` bytes, to the next multiple of 4. */
function pad(n: number): number {
  return (4 - (n % 4)) % 4;
}

/** Runs bytes through a transform stream, collecting at most `max` bytes of output. */
async function pipe(input: Uint8Array[], transform: TransformStream<BufferSource, Uint8Array>, max: number): Promise<Uint8Array> {
  const writer = transform.writable.getWriter();
  const writing = (async () => {
    for (const part of input) await writer.write(part as BufferSource);
    await writer.close();
  })();
  writing.catch(() => undefined); // its failure is the reader's too, reported there
  const reader = transform.readable.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      throw unpackedTooLarge(max);
    }
    chunks.push(value);
  }
  await writing;
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}
