/**
 * The guest's file descriptors over the in-memory tree. They replace the
 * shim's OpenDirectory and OpenFile, whose listing restarts its Map walk for
 * every entry (20,000 names took 23 s), whose huge seeks or truncates throw a
 * RangeError out of the guest (a trap that cost the box its contexts), and
 * which know neither the quota nor `/lib`'s read-only rule. Every call here
 * answers with an errno: EFBIG, ENOSPC, EROFS, EBUSY reach Python as OSError.
 */
import { Directory, Fd, File, wasi, type Inode } from '@bjorn3/browser_wasi_shim';
import { splitPath, type MemTree } from './mem-tree.js';

/** Every WASI right (bits 0 to 28). */
export const ALL_RIGHTS = (1n << 29n) - 1n;

/** The largest offset a seek may reach (WASI offsets are signed 64-bit on the wire). */
const MAX_OFFSET = (1n << 63n) - 1n;

const WRITE_RIGHTS = BigInt(wasi.RIGHTS_FD_WRITE);

/** What a listing reports an entry as. */
function fileType(inode: Inode): number {
  if (inode instanceof File) return wasi.FILETYPE_REGULAR_FILE;
  if (inode instanceof Directory) return wasi.FILETYPE_DIRECTORY;
  return inode.stat().filetype;
}

/**
 * An open folder of the in-memory tree: its path calls and its listing. A
 * listing is a snapshot taken when it starts (cookie 0), so listing n names
 * costs O(n), and deleting while listing skips nothing.
 *
 * @example
 * ```ts
 * const fd = new MemDirectoryFd(tree, tree.root)
 * fd.path_open(0, 'tmp/a.txt', wasi.OFLAGS_CREAT, ALL_RIGHTS, ALL_RIGHTS, 0)
 * ```
 */
export class MemDirectoryFd extends Fd {
  private listing: [string, Inode][] | null = null;

  constructor(
    protected readonly tree: MemTree,
    readonly dir: Directory,
  ) {
    super();
  }

  /**
   * Grants every right, so that wasi-libc passes each open's access mode
   * (read, write) on to `path_open`: a read-only file then refuses a write
   * open at once, and a file fd knows whether it may write.
   */
  override fd_fdstat_get() {
    const fdstat = new wasi.Fdstat(wasi.FILETYPE_DIRECTORY, 0);
    fdstat.fs_rights_base = fdstat.fs_rights_inherited = ALL_RIGHTS;
    return { ret: wasi.ERRNO_SUCCESS, fdstat };
  }

  override fd_filestat_get() {
    return { ret: wasi.ERRNO_SUCCESS, filestat: this.tree.stat(this.dir) };
  }

  override fd_filestat_set_times(atim: bigint, mtim: bigint, fstFlags: number) {
    return this.tree.setTimes(this.dir, atim, mtim, fstFlags);
  }

  override fd_readdir_single(cookie: bigint) {
    if (cookie === 0n || this.listing === null) this.listing = [...this.dir.contents];
    if (cookie === 0n) return { ret: wasi.ERRNO_SUCCESS, dirent: new wasi.Dirent(1n, this.dir.ino, '.', wasi.FILETYPE_DIRECTORY) };
    if (cookie === 1n) {
      const parent = this.tree.parentOf(this.dir) ?? this.dir;
      return { ret: wasi.ERRNO_SUCCESS, dirent: new wasi.Dirent(2n, parent.ino, '..', wasi.FILETYPE_DIRECTORY) };
    }
    const entry = this.listing[Number(cookie - 2n)];
    if (entry === undefined) return { ret: wasi.ERRNO_SUCCESS, dirent: null };
    const [name, inode] = entry;
    return { ret: wasi.ERRNO_SUCCESS, dirent: new wasi.Dirent(cookie + 1n, inode.ino, name, fileType(inode)) };
  }

