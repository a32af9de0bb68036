/**
 * Host folders mounted into the guest's filesystem.
 *
 * - `'ro'`: Python reads the folder; every change fails with EROFS
 *   (`OSError: [Errno 69] Read-only file system`).
 * - `'rw'`: Python's changes go to the folder.
 * - `'overlay'`: Python sees the folder, but what it creates, writes, renames
 *   and deletes stays in memory (a file is copied into memory on its first
 *   write); the folder is never modified.
 *
 * Containment. Paths are normalised before they get here, and `..` can never
 * climb above the mount (nor above the directory fd a path is relative to).
 * Every lookup resolves the host path with `realpath` and checks that it is
 * inside the folder's real path: a symlink leading outside is treated as
 * non-existent and left out of listings; one leading inside is followed (Python
 * sees its target, never a link). Devices, FIFOs and sockets are invisible too.
 * Files are created with `O_CREAT | O_EXCL | O_NOFOLLOW`, so a dangling symlink
 * cannot create a file outside, and opened with `O_NOFOLLOW` on their real path.
 *
 * Files are read and written at offsets through a host fd that is opened on
 * demand and closed when the fd is closed or the event loop next turns, so
 * big files are never loaded whole (except by an overlay's copy-up).
 */
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { Fd, File, InvalidArgumentError, Inode, wasi, type EngineMount } from '@pybox/core/engine';

/** How a host folder is mounted. */
export type MountMode = 'ro' | 'rw' | 'overlay';

/** A host folder to mount, see `NodePyBoxOptions.mounts`. */
export interface MountSpec {
  /** The host folder: it must exist. A relative path is resolved against the process's working directory. */
  hostPath: string;
  /** Where Python sees it: an absolute path such as `/mnt/data`; not `/`, not under `/lib`, no `..`. */
  guestPath: string;
  /** `'ro'` (the default), `'rw'` or `'overlay'`. */
  mode?: MountMode;
}

const MODES: readonly MountMode[] = ['ro', 'rw', 'overlay'];
const SPEC_KEYS = new Set(['hostPath', 'guestPath', 'mode']);

/**
 * Checks mount specs and normalises them: `hostPath` becomes the folder's real
 * absolute path, `guestPath` loses redundant slashes, `mode` defaults to `'ro'`.
 * @throws InvalidArgumentError saying what to fix
 */
export function validateMounts(mounts: unknown): Required<MountSpec>[] {
  if (mounts === undefined) return [];
  if (!Array.isArray(mounts)) {
    throw new InvalidArgumentError('mounts must be an array of { hostPath, guestPath, mode } objects');
  }
  const out: Required<MountSpec>[] = [];
  mounts.forEach((spec: unknown, i) => {
    const at = `mounts[${i}]`;
    if (typeof spec !== 'object' || spec === null) {
      throw new InvalidArgumentError(`${at} must be an object such as { hostPath: '/srv/data', guestPath: '/mnt/data', mode: 'ro' }`);
    }
    for (const key of Object.keys(spec)) {
      if (!SPEC_KEYS.has(key)) {
        throw new InvalidArgumentError(`${at} has an unknown option "${key}": use hostPath, guestPath and mode ('ro' | 'rw' | 'overlay')`);
      }
    }
    const { hostPath, guestPath, mode = 'ro' } = spec as MountSpec;
    if (!MODES.includes(mode)) {
      throw new InvalidArgumentError(`${at}.mode must be 'ro', 'rw' or 'overlay', got ${JSON.stringify(mode)}`);
    }
    if (typeof hostPath !== 'string' || hostPath === '' || hostPath.includes('\0')) {
      throw new InvalidArgumentError(`${at}.hostPath must be the path of an existing host folder, got ${JSON.stringify(hostPath)}`);
    }
    let real: string;
    try {
      real = fs.realpathSync.native(nodePath.resolve(hostPath));
    } catch {
      throw new InvalidArgumentError(`${at}.hostPath ${hostPath} does not exist: create the folder first or fix the path`);
    }
    if (!fs.statSync(real).isDirectory()) {
      throw new InvalidArgumentError(`${at}.hostPath ${hostPath} is not a folder: mount the folder that contains it`);
    }
    if (typeof guestPath !== 'string' || !guestPath.startsWith('/')) {
      throw new InvalidArgumentError(`${at}.guestPath must be an absolute guest path such as "/mnt/data", got ${JSON.stringify(guestPath)}`);
    }
    const parts = guestPath.split('/').filter((p) => p !== '' && p !== '.');
    if (parts.includes('..') || guestPath.includes('\0')) {
      throw new InvalidArgumentError(`${at}.guestPath must not contain ".." (or NUL): write it out, e.g. "/mnt/data"`);
    }
    if (parts.length === 0) {
      throw new InvalidArgumentError(`${at}.guestPath cannot be "/": mount under a folder such as "/mnt/data"`);
    }
    if (parts[0] === 'lib') {
      throw new InvalidArgumentError(`${at}.guestPath ${guestPath} is under /lib, which holds the Python stdlib: choose e.g. "/mnt/data"`);
    }
    const normal = `/${parts.join('/')}`;
    for (const other of out) {
      if (`${normal}/`.startsWith(`${other.guestPath}/`) || `${other.guestPath}/`.startsWith(`${normal}/`)) {
        throw new InvalidArgumentError(`${at}.guestPath ${normal} overlaps the mount at ${other.guestPath}: mounts cannot share or nest paths`);
      }
    }
    out.push({ hostPath: real, guestPath: normal, mode });
  });
  return out;
}

