import { readFileSync } from 'node:fs';
import { it, expect } from 'vitest';
import { PyBox } from '@pybox/node';
import { exampleUnder, runExample } from '../readme-examples.js';

it('runs the README Node quick start as written', async () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const logged = await runExample(exampleUnder(readme, 'Quick start: Node'), '@pybox/node', PyBox);
  expect(logged).toEqual(['19.0\n']);
});
