/**
 * A mounted host folder, reached without races. Node has no `openat`, so
 * every lookup walks the path one component at a time through open folder
 * fds: each folder is opened with `O_DIRECTORY | O_NOFOLLOW` through the
 * magic path `/proc/self/fd/<fd of its parent>/<name>`, which the kernel
 * resolves from the folder the parent fd holds — not from a path that
 * another process could change meanwhile — and which refuses to follow a
 * symlink at that component. The last component is then opened, created,
 * removed or renamed the same way, relative to its folder's fd. A folder
 * swapped for a symlink at any moment makes the open fail (ELOOP or
 * ENOTDIR); the walk then reads the link and follows it only if its target,
 * resolved component by component from where the link is, stays inside the
 * mount. So no path Python (or `box.fs`) names can ever reach outside, even
 * while another process keeps swapping folders for symlinks. The root
 * itself is opened by its real path and checked against the device and inode
 * it had when the box started.
 *
 * Where `/proc/self/fd` does not work (not Linux), the walk uses the folder
 * paths it has checked instead: the same rules, but a swap between two steps
 * can win that race.
 */
import * as fs from 'node:fs';
import { E, WasiError } from './errno.js';

const C = fs.constants;
const O_NOFOLLOW = C.O_NOFOLLOW ?? 0;
const O_DIRECTORY = C.O_DIRECTORY ?? 0;
/** How many symlinks one lookup follows (Linux's limit). */
const MAX_LINKS = 40;

/** An open folder: its fd, and its checked path (used only where `/proc/self/fd` does not work). */
export interface Step {
  fd: number;
  path: string;
}

/**
 * Where a path led: the open folder holding its last component, that
 * component's name (`null` when the path names the root, or a folder
 * reached by `..` in a link), the path's parts with every symlink resolved,
 * and what is there (lstat; `null` when nothing is).
 */
export interface Resolved {
  dir: Step;
  name: string | null;
  parts: string[];
  st: fs.BigIntStats | null;
}

/**
 * The host folder of one mount.
 *
 * @example
 * ```ts
 * const tree = new HostTree('/srv/data')
 * const fd = tree.open(['sub', 'a.txt'], fs.constants.O_RDONLY)   // never a file outside /srv/data
 * ```
 */
export class HostTree {
  private readonly prefix: string;
  private readonly rootPath: string;
  private readonly dev: bigint;
  private readonly ino: bigint;
  /** Whether `/proc/self/fd/<fd>/<name>` reaches into the folder an fd holds. */
  readonly viaProc: boolean;

