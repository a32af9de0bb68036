/**
 * The in-memory filesystem in a snapshot: every folder and file outside
 * `/lib` and the mounts, read and written back through the filesystem's
 * public methods only (readdir, stat, readFile, mkdir, writeFile), so that
 * the snapshot does not depend on how the tree is stored. Mounts are not
 * part of a snapshot: they are given again at restore, as live folders.
 */
import { hostApiPath } from './paths.js';

/** The part of the filesystem a snapshot needs. */
export interface SnapshotFileSystem {
  readdir(path: string): string[];
  stat(path: string): { type: 'file' | 'directory'; size: number } | null;
  readFile(path: string): Uint8Array;
  mkdir(path: string): void;
  writeFile(path: string, data: Uint8Array): void;
}

/** A folder, or a file whose bytes come next in the data section. */
export type FileEntry = { path: string; dir: true } | { path: string; size: number };

/**
 * Lists the tree and reads its files.
 * @param skip guest paths left out with everything under them (the mounts)
 *
 * @example
 * ```ts
 * const { entries, data } = captureFiles(engine.fs, ['/mnt/in'])
 * ```
 */
export function captureFiles(fs: SnapshotFileSystem, skip: readonly string[]): { entries: FileEntry[]; data: Uint8Array } {
  const skipped = new Set(['/lib', ...skip.map((p) => `/${hostApiPath(p).join('/')}`)]);
  const entries: FileEntry[] = [];
  const blobs: Uint8Array[] = [];
  const walk = (dir: string) => {
    for (const name of fs.readdir(dir)) {
      const path = dir === '/' ? `/${name}` : `${dir}/${name}`;
      if (skipped.has(path)) continue;
      const info = fs.stat(path);
      if (info?.type === 'directory') {
        entries.push({ path, dir: true });
        walk(path);
      } else if (info?.type === 'file') {
        const bytes = fs.readFile(path);
        entries.push({ path, size: bytes.byteLength });
        blobs.push(bytes);
      }
    }
  };
  walk('/');
  const data = new Uint8Array(blobs.reduce((n, b) => n + b.byteLength, 0));
  let at = 0;
  for (const blob of blobs) {
    data.set(blob, at);
    at += blob.byteLength;
  }
  return { entries, data };
}

/**
 * Writes captured folders and files into a filesystem.
 * @throws RangeError when the entries do not match the data (a damaged snapshot)
 *
 * @example
 * ```ts
 * restoreFiles(engine.fs, entries, data)
 * ```
 */
export function restoreFiles(fs: SnapshotFileSystem, entries: readonly FileEntry[], data: Uint8Array): void {
  let at = 0;
  for (const entry of entries) {
    if ('dir' in entry) {
      fs.mkdir(entry.path);
      continue;
    }
    if (at + entry.size > data.byteLength) throw new RangeError('the file data is shorter than the file list says');
    fs.writeFile(entry.path, data.slice(at, at + entry.size));
    at += entry.size;
  }
  if (at !== data.byteLength) throw new RangeError('the file data is longer than the file list says');
}

/**
 * The files as `PyBox.create`'s `files` option takes them (for a box restarted after a hard stop).
 *
 * @example
 * ```ts
 * const files = filesOption(entries, data) // { '/data/a.csv': Uint8Array }
 * ```
 */
export function filesOption(entries: readonly FileEntry[], data: Uint8Array): Record<string, Uint8Array> {
  const files: Record<string, Uint8Array> = {};
  let at = 0;
  for (const entry of entries) {
    if ('dir' in entry) continue;
    files[entry.path] = data.slice(at, at + entry.size);
    at += entry.size;
  }
  return files;
}
