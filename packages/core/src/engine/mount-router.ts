/**
 * The mount router: folders whose contents the embedder provides instead of
 * the in-memory tree (in `@pybox/node`, host folders; the backend is
 * node/src/host-mount/). The engine knows a mount only as an {@link Inode}
 * whose `path_open` yields a directory {@link Fd}; every WASI path call that
 * lands under the mount point is handed to that Fd with the path made
 * relative to the mount, so the mount alone decides what exists, what may
 * change and where the data lives. No Node API is used here.
 */
import { wasi, type Fd, type Inode } from '@bjorn3/browser_wasi_shim';
import { MemDirectoryFd } from './mem-fds.js';
import type { MemTree } from './mem-tree.js';
import type { FsQuota } from './quota.js';
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
  /**
   * Receives the box's filesystem quota before the mount is used, for a mount
   * that keeps files in memory (an overlay): it charges them there, like the
   * in-memory tree does.
   */
  useQuota?: (quota: FsQuota) => void;
}

/** A mount once grafted: where it is, and the directory Fd that serves it. */
export interface MountPoint {
  /** The guest path, split into its parts. */
  parts: string[];
  /** The mount root's Fd. */
  fd: Fd;
}

export { ALL_RIGHTS } from './mem-fds.js';

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
 * The guest's `/` preopen: the in-memory tree's folder fd, except that path
 * calls under a mount point go to the mount's Fd. Renames between a mount and
 * the in-memory tree move the inode across (mem-fds.ts `renamePath`); the
 * tree takes in-memory inodes only (EXDEV otherwise), and the folders that
 * hold mount points stay where they are (EBUSY).
 */
export class MountingPreopen extends MemDirectoryFd {
  constructor(
    tree: MemTree,
    private readonly mounts: readonly MountPoint[],
  ) {
    super(tree, tree.root);
  }

  override fd_prestat_get() {
    return { ret: wasi.ERRNO_SUCCESS, prestat: wasi.Prestat.dir('/') };
  }

  /** The mount a guest path (relative to `/`) lands in, and the path relative to the mount root. */
  route(path: string): { fd: Fd; rest: string } | undefined {
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
    return r ? r.fd.path_lookup(r.rest, dirflags) : super.path_lookup(path);
  }
  override path_readlink(path: string) {
    const r = this.route(path);
    return r ? r.fd.path_readlink(r.rest) : super.path_readlink(path);
  }
  override path_symlink(target: string, path: string): number {
    const r = this.route(path);
    if (!r) return super.path_symlink(target, path);
    const fd = r.fd as Fd & { path_symlink?: (target: string, path: string) => number };
    return fd.path_symlink ? fd.path_symlink(target, r.rest) : wasi.ERRNO_NOTSUP;
  }
  override path_unlink_file(path: string) {
    const r = this.route(path);
    return r ? r.fd.path_unlink_file(r.rest) : super.path_unlink_file(path);
  }
  override path_remove_directory(path: string) {
    const r = this.route(path);
    return r ? r.fd.path_remove_directory(r.rest) : super.path_remove_directory(path);
  }
  /** The first half of a rename across filesystems: detach the source. */
  override path_unlink(path: string) {
    const r = this.route(path);
    return r ? r.fd.path_unlink(r.rest) : super.path_unlink(path);
  }
  /** The second half of a rename (or a hard link): attach the inode at `path`. */
  override path_link(path: string, inode: Inode, allowDir: boolean) {
    const r = this.route(path);
    return r ? r.fd.path_link(r.rest, inode, allowDir) : super.path_link(path, inode, allowDir);
  }
  /** Undoes a first half: the mount's own way back, or the tree's. */
  override relink(path: string, inode: Inode): number {
    const r = this.route(path);
    return r ? r.fd.path_link(r.rest, inode, true) : super.relink(path, inode);
  }
  /** A rename with both ends in the in-memory tree; a mount on either end moves the inode across. */
  override renameWithin(oldPath: string, target: Fd, newPath: string): number | undefined {
    if (this.route(oldPath) || (target instanceof MountingPreopen && target.route(newPath))) return undefined;
    return super.renameWithin(oldPath, target, newPath);
  }
}
