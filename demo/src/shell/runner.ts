/**
 * One run at a time, in the current context: the agent's and the editor's
 * runs go through here. It owns Stop, and after each run it looks at what
 * happened to the box: a hard stop (the contexts are gone) is recovered
 * from and explained; the files and contexts panes are brought up to date.
 */
import type { Context } from '@pybox/core';
import type { ContextTree } from '../contexts/tree.js';
import type { PageLimits, Sandbox } from './sandbox.js';

/** What a hard stop took, for the page's notice. */
export interface HardStopReport {
  contexts: string[];
  files: string[];
}

/** What the runner tells the rest of the page. */
export interface RunnerHooks {
  /** The files as the page last listed them (to tell which a hard stop lost). */
  knownFiles(): string[];
  refreshFiles(): Promise<void>;
  refreshContexts(): Promise<void>;
  onHardStop(report: HardStopReport): void;
}

/**
 * Runs code for the page.
 *
 * @example
 * ```ts
 * const r = await runner.run((ctx, signal) => ctx.exec(code, { signal }))
 * if (r === null) console.log('another run is going')
 * ```
 */
export class Runner {
  private controller: AbortController | null = null;

  constructor(
    private readonly sandbox: Sandbox,
    private readonly contexts: () => ContextTree,
    private readonly hooks: RunnerHooks,
  ) {
    // A tool call means the exec is waiting on the page: a good moment to show the files it wrote so far.
    sandbox.feed.onStart(() => void hooks.refreshFiles());
  }

  /** Whether a run is going. */
  get busy(): boolean {
    return this.sandbox.busy;
  }

  /** The page's limits (the Limits tab). */
  get limits(): PageLimits {
    return this.sandbox.limits;
  }

  /**
   * Runs `fn` in the current context; null when another run is going.
   * Rejects with what `fn` rejects with, after the page has caught up.
   */
  async run<T>(fn: (ctx: Context, signal: AbortSignal) => Promise<T>): Promise<T | null> {
    if (this.busy) return null;
    const before = this.hooks.knownFiles();
    try {
      return await this.sandbox.exclusive(async () => {
        const controller = (this.controller = new AbortController());
        try {
          return await fn(this.contexts().current.ctx, controller.signal);
        } finally {
          this.controller = null;
        }
      });
    } finally {
      await this.afterRun(before);
    }
  }

  /** Stops the run: tool waits end at once; CPU-bound code as the page's mode allows. */
  stop(): void {
    this.controller?.abort();
  }

  /** Brings the page up to date; after a hard stop, makes the contexts again and says what was lost. */
  async afterRun(filesBefore: string[] = this.hooks.knownFiles()): Promise<void> {
    const tree = this.contexts();
    if (tree.lost) {
      // Files seen before the run, and those seen while it waited on tools.
      const seen = new Set([...filesBefore, ...this.hooks.knownFiles()]);
      const contexts = await tree.rebuild(this.sandbox.box);
      await this.hooks.refreshFiles();
      const now = new Set(this.hooks.knownFiles());
      this.hooks.onHardStop({ contexts, files: [...seen].filter((f) => !now.has(f)).sort() });
    } else {
      await this.hooks.refreshFiles();
    }
    await this.hooks.refreshContexts();
  }
}
