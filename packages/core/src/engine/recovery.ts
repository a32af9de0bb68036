/**
 * Crash recovery: every call into the guest goes through a {@link TrapGuard}.
 * A wasm trap (or a host stack overflow inside the guest) leaves the
 * instance's memory in an unknown state, so it is never used again: the
 * guard has the engine restore a clean instance and reports the crash with
 * why it happened and how many contexts went with it.
 */
import { GuestCrashError, PyBoxError, type CrashReason } from '../errors.js';
import { GuestNoAnswerError } from './abi.js';

/**
 * Why a guest call failed abnormally.
 *
 * @example
 * ```ts
 * crashReason(new RangeError('Maximum call stack size exceeded')) // 'stack-overflow'
 * ```
 */
export function crashReason(e: unknown): CrashReason {
  if (e instanceof GuestNoAnswerError) return 'out-of-memory';
  if (e instanceof RangeError && /call stack/i.test(e.message)) return 'stack-overflow';
  return 'trap';
}

/**
 * Runs `call`, then `cleanup`, and keeps the call's own error when it failed:
 * after a host stack overflow inside the guest the stack may have so little
 * room left that the cleanup throws a RangeError of its own, which a
 * `finally` would put in place of the error the caller must see.
 *
 * @example
 * ```ts
 * return keepingError(() => guard.call(() => abi.exec(ctx, code, {})), () => frames.pop())
 * ```
 */
export function keepingError<T>(call: () => T, cleanup: () => void): T {
  let result: T;
  try {
    result = call();
  } catch (e) {
    try {
      cleanup();
    } catch {
      // Out of stack: the call's error is the one that matters.
    }
    throw e;
  }
  cleanup();
  return result;
}

/**
 * Runs guest calls; after a trap, restores the instance (with `restore`)
 * before anything else may run.
 *
 * A host stack overflow inside the guest leaves little stack where it is
 * caught, too little to restore an instance there (the guest calls of a
 * restore would overflow again). Its restore waits for the engine to be back
 * on a short stack ({@link restorePending}, after the exec's promise
 * settles) or for the next guest call, whichever is first; its error is
 * thrown at once.
 *
 * @example
 * ```ts
 * const guard = new TrapGuard((reason) => engine.restoreClean(reason), () => engine.contexts.size)
 * const reply = guard.call(() => abi.names(ctx))
 * ```
 */
export class TrapGuard {
  /** Set while the instance is unusable: it trapped and could not be restored. */
  private broken = false;
  /** Set while `restore` runs: a trap then must not restore again (from inside itself). */
  private restoring = false;
  /** A crash whose restore has not run yet: it runs before the next guest call. */
  private pending: CrashReason | null = null;
  /** Made ahead (before each guest call): a crash's error when the stack has no room left to build one. */
  private spare: GuestCrashError | null = null;

  /** How many guest calls went through this guard (a memory diff stays true while it does not change). */
  calls = 0;
  /** Crashes handled: a caller that lost a crash's error on its way out sees this grow. */
  crashes = 0;
  /** The error of the latest crash, for a caller whose stack ran out before the error reached it. */
  lastCrash: GuestCrashError | null = null;

  /** Whether the instance trapped and could not be restored. */
  get isBroken(): boolean {
    return this.broken;
  }

  /**
   * @param restore replaces the instance by a clean one and returns how many contexts were lost; throws if it cannot
   * @param live how many contexts a restore now would lose
   */
  constructor(
    private readonly restore: (reason: CrashReason) => number,
    private readonly live: () => number,
  ) {}

  /** Calls into the guest. A trap restores the instance and throws {@link GuestCrashError}. */
  call<T>(fn: () => T): T {
    if (this.broken) throw new GuestCrashError('the guest crashed earlier and could not be restored: create a new box');
    if (this.pending && !this.restoring) this.restorePending();
    this.spare ??= new GuestCrashError('the guest stopped abnormally (stack-overflow); it is restored from its boot image, its contexts are lost', {
      reason: 'stack-overflow',
    });
    this.calls++;
    let settled = false;
    try {
      const result = fn();
      settled = true;
      return result;
    } catch (e) {
      if (e instanceof PyBoxError || this.restoring) {
        settled = true;
        throw e;
      }
      const reason = crashReason(e);
      const cause = e instanceof Error ? e.message : String(e);
      settled = true;
      if (reason !== 'stack-overflow') return this.recover(reason, cause);
      this.pending = reason; // restored back on a short stack (see the class)
      throw this.crashed(reason, cause, this.live());
    } finally {
      // A compare and a store: this runs even when the stack had no room left to handle the throw.
      if (!settled) this.pending = 'stack-overflow';
    }
  }

  /** Runs a restore that waits (see the class), if any: how many contexts it lost, or null when none waited. */
  restorePending(): number | null {
    const reason = this.pending;
    if (!reason || this.broken) return null;
    this.pending = null;
    try {
      this.restoring = true;
      return this.restore(reason);
    } catch {
      this.broken = true;
      return 0;
    } finally {
      this.restoring = false;
    }
  }

  /**
   * The error for a caller whose guest call was cut by a host stack overflow
   * so early that its crash's error was lost on the way out. Called back on a
   * short stack after {@link restorePending}: `lost` is what that restore
   * returned (null: nobody noticed the cut, so the guest is restored now).
   */
  cutError(cause: string, lost: number | null): GuestCrashError {
    if (this.broken) return new GuestCrashError('the guest crashed earlier and could not be restored: create a new box');
    if (lost === null) {
      try {
        this.recover('stack-overflow', cause);
      } catch (e) {
        return e as GuestCrashError;
      }
    }
    return this.crashed('stack-overflow', cause, lost ?? 0);
  }

  /** Restores a clean instance after a crash and throws its {@link GuestCrashError}. */
  private recover(reason: CrashReason, cause: string): never {
    let contextsLost: number;
    try {
      this.restoring = true;
      contextsLost = this.restore(reason);
    } catch {
      this.broken = true;
      this.crashes++;
      throw new GuestCrashError(`the guest stopped abnormally (${cause}); the box cannot be used any more: create a new one`, {
        reason,
      });
    } finally {
      this.restoring = false;
    }
    throw this.crashed(reason, cause, contextsLost);
  }

  /** The error of a crash, built even when the host's stack is almost used up; counted and kept. */
  private crashed(reason: CrashReason, cause: string, contextsLost: number): GuestCrashError {
    this.crashes++;
    let error: GuestCrashError;
    try {
      error = new GuestCrashError(
        `the guest stopped abnormally (${reason}: ${cause}); the box was restored from its boot image: ` +
          `${contextsLost} context(s) were lost (their handles reject with ContextDisposedError), files and tools are kept`,
        { reason, contextsLost },
      );
    } catch {
      const spare = this.spare! as { reason: CrashReason; contextsLost: number };
      this.spare = null; // made again before the next guest call
      spare.reason = reason;
      spare.contextsLost = contextsLost;
      error = spare as GuestCrashError;
    }
    this.lastCrash = error;
    return error;
  }
}
