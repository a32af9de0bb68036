/**
 * `PyBoxPool`: boxes for a server or a busy page, within a budget of live
 * boxes (each holds its guest's memory, tens of megabytes).
 *
 * - **Checkout** (`pool.use(fn)`, `pool.checkout()`): an interchangeable box
 *   from the warm set (`min` kept ready), for stateless work. Released boxes
 *   lose their contexts and go back; after `maxExecsPerBox` execs or a guest
 *   restart (a crash) they are replaced.
 * - **Sessions** (`pool.session(id)`): a box with its own state. A session
 *   idle for `hibernateAfterMs` is snapshotted to the store and its box
 *   closed (its memory freed); the next call restores it transparently. When
 *   every live slot is taken, the least recently used idle session is
 *   hibernated early (evicted) to make room.
 *
 * Calls that find no room wait in a bounded queue (`maxQueue`) for at most
 * `checkoutTimeoutMs`; past either they fail with {@link PoolBusyError}.
 * Where the boxes run is the `create` and `restore` functions' choice (a
 * worker each by default, or many per worker thread with `@pybox/node`'s
 * `BoxThread`).
 */
import type { PyBoxBase } from '../api/box.js';
import type { Context } from '../api/context.js';
import type { ExecOptions, ExecResult } from '../api/types.js';
import { BoxClosedError, InvalidArgumentError, PoolBusyError, describeValue } from '../errors.js';
import { MemorySnapshotStore, type SnapshotStore } from './store.js';

/**
 * Options of a {@link PyBoxPool}.
 *
 * @example
 * ```ts
 * const options: PyBoxPoolOptions<PyBox> = {
 *   create: () => PyBox.create({ tools }), restore: (bytes) => PyBox.restore(bytes, { tools }),
 *   max: 32, hibernateAfterMs: 30_000, store: new FileSnapshotStore('/var/lib/app/sessions'),
 * }
 * ```
 */
export interface PyBoxPoolOptions<B extends PyBoxBase> {
  /** Makes a new box, e.g. `() => PyBox.create({ tools })`. */
  create: () => Promise<B>;
  /** Restores a hibernated session, e.g. `(bytes) => PyBox.restore(bytes, { tools })`. */
  restore: (bytes: Uint8Array) => Promise<B>;
  /** Boxes kept ready for checkout (default 0). */
  min?: number;
  /** Live boxes at most, pooled and sessions together (default 8). */
  max?: number;
  /** How long a call may wait for room (default 30 s). */
  checkoutTimeoutMs?: number;
  /** How many calls may wait for room (default 100); more fail at once with `PoolBusyError`. */
  maxQueue?: number;
  /** A pooled box is replaced after this many execs (default 1000). */
  maxExecsPerBox?: number;
  /** Idle sessions are hibernated after this long (default 60 s; `Infinity`: only when evicted). */
  hibernateAfterMs?: number;
  /** How often idle pooled boxes are checked with a tiny exec (default 30 s; 0: never). */
  healthCheckIntervalMs?: number;
  /** Where hibernated sessions go (default: a {@link MemorySnapshotStore}). */
  store?: SnapshotStore;
}

/**
 * What a pool is doing (see {@link PyBoxPool.metrics}).
 *
 * @example
 * ```ts
 * const { live, idle, queued, restored, evicted } = pool.metrics()
 * ```
 */
export interface PoolMetrics {
  /** Boxes alive now (pooled, leased, sessions, starting). */
  live: number;
  /** Live boxes no call uses now (warm pooled boxes and idle sessions). */
  idle: number;
  /** Calls waiting for room. */
  queued: number;
  /** Sessions with a live box. */
  sessionsLive: number;
  /** Sessions known to this pool whose box is hibernated. */
  sessionsHibernated: number;
  /** Boxes created with `create`. */
  created: number;
  /** Sessions restored from the store. */
  restored: number;
  /** Sessions hibernated (idle, evicted, or on close). */
  hibernated: number;
  /** Of those, hibernated early to make room. */
  evicted: number;
  /** Pooled boxes replaced (used up, crashed, or failing a health check). */
  recycled: number;
  /** Calls refused: queue full, or waited too long. */
  rejected: number;
}

/**
 * A box checked out of a pool. Release it when done.
 *
 * @example
 * ```ts
 * const lease = await pool.checkout()
 * try { await (await lease.box.createContext()).exec(code) } finally { await lease.release() }
 * ```
 */
