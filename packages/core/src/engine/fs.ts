/**
 * The in-memory filesystem the guest sees through WASI, and the host's view
 * of it. Layout: `/lib` (the stdlib bundle, read-only), `/tmp`, `/data`,
 * `/out` (writable). Python can reach nothing else.
 */
import { Directory, File, PreopenDirectory, type Inode } from '@bjorn3/browser_wasi_shim';
import { InvalidArgumentError } from '../errors.js';

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

/** Splits an absolute guest path into its parts, refusing anything that could escape. */
export function splitPath(path: string): string[] {
  if (typeof path !== 'string' || !path.startsWith('/')) {
    throw new InvalidArgumentError(`path must be an absolute string such as "/data/file.txt", got ${String(path)}`);
  }
  if (path.includes('\0')) throw new InvalidArgumentError('path must not contain NUL characters');
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new InvalidArgumentError(`path must not contain "..": ${path}`);
  return parts;
}

/** An in-memory tree shared by the guest (through WASI) and the host API. */
export class VirtualFileSystem {
  /** The root directory the guest sees as `/`. */
  readonly root: Directory;

  constructor(stdlib: Uint8Array) {
    const lib = new Directory(new Map<string, Inode>([['python313.zip', new File(stdlib, { readonly: true })]]));
    const entries: [string, Inode][] = [['lib', lib]];
    for (const dir of WRITABLE_DIRS) entries.push([dir.slice(1), new Directory(new Map())]);
    this.root = new Directory(new Map(entries));
  }

  /** The WASI preopen that exposes this tree as `/`. */
  preopen(): PreopenDirectory {
    const pre = new PreopenDirectory('/', new Map());
    pre.dir = this.root;
    return pre;
  }

  private lookup(path: string): Inode | undefined {
    let node: Inode | undefined = this.root;
    for (const part of splitPath(path)) {
      if (!(node instanceof Directory)) return undefined;
      node = node.contents.get(part);
    }
    return node;
  }

  private parentOf(path: string, create: boolean): { dir: Directory; name: string } {
    const parts = splitPath(path);
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
    const { dir, name } = this.parentOf(path, true);
    const existing = dir.contents.get(name);
    if (existing instanceof Directory) throw new InvalidArgumentError(`${path} is a directory`);
    const bytes = typeof data === 'string' ? encoder.encode(data) : data.slice();
    if (existing instanceof File) existing.data = bytes;
    else dir.contents.set(name, new File(bytes));
  }

  /** Reads a file's bytes. */
  readFile(path: string): Uint8Array {
    const node = this.lookup(path);
    if (!(node instanceof File)) throw new InvalidArgumentError(`no such file: ${path}`);
    return node.data.slice();
  }

  /** Lists a folder's entries, sorted. */
  readdir(path: string): string[] {
    const node = this.lookup(path);
    if (!(node instanceof Directory)) throw new InvalidArgumentError(`no such directory: ${path}`);
    return [...node.contents.keys()].sort();
  }

  /** Creates a folder and its parents (like `mkdir -p`). */
  mkdir(path: string): void {
    const { dir, name } = this.parentOf(path, true);
    const existing = dir.contents.get(name);
    if (existing instanceof Directory) return;
    if (existing) throw new InvalidArgumentError(`${path} exists and is a file`);
    dir.contents.set(name, new Directory(new Map()));
  }

  /** Removes a file or (with `recursive`) a folder. Missing paths are ignored with `force`. */
  rm(path: string, options: { recursive?: boolean; force?: boolean } = {}): void {
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
    const node = this.lookup(path);
    if (node instanceof File) return { type: 'file', size: node.data.length };
    if (node instanceof Directory) return { type: 'directory', size: 0 };
    return null;
  }
}
