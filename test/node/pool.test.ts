// PyBoxPool on real boxes (worker threads: a shared BoxThread, and a worker each): sessions keep
// their state across hibernation and eviction, checkouts wait in a bounded queue and fail with
// PoolBusyError when it is full or too slow, boxes are recycled after N execs or a crash,
// health checks replace dead warm boxes, and a FileSnapshotStore carries sessions across pools.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BoxThread,
  FileSnapshotStore,
  InvalidArgumentError,
  MemorySnapshotStore,
  PoolBusyError,
  PyBox,
  PyBoxPool,
  type PyBoxPoolOptions,
  type ToolDefinition,
} from '@pybox/node';

/** What a rejected call rejected with (or a marker error when it resolved). */
async function rejection(p: Promise<unknown>): Promise<Error> {
  return p.then(
    (v) => new Error(`resolved with ${String(v)}`),
    (e: unknown) => e as Error,
  );
}

/** Waits until `check` holds (polling; the test's own timeout bounds it). */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 10));
}

const tools: ToolDefinition[] = [
  {
    name: 'lookup',
    parameters: { type: 'object', properties: { key: { type: 'string' } }, required: ['key'] },
    handler: async ({ key }) => `value-of-${String(key)}`,
  },
];

describe('PyBoxPool', () => {
  const thread = new BoxThread();
  const onThread = (): Pick<PyBoxPoolOptions<PyBox>, 'create' | 'restore'> => ({
    create: () => PyBox.create({ tools, thread }),
    restore: (bytes) => PyBox.restore(bytes, { tools, thread }),
  });
  afterAll(async () => {
    await thread.close();
  });

  it('a session keeps its state across hibernation; the next call restores it transparently', async () => {
    const store = new MemorySnapshotStore();
    const pool = new PyBoxPool({ ...onThread(), max: 4, hibernateAfterMs: 30, store });
    try {
      const session = pool.session('chat-1');
      const first = await session.exec('notes = [await lookup("a")]\nlen(notes)');
      expect(first.ok && first.value).toBe(1);
      await until(() => session.state === 'hibernated');
      expect(store.size).toBe(1);
      expect(pool.metrics()).toMatchObject({ live: 0, sessionsLive: 0, sessionsHibernated: 1, hibernated: 1, restored: 0 });
      const second = await session.exec('notes.append(await lookup("b"))\nnotes');
      expect(second.ok && second.value).toEqual(['value-of-a', 'value-of-b']);
      expect(pool.metrics()).toMatchObject({ restored: 1, created: 1 });
      await session.use(async (box) => {
        expect(box.contexts().map((c) => c.name)).toEqual(['main']);
      });
    } finally {
      await pool.close({ hibernate: false });
    }
  });

  it('past max live boxes, the least recently used idle session is hibernated early (evicted)', async () => {
    const pool = new PyBoxPool({ ...onThread(), max: 2, hibernateAfterMs: Infinity });
    try {
      for (const id of ['a', 'b', 'c']) {
        const r = await pool.session(id).exec(`me = "${id}"\nme`);
        expect(r.ok && r.value).toBe(id);
      }
      expect(pool.session('a').state).toBe('hibernated'); // the oldest went
      expect(pool.metrics()).toMatchObject({ live: 2, evicted: 1, sessionsLive: 2, sessionsHibernated: 1 });
      const again = await pool.session('a').exec('me');
      expect(again.ok && again.value).toBe('a');
      expect(pool.session('b').state).toBe('hibernated');
      expect(pool.metrics()).toMatchObject({ live: 2, evicted: 2, restored: 1 });
    } finally {
      await pool.close({ hibernate: false });
    }
  });

  it('checkouts wait in a bounded queue: full is PoolBusyError(queue-full), too long is PoolBusyError(timeout)', async () => {
    const pool = new PyBoxPool({ ...onThread(), max: 1, maxQueue: 1, checkoutTimeoutMs: 60_000 });
    try {
      const held = await pool.checkout();
      const waiting = pool.checkout();
      const full = await rejection(pool.checkout());
      expect(full).toBeInstanceOf(PoolBusyError);
      expect((full as PoolBusyError).reason).toBe('queue-full');
      expect(pool.metrics()).toMatchObject({ queued: 1, rejected: 1, live: 1 });
      await held.release();
      const next = await waiting;
      expect(next.box).toBe(held.box); // the same warm box, handed over
      await next.release();
    } finally {
      await pool.close();
    }
    const slow = new PyBoxPool({ ...onThread(), max: 1, checkoutTimeoutMs: 50 });
    try {
      const held = await slow.checkout();
      const late = await rejection(slow.checkout());
      expect(late).toBeInstanceOf(PoolBusyError);
      expect((late as PoolBusyError).reason).toBe('timeout');
      expect(late.message).toMatch(/within 50 ms/);
      await held.release();
    } finally {
      await slow.close();
    }
  });

  it('a released box comes back clean, and is replaced after maxExecsPerBox execs', async () => {
    const pool = new PyBoxPool({ ...onThread(), max: 2, maxExecsPerBox: 2 });
    try {
      const a = await pool.checkout();
      const ctx = await a.box.createContext();
      await ctx.exec('secret = 1');
      await a.release();
      const b = await pool.checkout();
      expect(b.box).toBe(a.box);
      expect(b.box.contexts()).toEqual([]); // the previous user's context is gone
      await (await b.box.createContext()).exec('1');
      await b.release(); // its second exec: used up
      expect(pool.metrics()).toMatchObject({ recycled: 1 });
      const c = await pool.checkout();
      expect(c.box).not.toBe(a.box);
      expect(a.box.isClosed).toBe(true);
      await c.release();
    } finally {
      await pool.close();
    }
  });

  it('a box whose guest crashed (a hard stop) is replaced on release', async () => {
    const pool = new PyBoxPool({ create: () => PyBox.create({ tools }), restore: (b) => PyBox.restore(b, { tools }), max: 1 });
    try {
      const lease = await pool.checkout();
      const ctx = await lease.box.createContext();
      const stuck = await rejection(ctx.exec('sum(range(10**13))', { timeoutMs: 100 }));
      expect(stuck.name).toBe('GuestCrashError');
      expect(lease.box.usage.resets).toBe(1);
      await lease.release();
      expect(pool.metrics()).toMatchObject({ recycled: 1 });
      const next = await pool.checkout();
      expect(next.box).not.toBe(lease.box);
      await next.release();
    } finally {
      await pool.close();
    }
  }, 30_000);

  it('health checks replace a warm box that no longer works, and keep min boxes warm', async () => {
    const pool = new PyBoxPool({ ...onThread(), min: 1, max: 2, healthCheckIntervalMs: 30 });
    try {
      await until(() => pool.metrics().idle === 1);
      const lease = await pool.checkout();
      const box = lease.box;
      await lease.release();
      await box.close(); // dies while warm
      await until(() => pool.metrics().recycled === 1 && pool.metrics().idle === 1);
      const fresh = await pool.checkout();
      expect(fresh.box).not.toBe(box);
      expect(fresh.box.isClosed).toBe(false);
      await fresh.release();
    } finally {
      await pool.close();
    }
  });

  it('bad options are InvalidArgumentError', () => {
    expect(() => new PyBoxPool({} as never)).toThrow(InvalidArgumentError);
    expect(() => new PyBoxPool({ ...onThread(), max: 0 })).toThrow(/max must be a whole number of at least 1/);
    expect(() => new PyBoxPool({ ...onThread(), min: 3, max: 2 })).toThrow(/min \(3\) must not be above max \(2\)/);
    const pool = new PyBoxPool({ ...onThread() });
    expect(() => pool.session('')).toThrow(InvalidArgumentError);
    void pool.close();
  });
});