export interface PoolLease<B extends PyBoxBase> {
  readonly box: B;
  /** Gives the box back (its contexts are disposed; a used-up or crashed box is replaced). */
  release(): Promise<void>;
}

interface Waiter {
  /** Wants a warm box (a checkout) rather than room for a new one. */
  wantsBox: boolean;
  grant: (box: PyBoxBase | null) => void;
  fail: (e: Error) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

interface SessionEntry<B extends PyBoxBase> {
  id: string;
  box: B | null;
  /** Calls using the box now. */
  users: number;
  lastUsed: number;
  waking: Promise<B> | null;
  hibernating: Promise<void> | null;
  closed: boolean;
}

const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/**
 * Boxes within a budget of live ones: checkouts for stateless work, and
 * sessions that hibernate to a store when idle (see the module comment).
 *
 * @example
 * ```ts
 * import { PyBox, PyBoxPool } from '@pybox/node'
 * const pool = new PyBoxPool({ create: () => PyBox.create({ tools }), restore: (b) => PyBox.restore(b, { tools }), max: 16 })
 * const r = await pool.session('user-42').exec('n = globals().get("n", 0) + 1\nn')
 * const out = await pool.use(async (box) => (await box.createContext()).exec('2 + 2'))
 * await pool.close()
 * ```
 */
export class PyBoxPool<B extends PyBoxBase> {
  private readonly options: CheckedPoolOptions<B>;
  private readonly warm: B[] = [];
  private readonly leased = new Map<B, number>();
  private readonly sessions = new Map<string, SessionEntry<B>>();
  private readonly queue: Waiter[] = [];
  /** Boxes being made or restored (they count as live), and sessions being hibernated to make room. */
  private starting = 0;
  private evicting = 0;
  private closed = false;
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private readonly counts = { created: 0, restored: 0, hibernated: 0, evicted: 0, recycled: 0, rejected: 0 };

  constructor(options: PyBoxPoolOptions<B>) {
    this.options = checkPoolOptions(options);
    const { hibernateAfterMs, healthCheckIntervalMs } = this.options;
    if (hibernateAfterMs !== Infinity) this.every(Math.min(Math.max(hibernateAfterMs / 2, 10), 1000), () => this.sweep());
    if (healthCheckIntervalMs > 0) this.every(healthCheckIntervalMs, () => this.checkHealth());
    this.fillWarm();
  }

  private every(ms: number, fn: () => void): void {
    const timer = setInterval(fn, ms);
    (timer as { unref?: () => void }).unref?.(); // never keeps a Node process alive
    this.timers.push(timer);
  }

  /** The store hibernated sessions go to. */
  get store(): SnapshotStore {
    return this.options.store;
  }

  /** Counts of what the pool holds and has done. */
  metrics(): PoolMetrics {
    let sessionsLive = 0;
    let idleSessions = 0;
    let hibernated = 0;
    for (const s of this.sessions.values()) {
      if (s.box) {
        sessionsLive++;
        if (s.users === 0) idleSessions++;
      } else if (!s.closed) hibernated++;
    }
    return {
      live: this.live(),
      idle: this.warm.length + idleSessions,
      queued: this.queue.length,
      sessionsLive,
      sessionsHibernated: hibernated,
      ...this.counts,
    };
  }

  private live(): number {
    let sessions = 0;
    for (const s of this.sessions.values()) if (s.box) sessions++;
    return this.warm.length + this.leased.size + sessions + this.starting;
  }

  // ---- checkouts -----------------------------------------------------------

  /**
   * A box for stateless work, from the warm set or newly made.
   * @throws PoolBusyError when the queue is full or the wait is longer than `checkoutTimeoutMs`
   */
  async checkout(): Promise<PoolLease<B>> {
    this.checkOpen();
    let box = this.warm.pop() ?? null;
    if (!box) {
      const granted = await this.room(true);
      box = (granted as B | null) ?? (await this.make(() => this.options.create(), 'created'));
    }
    this.leased.set(box, box.usage.resets);
    let released = false;
    return {
      box,
      release: async () => {
        if (released) return;
        released = true;
        await this.giveBack(box);
      },
    };
  }

  /**
   * Runs `fn` with a checked-out box and releases it after.
   *
   * @example
   * ```ts
   * const r = await pool.use(async (box) => (await box.createContext()).exec('sum(range(10))'))
   * ```
   */
  async use<T>(fn: (box: B) => Promise<T>): Promise<T> {
    const lease = await this.checkout();
    try {
      return await fn(lease.box);
    } finally {
      await lease.release();
    }
  }

