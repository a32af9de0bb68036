/**
 * The WASI side of a host mount: the inode grafted into the guest's tree,
 * and the directory and file fds Python's calls land on.
 */
import * as fs from 'node:fs';
import { Fd, File, Inode, WasiStat, wasi } from '@pybox/core/internal';
import { attempt, E, type InodeResult, type OpenResult, type StatResult, O_NOFOLLOW, WasiError } from './errno.js';
import { HostMount, isDir, resolve, type Found, type Listed } from './mount.js';
import { memResize, memWrite } from './overlay.js';
import { hostStat } from './stat.js';

/** Opens what a lookup found, honouring `O_DIRECTORY`, `O_TRUNC`, `O_CREAT` and write rights. */
function openFound(mount: HostMount, parts: string[], found: Found, oflags: number, rights: bigint, fdflags: number, dirOnly = false): Fd {
  try {
    if (isDir(found)) {
      if (oflags & (E.OFLAGS_TRUNC | E.OFLAGS_CREAT)) throw new WasiError(E.ERRNO_ISDIR);
      return new MountDirFd(mount, parts);
    }
    if (oflags & E.OFLAGS_DIRECTORY || dirOnly) throw new WasiError(E.ERRNO_NOTDIR);
    if (mount.mode === 'ro' && (oflags & (E.OFLAGS_CREAT | E.OFLAGS_TRUNC) || rights & BigInt(E.RIGHTS_FD_WRITE))) {
      throw new WasiError(E.ERRNO_ROFS);
    }
    if (oflags & E.OFLAGS_TRUNC) found = mount.truncate(parts, found);
    const fd = new MountFileFd(mount, parts, found, (fdflags & E.FDFLAGS_APPEND) !== 0);
    if (found.kind === 'host') delete found.fd; // the fd's handle owns it now
    return fd;
  } finally {
    if (found.kind === 'host' && found.fd !== undefined) fs.closeSync(found.fd); // not used after all
  }
}

/** A file or folder of a mount, by path: the mount's root (grafted into the tree) or a rename's source. */
export class MountInode extends Inode {
  constructor(
    readonly mount: HostMount,
    readonly parts: string[],
  ) {
    super();
  }

  override path_open(oflags: number, rights: bigint, fdflags: number): { ret: number; fd_obj: Fd | null } {
    return attempt<OpenResult>(
      () => ({ ret: E.ERRNO_SUCCESS, fd_obj: openFound(this.mount, this.parts, this.mount.lookup(this.parts), oflags, rights, fdflags) }),
      (ret) => ({ ret, fd_obj: null }),
    );
  }

  override stat(): wasi.Filestat {
    return attempt(
      () => this.mount.stat(this.mount.lookup(this.parts)),
      () => new WasiStat(this.ino, this.parts.length === 0 ? E.FILETYPE_DIRECTORY : E.FILETYPE_UNKNOWN, 0n),
    );
  }
}

/** An open folder of a mount: every path call relative to it. */
class MountDirFd extends Fd {
  private listing: Listed[] | null = null;

  constructor(
    private readonly mount: HostMount,
    private readonly parts: string[],
  ) {
    super();
  }

  override fd_fdstat_get() {
    // Every right, so that wasi-libc passes each open's access mode on to path_open.
    const fdstat = new wasi.Fdstat(E.FILETYPE_DIRECTORY, 0);
    fdstat.fs_rights_base = fdstat.fs_rights_inherited = (1n << 29n) - 1n;
    return { ret: E.ERRNO_SUCCESS, fdstat };
  }

  override fd_filestat_get() {
    return attempt<StatResult>(
      () => ({ ret: E.ERRNO_SUCCESS, filestat: this.mount.stat(this.mount.lookup(this.parts)) }),
      (ret) => ({ ret, filestat: null }),
    );
  }

  override fd_readdir_single(cookie: bigint) {
    return attempt(
      () => {
        if (cookie === 0n || !this.listing) this.listing = this.mount.list(this.parts);
        if (cookie === 0n) return { ret: E.ERRNO_SUCCESS, dirent: new wasi.Dirent(1n, 0n, '.', E.FILETYPE_DIRECTORY) };
        if (cookie === 1n) return { ret: E.ERRNO_SUCCESS, dirent: new wasi.Dirent(2n, 0n, '..', E.FILETYPE_DIRECTORY) };
        const entry = this.listing[Number(cookie - 2n)];
        if (!entry) return { ret: E.ERRNO_SUCCESS, dirent: null };
        return { ret: E.ERRNO_SUCCESS, dirent: new wasi.Dirent(cookie + 1n, entry.ino, entry.name, entry.type) };
      },
      (ret) => ({ ret, dirent: null }),
    );
  }

