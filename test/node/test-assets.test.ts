// The CPython test zip (wasm/python313-tests.zip) is a test input only: users never get it.
import { readdirSync } from 'node:fs';
import { expect, it } from 'vitest';

it('ships the guest without the test-only CPython test zip', () => {
  const shipped = readdirSync(new URL('../../packages/core/dist/wasm/', import.meta.url)).sort();
  expect(shipped).toContain('pybox.wasm');
  expect(shipped).toContain('python313.zip');
  expect(shipped).not.toContain('python313-tests.zip');
  expect(readdirSync(new URL('../../wasm/', import.meta.url))).toContain('python313-tests.zip');
});
