/**
 * Mount points: folders whose contents the embedder provides instead of the
 * in-memory tree (in `@pybox/node`, host folders). The engine knows a mount
 * only as an {@link Inode} whose `path_open` yields a directory {@link Fd};
 * every WASI path call that lands under the mount point is handed to that Fd
 * with the path made relative to the mount, so the mount alone decides what
 * exists, what may change and where the data lives. No Node API is used here.
 */
import { Directory, File, PreopenDirectory, wasi, type Fd, type Inode } from '@bjorn3/browser_wasi_shim';
import { InvalidArgumentError } from '../errors.js';

/** A folder provided by the embedder, grafted into the guest's filesystem (see `EngineOptions.mounts`). */
export interface EngineMount {
  /** Where Python sees it: an absolute path outside `/lib`, e.g. `/mnt/data`. Missing parent folders are created. */
  guestPath: string;
  /**
   * The mount's root folder. `inode.path_open(OFLAGS_DIRECTORY, 0n, 0)` must
   * return a directory Fd whose `path_*` calls resolve paths relative to the
   * mount root (`.` is the root itself) and never reach outside it; that Fd
   * gets every WASI path call under `guestPath`, and the host API's too.
   */
  inode: Inode;
}

/** A mount once grafted: where it is, and the directory Fd that serves it. */
export interface MountPoint {
  /** The guest path, split into its parts. */
  parts: string[];
  /** The mount root's Fd. */
  fd: Fd;
}

/** Every WASI right (bits 0 to 28). */
export const ALL_RIGHTS = (1n << 29n) - 1n;

/** A path relative to `/` (WASI style) split like the shim does, or null when it escapes or is invalid. */
function normalize(path: string): string[] | null {
  if (path.startsWith('/') || path.includes('\0')) return null;
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.pop() === undefined) return null;
    } else {
      parts.push(part);
    }
  }
  return parts;
}

/** The mount a path lands in, and the path relative to the mount root (`.` for the root). */
export function findMount(mounts: readonly MountPoint[], parts: string[]): { fd: Fd; rest: string } | undefined {
  const mount = mounts.find((m) => m.parts.length <= parts.length && m.parts.every((p, i) => parts[i] === p));
  return mount && { fd: mount.fd, rest: parts.slice(mount.parts.length).join('/') || '.' };
}

/**
 * The guest's `/` preopen: the shim's in-memory directory, except that path
 * calls under a mount point go to the mount's Fd. Renames between a mount and
 * the in-memory tree fail with EXDEV unless the moved inode is an in-memory one.
 */
export class MountingPreopen extends PreopenDirectory {
  constructor(
    root: Directory,
    private readonly mounts: readonly MountPoint[],
  ) {
    super('/', new Map());
    this.dir = root;
  }

  /**
   * Grants every right, so that wasi-libc passes each open's access mode
   * (read, write) on to `path_open` instead of none: a read-only mount can
   * then refuse a write open at once.
   */
  override fd_fdstat_get() {
    const { ret, fdstat } = super.fd_fdstat_get();
    if (fdstat) fdstat.fs_rights_base = fdstat.fs_rights_inherited = ALL_RIGHTS;
    return { ret, fdstat };
  }

  private route(path: string): { fd: Fd; rest: string } | undefined {
    const parts = normalize(path);
    const hit = parts && findMount(this.mounts, parts);
    if (hit && path.endsWith('/') && hit.rest !== '.') hit.rest += '/';
    return hit ?? undefined;
  }

