/**
 * An overlay mount's in-memory layer: what Python created, changed, renamed
 * or deleted, by mount-relative path. It lives in host memory, so it is
 * charged to the box's filesystem quota like the in-memory tree: each entry
 * by its path's length (plus the per-name charge), each file by its size.
 */
import { FsQuota, type File } from '@pybox/core/internal';
import { E, WasiError } from './errno.js';

/** An overlay entry: something created in memory, or a deletion hiding the host's entry. */
export type Layer = { kind: 'file'; file: File } | { kind: 'dir'; ino: bigint } | { kind: 'deleted' };

/**
 * The overlay's entries, charged to a quota.
 *
 * @example
 * ```ts
 * const layer = new OverlayLayer()
 * layer.quota = boxQuota
 * layer.set('a/b.txt', { kind: 'file', file })   // throws WasiError(ENOSPC) past the quota
 * ```
 */
export class OverlayLayer {
  /** The box's quota (set when the mount is grafted; a mount on its own is unlimited). */
  quota = FsQuota.unlimited();
  private readonly entries = new Map<string, Layer>();

  get(key: string): Layer | undefined {
    return this.entries.get(key);
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** A snapshot of the entries (safe to change the layer while iterating it). */
  list(): [string, Layer][] {
    return [...this.entries];
  }

  /** The keys below `key` (`key/...`). */
  below(key: string): string[] {
    const prefix = `${key}/`;
    return [...this.entries.keys()].filter((k) => k.startsWith(prefix));
  }

  /**
   * Sets an entry. A new key is charged (ENOSPC past the quota, unless
   * `force`: deletions must always be recordable); a file's bytes count
   * while an entry holds it.
   */
  set(key: string, layer: Layer, force = false): void {
    const old = this.entries.get(key);
    if (old === undefined) {
      const ret = this.quota.addEntry(key, force);
      if (ret !== E.ERRNO_SUCCESS) throw new WasiError(ret);
    }
    if (layer.kind === 'file' && !(old?.kind === 'file' && old.file === layer.file)) this.quota.hold(layer.file);
    if (old?.kind === 'file' && !(layer.kind === 'file' && layer.file === old.file)) this.quota.drop(old.file);
    this.entries.set(key, layer);
  }

  delete(key: string): void {
    const old = this.entries.get(key);
    if (old === undefined) return;
    this.entries.delete(key);
    this.quota.removeEntry(key);
    if (old.kind === 'file') this.quota.drop(old.file);
  }

  /** Whether moving `keys` from `from` to `to` (plus up to two new entries) fits the quota. */
  fitsMove(keys: readonly string[], from: string, to: string): boolean {
    const growth = keys.length * (to.length - from.length) + 2 * FsQuota.entryCost(to);
    return this.quota.fits(growth);
  }
}

/**
 * Writes into an in-memory file, growing it; throws WasiError(EFBIG or ENOSPC) from the quota.
 *
 * @example
 * ```ts
 * memWrite(layer.quota, file, new TextEncoder().encode('hi'), 0)
 * ```
 */
export function memWrite(quota: FsQuota, file: File, data: Uint8Array, at: number | bigint): void {
  const ret = quota.write(file, data, at);
  if (ret !== E.ERRNO_SUCCESS) throw new WasiError(ret);
}

/**
 * Sets an in-memory file's size (new bytes are zeros); throws WasiError(EFBIG or ENOSPC) from the quota.
 *
 * @example
 * ```ts
 * memResize(layer.quota, file, 0)
 * ```
 */
export function memResize(quota: FsQuota, file: File, size: number | bigint): void {
  const ret = quota.resize(file, size);
  if (ret !== E.ERRNO_SUCCESS) throw new WasiError(ret);
}
