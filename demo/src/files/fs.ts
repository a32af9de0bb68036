/**
 * File operations the file manager needs, over the box's public `fs`:
 * listing a tree, moving a path (copy, then remove: the box has no rename),
 * and telling how to show a file.
 */
import type { BoxFileSystem } from '@pybox/core';

/** A file or folder of the tree. */
export interface FsNode {
  path: string;
  name: string;
  kind: 'file' | 'dir';
  size: number;
  /** Folders only, sorted: folders first, then files, by name. */
  children?: FsNode[];
}

/**
 * The tree under `path`, or null when it does not exist.
 *
 * @example
 * ```ts
 * const data = await listTree(box.fs, '/data')
 * ```
 */
export async function listTree(fs: BoxFileSystem, path: string): Promise<FsNode | null> {
  const info = await fs.stat(path);
  if (!info) return null;
  const name = path.split('/').pop() || path;
  if (info.type !== 'directory') return { path, name, kind: 'file', size: info.size };
  const children = (await Promise.all((await fs.readdir(path)).map((n) => listTree(fs, joinPath(path, n))))).filter((n): n is FsNode => n !== null);
  children.sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'dir' ? -1 : 1));
  return { path, name, kind: 'dir', size: 0, children };
}

/**
 * Every file path under the nodes (for "what did a hard stop lose").
 *
 * @example
 * ```ts
 * filePaths([tree]) // ['/data/config.json', ...]
 * ```
 */
export function filePaths(nodes: (FsNode | null)[]): string[] {
  const out: string[] = [];
  const walk = (n: FsNode) => (n.kind === 'file' ? out.push(n.path) : n.children?.forEach(walk));
  for (const n of nodes) if (n) walk(n);
  return out;
}

/**
 * `dir` + `/` + `name`.
 *
 * @example
 * ```ts
 * joinPath('/data', 'a.csv') // '/data/a.csv'
 * ```
 */
export function joinPath(dir: string, name: string): string {
  return `${dir.replace(/\/+$/, '')}/${name}`;
}

/**
 * Why `name` cannot be a file or folder name, or null when it can.
 *
 * @example
 * ```ts
 * nameProblem('a/b') // 'a name cannot contain "/"'
 * ```
 */
export function nameProblem(name: string): string | null {
  if (!name.trim()) return 'give a name';
  if (name.includes('/')) return 'a name cannot contain "/"';
  if (name === '.' || name === '..') return `"${name}" is not a name`;
  if (name.length > 255) return 'a name is at most 255 characters';
  return null;
}

/**
 * Moves a file or folder: copies it to `to`, then removes `from`. Refuses to
 * overwrite, and to move a folder into itself.
 *
 * @example
 * ```ts
 * await movePath(box.fs, '/out/q1.md', '/out/q1-final.md')
 * ```
 */
export async function movePath(fs: BoxFileSystem, from: string, to: string): Promise<void> {
  if (from === to) return;
  if (to.startsWith(`${from}/`)) throw new Error(`cannot move ${from} into itself`);
  if (await fs.stat(to)) throw new Error(`${to} already exists`);
  await copyPath(fs, from, to);
  await fs.rm(from, { recursive: true });
}

async function copyPath(fs: BoxFileSystem, from: string, to: string): Promise<void> {
  const info = await fs.stat(from);
  if (!info) throw new Error(`${from} does not exist`);
  if (info.type === 'directory') {
    await fs.mkdir(to);
    for (const name of await fs.readdir(from)) await copyPath(fs, joinPath(from, name), joinPath(to, name));
  } else {
    await fs.writeFile(to, await fs.readFile(from));
  }
}

/** How the viewer shows a file. */
export type FileView =
  | { kind: 'text'; text: string; language: 'markdown' | 'plain' }
  | { kind: 'json'; text: string; value: unknown }
  | { kind: 'image'; mime: string }
  | { kind: 'binary' };

const IMAGE_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  svg: 'image/svg+xml',
  bmp: 'image/bmp',
  ico: 'image/x-icon',
};

/**
 * How to show `bytes` read from `path`: images by extension, JSON when it
 * parses, text when it is UTF-8 without NULs, binary otherwise.
 *
 * @example
 * ```ts
 * viewOf('/out/q1.md', bytes) // { kind: 'text', language: 'markdown', text: '# ...' }
 * ```
 */
export function viewOf(path: string, bytes: Uint8Array): FileView {
  const ext = path.split('.').pop()?.toLowerCase() ?? '';
  if (IMAGE_TYPES[ext]) return { kind: 'image', mime: IMAGE_TYPES[ext] };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { kind: 'binary' };
  }
  if (text.includes('\0')) return { kind: 'binary' };
  if (ext === 'json') {
    try {
      return { kind: 'json', text, value: JSON.parse(text) as unknown };
    } catch {
      // Not valid JSON after all: show it as the text it is.
    }
  }
  return { kind: 'text', text, language: ext === 'md' || ext === 'markdown' ? 'markdown' : 'plain' };
}

/**
 * The first `max` bytes as a hex dump: offset, 16 bytes in hex, their ASCII.
 *
 * @example
 * ```ts
 * hexHead(new Uint8Array([0x89, 0x50, 0x4e, 0x47]))
 * // '00000000  89 50 4e 47                                      |.PNG|'
 * ```
 */
export function hexHead(bytes: Uint8Array, max = 256): string {
  const lines: string[] = [];
  const shown = bytes.subarray(0, max);
  for (let i = 0; i < shown.length; i += 16) {
    const row = [...shown.subarray(i, i + 16)];
    const hex = row.map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = row.map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${i.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  |${ascii}|`);
  }
  return lines.join('\n');
}

/**
 * The MIME type a download of `path` gets.
 *
 * @example
 * ```ts
 * mimeOf('/out/q1.md') // 'text/markdown'
 * ```
 */
export function mimeOf(path: string): string {
  const ext = path.split('.').pop()?.toLowerCase() ?? '';
  return IMAGE_TYPES[ext] ?? { md: 'text/markdown', json: 'application/json', csv: 'text/csv', txt: 'text/plain', py: 'text/x-python' }[ext] ?? 'application/octet-stream';
}
