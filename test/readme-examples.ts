/**
 * Pulls the quick-start examples out of README.md and runs them, so the
 * README can never drift from the API. The import line is checked, the rest
 * runs as an async function with `PyBox` and a recording `console`.
 */
import { expect } from 'vitest';

/** The code block under a README heading. */
export function exampleUnder(readme: string, heading: string): string {
  const start = readme.indexOf(`## ${heading}`);
  if (start < 0) throw new Error(`README has no "## ${heading}" section`);
  const match = /```js\n([\s\S]*?)```/.exec(readme.slice(start));
  if (!match?.[1]) throw new Error(`no js block under "${heading}"`);
  return match[1];
}

/** Runs an example with the given package's PyBox; returns what it logged. */
export async function runExample(code: string, pkg: string, PyBox: unknown): Promise<string[]> {
  const lines = code.trimEnd().split('\n');
  expect(lines.length).toBeLessThanOrEqual(6);
  expect(lines[0]).toBe(`import { PyBox } from '${pkg}';`);
  const logged: string[] = [];
  const fakeConsole = { log: (...args: unknown[]) => logged.push(args.map(String).join(' ')) };
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
    ...args: string[]
  ) => (...a: unknown[]) => Promise<void>;
  await new AsyncFunction('PyBox', 'console', lines.slice(1).join('\n'))(PyBox, fakeConsole);
  return logged;
}
