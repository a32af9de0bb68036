/**
 * The page's Python: one PyBox with the demo's tools and files, its limits,
 * and a lock so that one run (agent or editor) goes at a time.
 */
import { PyBox, type AssetUrls, type ToolDefinition } from '@pybox/core';
import { SEED_FILES } from '../data.js';
import { ToolCallFeed, createTools } from '../tools.js';

/** The limits the page lets the user set. */
export interface PageLimits {
  /** CPU time of one run, ms. */
  timeoutMs: number;
  /** Wall-clock time of one run (tool waits included), ms. */
  wallTimeoutMs: number;
  /** The guest's memory cap, bytes (takes a restart of Python). */
  memoryBytes: number;
}

/**
 * What the page starts with.
 *
 * @example
 * ```ts
 * const sandbox = new Sandbox({ ...DEFAULT_LIMITS, timeoutMs: 2_000 })
 * ```
 */
export const DEFAULT_LIMITS: PageLimits = { timeoutMs: 10_000, wallTimeoutMs: 60_000, memoryBytes: 256 * 1024 * 1024 };

/**
 * Whether this page is cross-origin isolated: then PyBox has
 * SharedArrayBuffer and Stop interrupts CPU-bound Python in place.
 *
 * @example
 * ```ts
 * badge.textContent = isIsolated() ? 'isolated' : 'not isolated'
 * ```
 */
export function isIsolated(): boolean {
  return globalThis.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function';
}

/**
 * The box and what goes with it. It exists before Python does (so that the
 * page can be built while the guest downloads); `boot()` starts Python.
 *
 * @example
 * ```ts
 * const sandbox = new Sandbox(DEFAULT_LIMITS)
 * await sandbox.boot(assets)
 * const ctx = await sandbox.box.createContext()
 * ```
 */
export class Sandbox {
  /** Every tool call, live. Outlives restarts. */
  readonly feed = new ToolCallFeed();
  private readonly tools: ToolDefinition[] = this.feed.wrap(createTools());
  private current: PyBox | null = null;
  private assets: AssetUrls | null = null;
  private detach: () => void = () => {};
  private readonly busyListeners = new Set<(busy: boolean) => void>();
  private running = false;

  constructor(public limits: PageLimits) {}

  /** Starts Python with the demo's tools and seed files. */
  async boot(assets: AssetUrls): Promise<void> {
    this.assets = assets;
    this.use(await createBox(assets, this.limits, SEED_FILES, this.tools));
  }

  /** The box (once booted). */
  get box(): PyBox {
    if (!this.current) throw new Error('Python has not started yet');
    return this.current;
  }

  /** Whether Python is up. */
  get ready(): boolean {
    return this.current !== null;
  }

  /** The tools' Python stubs, as the model reads them. */
  describeTools(): string {
    return this.box.describeTools();
  }

  /** Whether a run is going. */
  get busy(): boolean {
    return this.running;
  }

  /** Calls `listener` when a run starts or ends. */
  onBusy(listener: (busy: boolean) => void): () => void {
    this.busyListeners.add(listener);
    return () => void this.busyListeners.delete(listener);
  }

  /**
   * Runs `fn` as the page's one run: refused (null) while another goes.
   * Tool calls still waiting when it ends are marked abandoned.
   */
  async exclusive<T>(fn: () => Promise<T>): Promise<T | null> {
    if (this.running) return null;
    this.setBusy(true);
    try {
      return await fn();
    } finally {
      this.feed.abandonPending();
      this.setBusy(false);
    }
  }

  /**
   * Replaces the box with one under new limits. The files of /data, /out
   * and /tmp are carried over; contexts (variables) are not.
   */
  async restart(limits: PageLimits, files: Record<string, Uint8Array>): Promise<void> {
    const box = await createBox(this.assets!, limits, files, this.tools);
    const old = this.current;
    this.use(box);
    this.limits = limits;
    await old?.close();
  }

  private use(box: PyBox): void {
    this.detach();
    this.current = box;
    this.detach = this.feed.attach(box);
  }

  private setBusy(busy: boolean): void {
    this.running = busy;
    for (const listener of this.busyListeners) listener(busy);
  }
}

function createBox(assets: AssetUrls, limits: PageLimits, files: Record<string, string | Uint8Array>, tools: ToolDefinition[]): Promise<PyBox> {
  return PyBox.create({ assets, files, tools, limits: { ...limits } });
}
