/**
 * The watchdog of a worker transport: it decides when a worker that cannot
 * be stopped from inside must be stopped hard (terminated and replaced).
 * It runs on the facade's thread and looks only at what the worker is
 * really doing: running guest code for an exec (then the guest call's time
 * budget applies), or waiting — on tools, timers, anything — which is never
 * a reason to stop it, however long it lasts (the wall-clock limit ends
 * such waits cleanly inside the worker).
 */
import type { CrashReason } from '../errors.js';
import type { BusyState } from '../engine/signals.js';

/** How much longer than its budget a guest call may run before a hard stop. */
export const HARD_STOP_GRACE_MS = 2000;
/** How long an aborted exec's guest call may go on before a hard stop. */
export const INTERRUPT_GRACE_MS = 500;
/** How often the watchdog looks. */
const TICK_MS = 100;

/**
 * Watches the guest calls of one worker.
 *
 * @example
 * ```ts
 * const watchdog = new Watchdog(() => signals.busy(), (reason, why) => restartWorker(reason, why))
 * watchdog.execStarted(7)
 * ```
 */
export class Watchdog {
  private readonly running = new Set<number>();
  /** When each aborted exec was aborted. */
  private readonly aborted = new Map<number, number>();
  private calls = 0;
  private seenSeq = -1;
  private since = 0;
  private timer: ReturnType<typeof setInterval> | undefined;

  /**
   * @param probe what the worker is doing now (the shared block, or the state its messages told)
   * @param hardStop called with why the worker must be replaced
   */
  constructor(
    private readonly probe: () => BusyState,
    private readonly hardStop: (reason: CrashReason, why: string) => void,
  ) {}

  /** An exec was sent to the worker. */
  execStarted(id: number): void {
    this.running.add(id);
    this.watch();
  }

  /** An exec's result (or failure) came back. */
  execEnded(id: number): void {
    this.running.delete(id);
    this.aborted.delete(id);
    this.idleCheck();
  }

  /**
   * A host call that is not an exec (get, set, names...) was sent: Python can run in it (a
   * __repr__, a __del__), so a call that never returns is stopped like a runaway exec.
   */
  callStarted(): void {
    this.calls++;
    this.watch();
  }

  /** That call came back. */
  callEnded(): void {
    this.calls = Math.max(0, this.calls - 1);
    this.idleCheck();
  }

  private watch(): void {
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.check(), TICK_MS);
      (this.timer as { unref?: () => void }).unref?.();
    }
  }

  private idleCheck(): void {
    if (this.running.size === 0 && this.calls === 0) this.stop();
  }

  /** An exec was aborted: its guest code must stop soon. */
  execAborted(id: number): void {
    if (this.running.has(id) && !this.aborted.has(id)) this.aborted.set(id, performance.now());
  }

  /** Forgets everything: the worker was replaced. */
  reset(): void {
    this.running.clear();
    this.aborted.clear();
    this.calls = 0;
    this.seenSeq = -1;
    this.stop();
  }

  /** Stops looking. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private check(): void {
    const state = this.probe();
    const t = performance.now();
    if (state.execId === 0) {
      this.seenSeq = -1; // waiting: nothing to stop
      return;
    }
    if (state.seq !== this.seenSeq) {
      this.seenSeq = state.seq;
      this.since = t;
    }
    const busy = t - this.since;
    if (state.budgetMs > 0 && busy > state.budgetMs + HARD_STOP_GRACE_MS) {
      this.hardStop(
        'hard-stop-time-limit',
        `a guest call kept running ${Math.round(busy)} ms, past its ${state.budgetMs} ms budget, inside code that never checks the time limit`,
      );
      return;
    }
    const abortedAt = this.aborted.get(state.execId);
    if (abortedAt !== undefined && t - Math.max(abortedAt, this.since) > INTERRUPT_GRACE_MS) {
      this.hardStop('hard-stop-interrupt', 'the exec was aborted while running code that does not check for interrupts');
    }
  }
}
