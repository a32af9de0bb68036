/** Reads the box's virtual filesystem for the file browser. */
import type { BoxFileSystem } from '@pybox/core';

/** A file under one of the browsed folders. */
export interface FileEntry {
  path: string;
  size: number;
}

/** The files under `dir` and its subfolders, sorted by path; none when `dir` does not exist. */
export async function listFiles(fs: BoxFileSystem, dir: string): Promise<FileEntry[]> {
  if ((await fs.stat(dir))?.type !== 'directory') return [];
  const files: FileEntry[] = [];
  for (const name of (await fs.readdir(dir)).sort()) {
    const path = `${dir}/${name}`;
    const info = await fs.stat(path);
    if (info?.type === 'directory') files.push(...(await listFiles(fs, path)));
    else if (info) files.push({ path, size: info.size });
  }
  return files;
}
