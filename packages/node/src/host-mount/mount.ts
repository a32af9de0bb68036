/**
 * One mounted host folder: lookups, listings and changes, by path parts
 * relative to its root, for the three modes (see index.ts). Every host call
 * goes through {@link HostTree}, which walks the folder race-free. The WASI
 * fds over it are in fds.ts.
 */
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { File, FsQuota, Inode, MAX_FILE_BYTES, resolvePath, WasiStat } from '@pybox/core/internal';
import { E, errnoOf, O_NOFOLLOW, WasiError } from './errno.js';
import { HostTree } from './host-tree.js';
import { memResize, OverlayLayer, type Layer } from './overlay.js';
import type { MountMode } from './spec.js';
import { hostStat } from './stat.js';

export type { Layer } from './overlay.js';

const C = fs.constants;
/** Opening a FIFO for reading must not wait for a writer (it is then refused: not a file). */
const O_NONBLOCK = C.O_NONBLOCK ?? 0;

/** What a mount path leads to. */
export type Found =
  // `parts`: the path with its symlinks resolved; `fd`: the file opened for reading by the lookup, if asked for
  | { kind: 'host'; parts: string[]; dir: boolean; st: fs.BigIntStats; fd?: number }
  | { kind: 'file'; file: File } // an overlay's in-memory file
  | { kind: 'dir'; ino: bigint }; // an overlay's in-memory folder (it hides the host's below it)

export interface Listed {
  name: string;
  type: number;
  ino: bigint;
}

/** Whether what a lookup found is a folder. */
export const isDir = (f: Found) => f.kind === 'dir' || (f.kind === 'host' && f.dir);

/** One mounted host folder: lookups, listings and changes, by path parts relative to its root. */
export class HostMount {
  /** The overlay's changes, by mount-relative path (`a/b.txt`); always empty unless mode is `'overlay'`. */
  readonly layer = new OverlayLayer();
  /** The host folder, reached race-free. */
  readonly host: HostTree;

  constructor(
    /** The folder's real path. */
    readonly root: string,
    readonly mode: MountMode,
  ) {
    this.host = new HostTree(root);
  }