  override path_open(dirflags: number, path: string, oflags: number, base: bigint, inheriting: bigint, fdflags: number) {
    const r = this.route(path);
    if (r) return r.fd.path_open(dirflags, r.rest, oflags, base, inheriting, fdflags);
    return super.path_open(dirflags, path, oflags, base, inheriting, fdflags);
  }
  override path_create_directory(path: string) {
    const r = this.route(path);
    return r ? r.fd.path_create_directory(r.rest) : super.path_create_directory(path);
  }
  override path_filestat_get(flags: number, path: string) {
    const r = this.route(path);
    return r ? r.fd.path_filestat_get(flags, r.rest) : super.path_filestat_get(flags, path);
  }
  override path_filestat_set_times(flags: number, path: string, atim: bigint, mtim: bigint, fstFlags: number) {
    const r = this.route(path);
    return r
      ? r.fd.path_filestat_set_times(flags, r.rest, atim, mtim, fstFlags)
      : super.path_filestat_set_times(flags, path, atim, mtim, fstFlags);
  }
  override path_lookup(path: string, dirflags: number) {
    const r = this.route(path);
    return r ? r.fd.path_lookup(r.rest, dirflags) : super.path_lookup(path, dirflags);
  }
  override path_readlink(path: string) {
    const r = this.route(path);
    return r ? r.fd.path_readlink(r.rest) : super.path_readlink(path);
  }
  override path_unlink_file(path: string) {
    const r = this.route(path);
    return r ? r.fd.path_unlink_file(r.rest) : super.path_unlink_file(path);
  }
  override path_remove_directory(path: string) {
    const r = this.route(path);
    return r ? r.fd.path_remove_directory(r.rest) : super.path_remove_directory(path);
  }
  /** The first half of a rename: detach the source. */
  override path_unlink(path: string) {
    const r = this.route(path);
    if (r) return r.fd.path_unlink(r.rest);
    const parts = normalize(path);
    // A folder holding a mount point stays where it is.
    if (parts && this.mounts.some((m) => parts.length <= m.parts.length && parts.every((p, i) => m.parts[i] === p))) {
      return { ret: wasi.ERRNO_BUSY, inode_obj: null };
    }
    return super.path_unlink(path);
  }
  /** The second half of a rename (or a hard link): attach the inode at `path`. */
  override path_link(path: string, inode: Inode, allowDir: boolean) {
    const r = this.route(path);
    if (r) return r.fd.path_link(r.rest, inode, allowDir);
    // Only in-memory inodes belong in the in-memory tree.
    if (!(inode instanceof File || inode instanceof Directory)) return wasi.ERRNO_XDEV;
    return super.path_link(path, inode, allowDir);
  }
}

// ---- the host API on a mount, through the mount's own WASI calls ----------

const READ = BigInt(wasi.RIGHTS_FD_READ | wasi.RIGHTS_FD_SEEK | wasi.RIGHTS_FD_FILESTAT_GET | wasi.RIGHTS_FD_READDIR);
const WRITE = READ | BigInt(wasi.RIGHTS_FD_WRITE | wasi.RIGHTS_FD_FILESTAT_SET_SIZE);

const ERRNO_TEXT: Record<number, string> = {
  [wasi.ERRNO_NOENT]: 'no such file or directory',
  [wasi.ERRNO_EXIST]: 'already exists',
  [wasi.ERRNO_NOTDIR]: 'not a directory',
  [wasi.ERRNO_ISDIR]: 'is a directory',
  [wasi.ERRNO_NOTEMPTY]: 'directory not empty',
  [wasi.ERRNO_ROFS]: 'read-only mount',
  [wasi.ERRNO_ACCES]: 'permission denied',
  [wasi.ERRNO_PERM]: 'operation not permitted',
  [wasi.ERRNO_NOTCAPABLE]: 'outside the mount',
  [wasi.ERRNO_BUSY]: 'a mount point cannot be removed',
};

function check(ret: number, path: string): void {
  if (ret !== wasi.ERRNO_SUCCESS) {
    throw new InvalidArgumentError(`${ERRNO_TEXT[ret] ?? `WASI error ${ret}`}: ${path}`);
  }
}

function open(mount: Fd, rest: string, path: string, oflags: number, rights: bigint): Fd {
  const { ret, fd_obj } = mount.path_open(0, rest, oflags, rights, rights, 0);
  check(ret, path);
  if (!fd_obj) throw new InvalidArgumentError(`cannot open ${path}`);
  return fd_obj;
}