/**
 * Builds the engine's mounts (`EngineOptions.mounts`) from mount specs. Runs
 * where the engine runs: the calling thread or the worker.
 * @throws InvalidArgumentError when a spec is invalid
 */
export function createMounts(specs: unknown): EngineMount[] {
  return validateMounts(specs).map((spec) => ({
    guestPath: spec.guestPath,
    inode: new MountInode(new HostMount(spec.hostPath, spec.mode), []),
  }));
}

// ---- errors ---------------------------------------------------------------

const E = wasi;

/** A WASI errno thrown inside this module; every WASI entry point catches it. */
class WasiError {
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

function errnoOf(e: unknown): number {
  if (e instanceof WasiError) return e.errno;
  const code = (e as { code?: unknown } | null)?.code;
  return (typeof code === 'string' && NODE_CODES[code]) || E.ERRNO_IO;
}

type StatResult = { ret: number; filestat: wasi.Filestat | null };
type OpenResult = { ret: number; fd_obj: Fd | null };
type InodeResult = { ret: number; inode_obj: Inode | null };

/** Runs a WASI call's body: an exception must never unwind through the guest. */
function attempt<T>(fn: () => T, fail: (errno: number) => T): T {
  try {
    return fn();
  } catch (e) {
    return fail(errnoOf(e));
  }
}

const O_NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;

// ---- stats ----------------------------------------------------------------

/** A Filestat with the WASI layout (the shim's own writes the times at the wrong offsets). */
class Stat extends wasi.Filestat {
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

function hostStat(st: fs.BigIntStats): Stat {
  const stat = new Stat(st.ino, st.isDirectory() ? E.FILETYPE_DIRECTORY : E.FILETYPE_REGULAR_FILE, st.size);
  stat.dev = st.dev;
  stat.nlink = st.nlink;
  stat.atim = st.atimeNs;
  stat.mtim = st.mtimeNs;
  stat.ctim = st.ctimeNs;
  return stat;
}

// ---- in-memory files of an overlay ----------------------------------------

/** Writes into an in-memory file, growing its buffer geometrically (appends stay linear). */
function memWrite(file: File, data: Uint8Array, at: number): void {
  memResize(file, Math.max(file.data.length, at + data.length));
  file.data.set(data, at);
}

/** Sets an in-memory file's size; new bytes are zeros. */
function memResize(file: File, size: number): void {
  const old = file.data;
  if (size === old.length) return;
  const buffer = old.buffer;
  if (size <= old.length || (old.byteOffset === 0 && buffer instanceof ArrayBuffer && size <= buffer.byteLength)) {
    file.data = new Uint8Array(buffer, old.byteOffset, size);
    file.data.fill(0, old.length);
    return;
  }
  const next = new Uint8Array(new ArrayBuffer(Math.max(size, old.length * 2, 4096)), 0, size);
  next.set(old);
  file.data = next;
}

// ---- the mount ------------------------------------------------------------

/** What a mount path leads to. */
type Found =
  | { kind: 'host'; real: string; dir: boolean; st: fs.BigIntStats }
  | { kind: 'file'; file: File } // an overlay's in-memory file
  | { kind: 'dir'; ino: bigint }; // an overlay's in-memory folder (it hides the host's below it)

/** An overlay entry: something created in memory, or a deletion hiding the host's entry. */
type Layer = { kind: 'file'; file: File } | { kind: 'dir'; ino: bigint } | { kind: 'deleted' };

interface Listed {
  name: string;
  type: number;
  ino: bigint;
}

const isDir = (f: Found) => f.kind === 'dir' || (f.kind === 'host' && f.dir);

/** One mounted host folder: lookups, listings and changes, by path parts relative to its root. */
class HostMount {
  /** The overlay's changes, by mount-relative path (`a/b.txt`); always empty unless mode is `'overlay'`. */
  readonly layer = new Map<string, Layer>();
  private readonly prefix: string;

