/**
 * The in-memory filesystem the guest sees through WASI, and the host's view
 * of it. Layout: `/lib` (the stdlib bundle, read-only), `/tmp`, `/data`,
 * `/out` (writable), plus the mounts the embedder grafts in (see
 * `mount-router.ts`). Python can reach nothing else. The host API follows
 * the same rules as Python's calls (mem-tree.ts): the same quota, the same
 * read-only `/lib`.
 */
import { Directory, File, wasi, type Inode } from '@bjorn3/browser_wasi_shim';
import { InvalidArgumentError, QuotaExceededError } from '../errors.js';
import { MemTree } from './mem-tree.js';
import { mountMkdir, mountReadFile, mountReaddir, mountRm, mountStat, mountWriteFile } from './mount-fs.js';
import { MountingPreopen, findMount, type EngineMount, type MountPoint } from './mount-router.js';
import { hostApiPath } from './paths.js';
import { DEFAULT_FS_BYTES, FsQuota, MAX_FILE_BYTES } from './quota.js';
import { bundleFile, type StdlibSource } from './stdlib.js';

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

/** Options of a {@link VirtualFileSystem}. */
export interface FileSystemOptions {
  /** Folders provided by the embedder, grafted at their guest paths. */
  mounts?: readonly EngineMount[];
  /** The quota in bytes (default {@link DEFAULT_FS_BYTES}). */
  fsBytes?: number;
}

/**
 * An in-memory tree shared by the guest (through WASI) and the host API.
 *
 * @example
 * ```ts
 * const fs = new VirtualFileSystem(stdlibBytes, { fsBytes: 64 * 1024 * 1024 })
 * fs.writeFile('/data/in.csv', 'a,b\n1,2\n')
 * fs.readFile('/data/in.csv')   // Uint8Array
 * ```
 */
export class VirtualFileSystem {
  /** The root directory the guest sees as `/`. */
  readonly root: Directory;
  /** The tree's rules: lookups, the quota, `/lib` read-only. */
  readonly tree: MemTree;
  private readonly mounts: MountPoint[] = [];

  /**
   * @param stdlib the stdlib bundle (its bytes, or a URL in browsers), served read-only at {@link STDLIB_PATH}
   * @throws InvalidArgumentError when a mount's guest path is `/`, under `/lib`, or inside another mount
   */
  constructor(stdlib: StdlibSource, options: FileSystemOptions = {}) {
    this.root = new Directory(new Map());
    this.tree = new MemTree(this.root, new FsQuota(options.fsBytes ?? DEFAULT_FS_BYTES));
    const lib = new Directory(new Map());
    // Every box of a thread shares one copy of the bundle (read-only: nothing writes it in place).
    const bundle = bundleFile(stdlib);
    this.tree.adopt(this.root, 'lib', lib);
    this.tree.adopt(lib, 'python313.zip', bundle);
    this.tree.markReadOnly(lib);
    this.tree.markReadOnly(bundle);
    for (const dir of WRITABLE_DIRS) this.tree.adopt(this.root, dir.slice(1), new Directory(new Map()));
    for (const mount of options.mounts ?? []) this.graft(mount);
  }

  /** The quota: `limit` and `used` bytes. */
  get quota(): FsQuota {
    return this.tree.quota;
  }

  /** Puts a mount's root inode at its guest path, creating the parent folders; they all stay put. */
  private graft({ guestPath, inode, useQuota }: EngineMount): void {
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
    useQuota?.(this.tree.quota);
    const { fd_obj: fd } = inode.path_open(wasi.OFLAGS_DIRECTORY, 0n, 0);
    if (!fd) throw new InvalidArgumentError(`cannot mount at ${guestPath}: the mount's root does not open as a folder`);
    let dir = this.root;
    for (const part of parts.slice(0, -1)) {
      let next = dir.contents.get(part);
      if (next === undefined) this.tree.adopt(dir, part, (next = new Directory(new Map())));
      if (!(next instanceof Directory)) throw new InvalidArgumentError(`cannot mount at ${guestPath}: /${part} is not a folder`);
      this.tree.pin(next);
      dir = next;
    }
    this.tree.adopt(dir, name, inode);
    this.tree.pin(inode);
    this.mounts.push({ parts, fd });
  }

  /** The WASI preopen that exposes this tree as `/` (and routes paths under mount points to their mounts). */
  preopen(): MountingPreopen {
    return new MountingPreopen(this.tree, this.mounts);
  }

