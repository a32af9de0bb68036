/**
 * The exec loop: runs code in a context, services the tool calls and timers
 * it suspends on, charges CPU time per guest call, and turns the final
 * answer into a result or a typed error. It also answers the guest's
 * questions while an exec runs: "am I interrupted?" and "how long may I
 * sleep?" — always about the exec whose guest call is running, never
 * another one: stops are per exec and end with it.
 */
import { execFailure, InterruptAnswer, type GuestAbi, type GuestAnswer, type GuestReply, type ToolRequest } from './abi.js';
import { now, sleepFor, type GuestClock } from './clock.js';
import { AbortedError, ContextBusyError, ContextDisposedError, TimeLimitError, WallTimeLimitError } from '../errors.js';
import { createSink, type OutputRouter, type OutputSink } from './output.js';
import { keepingError, type TrapGuard } from './recovery.js';
import type { ExecSignals, GuestActivity } from './signals.js';
import { ToolWaits, type Settled, type ToolRunner } from './tools.js';
import type { EngineExecOptions, ExecResult } from './types.js';

/** The memory cap when none is given: no exec may grow the guest without bound. */
export const DEFAULT_MEMORY_BYTES = 512 * 1024 * 1024;

/** What the exec loop needs from its engine. */
export interface ExecHost {
  /** The current guest bindings (they change when the instance is restored). */
  abi(): GuestAbi;
  guard: TrapGuard;
  tools: ToolRunner;
  output: OutputRouter;
  /** Per-exec cap on output characters. */
  outputLimit: number;
  /** The block another thread aborts execs through, when there is one. */
  signals?: ExecSignals | undefined;
  /** Told when guest code starts and stops running (for a watchdog on another thread). */
  activity?: GuestActivity | undefined;
  /** The typed error for a failed guest call. */
  failure(answer: GuestAnswer, what: string): Error;
  /** The guest's monotonic clock (the deadlines armed in the guest are on it). */
  clock: GuestClock;
}

/**
 * A suspended exec as a snapshot keeps it: what it printed, what is left of
 * its limits, and the results that settled but were not yet handed to the
 * guest. The calls it waits on are in the guest's memory (`pybox_state`).
 */
export interface SavedRun {
  stdout: string;
  stderr: string;
  /** Output characters still allowed. */
  outputLeft: number;
  /** Time it has run so far, waits included. */
  elapsedMs: number;
  /** CPU time left (null: no limit). */
  cpuLeftMs: number | null;
  /** Wall-clock time left (null: no limit). */
  wallLeftMs: number | null;
  timeoutMs?: number | undefined;
  wallTimeoutMs?: number | undefined;
  memoryBytes?: number | undefined;
  filename?: string | undefined;
  /** Results that settled and were not yet handed to the guest. */
  settled: Settled[];
}

/** How a saved run goes on: its limits (given again, or what was left), and results the host supplies. */
export interface ResumeRun {
  saved: SavedRun;
  /** The calls the guest waits on (from `pybox_state`). */
  pending: ToolRequest[];
  /** Results the host supplies directly, by call id; other pending calls go to the tool handlers. */
  supplied: Settled[];
}

/** One exec in progress. */
class ExecRun {
  /** Set once the exec's signal is aborted: the guest stops at its next check. */
  stop: 'aborted' | null = null;
  /** The wall-clock deadline on the monotonic clock (Infinity: none). */
  readonly wallDeadline: number;
  /** CPU time left in ms (Infinity: no limit). */
  cpuLeft: number;
  /** Whether the deadline of the latest guest call was the wall-clock one. */
  deadlineWasWall = false;
  readonly started: number;