  override fd_seek() {
    return { ret: wasi.ERRNO_BADF, offset: 0n };
  }
  override fd_tell() {
    return { ret: wasi.ERRNO_BADF, offset: 0n };
  }
  override fd_read() {
    return { ret: wasi.ERRNO_ISDIR, data: new Uint8Array() };
  }
  override fd_pread() {
    return { ret: wasi.ERRNO_ISDIR, data: new Uint8Array() };
  }
  override fd_write() {
    return { ret: wasi.ERRNO_BADF, nwritten: 0 };
  }
  override fd_pwrite() {
    return { ret: wasi.ERRNO_BADF, nwritten: 0 };
  }
  override fd_filestat_set_size() {
    return wasi.ERRNO_ISDIR;
  }
  override fd_allocate() {
    return wasi.ERRNO_BADF;
  }

  override path_open(
    _dirflags: number,
    path: string,
    oflags: number,
    rights: bigint,
    _inheriting: bigint,
    fdflags: number,
  ): { ret: number; fd_obj: Fd | null } {
    const fail = (ret: number) => ({ ret, fd_obj: null });
    const p = splitPath(path);
    if (p.parts === null) return fail(p.ret);
    let found = this.tree.lookup(this.dir, p.parts, p.dirOnly);
    if (found.inode === null) {
      if (found.ret !== wasi.ERRNO_NOENT || !(oflags & wasi.OFLAGS_CREAT)) return fail(found.ret);
      if (oflags & wasi.OFLAGS_DIRECTORY || p.dirOnly) return fail(wasi.ERRNO_INVAL); // mkdir is path_create_directory
      const slot = this.tree.slot(this.dir, p.parts);
      if (slot.dir === null) return fail(slot.ret);
      const file = new File(new Uint8Array(0));
      const ret = this.tree.attach(slot.dir, slot.name, file);
      if (ret !== wasi.ERRNO_SUCCESS) return fail(ret);
      found = { ret: wasi.ERRNO_SUCCESS, inode: file };
    } else if (oflags & wasi.OFLAGS_CREAT && oflags & wasi.OFLAGS_EXCL) {
      return fail(wasi.ERRNO_EXIST);
    }
    const inode = found.inode;
    if (inode instanceof Directory) {
      if (oflags & wasi.OFLAGS_TRUNC || rights & WRITE_RIGHTS) return fail(wasi.ERRNO_ISDIR);
      return { ret: wasi.ERRNO_SUCCESS, fd_obj: new MemDirectoryFd(this.tree, inode) };
    }
    if (!(inode instanceof File)) return inode.path_open(oflags, rights, fdflags); // a mount root
    if (oflags & wasi.OFLAGS_DIRECTORY) return fail(wasi.ERRNO_NOTDIR);
    const writing = (rights & WRITE_RIGHTS) !== 0n || (oflags & wasi.OFLAGS_TRUNC) !== 0;
    if (writing && this.tree.isReadOnly(inode)) return fail(wasi.ERRNO_ROFS);
    if (oflags & wasi.OFLAGS_TRUNC) {
      const ret = this.tree.resize(inode, 0);
      if (ret !== wasi.ERRNO_SUCCESS) return fail(ret);
    }
    return { ret: wasi.ERRNO_SUCCESS, fd_obj: new MemFileFd(this.tree, inode, rights, fdflags) };
  }

  override path_create_directory(path: string) {
    const p = splitPath(path);
    if (p.parts === null) return p.ret;
    const slot = this.tree.slot(this.dir, p.parts);
    if (slot.dir === null) return slot.ret;
    if (slot.inode !== undefined) return wasi.ERRNO_EXIST;
    return this.tree.attach(slot.dir, slot.name, new Directory(new Map()));
  }

  override path_filestat_get(_flags: number, path: string) {
    const p = splitPath(path);
    if (p.parts === null) return { ret: p.ret, filestat: null };
    const found = this.tree.lookup(this.dir, p.parts, p.dirOnly);
    if (found.inode === null) return { ret: found.ret, filestat: null };
    return { ret: wasi.ERRNO_SUCCESS, filestat: this.tree.stat(found.inode) };
  }

