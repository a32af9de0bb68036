// vitest globalSetup of the browser project: starts the local model server in Node and
// hands its URL to the tests in Chromium (`inject('modelServerUrl')`).
import type { TestProject } from 'vitest/node';
import { startModelServer } from './model-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    modelServerUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startModelServer();
  project.provide('modelServerUrl', server.url);
  return () => server.close();
}