  override fd_read() {
    return { ret: E.ERRNO_ISDIR, data: new Uint8Array() };
  }
  override fd_pread() {
    return { ret: E.ERRNO_ISDIR, data: new Uint8Array() };
  }
  override fd_write() {
    return { ret: E.ERRNO_BADF, nwritten: 0 };
  }
  override fd_pwrite() {
    return { ret: E.ERRNO_BADF, nwritten: 0 };
  }
  override fd_seek() {
    return { ret: E.ERRNO_BADF, offset: 0n };
  }
  override fd_tell() {
    return { ret: E.ERRNO_BADF, offset: 0n };
  }

  override path_open(_dirflags: number, path: string, oflags: number, rights: bigint, _inheriting: bigint, fdflags: number) {
    return attempt<OpenResult>(
      () => {
        const { parts, dirOnly } = resolve(this.parts, path);
        // A plain read open gets its host fd from the lookup itself (one walk, not two).
        const reading = !(rights & BigInt(E.RIGHTS_FD_WRITE)) && !(oflags & (E.OFLAGS_TRUNC | E.OFLAGS_CREAT));
        let found = this.mount.find(parts, reading);
        if (!found) {
          if (!(oflags & E.OFLAGS_CREAT)) throw new WasiError(E.ERRNO_NOENT);
          if (oflags & E.OFLAGS_DIRECTORY || dirOnly) throw new WasiError(E.ERRNO_INVAL);
          found = this.mount.createFile(parts);
          oflags &= ~E.OFLAGS_CREAT; // done; don't refuse it below
        } else if (oflags & E.OFLAGS_CREAT && oflags & E.OFLAGS_EXCL) {
          throw new WasiError(E.ERRNO_EXIST);
        }
        return { ret: E.ERRNO_SUCCESS, fd_obj: openFound(this.mount, parts, found, oflags, rights, fdflags, dirOnly) };
      },
      (ret) => ({ ret, fd_obj: null }),
    );
  }

  override path_filestat_get(_flags: number, path: string) {
    return attempt<StatResult>(
      () => {
        const { parts, dirOnly } = resolve(this.parts, path);
        const found = this.mount.lookup(parts);
        if (dirOnly && !isDir(found)) throw new WasiError(E.ERRNO_NOTDIR);
        return { ret: E.ERRNO_SUCCESS, filestat: this.mount.stat(found) };
      },
      (ret) => ({ ret, filestat: null }),
    );
  }

  override path_filestat_set_times(_flags: number, path: string, atim: bigint, mtim: bigint, fstFlags: number) {
    return attempt(() => {
      const { parts } = resolve(this.parts, path);
      this.mount.setTimes(this.mount.lookup(parts), atim, mtim, fstFlags);
      return E.ERRNO_SUCCESS;
    }, (ret) => ret);
  }

  override path_create_directory(path: string) {
    return attempt(() => {
      this.mount.mkdir(resolve(this.parts, path).parts);
      return E.ERRNO_SUCCESS;
    }, (ret) => ret);
  }

  override path_unlink_file(path: string) {
    return attempt(() => {
      const { parts, dirOnly } = resolve(this.parts, path);
      if (dirOnly) throw new WasiError(E.ERRNO_ISDIR);
      this.mount.unlinkFile(parts);
      return E.ERRNO_SUCCESS;
    }, (ret) => ret);
  }

  override path_remove_directory(path: string) {
    return attempt(() => {
      this.mount.rmdir(resolve(this.parts, path).parts);
      return E.ERRNO_SUCCESS;
    }, (ret) => ret);
  }

  override path_readlink(path: string) {
    return attempt(() => {
      this.mount.lookup(resolve(this.parts, path).parts);
      return { ret: E.ERRNO_INVAL, data: null }; // Python never sees links in a mount
    }, (ret) => ({ ret, data: null }));
  }

  override path_lookup(path: string) {
    return attempt<InodeResult>(() => {
      const { parts } = resolve(this.parts, path);
      this.mount.lookup(parts);
      return { ret: E.ERRNO_SUCCESS, inode_obj: new MountInode(this.mount, parts) };
    }, (ret) => ({ ret, inode_obj: null }));
  }

  /**
   * A rename's first half. Nothing changes on the host yet: the inode knows
   * its path, and `path_link` moves it. An overlay's in-memory file is
   * detached now, so that it can also move out of the mount.
   */
  override path_unlink(path: string) {
    return attempt<InodeResult>(() => {
      const { parts } = resolve(this.parts, path);
      if (parts.length === 0) throw new WasiError(E.ERRNO_BUSY);
      const found = this.mount.lookup(parts);
      if (this.mount.mode === 'ro') throw new WasiError(E.ERRNO_ROFS);
      if (found.kind === 'file') {
        this.mount.layer.set(parts.join('/'), { kind: 'deleted' }, true);
        return { ret: E.ERRNO_SUCCESS, inode_obj: found.file };
      }
      return { ret: E.ERRNO_SUCCESS, inode_obj: new MountInode(this.mount, parts) };
    }, (ret) => ({ ret, inode_obj: null }));
  }