  /** The mount a host-API path lands in, if any. */
  private mounted(path: string): { fd: MountPoint['fd']; rest: string } | undefined {
    return this.mounts.length ? findMount(this.mounts, hostApiPath(path)) : undefined;
  }

  private lookup(path: string): Inode | undefined {
    return this.tree.lookup(this.root, hostApiPath(path)).inode ?? undefined;
  }

  /** The folder and name of a path's last component, creating missing folders on the way when `create`. */
  private parentOf(path: string, create: boolean): { dir: Directory; name: string } {
    const parts = hostApiPath(path);
    const name = parts.pop();
    if (!name) throw new InvalidArgumentError('the root directory cannot be replaced');
    if (parts[0] === 'lib' || (parts.length === 0 && name === 'lib')) throw new InvalidArgumentError(`${path}: /lib is read-only`);
    let dir = this.root;
    for (const [i, part] of parts.entries()) {
      let next = dir.contents.get(part);
      if (next === undefined && create) {
        next = new Directory(new Map());
        this.check(this.tree.attach(dir, part, next), `/${parts.slice(0, i + 1).join('/')}`);
      }
      if (!(next instanceof Directory)) {
        throw new InvalidArgumentError(`no such directory: /${parts.join('/')}`);
      }
      dir = next;
    }
    return { dir, name };
  }

  /** Turns a tree errno into the host API's typed error. */
  private check(ret: number, path: string): void {
    if (ret === wasi.ERRNO_SUCCESS) return;
    if (ret === wasi.ERRNO_NOSPC) {
      const { limit, used } = this.tree.quota;
      throw new QuotaExceededError(
        `${path}: the box's files would exceed limits.fsBytes (${limit} bytes, ${used} in use): delete files or raise the limit`,
      );
    }
    if (ret === wasi.ERRNO_FBIG) throw new QuotaExceededError(`${path}: a file may hold at most ${MAX_FILE_BYTES} bytes`);
    const why: Record<number, string> = {
      [wasi.ERRNO_ROFS]: '/lib is read-only',
      [wasi.ERRNO_BUSY]: 'it holds a mount point',
      [wasi.ERRNO_NAMETOOLONG]: 'a name is longer than 255 characters',
    };
    throw new InvalidArgumentError(`${path}: ${why[ret] ?? `error ${ret}`}`);
  }

  /**
   * Writes a file (UTF-8 for strings), creating parent folders.
   * @throws QuotaExceededError when the box's files would exceed `limits.fsBytes`
   */
  writeFile(path: string, data: Uint8Array | string): void {
    if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
      throw new InvalidArgumentError('file data must be a string or a Uint8Array');
    }
    const m = this.mounted(path);
    if (m) return mountWriteFile(m.fd, m.rest, path, typeof data === 'string' ? encoder.encode(data) : data);
    const bytes = typeof data === 'string' ? encoder.encode(data) : data;
    const { dir, name } = this.parentOf(path, true);
    const existing = dir.contents.get(name);
    if (existing instanceof Directory) throw new InvalidArgumentError(`${path} is a directory`);
    if (existing instanceof File) return this.check(this.tree.replace(existing, bytes), path);
    if (existing !== undefined) this.check(wasi.ERRNO_BUSY, path);
    // Check before copying: a file that does not fit is never held in memory twice.
    if (!this.tree.quota.fits(bytes.length + FsQuota.entryCost(name))) this.check(wasi.ERRNO_NOSPC, path);
    this.check(this.tree.attach(dir, name, new File(bytes)), path);
  }

  /** Reads a file's bytes (one copy: the caller owns it). */
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

  /**
   * Creates a folder and its parents (like `mkdir -p`).
   * @throws QuotaExceededError when the names would exceed `limits.fsBytes`
   */
  mkdir(path: string): void {
    const m = this.mounted(path);
    if (m) return mountMkdir(m.fd, m.rest, path);
    const { dir, name } = this.parentOf(path, true);
    const existing = dir.contents.get(name);
    if (existing instanceof Directory) return;
    if (existing) throw new InvalidArgumentError(`${path} exists and is a file`);
    this.check(this.tree.attach(dir, name, new Directory(new Map())), path);
  }

  /** Removes a file or (with `recursive`) a folder, freeing its quota. Missing paths are ignored with `force`. */
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
    if (node instanceof Directory && node.contents.size > 0) {
      if (!options.recursive) throw new InvalidArgumentError(`${path} is a non-empty directory: pass { recursive: true }`);
      this.check(this.tree.clear(node), path);
    }
    this.check(this.tree.detach(dir, name), path);
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
