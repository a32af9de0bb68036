/**
 * The exec loop: runs code in a context, services the tool calls and timers
 * it suspends on, charges CPU time per guest call, and turns the final
 * answer into a result or a typed error. It also answers the guest's
 * questions while an exec runs: "am I interrupted?" and "how long may I
 * sleep?".
 */
import { execFailure, InterruptAnswer, type GuestAbi, type GuestAnswer, type GuestReply } from './abi.js';
import { now, sleepFor } from './clock.js';
import { AbortedError, ContextBusyError, ContextDisposedError, TimeLimitError } from '../errors.js';
import { createSink, type OutputRouter, type OutputSink } from './output.js';
import type { TrapGuard } from './recovery.js';
import { ToolWaits, type ToolRunner } from './tools.js';
import type { EngineExecOptions, ExecResult } from './types.js';

/** The memory cap when none is given: no exec may grow the guest without bound. */
const DEFAULT_MEMORY_BYTES = 512 * 1024 * 1024;

/** What the exec loop needs from its engine. */
export interface ExecHost {
  /** The current guest bindings (they change when the instance is restored). */
  abi(): GuestAbi;
  guard: TrapGuard;
  tools: ToolRunner;
  output: OutputRouter;
  /** Per-exec cap on output characters. */
  outputLimit: number;
  /** Set by another thread to stop the running exec. */
  interruptFlag?: Int32Array | undefined;
  /** The typed error for a failed guest call. */
  failure(answer: GuestAnswer, what: string): Error;
}

/**
 * Runs execs against one guest.
 *
 * @example
 * ```ts
 * const executor = new Executor(host)
 * const result = await executor.exec(guestCtx, 'await add(1, 2)', { timeoutMs: 1000 })
 * ```
 */
export class Executor {
  private readonly running = new Set<number>();
  private interruptRequested = false;
  /** Set when a sleep was cut short at the deadline of the guest call in progress. */
  private sleptToDeadline = false;
  /** The CPU deadline of the guest call in progress, for capping sleeps. */
  private callDeadline = Infinity;

  constructor(private readonly host: ExecHost) {}

  /** Whether any exec is running (or suspended). */
  get busy(): boolean {
    return this.running.size > 0;
  }

  /** Forgets the execs of a context that is gone. */
  forget(ctx: number): void {
    this.running.delete(ctx);
  }

  /** Forgets every exec: the guest was replaced. */
  reset(): void {
    this.running.clear();
  }

  /**
   * Runs code in a context. Top-level `await` works; tool calls are serviced
   * here (concurrently when gathered). Python exceptions come back as
   * `{ ok: false, error }`; host-side failures throw typed errors.
   */
  async exec(ctx: number, code: string, options: EngineExecOptions = {}): Promise<ExecResult> {
    if (this.running.has(ctx)) throw new ContextBusyError();
    options.signal?.throwIfAborted?.();
    const started = now();
    const sink = createSink(this.host.outputLimit, options.onStdout, options.onStderr);
    this.interruptRequested = false;
    if (this.host.interruptFlag) Atomics.store(this.host.interruptFlag, 0, 0);
    const budget = { cpuLeft: options.timeoutMs ?? 0 };
    const waits = new ToolWaits(options, started);
    this.running.add(ctx);
    try {
      let answer = this.guestStep(sink, budget, (deadline) =>
        this.host.abi().exec(ctx, code, {
          deadline,
          memoryBytes: options.memoryBytes ?? DEFAULT_MEMORY_BYTES,
          filename: options.filename,
        }),
      );
      while (answer.status === 'suspended') {
        for (const req of answer.requests ?? []) waits.add(req.id, this.host.tools.start(req));
        this.host.tools.takeEarly(waits);
        let results: string;
        try {
          results = await waits.next(answer.wakeAfterMs);
        } catch (e) {
          this.host.guard.call(() => this.host.abi().cancel(ctx));
          throw e;
        }
        answer = this.guestStep(sink, budget, (deadline) =>
          this.host.abi().resume(ctx, `{"results":[${results}],"deadline":${deadline}}`),
        );
      }
      return this.finish(answer, sink, options, started);
    } finally {
      waits.dispose();
      this.running.delete(ctx);
    }
  }

  /** Turns the final answer of an exec into its result or typed error. */
  private finish(answer: GuestAnswer, sink: OutputSink, options: EngineExecOptions, started: number): ExecResult {
    const durationMs = now() - started;
    const stdout = sink.stdout.join('');
    const stderr = sink.stderr.join('');
    if (answer.status === 'error') {
      switch (execFailure(answer)) {
        case 'internal':
          throw this.host.failure(answer, 'exec');
        case 'unknown-context':
          throw new ContextDisposedError();
        case 'busy':
          throw new ContextBusyError();
        case 'time-limit':
          throw new TimeLimitError(
            `the exec used more than its CPU time limit of ${options.timeoutMs} ms; the context keeps its state up to the stop`,
          );
        case 'interrupted':
          if (this.interruptRequested || this.host.interruptFlag?.[0]) throw new AbortedError('the exec was interrupted');
      }
      return { ok: false, error: answer.error!, stdout, stderr, durationMs };
    }
    const result: ExecResult = { ok: true, stdout, stderr, durationMs };
    if ('value' in answer) result.value = answer.value;
    if (answer.repr !== undefined) result.repr = answer.repr;
    return result;
  }

  /**
   * One guest call of an exec: output goes to the exec's sink, CPU time is
   * charged. `fn` gets the call's deadline on the guest's monotonic clock
   * (performance.now(), the clock WASI gives it), or 0 for none.
   */
  private guestStep(sink: OutputSink, budget: { cpuLeft: number }, fn: (deadline: number) => GuestReply): GuestAnswer {
    this.host.output.push(sink);
    const t0 = now();
    const outerDeadline = this.callDeadline;
    if (budget.cpuLeft > 0) this.callDeadline = Math.min(outerDeadline, t0 + budget.cpuLeft);
    const deadline = this.callDeadline === Infinity ? 0 : this.callDeadline;
    const outerSlept = this.sleptToDeadline;
    this.sleptToDeadline = false;
    try {
      return this.host.guard.call(() => fn(deadline)).answer;
    } finally {
      this.callDeadline = outerDeadline;
      this.sleptToDeadline = outerSlept;
      this.host.output.pop();
      if (budget.cpuLeft > 0) budget.cpuLeft = Math.max(budget.cpuLeft - (now() - t0), 0.001);
    }
  }

  /**
   * Asks the running exec to stop. It stops at its next check (within about
   * a millisecond of Python code) or, when it is waiting on tools, at once.
   */
  interrupt(): void {
    this.interruptRequested = true;
  }

  /** The `interrupted` import: polled by the guest with its time limit. */
  interrupted(): number {
    if (this.interruptRequested || (this.host.interruptFlag?.[0] ?? 0) !== 0) return InterruptAnswer.stop;
    return this.sleptToDeadline ? InterruptAnswer.deadline : InterruptAnswer.none;
  }

  /** `time.sleep`: never past the CPU deadline, so a long sleep ends at the time limit like any other code. */
  sleep(ms: number): void {
    const left = this.callDeadline - now();
    if (ms >= left) {
      ms = Math.max(0, left);
      this.sleptToDeadline = true; // the guest's next check raises the time limit
    }
    sleepFor(ms);
  }
}
