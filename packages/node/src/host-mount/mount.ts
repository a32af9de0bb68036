/**
 * One mounted host folder: lookups, listings and changes, by path parts
 * relative to its root, for the three modes (see index.ts). The WASI fds
 * over it are in fds.ts.
 */
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { File, Inode, resolvePath } from '@pybox/core/internal';
import { E, errnoOf, O_NOFOLLOW, WasiError } from './errno.js';
import { memResize } from './overlay.js';
import type { MountMode } from './spec.js';
import { hostStat, Stat } from './stat.js';

/** What a mount path leads to. */
export type Found =
  | { kind: 'host'; real: string; dir: boolean; st: fs.BigIntStats }
  | { kind: 'file'; file: File } // an overlay's in-memory file
  | { kind: 'dir'; ino: bigint }; // an overlay's in-memory folder (it hides the host's below it)

/** An overlay entry: something created in memory, or a deletion hiding the host's entry. */
export type Layer = { kind: 'file'; file: File } | { kind: 'dir'; ino: bigint } | { kind: 'deleted' };

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
