#!/usr/bin/env node
// Hash of every input of the guest build (no dependencies; Node >= 18).
//
// Inputs: guest/build.sh, every file under guest/src/ and guest/patches/ (dotfiles and
// __pycache__ skipped), the pinned-versions string (the `PIN_*=` lines of guest/build.sh) and,
// only when they differ from the defaults, the build options passed with --option k=v.
//
// Hash: sha256 over, for each file in sorted order of its repo-relative POSIX path,
// "file <path> <size>\n" + content + "\n", then "pins <string>\n", then "option <k=v>\n" lines.
//
// guest/build.sh calls this script to fill `inputsHash` in wasm/manifest.json;
// guest/check-manifest.mjs calls computeInputsHash() to see whether wasm/ is current.
//
// CLI: node guest/inputs-hash.mjs [--json] [--option k=v ...]
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

function walk(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if (e.code === 'ENOENT') return out;
    throw e;
  }
  for (const ent of entries) {
    if (ent.name.startsWith('.') || ent.name === '__pycache__') continue;
    const p = join(dir, ent.name);
    if (ent.isDirectory()) walk(p, out);
    else if (ent.isFile() || (ent.isSymbolicLink() && statSync(p).isFile())) out.push(p);
  }
  return out;
}

/** Pinned versions string: the `PIN_*=` assignments of guest/build.sh, one per line. */
export function pinnedVersions(root = REPO_ROOT) {
  const text = readFileSync(join(root, 'guest', 'build.sh'), 'utf8');
  return text
    .split('\n')
    .filter((l) => /^PIN_[A-Z0-9_]+=/.test(l))
    .map((l) => l.trim())
    .join('\n');
}

/** List of input files, repo-relative POSIX paths, sorted. */
export function inputFiles(root = REPO_ROOT) {
  const files = [join(root, 'guest', 'build.sh')];
  walk(join(root, 'guest', 'src'), files);
  walk(join(root, 'guest', 'patches'), files);
  return files
    .map((f) => relative(root, f).split(sep).join('/'))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * @param {{root?: string, options?: string[]}} [opts] options: non-default "k=v" build options
 * @returns {{hash: string, files: string[], pins: string, options: string[]}}
 */
export function computeInputsHash({ root = REPO_ROOT, options = [] } = {}) {
  const h = createHash('sha256');
  const files = inputFiles(root);
  for (const rel of files) {
    const buf = readFileSync(join(root, rel));
    h.update(`file ${rel} ${buf.length}\n`);
    h.update(buf);
    h.update('\n');
  }
  const pins = pinnedVersions(root);
  h.update(`pins ${pins}\n`);
  const opts = [...options].sort();
  for (const o of opts) h.update(`option ${o}\n`);
  return { hash: h.digest('hex'), files, pins, options: opts };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const options = [];
  let json = false;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--json') json = true;
    else if (args[i] === '--option') options.push(args[++i]);
    else {
      console.error(`usage: node guest/inputs-hash.mjs [--json] [--option k=v ...]`);
      process.exit(2);
    }
  }
  const r = computeInputsHash({ options });
  console.log(json ? JSON.stringify(r, null, 2) : r.hash);
}
