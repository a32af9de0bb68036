/**
 * The watchdog of a worker transport: it decides when a worker that cannot
 * be stopped from inside must be stopped hard (terminated and replaced).
 * It runs on the facade's thread, beside the worker client.
 */

/** How much longer than its time limit an exec may keep the worker busy before a hard stop. */
export const HARD_STOP_GRACE_MS = 2000;
/** How long an interrupted exec may keep the worker busy before a hard stop (no SharedArrayBuffer). */
export const INTERRUPT_GRACE_MS = 500;

/**
 * Watches the execs of one worker.
 *
 * @example
 * ```ts
 * const watchdog = new Watchdog((reason) => restartWorker(reason))
 * watchdog.execStarted(7, 1000)
 * ```
 */
export class Watchdog {
  /** Running execs: id → time limit in ms. */
  private readonly running = new Map<number, number>();
  private toolsInFlight = 0;
  private lastSignal = 0;
  private interruptedAt = 0;
  private timer: ReturnType<typeof setInterval> | undefined;

  /** @param hardStop called (once per decision) with why the worker must be replaced */
  constructor(private readonly hardStop: (reason: string) => void) {}

  /** An exec was sent to the worker. */
  execStarted(id: number, timeoutMs: number): void {
    this.running.set(id, timeoutMs);
    this.alive();
    this.start();
  }

  /** An exec's result (or failure) came back. */
  execEnded(id: number): void {
    this.running.delete(id);
    if (this.running.size === 0) this.interruptedAt = 0;
    this.alive();
  }

  /** The worker showed it is not stuck (a message arrived). */
  alive(): void {
    this.lastSignal = performance.now();
  }

  /** A tool call of the worker's started on this side. */
  toolStarted(): void {
    this.toolsInFlight++;
  }

  /** A tool call ended; the worker runs again from here. */
  toolEnded(): void {
    this.toolsInFlight = Math.max(0, this.toolsInFlight - 1);
    this.alive();
  }

  /** Whether tool calls are still running on this side. */
  get toolsRunning(): boolean {
    return this.toolsInFlight > 0;
  }

  /** An interrupt was asked for without a shared flag: the worker must answer soon. */
  interrupted(): void {
    if (this.running.size > 0) this.interruptedAt = performance.now();
  }

  /** Forgets everything: the worker was replaced. */
  reset(): void {
    this.running.clear();
    this.toolsInFlight = 0;
    this.interruptedAt = 0;
    this.stop();
  }

  /** Stops checking. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => this.check(), 100);
    (this.timer as { unref?: () => void }).unref?.();
  }

  private check(): void {
    if (this.running.size === 0) return this.stop();
    if (this.toolsInFlight > 0) return; // the worker is waiting on us, not busy
    const busy = performance.now() - this.lastSignal;
    const limit = Math.max(...this.running.values());
    if (busy > limit + HARD_STOP_GRACE_MS) {
      this.hardStop(`the exec kept running ${Math.round(busy)} ms, past its time limit, inside code that cannot be interrupted`);
    } else if (this.interruptedAt && performance.now() - this.interruptedAt > INTERRUPT_GRACE_MS) {
      this.hardStop('the exec was interrupted while running code that does not check for interrupts');
    }
  }
}