  private async giveBack(box: B): Promise<void> {
    const resetsAtCheckout = this.leased.get(box) ?? 0;
    this.leased.delete(box);
    const usedUp = box.isClosed || box.usage.resets > resetsAtCheckout || box.usage.execs >= this.options.maxExecsPerBox;
    if (!usedUp && !this.closed) {
      try {
        for (const ctx of box.contexts()) await ctx.dispose(); // the next user starts clean
        this.warm.push(box);
        this.pump();
        return;
      } catch {
        // it could not be cleaned: replace it
      }
    }
    this.counts.recycled++;
    await box.close().catch(() => undefined);
    this.pump();
    this.fillWarm();
  }

  // ---- sessions ------------------------------------------------------------

  /**
   * The session `id` (made on first use; after a restart of the process, restored from the
   * store when it holds `id`).
   *
   * @example
   * ```ts
   * const s = pool.session('chat-7')
   * await s.exec('notes = []')
   * await s.exec('notes.append("hi")\nlen(notes)')   // { value: 1 }, hibernated or not in between
   * ```
   */
  session(id: string): PoolSession<B> {
    if (typeof id !== 'string' || id === '') throw new InvalidArgumentError(`a session id must be a non-empty string, got ${describeValue(id)}`);
    this.checkOpen();
    let entry = this.sessions.get(id);
    if (!entry || entry.closed) {
      entry = { id, box: null, users: 0, lastUsed: now(), waking: null, hibernating: null, closed: false };
      this.sessions.set(id, entry);
    }
    return new PoolSession(this, entry);
  }

  /** @internal Runs `fn` with the session's live box, waking it first. */
  async useSession<T>(entry: SessionEntry<B>, fn: (box: B) => Promise<T>): Promise<T> {
    this.checkOpen();
    if (entry.closed) throw new BoxClosedError(`session ${entry.id} was closed`);
    entry.users++;
    try {
      const box = await this.wake(entry);
      entry.lastUsed = now();
      return await fn(box);
    } finally {
      entry.users--;
      entry.lastUsed = now();
      if (entry.users === 0) this.pump();
    }
  }

  private async wake(entry: SessionEntry<B>): Promise<B> {
    for (;;) {
      if (entry.hibernating) await entry.hibernating;
      if (entry.box && !entry.box.isClosed) return entry.box;
      if (entry.box?.isClosed) entry.box = null; // it died (e.g. its worker): start again from the store
      if (!entry.waking) {
        entry.waking = (async () => {
          try {
            const granted = await this.room(false);
            if (granted) await granted.close();
            const bytes = await this.options.store.get(entry.id);
            const box = bytes
              ? await this.make(() => this.options.restore(bytes), 'restored')
              : await this.make(() => this.options.create(), 'created');
            entry.box = box;
            return box;
          } finally {
            entry.waking = null;
          }
        })();
      }
      const box = await entry.waking;
      if (!box.isClosed) return box;
    }
  }

  /** @internal Snapshots a session to the store and closes its box. */
  async hibernate(entry: SessionEntry<B>, early = false): Promise<boolean> {
    const box = entry.box;
    if (!box || entry.users > 0 || entry.hibernating || box.usage.running > 0) return false;
    entry.hibernating = (async () => {
      try {
        const bytes = await box.snapshot();
        await this.options.store.set(entry.id, bytes);
        entry.box = null;
        this.counts.hibernated++;
        if (early) this.counts.evicted++;
        await box.close();
      } catch {
        // Not hibernated: the session stays live (nothing is lost).
      } finally {
        entry.hibernating = null;
      }
    })();
    await entry.hibernating;
    this.pump();
    return entry.box === null;
  }

  /** @internal Closes a session and forgets its snapshot. */
  async closeSession(entry: SessionEntry<B>): Promise<void> {
    entry.closed = true;
    if (entry.hibernating) await entry.hibernating;
    const box = entry.box;
    entry.box = null;
    this.sessions.delete(entry.id);
    await box?.close();
    await this.options.store.delete(entry.id);
    this.pump();
  }

  /** Hibernates the sessions idle for longer than `hibernateAfterMs`. */
  private sweep(): void {
    const limit = now() - this.options.hibernateAfterMs;
    for (const entry of this.sessions.values()) {
      if (entry.box && entry.users === 0 && entry.lastUsed <= limit) void this.hibernate(entry);
    }
  }

  // ---- room ----------------------------------------------------------------

