/**
 * The README's MCP client config for `pybox mcp`, used as a client would:
 * its command and arguments (the paths made real) start a server that
 * answers through the official SDK client.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { expect, it } from 'vitest';
import { textOf, tempDir } from './helpers.js';

const root = new URL('../../../', import.meta.url).pathname;

it('the README config snippet starts a working pybox mcp', async () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## `pybox` on the command line and as an MCP server'));
  const json = /```json\n([\s\S]*?)```/.exec(section)?.[1];
  expect(json).toBeDefined();
  const config = JSON.parse(json!) as { mcpServers: Record<string, { command: string; args: string[] }> };
  const { command, args } = config.mcpServers.pybox!;
  expect(command).toBe('node');
  const data = tempDir();
  mkdirSync(join(data, 'in'));
  writeFileSync(join(data, 'in', 'numbers.txt'), '1 2 3\n');
  const real = args.map((a) => a.replace('/path/to/pybox/', root).replace('/home/me/data', join(data, 'in')));
  const client = new Client({ name: 'readme', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: real, stderr: 'pipe' }));
  try {
    const r = await client.callTool({ name: 'run_python', arguments: { code: 'print(sum(map(int, open("/mnt/data/numbers.txt").read().split())))' } });
    expect(textOf(r)).toBe('6');
  } finally {
    await client.close();
  }
});
