/**
 * Crash recovery: every call into the guest goes through a {@link TrapGuard}.
 * A wasm trap (or a host stack overflow inside the guest) leaves the
 * instance's memory in an unknown state, so it is never used again: the
 * guard has the engine restore a clean instance and reports the crash.
 */
import { GuestCrashError, PyBoxError } from '../errors.js';

/**
 * Runs guest calls; after a trap, restores the instance (with `restore`)
 * before anything else may run.
 *
 * @example
 * ```ts
 * const guard = new TrapGuard(() => engine.restoreClean())
 * const reply = guard.call(() => abi.names(ctx))
 * ```
 */
export class TrapGuard {
  /** Set while the instance is unusable: it trapped and could not be restored. */
  private broken = false;
  /** Set while `restore` runs: a trap then must not restore again (from inside itself). */
  private restoring = false;

  /** @param restore replaces the instance by a clean one; throws if it cannot */
  constructor(private readonly restore: () => void) {}

  /** Calls into the guest. A trap restores the instance and throws {@link GuestCrashError}. */
  call<T>(fn: () => T): T {
    if (this.broken) throw new GuestCrashError('the guest crashed earlier and could not be restored: create a new box');
    try {
      return fn();
    } catch (e) {
      if (e instanceof PyBoxError || this.restoring) throw e;
      const cause = e instanceof Error ? e.message : String(e);
      try {
        this.restoring = true;
        this.restore();
      } catch {
        this.broken = true;
        throw new GuestCrashError(`the guest stopped abnormally (${cause}); the box cannot be used any more: create a new one`);
      } finally {
        this.restoring = false;
      }
      throw new GuestCrashError(
        `the guest stopped abnormally (${cause}); the box was restored from its boot image: contexts created since then are gone, files and tools are kept`,
      );
    }
  }
}
