// Package hygiene: the browser package reaches no Node built-in, and both
// packages declare ESM entry points with types.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;

function jsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return jsFiles(path);
    return path.endsWith('.js') ? [path] : [];
  });
}

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
    const main = json.exports['.'];
    expect(main.types).toMatch(/\.d\.ts$/);
    expect(statSync(join(root, `packages/${pkg}`, main.types)).isFile()).toBe(true);
  }
  const core = JSON.parse(readFileSync(join(root, 'packages/core/package.json'), 'utf8'));
  expect(Object.keys(core.exports['.'])).toEqual(['types', 'browser', 'default']);
});