  /**
   * The host's file or folder at `parts`: visible only if it is one, and
   * inside. With `open`, a file is also opened for reading in the same walk
   * (the caller owns `fd`), so that opening a file walks its path once.
   */
  private hostFind(parts: string[], open = false): Found {
    return this.host.resolve(parts, true, (r) => {
      let st = r.st;
      if (!st || (!st.isFile() && !st.isDirectory())) throw new WasiError(E.ERRNO_NOENT);
      if (!open || !st.isFile() || r.name === null) return { kind: 'host', parts: r.parts, dir: st.isDirectory(), st };
      const fd = fs.openSync(this.host.at(r.dir, r.name), C.O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
      st = fs.fstatSync(fd, { bigint: true }); // what was opened (it may have changed since the lstat)
      if (!st.isFile()) {
        fs.closeSync(fd);
        throw new WasiError(E.ERRNO_NOENT);
      }
      return { kind: 'host', parts: r.parts, dir: false, st, fd };
    });
  }

  /**
   * What a path leads to; throws a WasiError (ENOENT, ENOTDIR...) when it
   * leads nowhere. `open`: see {@link hostFind}.
   */
  lookup(parts: string[], open = false): Found {
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
    return this.hostFind(parts, open);
  }

  /** Like {@link lookup}, but `null` when nothing is there (other errors still throw). */
  find(parts: string[], open = false): Found | null {
    try {
      return this.lookup(parts, open);
    } catch (e) {
      if (errnoOf(e) === E.ERRNO_NOENT) return null;
      throw e;
    }
  }

  stat(found: Found): WasiStat {
    if (found.kind === 'host') return hostStat(found.st);
    if (found.kind === 'file') return new WasiStat(found.file.ino, E.FILETYPE_REGULAR_FILE, BigInt(found.file.data.length));
    return new WasiStat(found.ino, E.FILETYPE_DIRECTORY, 0n);
  }

  /** Opens a host file this mount found (the caller closes the fd). */
  openHost(found: Found & { kind: 'host' }, flags: number): number {
    return this.host.open(found.parts, flags);
  }

  /** A folder's entries (without `.` and `..`). */
  list(parts: string[]): Listed[] {
    const at = this.lookup(parts);
    if (!isDir(at)) throw new WasiError(E.ERRNO_NOTDIR);
    const key = parts.join('/');
    const out = new Map<string, Listed>();
    if (at.kind === 'host') {
      for (const { name, st } of this.host.list(at.parts)) {
        if (this.layer.has(key ? `${key}/${name}` : name)) continue; // the overlay decides
        let child: { dir: boolean; st: fs.BigIntStats } = { dir: st.isDirectory(), st };
        if (st.isSymbolicLink()) {
          try {
            const found = this.hostFind([...at.parts, name]);
            if (found.kind !== 'host') continue;
            child = found;
          } catch {
            continue; // it leads out of the mount, or nowhere
          }
        } else if (!st.isFile() && !st.isDirectory()) {
          continue; // devices, FIFOs and sockets are not for Python
        }
        out.set(name, { name, type: child.dir ? E.FILETYPE_DIRECTORY : E.FILETYPE_REGULAR_FILE, ino: child.st.ino });
      }
    }
    const prefix = key ? `${key}/` : '';
    for (const [path, layer] of this.layer.list()) {
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

  /** The host path parts of an entry whose parent is a host folder (rw mode). */
  private hostPartsIn(dir: Found, name: string): string[] {
    if (dir.kind !== 'host') throw new WasiError(E.ERRNO_XDEV);
    return [...dir.parts, name];
  }

  /** Forgets the overlay's entries below a folder. */
  private dropBelow(key: string): void {
    for (const path of this.layer.below(key)) this.layer.delete(path);
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
    const at = this.hostPartsIn(dir, name);
    try {
      const fd = this.host.inParent(at, (path) => fs.openSync(path, C.O_CREAT | C.O_EXCL | C.O_WRONLY | O_NOFOLLOW, 0o666));
      try {
        return { kind: 'host', parts: at, dir: false, st: fs.fstatSync(fd, { bigint: true }) };
      } finally {
        fs.closeSync(fd);
      }
    } catch (e) {
      // Something invisible is there (a symlink out of the mount, a FIFO...): not for Python.
      throw errnoOf(e) === E.ERRNO_EXIST ? new WasiError(E.ERRNO_ACCES) : e;
    }
  }

  /** Empties a file (`O_TRUNC`). */
  truncate(parts: string[], found: Found): Found {
    this.writable();
    if (this.mode === 'overlay') {
      const file = found.kind === 'file' ? found.file : new File(new Uint8Array(0));
      memResize(this.layer.quota, file, 0);
      this.layer.set(parts.join('/'), { kind: 'file', file });
      return { kind: 'file', file };
    }
    if (found.kind !== 'host') throw new WasiError(E.ERRNO_BADF);
    const fd = this.openHost(found, C.O_WRONLY);
    try {
      fs.ftruncateSync(fd, 0);
    } finally {
      fs.closeSync(fd);
    }
    return found;
  }

  /** Copies a host file into the overlay (its first write): ENOSPC when it does not fit the quota. */
  copyUp(parts: string[], found: Found & { kind: 'host' }): File {
    const fd = this.openHost(found, C.O_RDONLY);
    const file = new File(new Uint8Array(0));
    try {
      const size = Number(fs.fstatSync(fd, { bigint: true }).size);
      if (size > MAX_FILE_BYTES) throw new WasiError(E.ERRNO_FBIG);
      // Checked before reading: a host file too big for the quota never lands in memory.
      if (!this.layer.quota.fits(size + FsQuota.entryCost(parts.join('/')))) throw new WasiError(E.ERRNO_NOSPC);
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
    this.host.inParent(this.hostPartsIn(dir, name), (path) => fs.mkdirSync(path));
  }

  unlinkFile(parts: string[]): void {
    const found = this.lookup(parts);
    if (isDir(found)) throw new WasiError(E.ERRNO_ISDIR);
    this.writable();
    const { dir, name, key } = this.parent(parts);
    if (this.mode === 'overlay') this.layer.set(key, { kind: 'deleted' }, true);
    else this.host.inParent(this.hostPartsIn(dir, name), (path) => fs.unlinkSync(path));
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
      this.layer.set(key, { kind: 'deleted' }, true);
    } else {
      this.host.inParent(this.hostPartsIn(dir, name), (path) => fs.rmdirSync(path));
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
      const a = this.hostPartsIn(src.dir, src.name);
      const b = this.hostPartsIn(dst.dir, dst.name);
      this.host.inParent(a, (oldPath) => this.host.inParent(b, (newPath) => fs.renameSync(oldPath, newPath)));
      return;
    }
    const moving = this.layer.below(src.key);
    if (!this.layer.fitsMove(moving, src.key, dst.key)) throw new WasiError(E.ERRNO_NOSPC);
    let moved: Layer;
    if (found.kind === 'file' || found.kind === 'dir') {
      moved = found;
    } else if (!found.dir) {
      moved = { kind: 'file', file: this.copyUp(from, found) };
    } else if (this.list(from).length === 0) {
      moved = { kind: 'dir', ino: Inode.issue_ino() };
    } else {
      throw new WasiError(E.ERRNO_XDEV); // a host folder with contents: shutil.move copies it instead
    }
    // Checked above: from here on nothing may fail halfway.
    this.dropBelow(dst.key);
    for (const path of moving) {
      const layer = this.layer.get(path)!;
      this.layer.set(dst.key + path.slice(src.key.length), layer, true);
      this.layer.delete(path);
    }
    this.layer.set(dst.key, moved, true);
    this.layer.set(src.key, { kind: 'deleted' }, true);
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
    const fd =
      there?.kind === 'host'
        ? this.openHost(there, C.O_WRONLY | C.O_TRUNC)
        : this.host.inParent(this.hostPartsIn(dst.dir, dst.name), (path) =>
            fs.openSync(path, C.O_WRONLY | C.O_CREAT | C.O_EXCL | O_NOFOLLOW, 0o666),
          );
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
    const fd = this.openHost(found, C.O_RDONLY);
    try {
      fs.futimesSync(
        fd,
        pick(atim, E.FSTFLAGS_ATIM, E.FSTFLAGS_ATIM_NOW, found.st.atimeNs),
        pick(mtim, E.FSTFLAGS_MTIM, E.FSTFLAGS_MTIM_NOW, found.st.mtimeNs),
      );
    } finally {
      fs.closeSync(fd);
    }
  }
}

/** Resolves `path` against a folder, refusing anything that climbs above it (as WASI requires). */
export function resolve(base: string[], path: string): { parts: string[]; dirOnly: boolean } {
  if (path.startsWith('/')) throw new WasiError(E.ERRNO_NOTCAPABLE);
  if (path.includes('\0')) throw new WasiError(E.ERRNO_INVAL);
  // Names that a Windows host would read as more than one component.
  if (nodePath.sep === '\\' && /[\\:]/.test(path)) throw new WasiError(E.ERRNO_INVAL);
  const parts = resolvePath(base, path);
  if (!parts) throw new WasiError(E.ERRNO_NOTCAPABLE);
  return { parts, dirOnly: path.endsWith('/') };
}