  constructor(
    /** The exec's number on the shared signal block (0: none). */
    readonly id: number,
    readonly options: EngineExecOptions,
    readonly sink: OutputSink,
    /** What is left of a saved run's limits, when it goes on after a restore. */
    saved?: SavedRun,
  ) {
    const t = now();
    this.started = t - (saved?.elapsedMs ?? 0);
    const wallLeft = saved ? saved.wallLeftMs : options.wallTimeoutMs;
    const cpuLeft = saved ? saved.cpuLeftMs : options.timeoutMs;
    this.wallDeadline = wallLeft ? t + wallLeft : Infinity;
    this.cpuLeft = cpuLeft ? cpuLeft : Infinity;
  }

  /** What a snapshot keeps of this run. */
  save(settled: readonly Settled[]): SavedRun {
    const t = now();
    return {
      stdout: this.sink.stdout.join(''),
      stderr: this.sink.stderr.join(''),
      outputLeft: this.sink.left,
      elapsedMs: t - this.started,
      cpuLeftMs: this.cpuLeft === Infinity ? null : this.cpuLeft,
      wallLeftMs: this.wallDeadline === Infinity ? null : Math.max(this.wallDeadline - t, 1),
      timeoutMs: this.options.timeoutMs,
      wallTimeoutMs: this.options.wallTimeoutMs,
      memoryBytes: this.options.memoryBytes,
      filename: this.options.filename,
      settled: [...settled],
    };
  }
}

/** A guest call in progress (they nest when a synchronous tool handler runs another exec). */
interface Frame {
  run: ExecRun;
  /** When this call must end, on the monotonic clock (Infinity: never). */
  deadline: number;
  /** Set when a sleep was cut short at `deadline`. */
  sleptToDeadline: boolean;
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
  /** The execs in progress, by guest context: a snapshot saves the suspended ones. */
  private readonly running = new Map<number, { run: ExecRun; waits: ToolWaits }>();
  private readonly frames: Frame[] = [];

