/**
 * Errors inside a host mount: a WASI errno travels as a thrown
 * {@link WasiError} and every WASI entry point turns it (or a Node error)
 * back into an errno with {@link attempt}, so no exception ever unwinds
 * through the guest.
 */
import * as fs from 'node:fs';
import { wasi, type Fd, type Inode } from '@pybox/core/internal';

/** The WASI constants. */
export const E = wasi;

/** A WASI errno thrown inside this module; every WASI entry point catches it. */
export class WasiError {
  constructor(readonly errno: number) {}
}

const NODE_CODES: Record<string, number> = {
  ENOENT: E.ERRNO_NOENT,
  EEXIST: E.ERRNO_EXIST,
  ENOTDIR: E.ERRNO_NOTDIR,
  EISDIR: E.ERRNO_ISDIR,
  ENOTEMPTY: E.ERRNO_NOTEMPTY,
  EACCES: E.ERRNO_ACCES,
  EPERM: E.ERRNO_PERM,
  EROFS: E.ERRNO_ROFS,
  ELOOP: E.ERRNO_LOOP,
  ENAMETOOLONG: E.ERRNO_NAMETOOLONG,
  EXDEV: E.ERRNO_XDEV,
  EBUSY: E.ERRNO_BUSY,
  ENOSPC: E.ERRNO_NOSPC,
  EDQUOT: E.ERRNO_DQUOT,
  EFBIG: E.ERRNO_FBIG,
  EINVAL: E.ERRNO_INVAL,
  EBADF: E.ERRNO_BADF,
  EMFILE: E.ERRNO_MFILE,
  ENFILE: E.ERRNO_NFILE,
  ETXTBSY: E.ERRNO_TXTBSY,
};

export function errnoOf(e: unknown): number {
  if (e instanceof WasiError) return e.errno;
  const code = (e as { code?: unknown } | null)?.code;
  return (typeof code === 'string' && NODE_CODES[code]) || E.ERRNO_IO;
}

export type StatResult = { ret: number; filestat: wasi.Filestat | null };
export type OpenResult = { ret: number; fd_obj: Fd | null };
export type InodeResult = { ret: number; inode_obj: Inode | null };

/** Runs a WASI call's body: an exception must never unwind through the guest. */
export function attempt<T>(fn: () => T, fail: (errno: number) => T): T {
  try {
    return fn();
  } catch (e) {
    return fail(errnoOf(e));
  }
}

/** `O_NOFOLLOW` where the host has it. */
export const O_NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;