  /** `os.utime` (EROFS in `/lib`). */
  override path_filestat_set_times(_flags: number, path: string, atim = 0n, mtim = 0n, fstFlags = 0) {
    const p = splitPath(path);
    if (p.parts === null) return p.ret;
    const found = this.tree.lookup(this.dir, p.parts, p.dirOnly);
    if (found.inode === null) return found.ret;
    if (!(found.inode instanceof File || found.inode instanceof Directory)) {
      return found.inode.path_open(wasi.OFLAGS_DIRECTORY, 0n, 0).fd_obj?.fd_filestat_set_times(atim, mtim, fstFlags) ?? wasi.ERRNO_NOTSUP;
    }
    return this.tree.setTimes(found.inode, atim, mtim, fstFlags);
  }

  override path_lookup(path: string, _dirflags?: number) {
    const p = splitPath(path);
    if (p.parts === null) return { ret: p.ret, inode_obj: null };
    const found = this.tree.lookup(this.dir, p.parts, p.dirOnly);
    return { ret: found.ret, inode_obj: found.inode };
  }

  override path_readlink(path: string): { ret: number; data: string | null } {
    const p = splitPath(path);
    if (p.parts === null) return { ret: p.ret, data: null };
    const found = this.tree.lookup(this.dir, p.parts);
    return { ret: found.inode === null ? found.ret : wasi.ERRNO_INVAL, data: null }; // there are no symlinks here
  }

  /** `os.symlink`: the tree has no symlinks (ENOTSUP), and `/lib` refuses them first (EROFS). */
  path_symlink(_target: string, path: string): number {
    const p = splitPath(path);
    if (p.parts === null) return p.ret;
    const slot = this.tree.slot(this.dir, p.parts);
    if (slot.dir === null) return slot.ret;
    if (this.tree.isReadOnly(slot.dir)) return wasi.ERRNO_ROFS;
    return slot.inode === undefined ? wasi.ERRNO_NOTSUP : wasi.ERRNO_EXIST;
  }

  override path_unlink_file(path: string) {
    const p = splitPath(path);
    if (p.parts === null) return p.ret;
    const slot = this.tree.slot(this.dir, p.parts);
    if (slot.dir === null) return slot.ret;
    if (slot.inode === undefined) return wasi.ERRNO_NOENT;
    if (slot.inode instanceof Directory) return wasi.ERRNO_ISDIR;
    if (p.dirOnly) return wasi.ERRNO_NOTDIR;
    return this.tree.detach(slot.dir, slot.name);
  }

  override path_remove_directory(path: string) {
    const p = splitPath(path);
    if (p.parts === null) return p.ret;
    const slot = this.tree.slot(this.dir, p.parts);
    if (slot.dir === null) return slot.ret;
    if (slot.inode === undefined) return wasi.ERRNO_NOENT;
    if (slot.inode instanceof File) return wasi.ERRNO_NOTDIR;
    if (this.tree.isReadOnly(slot.dir) || this.tree.isReadOnly(slot.inode)) return wasi.ERRNO_ROFS;
    if (slot.inode instanceof Directory && slot.inode.contents.size > 0) return wasi.ERRNO_NOTEMPTY;
    return this.tree.detach(slot.dir, slot.name);
  }

  /**
   * A hard link (`allowDir` false) or the second half of a rename across
   * filesystems (see {@link renamePath}): attaches `inode` at `path`. Only
   * in-memory inodes belong here (EXDEV otherwise).
   */
  override path_link(path: string, inode: Inode, allowDir: boolean) {
    if (!(inode instanceof File || inode instanceof Directory)) return wasi.ERRNO_XDEV;
    if (inode instanceof Directory && !allowDir) return wasi.ERRNO_PERM;
    if (this.tree.isReadOnly(inode)) return wasi.ERRNO_ROFS;
    const p = splitPath(path);
    if (p.parts === null) return p.ret;
    const slot = this.tree.slot(this.dir, p.parts);
    if (slot.dir === null) return slot.ret;
    if (slot.inode !== undefined && !(allowDir && replaceableBy(slot.inode, inode))) return wasi.ERRNO_EXIST;
    return this.tree.attach(slot.dir, slot.name, inode);
  }