  /** Whether an exec's guest call is running (a host call made now is nested in it). */
  get inGuestCall(): boolean {
    return this.frames.length > 0;
  }
  /** Bumped when the guest is replaced: an exec suspended before then has lost its context. */
  private generation = 0;

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
    this.frames.length = 0;
    this.generation++;
  }

  /**
   * The suspended execs as a snapshot keeps them, by guest context. Only
   * between guest calls, when every exec in progress is suspended.
   */
  saveRuns(): Map<number, SavedRun> {
    const saved = new Map<number, SavedRun>();
    for (const [ctx, { run, waits }] of this.running) saved.set(ctx, run.save(waits.settled()));
    return saved;
  }

  /**
   * Runs code in a guest context. Top-level `await` works; tool calls are
   * serviced here (concurrently when gathered). Python exceptions come back
   * as `{ ok: false, error }`; host-side failures throw typed errors.
   */
  async exec(ctx: number, code: string, options: EngineExecOptions = {}): Promise<ExecResult> {
    const run = this.begin(ctx, options);
    const memoryBytes = options.memoryBytes ?? DEFAULT_MEMORY_BYTES;
    return this.drive(ctx, run, () => undefined, (deadline) => {
      this.host.abi().limits(deadline, memoryBytes);
      return this.host.abi().exec(ctx, code, { filename: options.filename });
    });
  }

  /**
   * Goes on with an exec saved in a snapshot, in the guest restored from it:
   * the results the host supplies and those that had settled are handed over
   * at once, the other calls it waits on go to the tool handlers, and the
   * output it had printed starts its result's stdout and stderr.
   */
  async resume(ctx: number, how: ResumeRun, options: EngineExecOptions = {}): Promise<ExecResult> {
    const { saved } = how;
    const merged: EngineExecOptions = {
      ...options,
      filename: saved.filename,
      memoryBytes: options.memoryBytes ?? saved.memoryBytes,
      timeoutMs: options.timeoutMs ?? saved.timeoutMs,
      wallTimeoutMs: options.wallTimeoutMs ?? saved.wallTimeoutMs,
    };
    const sink = createSink(this.host.outputLimit, options.onStdout, options.onStderr);
    sink.stdout.push(saved.stdout);
    sink.stderr.push(saved.stderr);
    sink.left = saved.outputLeft;
    const run = this.begin(ctx, merged, sink, {
      ...saved,
      // Limits given again start afresh; otherwise the run has what it had left.
      cpuLeftMs: options.timeoutMs ?? saved.cpuLeftMs,
      wallLeftMs: options.wallTimeoutMs ?? saved.wallLeftMs,
    });
    const memoryBytes = merged.memoryBytes ?? DEFAULT_MEMORY_BYTES;
    const prepare = (waits: ToolWaits) => {
      const answered = new Set<number>();
      for (const s of [...how.supplied, ...saved.settled]) {
        if (answered.has(s.id)) continue;
        answered.add(s.id);
        waits.add(s.id, s);
      }
      for (const req of how.pending) if (!answered.has(req.id)) waits.add(req.id, this.host.tools.start(req));
    };
    // The first step hands over what is ready (maybe nothing): the guest then says again
    // what it waits on, and when its next timer is due.
    return this.drive(ctx, run, prepare, (deadline, waits) => {
      this.host.abi().limits(deadline, memoryBytes);
      return this.host.abi().resume(ctx, `{"results":[${waits.take()}]}`);
    });
  }

  /** Checks an exec may start and makes its run. */
  private begin(ctx: number, options: EngineExecOptions, sink?: OutputSink, saved?: SavedRun): ExecRun {
    if (this.running.has(ctx)) throw new ContextBusyError();
    const id = options.execId ?? 0;
    if (options.signal?.aborted || this.host.signals?.isAborted(id)) {
      throw new AbortedError('the exec was aborted before it started');
    }
    return new ExecRun(id, options, sink ?? createSink(this.host.outputLimit, options.onStdout, options.onStderr), saved);
  }

  /** The exec loop: the first guest call, then tool calls and timers until the exec ends. */
  private async drive(
    ctx: number,
    run: ExecRun,
    prepare: (waits: ToolWaits) => void,
    first: (deadline: number, waits: ToolWaits) => GuestReply,
  ): Promise<ExecResult> {
    const { options } = run;
    const onAbort = () => {
      run.stop ??= 'aborted';
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const waits = new ToolWaits(options, run.wallDeadline);
    const generation = this.generation;
    this.running.set(ctx, { run, waits });
    let failed = true;
    try {
      prepare(waits);
      const memoryBytes = options.memoryBytes ?? DEFAULT_MEMORY_BYTES;
      let answer = this.guestStep(run, (deadline) => first(deadline, waits));
      while (answer.status === 'suspended') {
        for (const req of answer.requests ?? []) waits.add(req.id, this.host.tools.start(req));
        this.host.tools.takeEarly(waits);
        let results: string;
        try {
          results = await waits.next(answer.wakeAfterMs);
        } catch (e) {
          if (generation === this.generation) this.host.guard.call(() => this.host.abi().cancel(ctx));
          throw e;
        }
        if (generation !== this.generation) {
          throw new ContextDisposedError('this exec\'s context was lost when the guest was restored after a crash: create a new context');
        }
        answer = this.guestStep(run, (deadline) => {
          this.host.abi().limits(deadline, memoryBytes);
          return this.host.abi().resume(ctx, `{"results":[${results}]}`);
        });
      }
      const result = this.finish(answer, run);
      failed = false;
      return result;
    } finally {
      try {
        // First: with the host's stack nearly exhausted, a call here may throw before the rest.
        if (generation === this.generation) this.running.delete(ctx);
        waits.dispose();
        options.signal?.removeEventListener('abort', onAbort);
      } catch (e) {
        if (!failed) throw e; // else out of stack after a crash: the crash's error is what the caller sees
      }
    }
  }

  /** Turns the final answer of an exec into its result or typed error. */
  private finish(answer: GuestAnswer, run: ExecRun): ExecResult {
    const durationMs = now() - run.started;
    const stdout = run.sink.stdout.join('');
    const stderr = run.sink.stderr.join('');
    if (answer.status === 'error') {
      switch (execFailure(answer)) {
        case 'internal':
          throw this.host.failure(answer, 'exec');
        case 'unknown-context':
          throw new ContextDisposedError();
        case 'busy':
          throw new ContextBusyError();
        case 'time-limit':
          if (run.deadlineWasWall) throw this.wallError(run);
          throw new TimeLimitError(
            `the exec used more than its CPU time limit of ${run.options.timeoutMs} ms; the context keeps its state up to the stop`,
          );
        case 'interrupted':
          if (run.stop === 'aborted' || this.host.signals?.isAborted(run.id)) throw new AbortedError('the exec was aborted');
      }
      return { ok: false, error: answer.error!, stdout, stderr, durationMs };
    }
    const result: ExecResult = { ok: true, stdout, stderr, durationMs };
    if ('value' in answer) result.value = answer.value;
    if (answer.repr !== undefined) result.repr = answer.repr;
    return result;
  }

  private wallError(run: ExecRun): WallTimeLimitError {
    return new WallTimeLimitError(`the exec ran past its wall-clock limit of ${run.options.wallTimeoutMs} ms`);
  }

  /**
   * One guest call of an exec: output goes to the exec's sink, CPU time is
   * charged. `fn` gets the call's deadline on the guest's monotonic clock
   * (the one WASI gives it, see {@link GuestClock}), or 0 for none: the
   * earlier of the CPU budget left and the wall-clock deadline, never later
   * than the deadline of a call it is nested in.
   */
  private guestStep(run: ExecRun, fn: (deadline: number) => GuestReply): GuestAnswer {
    const t0 = now();
    const outer = this.frames[this.frames.length - 1];
    const cpuDeadline = t0 + run.cpuLeft;
    const own = Math.min(cpuDeadline, run.wallDeadline);
    const deadline = Math.min(own, outer?.deadline ?? Infinity);
    run.deadlineWasWall = run.wallDeadline < cpuDeadline && run.wallDeadline <= (outer?.deadline ?? Infinity);
    this.frames.push({ run, deadline, sleptToDeadline: false });
    this.host.output.push(run.sink);
    this.host.activity?.enter(run.id, deadline === Infinity ? 0 : Math.max(deadline - t0, 1));
    return keepingError(
      // The guest arms the deadline on its own clock (moved after a restore).
      () => this.host.guard.call(() => fn(deadline === Infinity ? 0 : this.host.clock.fromHost(deadline))).answer,
      () => {
        this.frames.pop();
        this.host.output.pop();
        const back = this.frames[this.frames.length - 1];
        if (back) this.host.activity?.enter(back.run.id, back.deadline === Infinity ? 0 : Math.max(back.deadline - now(), 1));
        else this.host.activity?.leave();
        if (run.cpuLeft !== Infinity) run.cpuLeft = Math.max(run.cpuLeft - (now() - t0), 0.001);
      },
    );
  }

  /** The `interrupted` import: polled by the guest with its time limit, about the exec whose call runs. */
  interrupted(): number {
    const frame = this.frames[this.frames.length - 1];
    if (!frame) return InterruptAnswer.none;
    frame.run.options.onCheck?.();
    if (frame.run.stop || this.host.signals?.isAborted(frame.run.id)) return InterruptAnswer.stop;
    return frame.sleptToDeadline ? InterruptAnswer.deadline : InterruptAnswer.none;
  }

  /**
   * `time.sleep`: never past the call's deadline (the CPU budget or the
   * wall-clock limit, whichever is first), and cut short by an abort when
   * another thread can signal one (the shared block).
   */
  sleep(ms: number): void {
    const frame = this.frames[this.frames.length - 1];
    if (!frame) return sleepFor(ms);
    const left = frame.deadline - now();
    if (ms >= left) {
      ms = Math.max(0, left);
      frame.sleptToDeadline = true; // the guest's next check raises the time limit
    }
    if (this.host.signals) this.host.signals.sleepUnlessAborted(frame.run.id, ms);
    else sleepFor(ms);
  }
}
