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
 * Runs guest calls; after a trap, restores the instance (with `restore`)
 * before anything else may run.
 *
 * @example
 * ```ts
 * const guard = new TrapGuard((reason) => engine.restoreClean(reason))
 * const reply = guard.call(() => abi.names(ctx))
 * ```
 */
export class TrapGuard {
  /** Set while the instance is unusable: it trapped and could not be restored. */
  private broken = false;
  /** Set while `restore` runs: a trap then must not restore again (from inside itself). */
  private restoring = false;

  /** @param restore replaces the instance by a clean one and returns how many contexts were lost; throws if it cannot */
  constructor(private readonly restore: (reason: CrashReason) => number) {}

  /** Calls into the guest. A trap restores the instance and throws {@link GuestCrashError}. */
  call<T>(fn: () => T): T {
    if (this.broken) throw new GuestCrashError('the guest crashed earlier and could not be restored: create a new box');
    try {
      return fn();
    } catch (e) {
      if (e instanceof PyBoxError || this.restoring) throw e;
      const cause = e instanceof Error ? e.message : String(e);
      const reason = crashReason(e);
      let contextsLost: number;
      try {
        this.restoring = true;
        contextsLost = this.restore(reason);
      } catch {
        this.broken = true;
        throw new GuestCrashError(`the guest stopped abnormally (${cause}); the box cannot be used any more: create a new one`, {
          reason,
        });
      } finally {
        this.restoring = false;
      }
      throw new GuestCrashError(
        `the guest stopped abnormally (${reason}: ${cause}); the box was restored from its boot image: ` +
          `${contextsLost} context(s) were lost (their handles reject with ContextDisposedError), files and tools are kept`,
        { reason, contextsLost },
      );
    }
  }
}