  constructor(
    /** The folder's real path. */
    readonly root: string,
    readonly mode: MountMode,
  ) {
    this.prefix = root.endsWith(nodePath.sep) ? root : root + nodePath.sep;
  }

  /** Whether a real path is the folder or inside it. */
  contains(real: string): boolean {
    return real === this.root || real.startsWith(this.prefix);
  }

  /** A host path, resolved: visible only if its real path is inside and it is a file or a folder. */
  private host(path: string): Found {
    const real = fs.realpathSync.native(path);
    if (!this.contains(real)) throw new WasiError(E.ERRNO_NOENT);
    const st = fs.statSync(real, { bigint: true });
    if (!st.isFile() && !st.isDirectory()) throw new WasiError(E.ERRNO_NOENT);
    return { kind: 'host', real, dir: st.isDirectory(), st };
  }

  /** What a path leads to; throws a WasiError (ENOENT, ENOTDIR...) when it leads nowhere. */
  lookup(parts: string[]): Found {
    if (this.mode === 'overlay') {
      let hostVisible = true;
      for (let i = 1; i <= parts.length; i++) {
        const layer = this.layer.get(parts.slice(0, i).join('/'));
        if (layer === undefined) {
          if (!hostVisible) throw new WasiError(E.ERRNO_NOENT);
          continue;
        }
        if (layer.kind === 'deleted') throw new WasiError(E.ERRNO_NOENT);
        if (layer.kind === 'file') {
          if (i < parts.length) throw new WasiError(E.ERRNO_NOTDIR);
          return layer;
        }
        if (i === parts.length) return layer;
        hostVisible = false;
      }
    }
    return this.host(nodePath.join(this.root, ...parts));
  }

  /** Like {@link lookup}, but `null` when nothing is there (other errors still throw). */
  find(parts: string[]): Found | null {
    try {
      return this.lookup(parts);
    } catch (e) {
      if (errnoOf(e) === E.ERRNO_NOENT) return null;
      throw e;
    }
  }

  stat(found: Found): Stat {
    if (found.kind === 'host') return hostStat(found.st);
    if (found.kind === 'file') return new Stat(found.file.ino, E.FILETYPE_REGULAR_FILE, BigInt(found.file.data.length));
    return new Stat(found.ino, E.FILETYPE_DIRECTORY, 0n);
  }

  /** A folder's entries (without `.` and `..`). */
  list(parts: string[]): Listed[] {
    const at = this.lookup(parts);
    if (!isDir(at)) throw new WasiError(E.ERRNO_NOTDIR);
    const key = parts.join('/');
    const out = new Map<string, Listed>();
    if (at.kind === 'host') {
      for (const name of fs.readdirSync(at.real)) {
        if (this.layer.has(key ? `${key}/${name}` : name)) continue; // the overlay decides
        let child: Found;
        try {
          child = this.host(nodePath.join(at.real, name));
        } catch {
          continue; // gone, outside the mount, or not a file or folder
        }
        if (child.kind !== 'host') continue;
        out.set(name, { name, type: child.dir ? E.FILETYPE_DIRECTORY : E.FILETYPE_REGULAR_FILE, ino: child.st.ino });
      }
    }
    const prefix = key ? `${key}/` : '';
    for (const [path, layer] of this.layer) {
      if (!path.startsWith(prefix) || path.includes('/', prefix.length) || layer.kind === 'deleted') continue;
      const name = path.slice(prefix.length);
      out.set(name, layer.kind === 'file'
        ? { name, type: E.FILETYPE_REGULAR_FILE, ino: layer.file.ino }
        : { name, type: E.FILETYPE_DIRECTORY, ino: layer.ino });
    }
    return [...out.values()];
  }

  // -- changes (each throws a WasiError when refused) --

  private writable(): void {
    if (this.mode === 'ro') throw new WasiError(E.ERRNO_ROFS);
  }

