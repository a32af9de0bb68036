/**
 * Where hibernated sessions go: a key-value store of snapshot bytes. The
 * pool needs only get, set and delete, so a store for Redis, S3, a database
 * or a durable workflow engine is a few lines (README, "Sessions that outlive
 * a process"). This module holds the interface and the in-memory default;
 * `@pybox/node` adds a filesystem store.
 */

/**
 * A key-value store of snapshots. Keys are session ids (any string); values the bytes of
 * `box.snapshot()`, stored unchanged (they are binary: keep them binary).
 *
 * @example
 * ```ts
 * const redisStore: SnapshotStore = {
 *   get: async (key) => { const b = await redis.getBuffer(`pybox:${key}`); return b ? new Uint8Array(b) : undefined },
 *   set: async (key, bytes) => void (await redis.set(`pybox:${key}`, Buffer.from(bytes), 'EX', 86_400)),
 *   delete: async (key) => void (await redis.del(`pybox:${key}`)),
 * }
 * ```
 */
export interface SnapshotStore {
  /** The bytes stored under `key`, or `undefined`. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Stores `bytes` under `key`, replacing what was there. */
  set(key: string, bytes: Uint8Array): Promise<void>;
  /** Forgets `key` (no error when absent). */
  delete(key: string): Promise<void>;
}

/**
 * A {@link SnapshotStore} in this process's memory: the pool's default. Snapshots are small
 * (tens of kilobytes for a typical session), so thousands fit; they end with the process.
 *
 * @example
 * ```ts
 * const store = new MemorySnapshotStore()
 * await store.set('s1', bytes)
 * store.size      // 1
 * store.bytes     // bytes.length
 * ```
 */
export class MemorySnapshotStore implements SnapshotStore {
  private readonly entries = new Map<string, Uint8Array>();

  async get(key: string): Promise<Uint8Array | undefined> {
    return this.entries.get(key);
  }

  async set(key: string, bytes: Uint8Array): Promise<void> {
    this.entries.set(key, bytes);
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }

  /** How many snapshots it holds. */
  get size(): number {
    return this.entries.size;
  }

  /** Their total size in bytes. */
  get bytes(): number {
    let total = 0;
    for (const bytes of this.entries.values()) total += bytes.byteLength;
    return total;
  }
}
