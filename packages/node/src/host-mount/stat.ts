/**
 * WASI file stats of host files.
 */
import type * as fs from 'node:fs';
import { wasi } from '@pybox/core/internal';
import { E } from './errno.js';

/** A Filestat with the WASI layout (the shim's own writes the times at the wrong offsets). */
export class Stat extends wasi.Filestat {
  override write_bytes(view: DataView, ptr: number): void {
    view.setBigUint64(ptr, this.dev, true);
    view.setBigUint64(ptr + 8, this.ino, true);
    view.setUint8(ptr + 16, this.filetype);
    view.setBigUint64(ptr + 24, this.nlink, true);
    view.setBigUint64(ptr + 32, this.size, true);
    view.setBigUint64(ptr + 40, this.atim, true);
    view.setBigUint64(ptr + 48, this.mtim, true);
    view.setBigUint64(ptr + 56, this.ctim, true);
  }
}

/** The WASI stat of a host file or folder. */
export function hostStat(st: fs.BigIntStats): Stat {
  const stat = new Stat(st.ino, st.isDirectory() ? E.FILETYPE_DIRECTORY : E.FILETYPE_REGULAR_FILE, st.size);
  stat.dev = st.dev;
  stat.nlink = st.nlink;
  stat.atim = st.atimeNs;
  stat.mtim = st.mtimeNs;
  stat.ctim = st.ctimeNs;
  return stat;
}