  /** The folder that holds `parts`' last entry, and that entry's name. */
  private parent(parts: string[]): { dir: Found; name: string; key: string } {
    const name = parts[parts.length - 1];
    if (name === undefined) throw new WasiError(E.ERRNO_BUSY); // the mount's root
    const dir = this.lookup(parts.slice(0, -1));
    if (!isDir(dir)) throw new WasiError(E.ERRNO_NOTDIR);
    return { dir, name, key: parts.join('/') };
  }

  /** The host path of an entry whose parent is a host folder (rw mode). */
  private hostPathIn(dir: Found, name: string): string {
    if (dir.kind !== 'host') throw new WasiError(E.ERRNO_XDEV);
    return nodePath.join(dir.real, name);
  }

  /** Forgets the overlay's entries below a folder. */
  private dropBelow(key: string): void {
    for (const path of [...this.layer.keys()]) if (path.startsWith(`${key}/`)) this.layer.delete(path);
  }

  /** Creates an empty file where nothing is. */
  createFile(parts: string[]): Found {
    this.writable();
    const { dir, name, key } = this.parent(parts);
    if (this.mode === 'overlay') {
      const file = new File(new Uint8Array(0));
      this.layer.set(key, { kind: 'file', file });
      return { kind: 'file', file };
    }
    const path = this.hostPathIn(dir, name);
    try {
      fs.closeSync(fs.openSync(path, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY | O_NOFOLLOW, 0o666));
    } catch (e) {
      // Something invisible is there (a symlink out of the mount, a FIFO...): not for Python.
      throw errnoOf(e) === E.ERRNO_EXIST ? new WasiError(E.ERRNO_ACCES) : e;
    }
    return this.host(path);
  }

  /** Empties a file (`O_TRUNC`). */
  truncate(parts: string[], found: Found): Found {
    this.writable();
    if (this.mode === 'overlay') {
      const file = found.kind === 'file' ? found.file : new File(new Uint8Array(0));
      memResize(file, 0);
      this.layer.set(parts.join('/'), { kind: 'file', file });
      return { kind: 'file', file };
    }
    if (found.kind !== 'host') throw new WasiError(E.ERRNO_BADF);
    const fd = fs.openSync(found.real, fs.constants.O_WRONLY | O_NOFOLLOW);
    try {
      fs.ftruncateSync(fd, 0);
    } finally {
      fs.closeSync(fd);
    }
    return found;
  }

  /** Copies a host file into the overlay (its first write). */
  copyUp(parts: string[], real: string): File {
    const fd = fs.openSync(real, fs.constants.O_RDONLY | O_NOFOLLOW);
    const file = new File(new Uint8Array(0));
    try {
      file.data = new Uint8Array(fs.readFileSync(fd)); // its own buffer (a Buffer may share a pool)
    } finally {
      fs.closeSync(fd);
    }
    this.layer.set(parts.join('/'), { kind: 'file', file });
    return file;
  }

  mkdir(parts: string[]): void {
    if (parts.length === 0 || this.find(parts)) throw new WasiError(E.ERRNO_EXIST);
    this.writable();
    const { dir, name, key } = this.parent(parts);
    if (this.mode === 'overlay') {
      this.dropBelow(key);
      this.layer.set(key, { kind: 'dir', ino: Inode.issue_ino() });
      return;
    }
    fs.mkdirSync(this.hostPathIn(dir, name));
  }

  unlinkFile(parts: string[]): void {
    const found = this.lookup(parts);
    if (isDir(found)) throw new WasiError(E.ERRNO_ISDIR);
    this.writable();
    const { dir, name, key } = this.parent(parts);
    if (this.mode === 'overlay') this.layer.set(key, { kind: 'deleted' });
    else fs.unlinkSync(this.hostPathIn(dir, name));
  }

  rmdir(parts: string[]): void {
    if (parts.length === 0) throw new WasiError(E.ERRNO_BUSY);
    const found = this.lookup(parts);
    if (!isDir(found)) throw new WasiError(E.ERRNO_NOTDIR);
    if (this.list(parts).length > 0) throw new WasiError(E.ERRNO_NOTEMPTY);
    this.writable();
    const { dir, name, key } = this.parent(parts);
    if (this.mode === 'overlay') {
      this.dropBelow(key);
      this.layer.set(key, { kind: 'deleted' });
    } else {
      fs.rmdirSync(this.hostPathIn(dir, name));
    }
  }

