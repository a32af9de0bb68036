/**
 * The guest's fd 1 and 2: what `os.write(1, ...)` and C code write goes
 * straight to the output router (output.ts), into the exec whose guest call
 * wrote it, capped as it arrives. (The shim's line-buffered console kept a
 * line without "\n" for whatever exec wrote next, and buffered without bound.)
 */
import { Fd, Inode, wasi } from '@bjorn3/browser_wasi_shim';
import type { OutputRouter } from './output.js';

/**
 * fd 1 (stdout) or 2 (stderr), a character device that writes into `output`.
 *
 * @example
 * ```ts
 * const stdout = new StdioFd(1, router)
 * stdout.fd_write(new TextEncoder().encode('hi'))   // reaches the running exec's stdout
 * ```
 */
export class StdioFd extends Fd {
  private readonly ino = Inode.issue_ino();

  constructor(
    private readonly stream: 1 | 2,
    private readonly output: OutputRouter,
  ) {
    super();
  }

  /** Hands bytes to the router (which copies what it keeps: `data` may be a view of guest memory). */
  override fd_write(data: Uint8Array) {
    this.output.write(this.stream, data);
    return { ret: wasi.ERRNO_SUCCESS, nwritten: data.byteLength };
  }

  override fd_fdstat_get() {
    const fdstat = new wasi.Fdstat(wasi.FILETYPE_CHARACTER_DEVICE, 0);
    fdstat.fs_rights_base = BigInt(wasi.RIGHTS_FD_WRITE);
    return { ret: wasi.ERRNO_SUCCESS, fdstat };
  }

  override fd_filestat_get() {
    return { ret: wasi.ERRNO_SUCCESS, filestat: new wasi.Filestat(this.ino, wasi.FILETYPE_CHARACTER_DEVICE, 0n) };
  }
}
