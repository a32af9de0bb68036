/**
 * The guest's WASI: the shim (`@bjorn3/browser_wasi_shim`) with its file
 * descriptors (stdin, stdout, stderr, the filesystem's `/` preopen) and the
 * fixes the engine applies on top of it: a fast monotonic clock, a sleep
 * that respects the exec's limits (clock.ts), fd 1 and 2 written into the
 * running exec's output (stdio.ts), the in-memory tree's own fds (mem-fds.ts)
 * with renames and symlinks that follow its rules, and no sockets.
 */
import { File, OpenFile, WASI, wasi as defs, type Fd } from '@bjorn3/browser_wasi_shim';
import { clockTimeGet, pollOneoff } from './clock.js';
import type { VirtualFileSystem } from './fs.js';
import { MemFileFd, renamePath } from './mem-fds.js';
import type { OutputRouter } from './output.js';
import { StdioFd } from './stdio.js';

const ERRNO_NOTSUP = 58;
const decoder = new TextDecoder();

/**
 * A WASI instance over `fs`: empty stdin, stdout and stderr written into
 * `output` (the running exec's sink), `/` preopened, `env` as the environment.
 *
 * @example
 * ```ts
 * const wasi = createWasi(fs, { LANG: 'C' }, new OutputRouter())
 * ```
 */
export function createWasi(fs: VirtualFileSystem, env: Record<string, string> | undefined, output: OutputRouter): WASI {
  const environ = Object.entries(env ?? {}).map(([k, v]) => `${k}=${v}`);
  const stdin = new OpenFile(new File([]));
  return new WASI(['python3'], environ, [stdin, new StdioFd(1, output), new StdioFd(2, output), fs.preopen()], { debug: false });
}

/** What the WASI fixes need from the engine. */
export interface WasiFixes {
  /** A DataView of guest memory, current after growth. */
  memory: () => DataView;
  /** Sleeps for what the guest asked (`time.sleep`), as the exec's limits allow. */
  sleep: (ms: number) => void;
}

/**
 * The `wasi_snapshot_preview1` import object: the shim's calls with the fixes.
 *
 * @example
 * ```ts
 * const imports = { wasi_snapshot_preview1: wasiImports(wasi, { memory, sleep }) }
 * ```
 */
export function wasiImports(wasi: WASI, fixes: WasiFixes): WebAssembly.ModuleImports {
  const table = { ...wasi.wasiImport } as Record<string, (...args: never[]) => unknown>;
  const shimClock = table.clock_time_get as unknown as (id: number, precision: bigint, ptr: number) => number;
  table.clock_time_get = clockTimeGet(fixes.memory, shimClock) as never;
  table.poll_oneoff = pollOneoff(fixes.memory, fixes.sleep) as never;
  const text = (ptr: number, len: number) => decoder.decode(new Uint8Array(fixes.memory().buffer, ptr, len));
  const fd = (n: number): Fd | undefined => wasi.fds[n];

  // Writes to our own fds take views of guest memory (they copy what they keep):
  // the shim copies every buffer first, which doubles a big write's cost.
  const shimWrite = table.fd_write as unknown as (fd: number, iovs: number, count: number, out: number) => number;
  table.fd_write = ((n: number, iovs: number, count: number, out: number) => {
    const target = fd(n);
    if (!(target instanceof StdioFd || target instanceof MemFileFd)) return shimWrite(n, iovs, count, out);
    const view = fixes.memory();
    let written = 0;
    for (let i = 0; i < count; i++) {
      const ptr = view.getUint32(iovs + i * 8, true);
      const len = view.getUint32(iovs + i * 8 + 4, true);
      const { ret, nwritten } = target.fd_write(new Uint8Array(view.buffer, ptr, len));
      if (ret !== defs.ERRNO_SUCCESS) {
        if (written === 0) return ret;
        break; // report what was written; the next write gets the error
      }
      written += nwritten;
    }
    view.setUint32(out, written, true);
    return defs.ERRNO_SUCCESS;
  }) as never;

  // A rename is checked as a whole within the tree, and never throws (the shim's throws when undoing fails).
  table.path_rename = ((from: number, oldPtr: number, oldLen: number, to: number, newPtr: number, newLen: number) => {
    const source = fd(from);
    const target = fd(to);
    if (!source || !target) return defs.ERRNO_BADF;
    return renamePath(source, text(oldPtr, oldLen), target, text(newPtr, newLen));
  }) as never;

  // Symlinks: none in the tree (ENOTSUP), but a folder may refuse first (EROFS in /lib and read-only mounts).
  table.path_symlink = ((oldPtr: number, oldLen: number, n: number, newPtr: number, newLen: number) => {
    const dir = fd(n) as (Fd & { path_symlink?: (target: string, path: string) => number }) | undefined;
    if (!dir) return defs.ERRNO_BADF;
    return dir.path_symlink ? dir.path_symlink(text(oldPtr, oldLen), text(newPtr, newLen)) : ERRNO_NOTSUP;
  }) as never;

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

/**
 * Closes the fds numbered `from` and up (after a restore, the guest knows
 * none of them): their files stop counting against the quota.
 *
 * @example
 * ```ts
 * closeFdsFrom(wasi, 4)   // keep stdin, stdout, stderr and the `/` preopen
 * ```
 */
export function closeFdsFrom(wasi: WASI, from: number): void {
  for (let n = from; n < wasi.fds.length; n++) wasi.fds[n]?.fd_close();
  wasi.fds.length = Math.min(wasi.fds.length, from);
}
