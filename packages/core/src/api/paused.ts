/**
 * `PausedRun`: an exec that was waiting on tool calls when its box was
 * snapshotted, as the restored box holds it. It goes on when the host says
 * so, with results the host supplies (an approval that arrived by webhook)
 * or by calling the tools given to `PyBox.restore`.
 */
import type { PendingCall } from '../engine/types.js';
import { InvalidArgumentError } from '../errors.js';
import type { Context } from './context.js';
import type { EngineHost } from './host.js';
import type { ExecResult } from './types.js';
import { checkResume, type PausedCallResult, type ResumeOptions } from './validate.js';

/** What a paused run needs from its box. @internal */
export interface PausedLink {
  host: EngineHost;
  /** The names of the tools defined now. */
  toolNames(): string[];
  /** The run is over (resumed to its end, or cancelled): the box lists it no more. */
  done(run: PausedRun): void;
}

/**
 * A run restored from a snapshot, waiting on tool calls. `box.paused` lists them.
 *
 * @example
 * ```ts
 * const box = await PyBox.restore(bytes, { tools })
 * const [run] = box.paused
 * const call = run.pending.find((c) => c.tool === 'approve')!
 * const result = await run.resume({ results: [{ id: call.id, value: { approved: true } }] })
 * console.log(result.stdout)   // everything the run printed, before the snapshot too
 * ```
 */
export class PausedRun {
  private state: 'paused' | 'running' | 'done' = 'paused';

  /** @internal Made by `PyBox.restore`. */
  constructor(
    /** The context the run belongs to. */
    readonly context: Context,
    /** The tool calls it waits on (answer them by `id`). */
    readonly pending: readonly PendingCall[],
    /** What it printed to stdout before the snapshot. */
    readonly stdout: string,
    /** What it printed to stderr before the snapshot. */
    readonly stderr: string,
    private readonly link: PausedLink,
  ) {}

  /** Whether `resume()` or `cancel()` was called. */
  get isDone(): boolean {
    return this.state !== 'paused';
  }

  /**
   * Goes on with the run and resolves with its result once it ends; its
   * `stdout` and `stderr` include what it printed before the snapshot.
   * Each pending call gets the result given in `results` (by its `id`), or
   * else goes to the tool of that name given to `PyBox.restore`. Limits:
   * `timeoutMs` and `wallTimeoutMs` start afresh when given; otherwise the run
   * has what it had left when the snapshot was taken (time spent in the
   * snapshot does not count).
   * @throws InvalidArgumentError for an unknown call id, a value JSON cannot carry, or a call with neither a result nor a tool
   *
   * @example
   * ```ts
   * await run.resume({ results: [{ id: 1, error: Object.assign(new Error('refused'), { name: 'PermissionError' }) }] })
   * ```
   */
  async resume(options?: ResumeOptions): Promise<ExecResult> {
    if (this.state !== 'paused') throw new InvalidArgumentError('this paused run was resumed or cancelled already');
    const { results, exec } = checkResume(options, this.pending);
    const answered = new Set(results.map((r) => r.id));
    const tools = new Set(this.link.toolNames());
    const orphan = this.pending.find((call) => !answered.has(call.id) && !tools.has(call.tool));
    if (orphan) {
      throw new InvalidArgumentError(
        `pending call ${orphan.id} to ${orphan.tool} has no result and no tool named ${orphan.tool} was given to PyBox.restore: pass its result in results, or the tool`,
      );
    }
    this.state = 'running';
    this.context.pausedRun = false;
    try {
      return await this.context.run(exec, (engineOptions) => {
        // Limits not given again are what the run had left (the engine knows them).
        const { timeoutMs: _t, wallTimeoutMs: _w, ...rest } = engineOptions;
        const limits = { ...(exec.timeoutMs ? { timeoutMs: exec.timeoutMs } : {}), ...(exec.wallTimeoutMs ? { wallTimeoutMs: exec.wallTimeoutMs } : {}) };
        return this.link.host.resumePaused(this.context.id, results, { ...rest, ...limits });
      });
    } finally {
      this.state = 'done';
      this.link.done(this);
    }
  }

  /**
   * Abandons the run (its coroutine is closed; nothing more runs). The context stays usable.
   *
   * @example
   * ```ts
   * for (const run of box.paused) await run.cancel()
   * ```
   */
  async cancel(): Promise<void> {
    if (this.state !== 'paused') return;
    this.state = 'done';
    this.context.pausedRun = false;
    this.link.done(this);
    await this.link.host.cancelPaused(this.context.id);
  }
}

export type { PausedCallResult, ResumeOptions };
