/**
 * Calls in flight that must all end together: when a box closes or a
 * worker dies, every pending call rejects at once, so nothing hangs. The
 * facade (api/box.ts) and the worker client (worker/client.ts) both track
 * their calls with this one class.
 */

/** Hooks of a {@link PendingCalls}. */
export interface PendingHooks {
  /** The first call started (e.g. keep a Node worker referenced). */
  onBusy?(): void;
  /** The last call ended. */
  onIdle?(): void;
  /** Replaces a call's rejection (e.g. by BoxClosedError once the box is closed). */
  mapError?(error: unknown): unknown;
}

/**
 * A set of pending calls that can be rejected all at once.
 *
 * @example
 * ```ts
 * const pending = new PendingCalls()
 * const result = pending.track(() => fetchSomething())
 * pending.rejectAll(new BoxClosedError()) // `result` rejects now
 * ```
 */
export class PendingCalls {
  private readonly rejects = new Set<(e: unknown) => void>();

  constructor(private readonly hooks: PendingHooks = {}) {}

  /** How many calls are pending. */
  get size(): number {
    return this.rejects.size;
  }

  /** Runs `fn`, settling with it unless {@link rejectAll} comes first. A synchronous throw rejects. */
  track<T>(fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.rejects.size === 0) this.hooks.onBusy?.();
      this.rejects.add(reject);
      const done = () => {
        if (this.rejects.delete(reject) && this.rejects.size === 0) this.hooks.onIdle?.();
      };
      let op: Promise<T>;
      try {
        op = fn();
      } catch (e) {
        op = Promise.reject(e);
      }
      op.then(
        (value) => {
          done();
          resolve(value);
        },
        (e: unknown) => {
          done();
          reject(this.hooks.mapError ? this.hooks.mapError(e) : e);
        },
      );
    });
  }

  /** Rejects every pending call with `error`. */
  rejectAll(error: unknown): void {
    if (this.rejects.size === 0) return;
    const all = [...this.rejects];
    this.rejects.clear();
    for (const reject of all) reject(error);
    this.hooks.onIdle?.();
  }
}
