// Package hygiene: the browser package reaches no Node built-in, both packages declare ESM entry
// points with types, and the public barrels export the public API and nothing else (what runtime
// adapters need lives behind `@pybox/core/internal`).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import * as core from '@pybox/core';
import * as internal from '@pybox/core/internal';
import * as node from '@pybox/node';

const root = new URL('../../', import.meta.url).pathname;

function jsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return jsFiles(path);
    return path.endsWith('.js') ? [path] : [];
  });
}

/** The runtime values of the public API (types leave no trace at runtime). */
const PUBLIC_VALUES = [
  'AbortedError',
  'BoxClosedError',
  'CallbackError',
  'Context',
  'ContextBusyError',
  'ContextDisposedError',
  'DEFAULT_LIMITS',
  'GuestCrashError',
  'InvalidArgumentError',
  'MAX_CODE_CHARS',
  'PyBox',
  'PyBoxError',
  'PythonError',
  'QuotaExceededError',
  'TimeLimitError',
  'ToolDefinitionError',
  'WallTimeLimitError',
];

for (const pkg of ['core', 'agent']) {
  it(`@pybox/${pkg} (browser and Node alike) imports no Node built-in`, () => {
    const files = jsFiles(join(root, `packages/${pkg}/dist`));
    expect(files.length).toBeGreaterThan(pkg === 'core' ? 10 : 8);
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(/from ['"]node:|require\(|from ['"](fs|path|worker_threads|os|child_process|http|https|net)['"]/);
    }
  });
}

it('both packages are ESM with conditional exports and emitted types', () => {
  for (const pkg of ['core', 'node', 'agent']) {
    const json = JSON.parse(readFileSync(join(root, `packages/${pkg}/package.json`), 'utf8'));
    expect(json.type).toBe('module');
    for (const [key, entry] of Object.entries(json.exports) as [string, { types: string } | string][]) {
      if (key === './wasm/*') continue; // the guest files, for pages that load them themselves
      if (typeof entry === 'string') throw new Error(`${pkg}: export ${key} needs conditions with types`);
      expect(entry.types).toMatch(/\.d\.ts$/);
      expect(statSync(join(root, `packages/${pkg}`, entry.types)).isFile()).toBe(true);
    }
  }
  const core = JSON.parse(readFileSync(join(root, 'packages/core/package.json'), 'utf8'));
  expect(Object.keys(core.exports)).toEqual(['.', './internal', './wasm/*']);
  expect(Object.keys(core.exports['.'])).toEqual(['types', 'browser', 'default']);
  const nodePkg = JSON.parse(readFileSync(join(root, 'packages/node/package.json'), 'utf8'));
  expect(Object.keys(nodePkg.exports)).toEqual(['.']);
});

it('the public barrels export the public API only', () => {
  expect(Object.keys(core).sort()).toEqual(PUBLIC_VALUES);
  expect(Object.keys(node).sort()).toEqual(PUBLIC_VALUES);
  // The same classes on both runtimes, except the runtime's own PyBox.
  expect(node.Context).toBe(core.Context);
  expect(node.InvalidArgumentError).toBe(core.InvalidArgumentError);
  expect(node.PyBox).not.toBe(core.PyBox);
});

it('adapters find the internals behind @pybox/core/internal', () => {
  for (const name of ['PyBoxBase', 'InThreadHost', 'WorkerHost', 'RemoteEngine', 'Engine', 'loadAssets', 'installErrorTransfer', 'toEngineOptions']) {
    expect(typeof (internal as Record<string, unknown>)[name], name).toBe('function');
  }
  expect(Object.getPrototypeOf(node.PyBox)).toBe(internal.PyBoxBase);
  expect(Object.getPrototypeOf(core.PyBox)).toBe(internal.PyBoxBase);
});
