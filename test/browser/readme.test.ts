import { it, expect } from 'vitest';
import { PyBox } from '@pybox/core';
import readme from '../../README.md?raw';
import { exampleUnder, runExample } from '../readme-examples.js';

it('runs the README browser quick start as written', async () => {
  const logged = await runExample(exampleUnder(readme, 'Quick start: browser'), '@pybox/core', PyBox);
  expect(logged).toEqual(['19.0\n']);
});
