/**
 * The shared block between a worker's engine and the facade's thread (one
 * SharedArrayBuffer per worker): which exec the engine is running guest
 * code for right now (so the watchdog knows running from waiting), and
 * which execs the facade has aborted (so an abort reaches CPU-bound code
 * and `time.sleep`, and never another exec).
 *
 * Layout (Int32 words): BUSY (the exec id whose guest call is running, 0
 * while the engine waits), SEQ (bumped at every guest call), BUDGET (ms the
 * running call may take, 0 for no limit), WAKE (bumped and notified at
 * every abort: it wakes a sleeping guest), then a bitmap of aborted execs
 * by slot (`id % SLOTS`). The facade gives concurrent execs distinct slots.
 */

const BUSY = 0;
const SEQ = 1;
const BUDGET = 2;
const WAKE = 3;
const BITMAP = 4;

/** How many execs can be told apart at once (concurrent execs of one box get distinct slots). */
export const EXEC_SLOTS = 8192;

const WORDS = BITMAP + EXEC_SLOTS / 32;

/** What the engine reports about the guest: which exec's guest code runs now, if any. */
export interface GuestActivity {
  /** A guest call for exec `execId` starts; it may take up to `budgetMs` (0: no limit). */
  enter(execId: number, budgetMs: number): void;
  /** The guest call ended: the engine waits (on tools, timers) or is idle. */
  leave(): void;
}

/** A snapshot of the engine's activity, as the watchdog reads it. */
export interface BusyState {
  /** The exec whose guest call runs, or 0 while the engine waits. */
  execId: number;
  /** Changes at every guest call, so a long call can be told from many short ones. */
  seq: number;
  /** How long the running call may take in ms (0: no limit). */
  budgetMs: number;
}

/**
 * The shared block. Both sides wrap the same Int32Array.
 *
 * @example
 * ```ts
 * const signals = ExecSignals.create()          // facade side, undefined without SharedArrayBuffer
 * // worker side: new ExecSignals(wordsFromInit)
 * signals?.abort(7)                              // exec 7 stops at its next check or sleep
 * ```
 */
export class ExecSignals implements GuestActivity {
  constructor(readonly words: Int32Array) {
    if (words.length < WORDS) throw new RangeError(`the exec signal block needs ${WORDS} words`);
  }

  /** A new block, or undefined where SharedArrayBuffer is missing (browsers without cross-origin isolation). */
  static create(): ExecSignals | undefined {
    if (typeof SharedArrayBuffer !== 'function') return undefined;
    return new ExecSignals(new Int32Array(new SharedArrayBuffer(WORDS * 4)));
  }

  // ---- the facade's side ---------------------------------------------------

  /** Marks exec `id` aborted and wakes it if it sleeps. */
  abort(id: number): void {
    const slot = id % EXEC_SLOTS;
    Atomics.or(this.words, BITMAP + (slot >> 5), 1 << (slot & 31));
    Atomics.add(this.words, WAKE, 1);
    Atomics.notify(this.words, WAKE);
  }

  /** Frees exec `id`'s slot (its exec ended). */
  clear(id: number): void {
    const slot = id % EXEC_SLOTS;
    Atomics.and(this.words, BITMAP + (slot >> 5), ~(1 << (slot & 31)));
  }

  /** What the engine is doing now. */
  busy(): BusyState {
    return {
      execId: Atomics.load(this.words, BUSY),
      seq: Atomics.load(this.words, SEQ),
      budgetMs: Atomics.load(this.words, BUDGET),
    };
  }

  // ---- the engine's side ---------------------------------------------------

  /** Whether exec `id` was aborted. */
  isAborted(id: number): boolean {
    if (id <= 0) return false;
    const slot = id % EXEC_SLOTS;
    return (Atomics.load(this.words, BITMAP + (slot >> 5)) & (1 << (slot & 31))) !== 0;
  }

  enter(execId: number, budgetMs: number): void {
    Atomics.store(this.words, BUDGET, Math.min(Math.ceil(budgetMs), 0x7fffffff));
    Atomics.add(this.words, SEQ, 1);
    Atomics.store(this.words, BUSY, execId);
  }

  leave(): void {
    Atomics.store(this.words, BUSY, 0);
  }

  /**
   * Sleeps up to `ms` (a blocking wait: worker threads only), waking early
   * when exec `id` is aborted. Returns whether it was.
   */
  sleepUnlessAborted(id: number, ms: number): boolean {
    const end = performance.now() + ms;
    for (;;) {
      const seen = Atomics.load(this.words, WAKE);
      if (this.isAborted(id)) return true;
      const left = end - performance.now();
      if (left <= 0) return false;
      Atomics.wait(this.words, WAKE, seen, left);
    }
  }
}