  /**
   * Waits for room for one more live box (the caller then makes it), or for a warm box when
   * `wantsBox`. Resolves with a warm box when one was handed over (a session closes it).
   */
  private room(wantsBox: boolean): Promise<PyBoxBase | null> {
    if (this.live() < this.options.max && this.queue.length === 0) {
      this.starting++;
      return Promise.resolve(null);
    }
    if (this.queue.length >= this.options.maxQueue) {
      this.counts.rejected++;
      return Promise.reject(
        new PoolBusyError(`the pool's queue is full (${this.options.maxQueue} calls wait for one of ${this.options.max} boxes): retry later`, 'queue-full'),
      );
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        wantsBox,
        grant: resolve,
        fail: reject,
        timer: setTimeout(() => {
          const i = this.queue.indexOf(waiter);
          if (i < 0) return;
          this.queue.splice(i, 1);
          this.counts.rejected++;
          reject(new PoolBusyError(`no box was free within ${this.options.checkoutTimeoutMs} ms (all ${this.options.max} are busy): retry later, or raise max`, 'timeout'));
        }, this.options.checkoutTimeoutMs),
      };
      this.queue.push(waiter);
      this.pump();
    });
  }

  /** Hands out room to waiters in order: warm boxes, free slots, or idle sessions hibernated early. */
  private pump(): void {
    while (this.queue.length > 0) {
      const waiter = this.queue[0]!;
      if (this.warm.length > 0 && (waiter.wantsBox || this.live() >= this.options.max)) {
        this.dequeue(waiter);
        const box = this.warm.pop()!;
        if (!waiter.wantsBox) this.starting++; // the session closes it and takes its slot
        waiter.grant(box);
        continue;
      }
      if (this.live() < this.options.max) {
        this.dequeue(waiter);
        this.starting++;
        waiter.grant(null);
        continue;
      }
      // Make room: hibernate the least recently used idle session (one per waiter at a time).
      if (this.evicting < this.queue.length) {
        const victim = this.lruIdleSession();
        if (victim) {
          this.evicting++;
          void this.hibernate(victim, true).finally(() => {
            this.evicting--;
            this.pump();
          });
          continue;
        }
      }
      break;
    }
  }

  private dequeue(waiter: Waiter): void {
    this.queue.splice(this.queue.indexOf(waiter), 1);
    clearTimeout(waiter.timer);
  }

  private lruIdleSession(): SessionEntry<B> | null {
    let victim: SessionEntry<B> | null = null;
    for (const entry of this.sessions.values()) {
      if (!entry.box || entry.users > 0 || entry.hibernating || entry.box.usage.running > 0) continue;
      if (!victim || entry.lastUsed < victim.lastUsed) victim = entry;
    }
    return victim;
  }

  /** Makes a box in a slot `room` reserved. */
  private async make(fn: () => Promise<B>, count: 'created' | 'restored'): Promise<B> {
    try {
      const box = await fn();
      this.counts[count]++;
      return box;
    } finally {
      this.starting--;
    }
  }

  /** Keeps `min` boxes warm when there is room. */
  private fillWarm(): void {
    if (this.closed) return;
    while (this.warm.length + this.starting < this.options.min && this.live() < this.options.max) {
      this.starting++;
      void this.make(() => this.options.create(), 'created').then(
        (box) => {
          if (this.closed) return void box.close();
          this.warm.push(box);
          this.pump();
        },
        () => undefined, // a failing create is retried at the next health check
      );
    }
  }

  /** Checks idle pooled boxes with a tiny exec; replaces the ones that fail. */
  private async checkHealth(): Promise<void> {
    for (const box of [...this.warm]) {
      let healthy = false;
      try {
        const ctx = await box.createContext();
        healthy = (await ctx.exec('1 + 1', { timeoutMs: 1000, wallTimeoutMs: 5000 })).ok;
        await ctx.dispose();
      } catch {
        healthy = false;
      }
      if (!healthy && this.warm.includes(box)) {
        this.warm.splice(this.warm.indexOf(box), 1);
        this.counts.recycled++;
        await box.close().catch(() => undefined);
      }
    }
    this.fillWarm();
  }

  private checkOpen(): void {
    if (this.closed) throw new BoxClosedError('this pool is closed');
  }

  /**
   * Closes the pool: waiting calls fail, pooled boxes close, and live sessions are hibernated
   * to the store first (so a restarted process finds them), unless `hibernate: false`.
   *
   * @example
   * ```ts
   * process.on('SIGTERM', () => void pool.close())
   * ```
   */
  async close(options: { hibernate?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    for (const timer of this.timers) clearInterval(timer);
    for (const waiter of this.queue.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.fail(new BoxClosedError('the pool was closed'));
    }
    if (options.hibernate !== false) {
      await Promise.all([...this.sessions.values()].map((entry) => this.hibernate(entry)));
    }
    this.closed = true;
    const boxes = [...this.warm.splice(0), ...this.leased.keys()];
    for (const entry of this.sessions.values()) if (entry.box) boxes.push(entry.box);
    await Promise.all(boxes.map((box) => box.close().catch(() => undefined)));
  }
}

