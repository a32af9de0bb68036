/**
 * The in-memory tree's rules, in one place for the guest's WASI calls
 * (mem-fds.ts) and the host API (fs.ts): lookups that cost one step per
 * path component, every change charged to the quota, and the entries that
 * may not change — `/lib` and its stdlib bundle (read-only: EROFS) and the
 * folders that hold mount points (EBUSY).
 */
import { Directory, File, wasi, type Inode } from '@bjorn3/browser_wasi_shim';
import { WasiStat } from './filestat.js';
import { resolvePath } from './paths.js';
import { FsQuota, MAX_NAME_LENGTH } from './quota.js';

/** An inode's times, in ns since the epoch. */
interface Times {
  atim: bigint;
  mtim: bigint;
  ctim: bigint;
}

const nowNs = () => BigInt(Date.now()) * 1_000_000n;

/** A lookup's outcome: the inode, or the errno saying why there is none. */
export type Lookup = { ret: 0; inode: Inode } | { ret: number; inode: null };

/** Where a path's last component goes: its folder and name, and what is there now (if anything). */
export type Slot = { ret: 0; dir: Directory; name: string; inode: Inode | undefined } | { ret: number; dir: null; name: null; inode: undefined };

/**
 * A path relative to a folder, split. `..` may not climb above the folder
 * (WASI's rule: ENOTCAPABLE), an absolute path is ENOTCAPABLE, NUL is EINVAL.
 *
 * @example
 * ```ts
 * splitPath('a/./b/../c/')   // { ret: 0, parts: ['a', 'c'], dirOnly: true }
 * splitPath('../x')          // { ret: wasi.ERRNO_NOTCAPABLE, parts: null, dirOnly: false }
 * ```
 */
export function splitPath(path: string): { ret: 0; parts: string[]; dirOnly: boolean } | { ret: number; parts: null; dirOnly: false } {
  if (path.startsWith('/')) return { ret: wasi.ERRNO_NOTCAPABLE, parts: null, dirOnly: false };
  if (path.includes('\0')) return { ret: wasi.ERRNO_INVAL, parts: null, dirOnly: false };
  const parts = resolvePath([], path);
  if (parts === null) return { ret: wasi.ERRNO_NOTCAPABLE, parts: null, dirOnly: false };
  return { ret: wasi.ERRNO_SUCCESS, parts, dirOnly: path.endsWith('/') };
}

/**
 * The in-memory tree: its root, its quota, and the inodes that are read-only
 * or pinned in place.
 *
 * @example
 * ```ts
 * const tree = new MemTree(root, new FsQuota(1 << 20))
 * const slot = tree.slot(root, ['tmp', 'a.txt'])
 * if (slot.ret === 0) tree.attach(slot.dir, slot.name, new File(new Uint8Array(0)))
 * ```
 */
export class MemTree {
  /** `/lib` and what is in it: nothing may change them. */
  private readonly readOnly = new WeakSet<Inode>();
  /** Inodes that may not move or go (mount roots and the folders on the way to them). */
  private readonly pinned = new WeakSet<Inode>();
  /** Each folder's parent, for the into-itself check of renames and `..` in listings. */
  private readonly parents = new WeakMap<Directory, Directory>();
  /** Real times for in-memory inodes (zipfile refuses files from 1970; make and shutil compare them). */
  private readonly times = new WeakMap<Inode, Times>();

  constructor(
    readonly root: Directory,
    readonly quota: FsQuota,
  ) {}

  /** The folder holding `dir`, or null for the root (and folders not in the tree). */
  parentOf(dir: Directory): Directory | null {
    return this.parents.get(dir) ?? null;
  }

  /**
   * Puts a part of the box's own layout (`/lib`, `/tmp`, a mount point...)
   * into the tree, free of charge.
   */
  adopt(dir: Directory, name: string, inode: Inode): void {
    dir.contents.set(name, inode);
    if (inode instanceof Directory) this.parents.set(inode, dir);
  }

  /** An inode's times; the first time it is seen counts as its creation. */
  private timesOf(inode: Inode): Times {
    let times = this.times.get(inode);
    if (!times) {
      const now = nowNs();
      this.times.set(inode, (times = { atim: now, mtim: now, ctim: now }));
    }
    return times;
  }

  /** Marks an inode's contents as changed now. */
  private touch(inode: Inode): void {
    const times = this.timesOf(inode);
    times.mtim = times.ctim = nowNs();
  }

