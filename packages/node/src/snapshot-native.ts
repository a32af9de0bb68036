/**
 * What Node does faster for snapshots than the portable code of
 * `@pybox/core`: gzip with `node:zlib` (synchronous, several times faster
 * than `CompressionStream` on the small inputs snapshots are; level 1: a
 * typical session gains little from harder work, and it is taken often), and
 * comparing memory pages with `Buffer.compare` (a native memcmp). The format
 * is the same, so snapshots move freely between Node and browsers.
 */
import { Buffer, constants } from 'node:buffer';
import { gunzipSync, gzipSync } from 'node:zlib';
import { unpackedTooLarge, useGzip, usePageCompare, type Gzip } from '@pybox/core/internal';

/**
 * gzip through `node:zlib`.
 *
 * @example
 * ```ts
 * useGzip(zlibGzip)
 * ```
 */
export const zlibGzip: Gzip = {
  gzip: (parts) => gzipSync(parts.length === 1 ? parts[0]! : Buffer.concat(parts), { level: 1 }),
  gunzip: (bytes, maxBytes) => {
    try {
      return gunzipSync(bytes, { maxOutputLength: Math.min(maxBytes, constants.MAX_LENGTH) });
    } catch (e) {
      if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw unpackedTooLarge(maxBytes);
      throw e;
    }
  },
};

/**
 * Installs zlib and the native page compare for this thread's snapshots (each thread that
 * runs engines calls it: the main thread and every worker).
 *
 * @example
 * ```ts
 * installNativeSnapshots()
 * ```
 */
export function installNativeSnapshots(): void {
  useGzip(zlibGzip);
  usePageCompare((a, b) => Buffer.compare(a, b) === 0);
}