/** `readFile` on a mount. */
export function mountReadFile(mount: Fd, rest: string, path: string): Uint8Array {
  const fd = open(mount, rest, path, 0, READ);
  try {
    if (fd.fd_filestat_get().filestat?.filetype === wasi.FILETYPE_DIRECTORY) check(wasi.ERRNO_ISDIR, path);
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { ret, data } = fd.fd_read(1 << 20);
      check(ret, path);
      if (data.length === 0) break;
      chunks.push(data);
      size += data.length;
    }
    const out = new Uint8Array(size);
    let at = 0;
    for (const chunk of chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  } finally {
    fd.fd_close();
  }
}

/** `writeFile` on a mount: creates parent folders, replaces the file's contents. */
export function mountWriteFile(mount: Fd, rest: string, path: string, data: Uint8Array): void {
  mountMkdir(mount, rest.split('/').slice(0, -1).join('/') || '.', path);
  const fd = open(mount, rest, path, wasi.OFLAGS_CREAT | wasi.OFLAGS_TRUNC, WRITE);
  try {
    for (let at = 0; at < data.length; ) {
      const { ret, nwritten } = fd.fd_write(data.subarray(at));
      check(ret, path);
      if (nwritten === 0) check(wasi.ERRNO_IO, path);
      at += nwritten;
    }
  } finally {
    fd.fd_close();
  }
}

/** `readdir` on a mount (sorted names). */
export function mountReaddir(mount: Fd, rest: string, path: string): string[] {
  const fd = open(mount, rest, path, wasi.OFLAGS_DIRECTORY, READ);
  const decoder = new TextDecoder();
  const names: string[] = [];
  try {
    for (let cookie = 0n; ; ) {
      const { ret, dirent } = fd.fd_readdir_single(cookie);
      check(ret, path);
      if (!dirent) break;
      const name = decoder.decode(dirent.dir_name);
      if (name !== '.' && name !== '..') names.push(name);
      cookie = dirent.d_next;
    }
  } finally {
    fd.fd_close();
  }
  return names.sort();
}

/** `mkdir -p` on a mount. */
export function mountMkdir(mount: Fd, rest: string, path: string): void {
  const parts = rest === '.' ? [] : rest.split('/');
  for (let i = 1; i <= parts.length; i++) {
    const sub = parts.slice(0, i).join('/');
    const ret = mount.path_create_directory(sub);
    if (ret === wasi.ERRNO_EXIST && mount.path_filestat_get(0, sub).filestat?.filetype === wasi.FILETYPE_DIRECTORY) continue;
    check(ret, path);
  }
}

/** `rm` on a mount. */
export function mountRm(mount: Fd, rest: string, path: string, options: { recursive?: boolean; force?: boolean }): void {
  if (rest === '.') check(wasi.ERRNO_BUSY, path);
  const { ret, filestat } = mount.path_filestat_get(0, rest);
  if (!filestat) {
    if (ret === wasi.ERRNO_NOENT && options.force) return;
    check(ret || wasi.ERRNO_NOENT, path);
    return;
  }
  if (filestat.filetype !== wasi.FILETYPE_DIRECTORY) return check(mount.path_unlink_file(rest), path);
  const names = mountReaddir(mount, rest, path);
  if (names.length > 0 && !options.recursive) {
    throw new InvalidArgumentError(`${path} is a non-empty directory: pass { recursive: true }`);
  }
  for (const name of names) mountRm(mount, `${rest}/${name}`, `${path}/${name}`, options);
  check(mount.path_remove_directory(rest), path);
}

/** `stat` on a mount. */
export function mountStat(mount: Fd, rest: string): { type: 'file' | 'directory'; size: number } | null {
  const { filestat } = mount.path_filestat_get(0, rest);
  if (!filestat) return null;
  const dir = filestat.filetype === wasi.FILETYPE_DIRECTORY;
  return { type: dir ? 'directory' : 'file', size: dir ? 0 : Number(filestat.size) };
}