  /** The WASI stat of an in-memory inode, with its times (other inodes, such as mount roots, report their own). */
  stat(inode: Inode): wasi.Filestat {
    let stat: WasiStat;
    if (inode instanceof File) stat = new WasiStat(inode.ino, wasi.FILETYPE_REGULAR_FILE, BigInt(inode.data.length));
    else if (inode instanceof Directory) stat = new WasiStat(inode.ino, wasi.FILETYPE_DIRECTORY, 0n);
    else return inode.stat();
    const { atim, mtim, ctim } = this.timesOf(inode);
    Object.assign(stat, { atim, mtim, ctim, nlink: 1n });
    return stat;
  }

  /** `utime`: sets an inode's times as WASI's flags say (EROFS in `/lib`). */
  setTimes(inode: Inode, atim: bigint, mtim: bigint, flags: number): number {
    if (this.isReadOnly(inode)) return wasi.ERRNO_ROFS;
    const times = this.timesOf(inode);
    const now = nowNs();
    if (flags & wasi.FSTFLAGS_ATIM_NOW) times.atim = now;
    else if (flags & wasi.FSTFLAGS_ATIM) times.atim = atim;
    if (flags & wasi.FSTFLAGS_MTIM_NOW) times.mtim = now;
    else if (flags & wasi.FSTFLAGS_MTIM) times.mtim = mtim;
    times.ctim = now;
    return wasi.ERRNO_SUCCESS;
  }

  /** Makes an inode read-only (EROFS for every change to it or, for a folder, inside it). */
  markReadOnly(inode: Inode): void {
    this.readOnly.add(inode);
  }

  /** Whether an inode is read-only. */
  isReadOnly(inode: Inode): boolean {
    return this.readOnly.has(inode) || (inode instanceof File && inode.readonly);
  }

  /** Keeps an inode where it is (EBUSY for a rename or removal of it). */
  pin(inode: Inode): void {
    this.pinned.add(inode);
  }

  /** Why the entry `inode` may not be removed or replaced, or 0. */
  private frozen(inode: Inode): number {
    if (this.isReadOnly(inode)) return wasi.ERRNO_ROFS;
    if (this.pinned.has(inode)) return wasi.ERRNO_BUSY;
    return wasi.ERRNO_SUCCESS;
  }

  /** Follows `parts` from `dir`: one Map lookup per component. */
  lookup(dir: Directory, parts: readonly string[], dirOnly = false): Lookup {
    let node: Inode = dir;
    for (const part of parts) {
      if (!(node instanceof Directory)) return { ret: wasi.ERRNO_NOTDIR, inode: null };
      const next = node.contents.get(part);
      if (next === undefined) return { ret: wasi.ERRNO_NOENT, inode: null };
      node = next;
    }
    if (dirOnly && node instanceof File) return { ret: wasi.ERRNO_NOTDIR, inode: null };
    return { ret: wasi.ERRNO_SUCCESS, inode: node };
  }

  /** The folder that holds (or would hold) `parts`' last component. */
  slot(dir: Directory, parts: readonly string[]): Slot {
    const name = parts[parts.length - 1];
    if (name === undefined) return { ret: wasi.ERRNO_BUSY, dir: null, name: null, inode: undefined }; // the folder itself
    const parent = this.lookup(dir, parts.slice(0, -1));
    if (parent.inode === null) return { ret: parent.ret, dir: null, name: null, inode: undefined };
    if (!(parent.inode instanceof Directory)) return { ret: wasi.ERRNO_NOTDIR, dir: null, name: null, inode: undefined };
    return { ret: wasi.ERRNO_SUCCESS, dir: parent.inode, name, inode: parent.inode.contents.get(name) };
  }

  /**
   * Puts `inode` at `dir/name`, replacing what is there (the caller has
   * checked that the kinds match). Refused in a read-only folder (EROFS),
   * for a name too long (ENAMETOOLONG) or past the quota (ENOSPC; `force`
   * charges anyway, to undo a removal).
   */
  attach(dir: Directory, name: string, inode: Inode, force = false): number {
    if (this.isReadOnly(dir)) return wasi.ERRNO_ROFS;
    if (name.length > MAX_NAME_LENGTH) return wasi.ERRNO_NAMETOOLONG;
    const existing = dir.contents.get(name);
    if (existing === inode) return wasi.ERRNO_SUCCESS;
    // Replacing frees the name's charge first, so the same name always fits again.
    if (existing !== undefined) {
      const ret = this.detach(dir, name);
      if (ret !== wasi.ERRNO_SUCCESS) return ret;
    }
    const ret = this.quota.addEntry(name, force);
    if (ret !== wasi.ERRNO_SUCCESS) return ret;
    dir.contents.set(name, inode);
    if (inode instanceof Directory) this.parents.set(inode, dir);
    if (inode instanceof File) this.quota.hold(inode);
    this.timesOf(inode);
    this.touch(dir);
    return wasi.ERRNO_SUCCESS;
  }