/**
 * One session of a {@link PyBoxPool}: a box with its own state that may be hibernated between
 * calls. Its box (and so its `Context` objects) may change at every call: look contexts up by
 * name (`box.contexts()`) inside each call rather than keeping them.
 *
 * @example
 * ```ts
 * const session = pool.session('user-42')
 * await session.exec('x = 1')
 * await session.use(async (box) => box.fs.writeFile('/data/in.csv', csv))
 * ```
 */
export class PoolSession<B extends PyBoxBase> {
  /** @internal Use `pool.session(id)`. */
  constructor(
    private readonly pool: PyBoxPool<B>,
    private readonly entry: SessionEntry<B>,
  ) {}

  /** The session's id (its key in the store). */
  get id(): string {
    return this.entry.id;
  }

  /** `live` (a box in memory), `hibernated` (only in the store, or not made yet) or `closed`. */
  get state(): 'live' | 'hibernated' | 'closed' {
    if (this.entry.closed) return 'closed';
    return this.entry.box ? 'live' : 'hibernated';
  }

  /** Runs `fn` with the session's box, restoring it from the store first when hibernated. */
  use<T>(fn: (box: B) => Promise<T>): Promise<T> {
    return this.pool.useSession(this.entry, fn);
  }

  /**
   * Runs code in the session's context named `main` (made on first use).
   *
   * @example
   * ```ts
   * const r = await session.exec('rows = await fetch_rows()\nlen(rows)')
   * ```
   */
  exec(code: string, options?: ExecOptions): Promise<ExecResult> {
    return this.use(async (box) => (await mainContext(box)).exec(code, options));
  }

  /** Hibernates now (when no call uses it); resolves with whether it did. */
  hibernate(): Promise<boolean> {
    return this.pool.hibernate(this.entry);
  }

  /** Closes the session's box and deletes its snapshot from the store. */
  close(): Promise<void> {
    return this.pool.closeSession(this.entry);
  }
}

async function mainContext(box: PyBoxBase): Promise<Context> {
  return box.contexts().find((c) => c.name === 'main') ?? box.createContext({ name: 'main' });
}

type CheckedPoolOptions<B extends PyBoxBase> = Required<Omit<PyBoxPoolOptions<B>, 'store'>> & { store: SnapshotStore };

function checkPoolOptions<B extends PyBoxBase>(options: PyBoxPoolOptions<B>): CheckedPoolOptions<B> {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('PyBoxPool needs options { create, restore, ... }');
  if (typeof options.create !== 'function' || typeof options.restore !== 'function') {
    throw new InvalidArgumentError('PyBoxPool options need create: () => PyBox.create(...) and restore: (bytes) => PyBox.restore(bytes, ...)');
  }
  const count = (value: unknown, fallback: number, what: string, min: number) => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !(Number.isSafeInteger(value) || value === Infinity) || value < min) {
      throw new InvalidArgumentError(`PyBoxPool ${what} must be a whole number of at least ${min}, got ${describeValue(value)}`);
    }
    return value;
  };
  const max = count(options.max, 8, 'max', 1);
  const min = count(options.min, 0, 'min', 0);
  if (min > max) throw new InvalidArgumentError(`PyBoxPool min (${min}) must not be above max (${max})`);
  return {
    create: options.create,
    restore: options.restore,
    min,
    max,
    checkoutTimeoutMs: count(options.checkoutTimeoutMs, 30_000, 'checkoutTimeoutMs', 1),
    maxQueue: count(options.maxQueue, 100, 'maxQueue', 0),
    maxExecsPerBox: count(options.maxExecsPerBox, 1000, 'maxExecsPerBox', 1),
    hibernateAfterMs: count(options.hibernateAfterMs, 60_000, 'hibernateAfterMs', 1),
    healthCheckIntervalMs: count(options.healthCheckIntervalMs, 30_000, 'healthCheckIntervalMs', 0),
    store: options.store ?? new MemorySnapshotStore(),
  };
}
