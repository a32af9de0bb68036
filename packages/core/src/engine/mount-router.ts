/**
 * The mount router: folders whose contents the embedder provides instead of
 * the in-memory tree (in `@pybox/node`, host folders; the backend is
 * node/src/host-mount/). The engine knows a mount only as an {@link Inode}
 * whose `path_open` yields a directory {@link Fd}; every WASI path call that
 * lands under the mount point is handed to that Fd with the path made
 * relative to the mount, so the mount alone decides what exists, what may
 * change and where the data lives. No Node API is used here.
 */
import { Directory, File, PreopenDirectory, wasi, type Fd, type Inode } from '@bjorn3/browser_wasi_shim';
import { resolvePath } from './paths.js';

/**
 * A folder provided by the embedder, grafted into the guest's filesystem (see `EngineOptions.mounts`).
 *
 * @example
 * ```ts
 * const mount: EngineMount = { guestPath: '/mnt/data', inode: myDirectoryInode }
 * ```
 */
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

/** A path relative to `/` (WASI style), or null when it escapes or is invalid. */
function normalize(path: string): string[] | null {
  if (path.startsWith('/') || path.includes('\0')) return null;
  return resolvePath([], path);
}

/**
 * The mount a path lands in, and the path relative to the mount root (`.` for the root).
 *
 * @example
 * ```ts
 * findMount(mounts, ['mnt', 'data', 'a.txt'])   // { fd, rest: 'a.txt' } for a mount at /mnt/data
 * ```
 */
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
