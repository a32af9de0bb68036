/**
 * Host folders mounted into the guest's filesystem (the backend of core's
 * mount router, engine/mount-router.ts).
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
 * Every host call walks the path one component at a time through open
 * folder fds, never following a symlink on the way (host-tree.ts), so it is
 * race-free: a folder swapped for a symlink by another process mid-call
 * cannot lead it outside. A symlink leading outside is treated as
 * non-existent and left out of listings; one leading inside is followed
 * (Python sees its target, never a link). Devices, FIFOs and sockets are
 * invisible too. Files are created with `O_CREAT | O_EXCL | O_NOFOLLOW`, so a
 * name held by a symlink cannot create a file outside.
 *
 * Memory. An overlay's in-memory files and entries count against the box's
 * `limits.fsBytes` (overlay.ts); a copy-up that would not fit fails with
 * ENOSPC before the host file is read.
 *
 * Files are read and written at offsets through a host fd that is opened on
 * demand and closed when the fd is closed or the event loop next turns, so
 * big files are never loaded whole (except by an overlay's copy-up).
 */
import type { EngineMount } from '@pybox/core/internal';
import { MountInode } from './fds.js';
import { HostMount } from './mount.js';
import { validateMounts } from './spec.js';

export { validateMounts, type MountMode, type MountSpec } from './spec.js';

/**
 * Builds the engine's mounts (`EngineOptions.mounts`) from mount specs. Runs
 * where the engine runs: the calling thread or the worker.
 * @throws InvalidArgumentError when a spec is invalid
 */
export function createMounts(specs: unknown): EngineMount[] {
  return validateMounts(specs).map((spec) => {
    const mount = new HostMount(spec.hostPath, spec.mode);
    return {
      guestPath: spec.guestPath,
      inode: new MountInode(mount, []),
      useQuota: (quota) => (mount.layer.quota = quota),
    };
  });
}
