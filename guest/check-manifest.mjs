#!/usr/bin/env node
// Checks that wasm/ was built from the current guest inputs (no dependencies; Node >= 18).
// Exit 0: wasm/manifest.json's inputsHash matches guest/inputs-hash.mjs and every artifact's
// sha256 matches. Exit 1 otherwise, with the reason.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, computeInputsHash } from './inputs-hash.mjs';

const REBUILD = 'guest inputs changed since wasm/ was built: run `pnpm guest:build`';
const manifestPath = join(REPO_ROOT, 'wasm', 'manifest.json');
const problems = [];

if (!existsSync(manifestPath)) {
  console.error(`wasm/manifest.json is missing: run \`pnpm guest:build\``);
  process.exit(1);
}
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));

const { hash } = computeInputsHash();
if (manifest.inputsHash !== hash) {
  const opts = manifest.inputs?.options ?? [];
  problems.push(
    `inputsHash is ${manifest.inputsHash}, the guest inputs hash to ${hash}` +
      (opts.length ? ` (wasm/ was built with non-default options: ${opts.join(', ')})` : ''),
  );
}

const artifacts = manifest.artifacts ?? {};
if (Object.keys(artifacts).length === 0) problems.push('manifest lists no artifacts');
for (const [name, meta] of Object.entries(artifacts)) {
  const p = join(REPO_ROOT, 'wasm', name);
  if (!existsSync(p)) {
    problems.push(`wasm/${name} is missing`);
    continue;
  }
  const sha = createHash('sha256').update(readFileSync(p)).digest('hex');
  if (sha !== meta.sha256) problems.push(`wasm/${name}: sha256 ${sha}, manifest says ${meta.sha256}`);
}

if (problems.length) {
  console.error(REBUILD);
  for (const p of problems) console.error(`  - ${p}`);
  process.exit(1);
}
console.log(`wasm/ is current (inputsHash ${hash.slice(0, 16)}…, ${Object.keys(artifacts).length} artifacts)`);
