/**
 * The in-memory filesystem the guest sees through WASI, and the host's view
 * of it. Layout: `/lib` (the stdlib bundle, read-only), `/tmp`, `/data`,
 * `/out` (writable), plus the mounts the embedder grafts in (see
 * `mount-router.ts`). Python can reach nothing else.
 */
import { Directory, File, wasi, type Inode } from '@bjorn3/browser_wasi_shim';
import { InvalidArgumentError } from '../errors.js';
import { mountMkdir, mountReadFile, mountReaddir, mountRm, mountStat, mountWriteFile } from './mount-fs.js';
import { MountingPreopen, findMount, type EngineMount, type MountPoint } from './mount-router.js';
import { hostApiPath } from './paths.js';

/** What {@link VirtualFileSystem.stat} reports. */
export interface FileStat {
  /** `file` or `directory`. */
  type: 'file' | 'directory';
  /** Size in bytes (0 for directories). */
  size: number;
}

/** The guest path of the stdlib bundle; pybox.c puts it on sys.path. */
export const STDLIB_PATH = '/lib/python313.zip';

/** The writable folders every box starts with. */
export const WRITABLE_DIRS = ['/tmp', '/data', '/out'] as const;

const encoder = new TextEncoder();

/** An in-memory tree shared by the guest (through WASI) and the host API. */
export class VirtualFileSystem {
  /** The root directory the guest sees as `/`. */
  readonly root: Directory;
  private readonly mounts: MountPoint[] = [];

  /**
   * @param stdlib the bytes of the stdlib bundle, served read-only at {@link STDLIB_PATH}
   * @param mounts folders provided by the embedder, grafted at their guest paths
   * @throws InvalidArgumentError when a mount's guest path is `/`, under `/lib`, or inside another mount
   */
  constructor(stdlib: Uint8Array, mounts: readonly EngineMount[] = []) {
    // The shim's File copies what it is given: hand it the bundle afterwards, so that every box of a
    // thread shares one copy (4 MB each otherwise). Read-only, and the shim never writes in place.
    const zip = new File(new Uint8Array(0), { readonly: true });
    zip.data = stdlib;
    const lib = new Directory(new Map<string, Inode>([['python313.zip', zip]]));
    const entries: [string, Inode][] = [['lib', lib]];
    for (const dir of WRITABLE_DIRS) entries.push([dir.slice(1), new Directory(new Map())]);
    this.root = new Directory(new Map(entries));
    for (const mount of mounts) this.graft(mount);
  }

  /** Puts a mount's root inode at its guest path, creating the parent folders. */
  private graft({ guestPath, inode }: EngineMount): void {
    const parts = hostApiPath(guestPath);
    const name = parts[parts.length - 1];
    if (name === undefined || parts[0] === 'lib') {
      throw new InvalidArgumentError(`cannot mount at ${guestPath}: choose a folder outside / and /lib, such as /mnt/data`);
    }
    for (const other of this.mounts) {
      const n = Math.min(other.parts.length, parts.length);
      if (other.parts.slice(0, n).join('/') === parts.slice(0, n).join('/')) {
        throw new InvalidArgumentError(`cannot mount at ${guestPath}: it overlaps the mount at /${other.parts.join('/')}`);
      }
    }
    const { fd_obj: fd } = inode.path_open(wasi.OFLAGS_DIRECTORY, 0n, 0);
    if (!fd) throw new InvalidArgumentError(`cannot mount at ${guestPath}: the mount's root does not open as a folder`);
    const { dir } = this.parentOf(guestPath, true);
    dir.contents.set(name, inode);
    this.mounts.push({ parts, fd });
  }

  /** The WASI preopen that exposes this tree as `/` (and routes paths under mount points to their mounts). */
  preopen(): MountingPreopen {
    return new MountingPreopen(this.root, this.mounts);
  }

  /** The mount a host-API path lands in, if any. */
  private mounted(path: string): { fd: MountPoint['fd']; rest: string } | undefined {
    return this.mounts.length ? findMount(this.mounts, hostApiPath(path)) : undefined;
  }

  private lookup(path: string): Inode | undefined {
    let node: Inode | undefined = this.root;
    for (const part of hostApiPath(path)) {
      if (!(node instanceof Directory)) return undefined;
      node = node.contents.get(part);
    }
    return node;
  }