  /** `os.symlink`: refused (EROFS in a read-only mount; Python never sees links in a mount). */
  path_symlink(_target: string, path: string): number {
    return attempt(() => {
      resolve(this.parts, path);
      return this.mount.mode === 'ro' ? E.ERRNO_ROFS : E.ERRNO_NOTSUP;
    }, (ret) => ret);
  }

  /** A rename's second half (`allowDir`), or a hard link (not supported). */
  override path_link(path: string, inode: Inode, allowDir: boolean) {
    return attempt(() => {
      if (!allowDir) return E.ERRNO_NOTSUP;
      const { parts } = resolve(this.parts, path);
      if (inode instanceof MountInode && inode.mount === this.mount) this.mount.rename(inode.parts, parts);
      else if (inode instanceof File) this.mount.linkFile(parts, inode);
      else return E.ERRNO_XDEV;
      return E.ERRNO_SUCCESS;
    }, (ret) => ret);
  }
}

/**
 * Host fds for one open file: opened on demand (through the mount's
 * race-free walk), closed at `fd_close` or when the event loop next turns,
 * so that files Python leaves open hold no host fds. A reopen must find the
 * very file it opened first (same device and inode), or fails with ENOENT.
 */
class HostHandle {
  private fd: number | null = null;
  private forWriting = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly mount: HostMount,
    readonly found: Found & { kind: 'host' },
  ) {
    if (found.fd !== undefined) this.keep(found.fd, false);
  }

  /** Uses `fd` until `fd_close` or the event loop next turns. */
  private keep(fd: number, write: boolean): number {
    this.fd = fd;
    this.forWriting = write;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.close();
    }, 0);
    this.timer.unref?.();
    return fd;
  }

  get(write: boolean): number {
    if (this.fd !== null && (this.forWriting || !write)) return this.fd;
    this.close();
    const fd = this.mount.openHost(this.found, write ? fs.constants.O_RDWR : fs.constants.O_RDONLY);
    const st = fs.fstatSync(fd, { bigint: true });
    if (st.ino !== this.found.st.ino || st.dev !== this.found.st.dev) {
      fs.closeSync(fd);
      throw new WasiError(E.ERRNO_NOENT); // replaced since it was opened
    }
    return this.keep(fd, write);
  }

  close(): void {
    if (this.fd === null) return;
    try {
      fs.closeSync(this.fd);
    } catch {
      // already gone
    }
    this.fd = null;
  }
}

const MAX_READ = 16 * 1024 * 1024;

/** An open file of a mount: on the host, or (overlay) in memory once written. */
class MountFileFd extends Fd {
  private pos = 0n;
  private closed = false;
  private file: File | null = null;
  private readonly handle: HostHandle | null = null;

  constructor(
    private readonly mount: HostMount,
    private readonly parts: string[],
    found: Found,
    private append: boolean,
  ) {
    super();
    if (found.kind === 'file') this.adopt(found.file);
    else if (found.kind === 'host') this.handle = new HostHandle(mount, found);
  }

  /** Starts using an in-memory file: it counts against the quota while this fd is open. */
  private adopt(file: File): File {
    this.mount.layer.quota.hold(file);
    return (this.file = file);
  }

  /** The in-memory file, if this one is (or has been copied up meanwhile by another fd). */
  private mem(): File | null {
    if (!this.file && this.mount.mode === 'overlay') {
      const layer = this.mount.layer.get(this.parts.join('/'));
      if (layer?.kind === 'file') this.adopt(layer.file);
    }
    return this.file;
  }

  /** Where a write goes: refused (ro), the host (rw), memory (overlay, after a copy-up). */
  private target(): File | number {
    if (this.mount.mode === 'ro') throw new WasiError(E.ERRNO_ROFS);
    const mem = this.mem();
    if (mem) return mem;
    if (!this.handle) throw new WasiError(E.ERRNO_BADF);
    if (this.mount.mode === 'overlay') return this.adopt(this.mount.copyUp(this.parts, this.handle.found));
    return this.handle.get(true);
  }

  private size(): bigint {
    const mem = this.mem();
    if (mem) return BigInt(mem.data.length);
    return fs.fstatSync(this.handle!.get(false), { bigint: true }).size;
  }