  /** Checks that `to` may be replaced by something of `from`'s kind; returns what is there now. */
  private replaceable(to: string[], fromDir: boolean): Found | null {
    const there = this.find(to);
    if (there) {
      if (fromDir && !isDir(there)) throw new WasiError(E.ERRNO_NOTDIR);
      if (!fromDir && isDir(there)) throw new WasiError(E.ERRNO_ISDIR);
      if (fromDir && this.list(to).length > 0) throw new WasiError(E.ERRNO_NOTEMPTY);
    }
    return there;
  }

  /** Renames within this mount. */
  rename(from: string[], to: string[]): void {
    this.writable();
    if (from.join('/') === to.join('/')) return;
    if (from.length === 0 || to.length === 0) throw new WasiError(E.ERRNO_BUSY);
    const found = this.lookup(from);
    const dir = isDir(found);
    if (dir && to.length > from.length && from.every((p, i) => to[i] === p)) throw new WasiError(E.ERRNO_INVAL);
    this.replaceable(to, dir);
    const src = this.parent(from);
    const dst = this.parent(to);
    if (this.mode !== 'overlay') {
      fs.renameSync(this.hostPathIn(src.dir, src.name), this.hostPathIn(dst.dir, dst.name));
      return;
    }
    let moved: Layer;
    if (found.kind === 'file' || found.kind === 'dir') {
      moved = found;
    } else if (!found.dir) {
      moved = { kind: 'file', file: this.copyUp(from, found.real) };
    } else if (this.list(from).length === 0) {
      moved = { kind: 'dir', ino: Inode.issue_ino() };
    } else {
      throw new WasiError(E.ERRNO_XDEV); // a host folder with contents: shutil.move copies it instead
    }
    this.dropBelow(dst.key);
    for (const [path, layer] of [...this.layer]) {
      if (!path.startsWith(`${src.key}/`)) continue;
      this.layer.delete(path);
      this.layer.set(dst.key + path.slice(src.key.length), layer);
    }
    this.layer.set(dst.key, moved);
    this.layer.set(src.key, { kind: 'deleted' });
  }

  /** Puts an in-memory file (moved from outside the mount, or detached by a rename) at `to`. */
  linkFile(to: string[], file: File): void {
    this.writable();
    const there = this.replaceable(to, false);
    const dst = this.parent(to);
    if (this.mode === 'overlay') {
      this.layer.set(dst.key, { kind: 'file', file });
      return;
    }
    const flags =
      there?.kind === 'host'
        ? fs.constants.O_WRONLY | fs.constants.O_TRUNC | O_NOFOLLOW
        : fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | O_NOFOLLOW;
    const fd = fs.openSync(there?.kind === 'host' ? there.real : this.hostPathIn(dst.dir, dst.name), flags, 0o666);
    try {
      fs.writeSync(fd, file.data);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** `utimes` (rw only; an overlay ignores times, ro refuses). */
  setTimes(found: Found, atim: bigint, mtim: bigint, flags: number): void {
    this.writable();
    if (found.kind !== 'host' || this.mode !== 'rw') return;
    const now = Date.now() / 1000;
    const pick = (value: bigint, set: number, setNow: number, current: bigint) =>
      flags & setNow ? now : flags & set ? Number(value) / 1e9 : Number(current) / 1e9;
    fs.utimesSync(
      found.real,
      pick(atim, E.FSTFLAGS_ATIM, E.FSTFLAGS_ATIM_NOW, found.st.atimeNs),
      pick(mtim, E.FSTFLAGS_MTIM, E.FSTFLAGS_MTIM_NOW, found.st.mtimeNs),
    );
  }
}

// ---- paths relative to a directory fd -------------------------------------

/** Resolves `path` against a folder, refusing anything that climbs above it (as WASI requires). */
function resolve(base: string[], path: string): { parts: string[]; dirOnly: boolean } {
  if (path.startsWith('/')) throw new WasiError(E.ERRNO_NOTCAPABLE);
  if (path.includes('\0')) throw new WasiError(E.ERRNO_INVAL);
  const parts = [...base];
  let depth = 0;
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (depth === 0) throw new WasiError(E.ERRNO_NOTCAPABLE);
      parts.pop();
      depth--;
      continue;
    }
    // Names that a Windows host would read as more than one component.
    if (nodePath.sep === '\\' && /[\\:]/.test(part)) throw new WasiError(E.ERRNO_INVAL);
    parts.push(part);
    depth++;
  }
  return { parts, dirOnly: path.endsWith('/') };
}

/** Opens what a lookup found, honouring `O_DIRECTORY`, `O_TRUNC`, `O_CREAT` and write rights. */
function openFound(mount: HostMount, parts: string[], found: Found, oflags: number, rights: bigint, fdflags: number, dirOnly = false): Fd {
  if (isDir(found)) {
    if (oflags & (E.OFLAGS_TRUNC | E.OFLAGS_CREAT)) throw new WasiError(E.ERRNO_ISDIR);
    return new MountDirFd(mount, parts);
  }
  if (oflags & E.OFLAGS_DIRECTORY || dirOnly) throw new WasiError(E.ERRNO_NOTDIR);
  if (mount.mode === 'ro' && (oflags & (E.OFLAGS_CREAT | E.OFLAGS_TRUNC) || rights & BigInt(E.RIGHTS_FD_WRITE))) {
    throw new WasiError(E.ERRNO_ROFS);
  }
  if (oflags & E.OFLAGS_TRUNC) found = mount.truncate(parts, found);
  return new MountFileFd(mount, parts, found, (fdflags & E.FDFLAGS_APPEND) !== 0);
}

// ---- inodes and fds -------------------------------------------------------

/** A file or folder of a mount, by path: the mount's root (grafted into the tree) or a rename's source. */
class MountInode extends Inode {
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
      () => new Stat(this.ino, this.parts.length === 0 ? E.FILETYPE_DIRECTORY : E.FILETYPE_UNKNOWN, 0n),
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
        let found = this.mount.find(parts);
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
        this.mount.layer.set(parts.join('/'), { kind: 'deleted' });
        return { ret: E.ERRNO_SUCCESS, inode_obj: found.file };
      }
      return { ret: E.ERRNO_SUCCESS, inode_obj: new MountInode(this.mount, parts) };
    }, (ret) => ({ ret, inode_obj: null }));
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

