/**
 * Mount specs: what an app passes as `mounts`, checked and normalised
 * before anything is mounted.
 */
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { InvalidArgumentError } from '@pybox/core';
import { hostApiPath } from '@pybox/core/internal';

/**
 * How a host folder is mounted: `'ro'`, `'rw'` or `'overlay'` (see index.ts).
 *
 * @example
 * ```ts
 * const mode: MountMode = 'overlay'
 * ```
 */
export type MountMode = 'ro' | 'rw' | 'overlay';

/**
 * A host folder to mount, see `NodePyBoxOptions.mounts`.
 *
 * @example
 * ```ts
 * const spec: MountSpec = { hostPath: '/srv/data', guestPath: '/mnt/data', mode: 'ro' }
 * ```
 */
export interface MountSpec {
  /** The host folder: it must exist. A relative path is resolved against the process's working directory. */
  hostPath: string;
  /** Where Python sees it: an absolute path such as `/mnt/data`; not `/`, not under `/lib`, no `..`. */
  guestPath: string;
  /** `'ro'` (the default), `'rw'` or `'overlay'`. */
  mode?: MountMode;
}

const MODES: readonly MountMode[] = ['ro', 'rw', 'overlay'];
const SPEC_KEYS = new Set(['hostPath', 'guestPath', 'mode']);

/**
 * Checks mount specs and normalises them: `hostPath` becomes the folder's real
 * absolute path, `guestPath` loses redundant slashes, `mode` defaults to `'ro'`.
 * @throws InvalidArgumentError saying what to fix
 */
export function validateMounts(mounts: unknown): Required<MountSpec>[] {
  if (mounts === undefined) return [];
  if (!Array.isArray(mounts)) {
    throw new InvalidArgumentError('mounts must be an array of { hostPath, guestPath, mode } objects');
  }
  const out: Required<MountSpec>[] = [];
  mounts.forEach((spec: unknown, i) => {
    const at = `mounts[${i}]`;
    if (typeof spec !== 'object' || spec === null) {
      throw new InvalidArgumentError(`${at} must be an object such as { hostPath: '/srv/data', guestPath: '/mnt/data', mode: 'ro' }`);
    }
    for (const key of Object.keys(spec)) {
      if (!SPEC_KEYS.has(key)) {
        throw new InvalidArgumentError(`${at} has an unknown option "${key}": use hostPath, guestPath and mode ('ro' | 'rw' | 'overlay')`);
      }
    }
    const { hostPath, guestPath, mode = 'ro' } = spec as MountSpec;
    if (!MODES.includes(mode)) {
      throw new InvalidArgumentError(`${at}.mode must be 'ro', 'rw' or 'overlay', got ${JSON.stringify(mode)}`);
    }
    if (typeof hostPath !== 'string' || hostPath === '' || hostPath.includes('\0')) {
      throw new InvalidArgumentError(`${at}.hostPath must be the path of an existing host folder, got ${JSON.stringify(hostPath)}`);
    }
    let real: string;
    try {
      real = fs.realpathSync.native(nodePath.resolve(hostPath));
    } catch {
      throw new InvalidArgumentError(`${at}.hostPath ${hostPath} does not exist: create the folder first or fix the path`);
    }
    if (!fs.statSync(real).isDirectory()) {
      throw new InvalidArgumentError(`${at}.hostPath ${hostPath} is not a folder: mount the folder that contains it`);
    }
    const parts = hostApiPath(guestPath, `${at}.guestPath`);
    if (parts.length === 0) {
      throw new InvalidArgumentError(`${at}.guestPath cannot be "/": mount under a folder such as "/mnt/data"`);
    }
    if (parts[0] === 'lib') {
      throw new InvalidArgumentError(`${at}.guestPath ${guestPath} is under /lib, which holds the Python stdlib: choose e.g. "/mnt/data"`);
    }
    const normal = `/${parts.join('/')}`;
    for (const other of out) {
      if (`${normal}/`.startsWith(`${other.guestPath}/`) || `${other.guestPath}/`.startsWith(`${normal}/`)) {
        throw new InvalidArgumentError(`${at}.guestPath ${normal} overlaps the mount at ${other.guestPath}: mounts cannot share or nest paths`);
      }
    }
    out.push({ hostPath: real, guestPath: normal, mode });
  });
  return out;
}
