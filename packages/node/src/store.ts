/**
 * A {@link SnapshotStore} on the filesystem: one file per session in a
 * folder, written atomically (a temporary file renamed over the old one), so
 * a crash mid-write leaves the previous snapshot, never half of one.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SnapshotStore } from '@pybox/core';

/**
 * Snapshots as files in `dir` (created when needed): `<key>.pybox` for keys of letters, digits,
 * `-` and `_` (at most 100), a SHA-256 of the key otherwise.
 *
 * @example
 * ```ts
 * const pool = new PyBoxPool({ create, restore, store: new FileSnapshotStore('/var/lib/app/sessions') })
 * ```
 */
export class FileSnapshotStore implements SnapshotStore {
  private ready: Promise<unknown> | undefined;

  /** @param dir the folder the snapshots live in */
  constructor(readonly dir: string) {}

  /** The file a key is stored in. */
  pathOf(key: string): string {
    const name = /^[A-Za-z0-9_-]{1,100}$/.test(key) ? key : createHash('sha256').update(key).digest('hex');
    return join(this.dir, `${name}.pybox`);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(this.pathOf(key)));
    } catch (e) {
      if ((e as { code?: string }).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async set(key: string, bytes: Uint8Array): Promise<void> {
    this.ready ??= mkdir(this.dir, { recursive: true });
    await this.ready;
    const file = this.pathOf(key);
    const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(temp, bytes);
    await rename(temp, file);
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }
}