  private parentOf(path: string, create: boolean): { dir: Directory; name: string } {
    const parts = hostApiPath(path);
    const name = parts.pop();
    if (!name) throw new InvalidArgumentError('the root directory cannot be replaced');
    let dir = this.root;
    for (const part of parts) {
      let next = dir.contents.get(part);
      if (next === undefined && create) {
        next = new Directory(new Map());
        dir.contents.set(part, next);
      }
      if (!(next instanceof Directory)) {
        throw new InvalidArgumentError(`no such directory: /${parts.join('/')}`);
      }
      dir = next;
    }
    if (dir === this.root && name === 'lib') throw new InvalidArgumentError('/lib is read-only');
    if (parts[0] === 'lib') throw new InvalidArgumentError('/lib is read-only');
    return { dir, name };
  }

  /** Writes a file (UTF-8 for strings), creating parent folders. */
  writeFile(path: string, data: Uint8Array | string): void {
    if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
      throw new InvalidArgumentError('file data must be a string or a Uint8Array');
    }
    const m = this.mounted(path);
    if (m) return mountWriteFile(m.fd, m.rest, path, typeof data === 'string' ? encoder.encode(data) : data);
    const { dir, name } = this.parentOf(path, true);
    const existing = dir.contents.get(name);
    if (existing instanceof Directory) throw new InvalidArgumentError(`${path} is a directory`);
    const bytes = typeof data === 'string' ? encoder.encode(data) : data.slice();
    if (existing instanceof File) existing.data = bytes;
    else dir.contents.set(name, new File(bytes));
  }

  /** Reads a file's bytes. */
  readFile(path: string): Uint8Array {
    const m = this.mounted(path);
    if (m) return mountReadFile(m.fd, m.rest, path);
    const node = this.lookup(path);
    if (!(node instanceof File)) throw new InvalidArgumentError(`no such file: ${path}`);
    return node.data.slice();
  }

  /** Lists a folder's entries, sorted. */
  readdir(path: string): string[] {
    const m = this.mounted(path);
    if (m) return mountReaddir(m.fd, m.rest, path);
    const node = this.lookup(path);
    if (!(node instanceof Directory)) throw new InvalidArgumentError(`no such directory: ${path}`);
    return [...node.contents.keys()].sort();
  }

  /** Creates a folder and its parents (like `mkdir -p`). */
  mkdir(path: string): void {
    const m = this.mounted(path);
    if (m) return mountMkdir(m.fd, m.rest, path);
    const { dir, name } = this.parentOf(path, true);
    const existing = dir.contents.get(name);
    if (existing instanceof Directory) return;
    if (existing) throw new InvalidArgumentError(`${path} exists and is a file`);
    dir.contents.set(name, new Directory(new Map()));
  }

  /** Removes a file or (with `recursive`) a folder. Missing paths are ignored with `force`. */
  rm(path: string, options: { recursive?: boolean; force?: boolean } = {}): void {
    const m = this.mounted(path);
    if (m) return mountRm(m.fd, m.rest, path, options);
    const parts = hostApiPath(path);
    if (this.mounts.some((mp) => parts.every((p, i) => mp.parts[i] === p))) {
      throw new InvalidArgumentError(`${path} holds a mount point and cannot be removed`);
    }
    const { dir, name } = this.parentOf(path, false);
    const node = dir.contents.get(name);
    if (!node) {
      if (options.force) return;
      throw new InvalidArgumentError(`no such file or directory: ${path}`);
    }
    if (node instanceof Directory && node.contents.size > 0 && !options.recursive) {
      throw new InvalidArgumentError(`${path} is a non-empty directory: pass { recursive: true }`);
    }
    dir.contents.delete(name);
  }

  /** Reports a path's type and size, or `null` when it does not exist. */
  stat(path: string): FileStat | null {
    const m = this.mounted(path);
    if (m) return mountStat(m.fd, m.rest);
    const node = this.lookup(path);
    if (node instanceof File) return { type: 'file', size: node.data.length };
    if (node instanceof Directory) return { type: 'directory', size: 0 };
    return null;
  }
}
