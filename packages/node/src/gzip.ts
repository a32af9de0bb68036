/**
 * Snapshot compression with `node:zlib` (installed for this thread by
 * `useGzip`): synchronous and several times faster than `CompressionStream`
 * on the small inputs snapshots are. Level 1: a typical session's snapshot
 * gains little from harder work, and it is taken often.
 */
import { constants } from 'node:buffer';
import { gunzipSync, gzipSync } from 'node:zlib';
import { unpackedTooLarge, type Gzip } from '@pybox/core/internal';

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