  /** @param root the folder's real path (symlinks resolved) */
  constructor(readonly root: string) {
    this.prefix = root.endsWith('/') ? root : `${root}/`;
    this.rootPath = this.prefix.slice(0, -1);
    const fd = fs.openSync(root, C.O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    try {
      const st = fs.fstatSync(fd, { bigint: true });
      this.dev = st.dev;
      this.ino = st.ino;
      this.viaProc = procWorks(fd, st);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** The path through which to address `name` inside the open folder `dir`. */
  at(dir: Step, name: string): string {
    return this.viaProc ? `/proc/self/fd/${dir.fd}/${name}` : `${dir.path}/${name}`;
  }

  /** The root's fd, kept open until the event loop next turns (a guest call makes many walks). */
  private rootFd: number | null = null;

  /** The root, opened by its real path and checked to be the folder the box started with. */
  private openRoot(): number {
    if (this.rootFd !== null) return this.rootFd;
    const fd = fs.openSync(this.root, C.O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    const st = fs.fstatSync(fd, { bigint: true });
    if (st.dev !== this.dev || st.ino !== this.ino) {
      fs.closeSync(fd);
      throw new WasiError(E.ERRNO_NOENT); // the folder was replaced since the box started
    }
    this.rootFd = fd;
    setTimeout(() => {
      fs.closeSync(fd);
      this.rootFd = null;
    }, 0).unref?.();
    return fd;
  }

  /**
   * Walks `parts` from the root (symlinks that stay inside are followed,
   * the last one too when `followLast`), then runs `fn` with the folder
   * that holds the last component. Every fd of the walk is closed after.
   * @throws WasiError ENOENT when the path leads out of the mount (it looks absent), ENOTDIR, ELOOP
   */
  resolve<T>(parts: readonly string[], followLast: boolean, fn: (r: Resolved) => T): T {
    const root: Step = { fd: this.openRoot(), path: this.rootPath };
    const stack: Step[] = [root];
    const at: string[] = [];
    try {
      const r = this.walk(stack, at, parts, followLast);
      return fn({ ...r, dir: stack[stack.length - 1]! });
    } finally {
      for (const step of stack) if (step !== root) fs.closeSync(step.fd);
    }
  }

  private walk(stack: Step[], at: string[], parts: readonly string[], followLast: boolean): Omit<Resolved, 'dir'> {
    const todo = [...parts].reverse(); // popped from the end
    let links = 0;
    /** Queues a symlink's target; false when it is no longer a symlink (look again). */
    const follow = (path: string): boolean => {
      if (++links > MAX_LINKS) throw new WasiError(E.ERRNO_LOOP);
      let target: string;
      try {
        target = fs.readlinkSync(path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EINVAL') return false;
        throw e;
      }
      if (target.startsWith('/')) {
        if (target !== this.rootPath && !target.startsWith(this.prefix)) throw new WasiError(E.ERRNO_NOENT); // leads out
        while (stack.length > 1) fs.closeSync(stack.pop()!.fd); // the root (stack[0]) stays open
        at.length = 0;
        target = target.slice(this.prefix.length);
      }
      todo.push(...target.split('/').filter((p) => p !== '' && p !== '.').reverse());
      return true;
    };
    while (todo.length > 0) {
      const name = todo.pop()!;
      if (name === '..') {
        if (at.length === 0) throw new WasiError(E.ERRNO_NOENT); // a link that climbs out of the mount
        fs.closeSync(stack.pop()!.fd);
        at.pop();
        continue;
      }
      const top = stack[stack.length - 1]!;
      const path = this.at(top, name);
      if (todo.length === 0) {
        const st = lstat(path);
        if (st?.isSymbolicLink() && followLast) {
          if (!follow(path)) todo.push(name);
          continue;
        }
        return { name, parts: [...at, name], st };
      }
      // A folder on the way: open it without following a symlink there.
      try {
        const fd = fs.openSync(path, C.O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        stack.push({ fd, path: `${top.path}/${name}` });
        at.push(name);
        continue;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'ELOOP' && code !== 'ENOTDIR') throw e;
      }
      const st = lstat(path);
      if (st === null) throw new WasiError(E.ERRNO_NOENT);
      if (st.isSymbolicLink()) {
        if (!follow(path)) todo.push(name);
      } else if (st.isDirectory()) {
        if (++links > MAX_LINKS) throw new WasiError(E.ERRNO_LOOP); // it keeps changing under us
        todo.push(name);
      } else {
        throw new WasiError(E.ERRNO_NOTDIR);
      }
    }
    const top = stack[stack.length - 1]!;
    return { name: null, parts: [...at], st: fs.fstatSync(top.fd, { bigint: true }) };
  }

  /**
   * Opens what `parts` names (symlinks inside followed), never following a
   * symlink at the last step either: a swap there fails, and is retried.
   */
  private openStep(parts: readonly string[], flags: number, mode: number): Step {
    for (let attempt = 0; ; attempt++) {
      try {
        return this.resolve(parts, true, (r) => ({
          fd: fs.openSync(this.at(r.dir, r.name ?? '.'), flags | O_NOFOLLOW, mode),
          path: [this.rootPath, ...r.parts].join('/'),
        }));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if ((code !== 'ELOOP' && code !== 'ENOTDIR') || attempt >= 8) throw e;
      }
    }
  }

  /** Opens the file or folder `parts` names, as {@link openStep}; the caller closes the fd. */
  open(parts: readonly string[], flags: number, mode = 0o666): number {
    return this.openStep(parts, flags, mode).fd;
  }

  /** Runs `fn` with the open folder `parts` names. */
  withFolder<T>(parts: readonly string[], fn: (dir: Step) => T): T {
    const step = this.openStep(parts, C.O_RDONLY | O_DIRECTORY, 0);
    try {
      return fn(step);
    } finally {
      fs.closeSync(step.fd);
    }
  }

  /** Runs `fn` with the path of `parts`' last component inside its open folder; that component itself is not followed. */
  inParent<T>(parts: readonly string[], fn: (path: string) => T): T {
    const name = parts[parts.length - 1];
    if (name === undefined) throw new WasiError(E.ERRNO_BUSY); // the mount's root
    return this.withFolder(parts.slice(0, -1), (dir) => fn(this.at(dir, name)));
  }

  /** Lists the folder `parts` names: each entry's name and what it is (lstat: a symlink is reported as one). */
  list(parts: readonly string[]): { name: string; st: fs.BigIntStats }[] {
    return this.withFolder(parts, (dir) => {
      const out: { name: string; st: fs.BigIntStats }[] = [];
      for (const name of fs.readdirSync(this.viaProc ? `/proc/self/fd/${dir.fd}` : dir.path)) {
        const st = lstat(this.at(dir, name));
        if (st) out.push({ name, st });
      }
      return out;
    });
  }
}

function lstat(path: string): fs.BigIntStats | null {
  try {
    return fs.lstatSync(path, { bigint: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Whether `/proc/self/fd/<fd>/.` is the folder `fd` holds (Linux). */
function procWorks(fd: number, st: fs.BigIntStats): boolean {
  try {
    const seen = fs.statSync(`/proc/self/fd/${fd}/.`, { bigint: true });
    return seen.dev === st.dev && seen.ino === st.ino;
  } catch {
    return false;
  }
}
