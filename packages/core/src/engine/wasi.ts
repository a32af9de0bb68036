/**
 * The guest's WASI: the shim (`@bjorn3/browser_wasi_shim`) with its file
 * descriptors (stdin, stdout, stderr, the filesystem's `/` preopen) and the
 * fixes the engine applies on top of it: a fast monotonic clock, a sleep
 * that respects the exec's limits (clock.ts), and no sockets.
 */
import { ConsoleStdout, File, OpenFile, WASI } from '@bjorn3/browser_wasi_shim';
import { clockTimeGet, pollOneoff, type GuestClock } from './clock.js';
import type { VirtualFileSystem } from './fs.js';

const ERRNO_NOTSUP = 58;

/**
 * A WASI instance over `fs`: empty stdin, stdout and stderr line-buffered
 * into `emit(stream, text)`, `/` preopened, `env` as the environment.
 *
 * @example
 * ```ts
 * const wasi = createWasi(fs, { LANG: 'C' }, (stream, text) => console.log(stream, text))
 * ```
 */
export function createWasi(
  fs: VirtualFileSystem,
  env: Record<string, string> | undefined,
  emit: (stream: 1 | 2, text: string) => void,
): WASI {
  const environ = Object.entries(env ?? {}).map(([k, v]) => `${k}=${v}`);
  const rawOut = (stream: 1 | 2) => ConsoleStdout.lineBuffered((line) => emit(stream, `${line}\n`));
  return new WASI(['python3'], environ, [new OpenFile(new File([])), rawOut(1), rawOut(2), fs.preopen()], { debug: false });
}

/** What the WASI fixes need from the engine. */
export interface WasiFixes {
  /** A DataView of guest memory, current after growth. */
  memory: () => DataView;
  /** Sleeps for what the guest asked (`time.sleep`), as the exec's limits allow. */
  sleep: (ms: number) => void;
  /** The guest's monotonic clock. */
  clock: GuestClock;
}

/**
 * The `wasi_snapshot_preview1` import object: the shim's calls with the fixes.
 *
 * @example
 * ```ts
 * const imports = { wasi_snapshot_preview1: wasiImports(wasi, { memory, sleep, clock }) }
 * ```
 */
export function wasiImports(wasi: WASI, fixes: WasiFixes): WebAssembly.ModuleImports {
  const table = { ...wasi.wasiImport } as Record<string, (...args: never[]) => unknown>;
  const shimClock = table.clock_time_get as unknown as (id: number, precision: bigint, ptr: number) => number;
  table.clock_time_get = clockTimeGet(fixes.memory, shimClock, fixes.clock) as never;
  table.poll_oneoff = pollOneoff(fixes.memory, fixes.sleep, fixes.clock) as never;
  // Sockets are not part of the sandbox: fail like an unsupported call instead of throwing.
  for (const name of ['sock_accept', 'sock_recv', 'sock_send', 'sock_shutdown']) table[name] = (() => ERRNO_NOTSUP) as never;
  return table as WebAssembly.ModuleImports;
}

/**
 * Points an existing WASI at an instance without running `_initialize`
 * (the instance's memory comes from a snapshot or a boot image).
 */
export function adoptInstance(wasi: WASI, instance: WebAssembly.Instance): void {
  (wasi as unknown as { inst: WebAssembly.Instance }).inst = instance;
}