  /** The first half of a rename across filesystems: detaches the entry and hands over its inode. */
  override path_unlink(path: string) {
    const p = splitPath(path);
    if (p.parts === null) return { ret: p.ret, inode_obj: null };
    const slot = this.tree.slot(this.dir, p.parts);
    if (slot.dir === null) return { ret: slot.ret, inode_obj: null };
    if (slot.inode === undefined) return { ret: wasi.ERRNO_NOENT, inode_obj: null };
    const ret = this.tree.detach(slot.dir, slot.name);
    return ret === wasi.ERRNO_SUCCESS ? { ret, inode_obj: slot.inode } : { ret, inode_obj: null };
  }

  /** Undoes {@link path_unlink} after the other half failed: always succeeds for what path_unlink gave out. */
  relink(path: string, inode: Inode): number {
    const p = splitPath(path);
    const slot = p.parts && this.tree.slot(this.dir, p.parts);
    if (!slot || slot.dir === null) return wasi.ERRNO_NOENT;
    return this.tree.attach(slot.dir, slot.name, inode, true);
  }

  /**
   * A rename with both ends in this tree, checked as a whole; `undefined`
   * when it is not (the caller then moves the inode across, {@link renamePath}).
   */
  renameWithin(oldPath: string, target: Fd, newPath: string): number | undefined {
    if (!(target instanceof MemDirectoryFd) || target.tree !== this.tree) return undefined;
    const from = splitPath(oldPath);
    const to = splitPath(newPath);
    if (from.parts === null) return from.ret;
    if (to.parts === null) return to.ret;
    const src = this.tree.slot(this.dir, from.parts);
    if (src.dir === null) return src.ret;
    if (src.inode === undefined) return wasi.ERRNO_NOENT;
    const dst = this.tree.slot(target.dir, to.parts);
    if (dst.dir === null) return dst.ret;
    if ((from.dirOnly || to.dirOnly) && !(src.inode instanceof Directory)) return wasi.ERRNO_NOTDIR;
    return this.tree.rename(src, dst);
  }
}

/** Whether a rename's second half may put `source` over `target`. */
function replaceableBy(target: Inode, source: Inode): boolean {
  if (target instanceof File) return source instanceof File;
  return target instanceof Directory && source instanceof Directory && target.contents.size === 0;
}

/**
 * `path_rename` between any two folder fds: within the in-memory tree as one
 * checked move; otherwise (into or out of a mount) in two halves, the
 * source's `path_unlink` then the target's `path_link`, undone when the second
 * fails.
 *
 * @example
 * ```ts
 * const errno = renamePath(wasi.fds[3], 'tmp/a', wasi.fds[3], 'data/a')
 * ```
 */
export function renamePath(source: Fd, oldPath: string, target: Fd, newPath: string): number {
  if (source instanceof MemDirectoryFd) {
    const ret = source.renameWithin(oldPath, target, newPath);
    if (ret !== undefined) return ret;
  }
  const { ret, inode_obj: inode } = source.path_unlink(oldPath);
  if (inode === null) return ret;
  const linked = target.path_link(newPath, inode, true);
  if (linked !== wasi.ERRNO_SUCCESS) {
    if (source instanceof MemDirectoryFd) source.relink(oldPath, inode);
    else source.path_link(oldPath, inode, true);
  }
  return linked;
}

/**
 * An open in-memory file. Offsets are bigints up to 2^63 - 1, so any seek
 * works; a write or truncate past what the tree can hold ends with EFBIG or
 * ENOSPC (from the quota), never a RangeError. The file's bytes stay counted
 * while the fd is open, even after its last name is gone.
 *
 * @example
 * ```ts
 * const fd = new MemFileFd(tree, file, ALL_RIGHTS, 0)
 * fd.fd_seek(2n ** 40n, wasi.WHENCE_SET)      // fine
 * fd.fd_write(new Uint8Array([1]))            // { ret: wasi.ERRNO_FBIG, nwritten: 0 }
 * ```
 */
export class MemFileFd extends Fd {
  private pos = 0n;
  /** Whether this fd holds the file's bytes in the quota (until it is closed). */
  private held: boolean;
  private append: boolean;
  private readonly writable: boolean;

