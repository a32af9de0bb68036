/**
 * `pybox mcp --http`: Streamable HTTP on 127.0.0.1 with a box per session,
 * through the official SDK client; loopback-only Host and Origin; idle and
 * explicit session ends; and `--connect` to a Streamable HTTP server.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error a plain .mjs fixture without types
import { createUpstream } from './fixtures/upstream-server.mjs';
import { BIN, FIXTURES, mcpClient, textOf } from './helpers.js';

/** A `pybox mcp --http` child and what it printed on stderr. */
async function startHttpServer(args: string[]): Promise<{ child: ChildProcessWithoutNullStreams; url: URL; stderr: () => string; waitFor: (re: RegExp) => Promise<RegExpMatchArray> }> {
  const child = spawn(process.execPath, [BIN, 'mcp', '--http', '0', ...args], { cwd: FIXTURES });
  let stderr = '';
  const waiters: (() => void)[] = [];
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    for (const w of waiters.splice(0)) w();
  });
  const waitFor = async (re: RegExp): Promise<RegExpMatchArray> => {
    for (;;) {
      const m = stderr.match(re);
      if (m) return m;
      if (child.exitCode !== null) throw new Error(`pybox mcp exited (${child.exitCode}): ${stderr}`);
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  const [, url] = await waitFor(/listening on (http:\/\/\S+)\n/);
  return { child, url: new URL(url!), stderr: () => stderr, waitFor };
}

async function connect(url: URL): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(url);
  const client = new Client({ name: 'http-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

/** A raw request with chosen headers: the status code only. */
function rawStatus(url: URL, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } });
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const run = async (client: Client, code: string) => textOf(await client.callTool({ name: 'run_python', arguments: { code } }));

describe('pybox mcp --http', () => {
  let server: Awaited<ReturnType<typeof startHttpServer>>;

  beforeAll(async () => {
    server = await startHttpServer(['--tools', 'tools.mjs']);
  });
  afterAll(() => {
    server?.child.kill('SIGTERM');
  });

  it('listens on 127.0.0.1 and gives each client session its own box', async () => {
    expect(server.url.hostname).toBe('127.0.0.1');
    expect(server.url.pathname).toBe('/mcp');
    const a = await connect(server.url);
    const b = await connect(server.url);
    try {
      expect(a.transport.sessionId).toBeTruthy();
      expect(a.transport.sessionId).not.toBe(b.transport.sessionId);
      await run(a.client, 'x = "only in a"');
      expect(await run(a.client, 'print(x, (await get_price(sku="D2"))["cents"])')).toBe('only in a 200');
      expect(await run(b.client, 'print("x" in globals())')).toBe('False');
      expect((await a.client.listTools()).tools.map((t) => t.name)).toContain('run_python');
    } finally {
      await a.client.close();
      await b.client.close();
    }
  });

  it('frees the box when the client ends its session, and forgets the session id', async () => {
    const { client, transport } = await connect(server.url);
    const id = transport.sessionId!;
    await run(client, 'y = 1');
    await transport.terminateSession();
    await server.waitFor(new RegExp(`session ${id} closed, its sandbox freed`));
    const status = await rawStatus(server.url, { 'mcp-session-id': id });
    expect(status).toBe(404);
    await client.close();
  });

  it('refuses requests whose Host or Origin is not a loopback name', async () => {
    expect(await rawStatus(server.url, { host: `attacker.example:${server.url.port}` })).toBe(403);
    expect(await rawStatus(server.url, { origin: 'http://attacker.example' })).toBe(403);
    expect(await rawStatus(server.url, { origin: `http://localhost:${server.url.port}` })).toBe(200);
  });

  it('closes a session left idle past --session-timeout', async () => {
    const idle = await startHttpServer(['--session-timeout', '1s']);
    try {
      const { client, transport } = await connect(idle.url);
      const id = transport.sessionId!;
      expect(await run(client, 'print("working")')).toBe('working');
      await idle.waitFor(new RegExp(`session ${id} closed, its sandbox freed \\(0 open\\)`));
      await client.close().catch(() => {});
    } finally {
      idle.child.kill('SIGTERM');
    }
    const [code] = await new Promise<[number | null]>((resolve) => (idle.child.exitCode !== null ? resolve([idle.child.exitCode]) : idle.child.on('exit', (c) => resolve([c]))));
    expect(code).toBe(0);
  });

  it('refuses a --host that is not a loopback address', async () => {
    const child = spawn(process.execPath, [BIN, 'mcp', '--http', '0', '--host', '0.0.0.0'], { cwd: FIXTURES });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const [code] = await new Promise<[number | null]>((resolve) => child.on('exit', (c) => resolve([c])));
    expect(code).toBe(2);
    expect(stderr).toContain('--host must be a loopback address');
  });
});

describe('pybox mcp --connect to a Streamable HTTP server', () => {
  let upstream: Server;
  let url: string;

  beforeAll(async () => {
    // Stateless: a fresh server and transport per request, as the SDK documents it.
    upstream = createServer(async (req, res) => {
      const server = createUpstream('places-http');
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      res.on('close', () => void server.close());
      await server.connect(transport);
      await transport.handleRequest(req, res);
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/mcp`;
  });
  afterAll(() => {
    upstream?.close();
  });

  it("calls the server's tools from Python, named after the server when no name is given", async () => {
    const { client } = await mcpClient(['--connect', url]);
    try {
      const description = (await client.listTools()).tools[0]!.description!;
      expect(description).toContain('class places_http:');
      const out = await run(client, 'import json\nr = json.loads(await places_http.lookup_city(city="Quito", detail="long"))\nprint(r["letters"], r["detail"])');
      expect(out).toBe('5 long');
    } finally {
      await client.close();
    }
  });
});