/** Host fds for one open file: opened on demand, closed at `fd_close` or when the event loop next turns. */
class HostHandle {
  private fd: number | null = null;
  private forWriting = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly mount: HostMount,
    readonly real: string,
  ) {}

  get(write: boolean): number {
    if (this.fd !== null && (this.forWriting || !write)) return this.fd;
    this.close();
    // Between two opens the file may have been replaced by a symlink: check again.
    if (fs.realpathSync.native(this.real) !== this.real || !this.mount.contains(this.real)) {
      throw new WasiError(E.ERRNO_NOENT);
    }
    this.fd = fs.openSync(this.real, (write ? fs.constants.O_RDWR : fs.constants.O_RDONLY) | O_NOFOLLOW);
    this.forWriting = write;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.close();
    }, 0);
    this.timer.unref?.();
    return this.fd;
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
  private file: File | null = null;
  private readonly handle: HostHandle | null = null;

  constructor(
    private readonly mount: HostMount,
    private readonly parts: string[],
    found: Found,
    private append: boolean,
  ) {
    super();
    if (found.kind === 'file') this.file = found.file;
    else if (found.kind === 'host') this.handle = new HostHandle(mount, found.real);
  }

  /** The in-memory file, if this one is (or has been copied up meanwhile by another fd). */
  private mem(): File | null {
    if (!this.file && this.mount.mode === 'overlay') {
      const layer = this.mount.layer.get(this.parts.join('/'));
      if (layer?.kind === 'file') this.file = layer.file;
    }
    return this.file;
  }

  /** Where a write goes: refused (ro), the host (rw), memory (overlay, after a copy-up). */
  private target(): File | number {
    if (this.mount.mode === 'ro') throw new WasiError(E.ERRNO_ROFS);
    const mem = this.mem();
    if (mem) return mem;
    if (!this.handle) throw new WasiError(E.ERRNO_BADF);
    if (this.mount.mode === 'overlay') return (this.file = this.mount.copyUp(this.parts, this.handle.real));
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
      memWrite(target, data, Number(at));
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
      else memResize(target, Number(size));
      return E.ERRNO_SUCCESS;
    }, (ret) => ret);
  }

  override fd_allocate(offset: bigint, len: bigint) {
    return attempt(() => {
      if (this.size() >= offset + len) return E.ERRNO_SUCCESS;
      const target = this.target();
      if (typeof target === 'number') fs.ftruncateSync(target, Number(offset + len));
      else memResize(target, Number(offset + len));
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
    return E.ERRNO_SUCCESS;
  }
}