  constructor(
    private readonly tree: MemTree,
    readonly file: File,
    private readonly rights: bigint,
    fdflags: number,
  ) {
    super();
    this.append = (fdflags & wasi.FDFLAGS_APPEND) !== 0;
    this.writable = (rights & WRITE_RIGHTS) !== 0n;
    this.held = !tree.isReadOnly(file); // `/lib` is the box's own: it never counts
    if (this.held) tree.quota.hold(file);
  }

  override fd_close() {
    if (this.held) this.tree.quota.drop(this.file);
    this.held = false;
    return wasi.ERRNO_SUCCESS;
  }

  override fd_fdstat_get() {
    const fdstat = new wasi.Fdstat(wasi.FILETYPE_REGULAR_FILE, this.append ? wasi.FDFLAGS_APPEND : 0);
    fdstat.fs_rights_base = this.rights;
    return { ret: wasi.ERRNO_SUCCESS, fdstat };
  }

  override fd_fdstat_set_flags(flags: number) {
    this.append = (flags & wasi.FDFLAGS_APPEND) !== 0;
    return wasi.ERRNO_SUCCESS;
  }

  override fd_filestat_get() {
    return { ret: wasi.ERRNO_SUCCESS, filestat: this.tree.stat(this.file) };
  }

  override fd_filestat_set_times(atim: bigint, mtim: bigint, fstFlags: number) {
    return this.tree.setTimes(this.file, atim, mtim, fstFlags);
  }

  private readAt(size: number, at: bigint): Uint8Array {
    const length = this.file.data.length;
    if (at >= BigInt(length)) return new Uint8Array(0);
    return this.file.data.slice(Number(at), Math.min(length, Number(at) + size));
  }

  override fd_read(size: number) {
    const data = this.readAt(size, this.pos);
    this.pos += BigInt(data.length);
    return { ret: wasi.ERRNO_SUCCESS, data };
  }

  override fd_pread(size: number, offset: bigint) {
    return { ret: wasi.ERRNO_SUCCESS, data: this.readAt(size, offset) };
  }

  override fd_write(data: Uint8Array) {
    if (!this.writable) return { ret: wasi.ERRNO_BADF, nwritten: 0 };
    if (this.append) this.pos = BigInt(this.file.data.length);
    const ret = this.tree.write(this.file, data, this.pos);
    if (ret !== wasi.ERRNO_SUCCESS) return { ret, nwritten: 0 };
    this.pos += BigInt(data.length);
    return { ret, nwritten: data.length };
  }

  override fd_pwrite(data: Uint8Array, offset: bigint) {
    if (!this.writable) return { ret: wasi.ERRNO_BADF, nwritten: 0 };
    const ret = this.tree.write(this.file, data, offset);
    return { ret, nwritten: ret === wasi.ERRNO_SUCCESS ? data.length : 0 };
  }

  override fd_seek(offset: bigint, whence: number) {
    let base: bigint;
    if (whence === wasi.WHENCE_SET) base = 0n;
    else if (whence === wasi.WHENCE_CUR) base = this.pos;
    else if (whence === wasi.WHENCE_END) base = BigInt(this.file.data.length);
    else return { ret: wasi.ERRNO_INVAL, offset: 0n };
    const next = base + offset;
    if (next < 0n) return { ret: wasi.ERRNO_INVAL, offset: 0n };
    if (next > MAX_OFFSET) return { ret: wasi.ERRNO_OVERFLOW, offset: 0n };
    this.pos = next;
    return { ret: wasi.ERRNO_SUCCESS, offset: next };
  }

  override fd_tell() {
    return { ret: wasi.ERRNO_SUCCESS, offset: this.pos };
  }

  override fd_filestat_set_size(size: bigint) {
    if (!this.writable) return this.tree.isReadOnly(this.file) ? wasi.ERRNO_ROFS : wasi.ERRNO_BADF;
    return this.tree.resize(this.file, size);
  }

  override fd_allocate(offset: bigint, len: bigint) {
    if (!this.writable) return wasi.ERRNO_BADF;
    const end = offset + len;
    return end > BigInt(this.file.data.length) ? this.tree.resize(this.file, end) : wasi.ERRNO_SUCCESS;
  }

  override fd_sync() {
    return wasi.ERRNO_SUCCESS;
  }
}