describe('FileSnapshotStore', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pybox-store-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('closing a pool hibernates its sessions; a new pool on the same folder finds them', async () => {
    const options = { create: () => PyBox.create({ tools }), restore: (b: Uint8Array) => PyBox.restore(b, { tools }) };
    const first = new PyBoxPool({ ...options, store: new FileSnapshotStore(dir) });
    await first.session('user/42').exec('cart = ["apple"]');
    await first.session('plain-id').exec('cart = ["pear"]');
    await first.close(); // hibernates both
    const files = await readdir(dir);
    expect(files).toHaveLength(2);
    expect(files).toContain('plain-id.pybox');
    expect(files.every((f) => f.endsWith('.pybox'))).toBe(true); // no temporary file left behind

    const second = new PyBoxPool({ ...options, store: new FileSnapshotStore(dir) });
    try {
      const r = await second.session('user/42').exec('cart.append("fig")\ncart');
      expect(r.ok && r.value).toEqual(['apple', 'fig']);
      expect(second.metrics().restored).toBe(1);
      await second.session('plain-id').close(); // deletes its snapshot
      expect(await readdir(dir)).toHaveLength(1);
    } finally {
      await second.close({ hibernate: false });
    }
  });

  it('get of an unknown key is undefined; delete of one is fine', async () => {
    const store = new FileSnapshotStore(join(dir, 'nested', 'folder'));
    expect(await store.get('nope')).toBeUndefined();
    await store.delete('nope');
    await store.set('k', new Uint8Array([1, 2, 3]));
    expect(await store.get('k')).toEqual(new Uint8Array([1, 2, 3]));
  });
});