  /** Removes `dir/name` (EROFS in `/lib`, EBUSY for a pinned entry), freeing its charge. */
  detach(dir: Directory, name: string): number {
    const inode = dir.contents.get(name);
    if (inode === undefined) return wasi.ERRNO_NOENT;
    const ret = this.isReadOnly(dir) ? wasi.ERRNO_ROFS : this.frozen(inode);
    if (ret !== wasi.ERRNO_SUCCESS) return ret;
    dir.contents.delete(name);
    this.quota.removeEntry(name);
    if (inode instanceof File) this.quota.drop(inode);
    this.touch(dir);
    return wasi.ERRNO_SUCCESS;
  }

  /**
   * Moves `from.dir/from.name` to `to.dir/to.name` (POSIX rename within the
   * tree): replaces a file by a file or an empty folder by a folder, never
   * moves a folder into itself (EINVAL), and checks everything before it
   * changes anything.
   */
  rename(from: { dir: Directory; name: string }, to: { dir: Directory; name: string }): number {
    const inode = from.dir.contents.get(from.name);
    if (inode === undefined) return wasi.ERRNO_NOENT;
    if (this.isReadOnly(from.dir) || this.isReadOnly(to.dir)) return wasi.ERRNO_ROFS;
    const frozen = this.frozen(inode);
    if (frozen !== wasi.ERRNO_SUCCESS) return frozen;
    const target = to.dir.contents.get(to.name);
    if (target === inode) return wasi.ERRNO_SUCCESS; // the same entry, or a hard link to the same file
    if (to.name.length > MAX_NAME_LENGTH) return wasi.ERRNO_NAMETOOLONG;
    if (inode instanceof Directory) {
      for (let d: Directory | null = to.dir; d !== null; d = this.parentOf(d)) if (d === inode) return wasi.ERRNO_INVAL;
    }
    if (target !== undefined) {
      const ret = this.frozen(target) || replaceable(target, inode);
      if (ret !== wasi.ERRNO_SUCCESS) return ret;
    }
    const growth = FsQuota.entryCost(to.name) - FsQuota.entryCost(from.name) - (target ? FsQuota.entryCost(to.name) : 0);
    if (!this.quota.fits(growth)) return wasi.ERRNO_NOSPC;
    // Checked: from here on nothing refuses (the charges were measured above).
    if (target !== undefined) this.detach(to.dir, to.name);
    this.detach(from.dir, from.name);
    return this.attach(to.dir, to.name, inode, true);
  }

  /** Sets a file's size (EROFS for a read-only file; EFBIG, ENOSPC from the quota). */
  resize(file: File, size: number | bigint): number {
    if (this.isReadOnly(file)) return wasi.ERRNO_ROFS;
    const ret = this.quota.resize(file, size);
    if (ret === wasi.ERRNO_SUCCESS) this.touch(file);
    return ret;
  }

  /** Writes into a file at an offset (EROFS, EFBIG, ENOSPC). */
  write(file: File, data: Uint8Array, offset: number | bigint): number {
    if (this.isReadOnly(file)) return wasi.ERRNO_ROFS;
    const ret = this.quota.write(file, data, offset);
    if (ret === wasi.ERRNO_SUCCESS) this.touch(file);
    return ret;
  }

  /** Replaces a file's contents (the host API's writeFile: EROFS, ENOSPC). */
  replace(file: File, data: Uint8Array): number {
    if (this.isReadOnly(file)) return wasi.ERRNO_ROFS;
    const ret = this.quota.replace(file, data);
    if (ret === wasi.ERRNO_SUCCESS) this.touch(file);
    return ret;
  }

  /** Removes a folder's contents, deepest first, freeing their charges (EROFS/EBUSY when something may not go). */
  clear(dir: Directory): number {
    for (const [name, inode] of [...dir.contents]) {
      if (inode instanceof Directory) {
        const ret = this.clear(inode);
        if (ret !== wasi.ERRNO_SUCCESS) return ret;
      }
      const ret = this.detach(dir, name);
      if (ret !== wasi.ERRNO_SUCCESS) return ret;
    }
    return wasi.ERRNO_SUCCESS;
  }
}

/** Whether `target` may be replaced by `source` in a rename: the POSIX kind rules. */
function replaceable(target: Inode, source: Inode): number {
  const sourceDir = source instanceof Directory;
  const targetDir = target instanceof Directory;
  if (sourceDir && !targetDir) return wasi.ERRNO_NOTDIR;
  if (!sourceDir && targetDir) return wasi.ERRNO_ISDIR;
  if (targetDir && (target as Directory).contents.size > 0) return wasi.ERRNO_NOTEMPTY;
  if (!(target instanceof File || target instanceof Directory)) return wasi.ERRNO_BUSY; // a mount root
  return wasi.ERRNO_SUCCESS;
}
