/**
 * WASI file stats of host files.
 */
import type * as fs from 'node:fs';
import { WasiStat } from '@pybox/core/internal';
import { E } from './errno.js';

/** The WASI stat of a host file or folder. */
export function hostStat(st: fs.BigIntStats): WasiStat {
  const stat = new WasiStat(st.ino, st.isDirectory() ? E.FILETYPE_DIRECTORY : E.FILETYPE_REGULAR_FILE, st.size);
  stat.dev = st.dev;
  stat.nlink = st.nlink;
  stat.atim = st.atimeNs;
  stat.mtim = st.mtimeNs;
  stat.ctim = st.ctimeNs;
  return stat;
}