  private readAt(size: number, at: bigint): Uint8Array {
    const mem = this.mem();
    if (mem) return mem.data.slice(Number(at), Number(at) + size);
    const buf = Buffer.allocUnsafe(Math.min(size, MAX_READ));
    const n = fs.readSync(this.handle!.get(false), buf, 0, buf.length, at);
    return buf.subarray(0, n);
  }

  private writeAt(data: Uint8Array, at: bigint): number {
    const target = this.target();
    if (typeof target !== 'number') {
      memWrite(this.mount.layer.quota, target, data, at);
      return data.length;
    }
    return fs.writeSync(target, data, 0, data.length, Number(at));
  }

  override fd_fdstat_get() {
    return { ret: E.ERRNO_SUCCESS, fdstat: new wasi.Fdstat(E.FILETYPE_REGULAR_FILE, this.append ? E.FDFLAGS_APPEND : 0) };
  }
  override fd_fdstat_set_flags(flags: number) {
    this.append = (flags & E.FDFLAGS_APPEND) !== 0;
    return E.ERRNO_SUCCESS;
  }

  override fd_filestat_get() {
    return attempt<StatResult>(
      () => {
        const mem = this.mem();
        const stat = mem
          ? this.mount.stat({ kind: 'file', file: mem })
          : hostStat(fs.fstatSync(this.handle!.get(false), { bigint: true }));
        return { ret: E.ERRNO_SUCCESS, filestat: stat };
      },
      (ret) => ({ ret, filestat: null }),
    );
  }

  override fd_read(size: number) {
    return attempt(
      () => {
        const data = this.readAt(size, this.pos);
        this.pos += BigInt(data.length);
        return { ret: E.ERRNO_SUCCESS, data };
      },
      (ret) => ({ ret, data: new Uint8Array() }),
    );
  }

  override fd_pread(size: number, offset: bigint) {
    return attempt(
      () => ({ ret: E.ERRNO_SUCCESS, data: this.readAt(size, offset) }),
      (ret) => ({ ret, data: new Uint8Array() }),
    );
  }

  override fd_write(data: Uint8Array) {
    return attempt(
      () => {
        if (this.append) {
          this.target(); // refuse (ro) or copy up (overlay) before measuring
          this.pos = this.size();
        }
        const n = this.writeAt(data, this.pos);
        this.pos += BigInt(n);
        return { ret: E.ERRNO_SUCCESS, nwritten: n };
      },
      (ret) => ({ ret, nwritten: 0 }),
    );
  }

  override fd_pwrite(data: Uint8Array, offset: bigint) {
    return attempt(
      () => ({ ret: E.ERRNO_SUCCESS, nwritten: this.writeAt(data, offset) }),
      (ret) => ({ ret, nwritten: 0 }),
    );
  }

  override fd_seek(offset: bigint, whence: number) {
    return attempt(
      () => {
        const base = whence === E.WHENCE_SET ? 0n : whence === E.WHENCE_CUR ? this.pos : whence === E.WHENCE_END ? this.size() : -1n;
        if (base < 0n || base + offset < 0n) throw new WasiError(E.ERRNO_INVAL);
        this.pos = base + offset;
        return { ret: E.ERRNO_SUCCESS, offset: this.pos };
      },
      (ret) => ({ ret, offset: 0n }),
    );
  }

  override fd_tell() {
    return { ret: E.ERRNO_SUCCESS, offset: this.pos };
  }

  override fd_filestat_set_size(size: bigint) {
    return attempt(() => {
      const target = this.target();
      if (typeof target === 'number') fs.ftruncateSync(target, Number(size));
      else memResize(this.mount.layer.quota, target, size);
      return E.ERRNO_SUCCESS;
    }, (ret) => ret);
  }

  override fd_allocate(offset: bigint, len: bigint) {
    return attempt(() => {
      if (this.size() >= offset + len) return E.ERRNO_SUCCESS;
      const target = this.target();
      if (typeof target === 'number') fs.ftruncateSync(target, Number(offset + len));
      else memResize(this.mount.layer.quota, target, offset + len);
      return E.ERRNO_SUCCESS;
    }, (ret) => ret);
  }

  override fd_filestat_set_times(atim: bigint, mtim: bigint, flags: number) {
    return attempt(() => {
      const mem = this.mem();
      if (mem) this.mount.setTimes({ kind: 'file', file: mem }, atim, mtim, flags);
      else this.mount.setTimes(this.mount.lookup(this.parts), atim, mtim, flags);
      return E.ERRNO_SUCCESS;
    }, (ret) => ret);
  }

  override fd_sync() {
    return E.ERRNO_SUCCESS;
  }

  override fd_close() {
    this.handle?.close();
    if (this.file && !this.closed) this.mount.layer.quota.drop(this.file);
    this.closed = true;
    return E.ERRNO_SUCCESS;
  }
}
