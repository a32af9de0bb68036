/**
 * The host API (`box.fs.*`) on a mounted path: each call goes through the
 * mount's own WASI calls, so the mount decides exactly as it does for Python.
 */
import { wasi, type Fd } from '@bjorn3/browser_wasi_shim';
import { InvalidArgumentError } from '../errors.js';
import { MAX_FILE_BYTES } from './quota.js';

const CHUNK = 1 << 20;

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

/**
 * `readFile` on a mount: one buffer of the file's size, filled in chunks,
 * so a read costs the file's bytes once (plus one chunk).
 */
export function mountReadFile(mount: Fd, rest: string, path: string): Uint8Array {
  const fd = open(mount, rest, path, 0, READ);
  try {
    const { filestat } = fd.fd_filestat_get();
    if (filestat?.filetype === wasi.FILETYPE_DIRECTORY) check(wasi.ERRNO_ISDIR, path);
    const size = Number(filestat?.size ?? 0n);
    if (size > MAX_FILE_BYTES) {
      throw new InvalidArgumentError(`${path} is larger than ${MAX_FILE_BYTES} bytes: read it from Python in parts instead`);
    }
    let out = new Uint8Array(size);
    let at = 0;
    for (;;) {
      const { ret, data } = fd.fd_read(Math.max(1, Math.min(CHUNK, out.length - at)));
      check(ret, path);
      if (data.length === 0) break;
      if (at + data.length > out.length) {
        // The file grew while being read: make room.
        const grown = new Uint8Array(Math.min(MAX_FILE_BYTES, Math.max(out.length * 2, at + data.length)));
        grown.set(out.subarray(0, at));
        out = grown;
      }
      out.set(data, at);
      at += data.length;
    }
    return at === out.length ? out : out.slice(0, at);
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
