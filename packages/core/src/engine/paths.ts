/**
 * Guest paths: the one normaliser every layer uses (the in-memory tree, the
 * mount router, `@pybox/node`'s host mounts and the host API), so that they
 * all agree on what a path names.
 */
import { describeValue, InvalidArgumentError } from '../errors.js';

/**
 * Splits a slash-separated path into its components relative to `base`:
 * empty parts and `.` vanish, `..` drops the component before it. Returns
 * `null` when `..` would climb above `base` (WASI forbids a path to leave
 * the directory it is relative to).
 *
 * @example
 * ```ts
 * resolvePath(['data'], 'a/./b/../c')   // ['data', 'a', 'c']
 * resolvePath(['data'], '../etc')       // null
 * ```
 */
export function resolvePath(base: readonly string[], path: string): string[] | null {
  const parts = [...base];
  let depth = 0;
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (depth === 0) return null;
      parts.pop();
      depth--;
      continue;
    }
    parts.push(part);
    depth++;
  }
  return parts;
}

/**
 * Splits an absolute guest path given to the host API (`box.fs.*`, mount
 * specs). Host code spells paths out: a relative path, NUL or `..` is refused.
 *
 * @param what names the argument in the error message, e.g. `mounts[0].guestPath`
 * @throws InvalidArgumentError saying what to fix
 * @example
 * ```ts
 * hostApiPath('/data//a.txt')   // ['data', 'a.txt']
 * hostApiPath('data/a.txt')     // throws InvalidArgumentError
 * ```
 */
export function hostApiPath(path: unknown, what = 'path'): string[] {
  if (typeof path !== 'string' || !path.startsWith('/')) {
    throw new InvalidArgumentError(
      `${what} must be an absolute guest path such as "/data/file.txt", got ${describeValue(path)}`,
    );
  }
  if (path.includes('\0')) throw new InvalidArgumentError(`${what} must not contain NUL characters`);
  if (path.split('/').includes('..')) {
    throw new InvalidArgumentError(`${what} must not contain "..": write the path out, e.g. "/data/file.txt" (got ${JSON.stringify(path)})`);
  }
  return resolvePath([], path)!;
}
