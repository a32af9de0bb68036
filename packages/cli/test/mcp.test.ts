/**
 * `pybox mcp` over stdio, driven by the official MCP SDK client that spawns
 * it: the tool list, state across calls, Python errors and limits as tool
 * errors, the file tools and `/out` resources, `--connect` to a second MCP
 * server, discovery, and the process ending when the client closes.
 */
import { spawn } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ResourceListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ChildStdioTransport, FIXTURES, mcpClient, pybox, textOf, UPSTREAM } from './helpers.js';

type Result = Awaited<ReturnType<Client['callTool']>>;
type RunStructured = {
  ok: boolean;
  stdout: string;
  stderr: string;
  value?: unknown;
  repr?: string;
  error?: { type: string; message: string; traceback: string };
  toolCalls: { name: string; args: Record<string, unknown>; ok: boolean; error?: { type: string } }[];
};

const runPython = (client: Client, code: string): Promise<Result> => client.callTool({ name: 'run_python', arguments: { code } });
const structured = (r: Result) => r.structuredContent as RunStructured;

describe('pybox mcp: run_python and the file tools', () => {
  let client: Client;
  let listChanged = 0;
  let onListChanged = () => {};

  beforeAll(async () => {
    ({ client } = await mcpClient(['--tools', 'tools.mjs', '--timeout', '1s', '--memory', '64M']));
    client.setNotificationHandler(ResourceListChangedNotificationSchema, () => {
      listChanged++;
      onListChanged();
    });
  });
  afterAll(async () => {
    await client?.close();
  });

  it('lists run_python with its code parameter, the host tools as stubs, and the file tools', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['run_python', 'list_files', 'read_file', 'write_file', 'delete_file']);
    const run = tools[0]!;
    expect(run.inputSchema).toMatchObject({ type: 'object', properties: { code: { type: 'string' } }, required: ['code'] });
    expect(run.outputSchema).toMatchObject({ type: 'object', properties: { ok: { type: 'boolean' }, toolCalls: { type: 'array' } } });
    expect(run.description).toContain('Top-level `await` works');
    expect(run.description).toContain('async def get_price(sku: str) -> Any:');
    expect(run.description).toContain('async def wait_ms(ms: int) -> Any:');
    expect(client.getServerVersion()?.name).toBe('pybox');
  });

  it('keeps state across calls and returns the model-facing text with structured details', async () => {
    const first = await runPython(client, 'x = 40\ndef double(n):\n    return n * 2\nprint("set")');
    expect(first.isError).toBeFalsy();
    expect(textOf(first)).toBe('set');
    const second = await runPython(client, 'p = await get_price(sku="C4")\nprint(p["cents"])\ndouble(x + 1)');
    expect(textOf(second)).toBe('400\nOut: 82');
    expect(structured(second)).toMatchObject({
      ok: true,
      stdout: '400\n',
      stderr: '',
      value: 82,
      repr: '82',
      toolCalls: [{ name: 'get_price', args: { sku: 'C4' }, ok: true }],
    });
    // Results of calls made from code stay in the sandbox: only what was printed comes back.
    expect(JSON.stringify(second)).not.toContain('"cents"');
  });

  it('returns a Python error as isError with the traceback of the code', async () => {
    const r = await runPython(client, 'print("before")\ndef f():\n    return {}["missing"]\nf()');
    expect(r.isError).toBe(true);
    const text = textOf(r);
    expect(text.startsWith('before\nTraceback (most recent call last):')).toBe(true);
    expect(text).toContain('line 3, in f');
    expect(text.trimEnd().endsWith("KeyError: 'missing'")).toBe(true);
    expect(structured(r)).toMatchObject({ ok: false, stdout: 'before\n', error: { type: 'KeyError', message: "'missing'" } });
  });

  it('answers a call without code with a tool error, not a protocol error', async () => {
    const r = await client.callTool({ name: 'run_python', arguments: { source: 'print(1)' } });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/code/);
  });

  it('stops code at the CPU time limit, answers the next call, and keeps the state', async () => {
    const r = await runPython(client, 'y = 1\nwhile True:\n    y += 1');
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/^TimeLimitError: .*CPU time limit of 1000 ms/);
    expect(structured(r).error?.type).toBe('TimeLimitError');
    const next = await runPython(client, 'print(x, y > 1)');
    expect(next.isError).toBeFalsy();
    expect(textOf(next)).toBe('40 True');
  });

  it('turns an allocation past the memory limit into MemoryError and goes on', async () => {
    const r = await runPython(client, 'big = bytearray(200 * 1024 * 1024)');
    expect(r.isError).toBe(true);
    expect(structured(r).error?.type).toBe('MemoryError');
    expect(textOf(await runPython(client, 'len(bytearray(1024))'))).toBe('Out: 1024');
  });

  it('reads, writes, lists and deletes files, and shows /out as resources', async () => {
    const before = listChanged;
    const changed = new Promise<void>((resolve) => (onListChanged = resolve));
    const write = await client.callTool({ name: 'write_file', arguments: { path: '/data/in.csv', content: 'city,n\nOslo,3\nRome,4\n' } });
    expect(textOf(write)).toBe('wrote 21 bytes to /data/in.csv');
    const run = await runPython(
      client,
      'import csv\nrows = list(csv.DictReader(open("/data/in.csv")))\nopen("/out/report.md", "w").write(f"# {len(rows)} cities\\n")\nopen("/out/raw.bin", "wb").write(bytes([0, 255, 1]))\nprint(sum(int(r["n"]) for r in rows))',
    );
    expect(textOf(run)).toBe('7');
    await changed; // the run wrote to /out: the resource list changed
    expect(listChanged).toBe(before + 1);

    const listing = await client.callTool({ name: 'list_files', arguments: { path: '/out' } });
    expect(textOf(listing)).toBe('/out/raw.bin  (3 bytes)\n/out/report.md  (11 bytes)');
    expect(textOf(await client.callTool({ name: 'read_file', arguments: { path: '/out/report.md' } }))).toBe('# 2 cities\n');
    const binary = await client.callTool({ name: 'read_file', arguments: { path: '/out/raw.bin' } });
    expect(Buffer.from(textOf(binary), 'base64')).toEqual(Buffer.from([0, 255, 1]));

    const { resources } = await client.listResources();
    expect(resources.map((r) => [r.uri, r.mimeType])).toEqual([
      ['pybox:///out/raw.bin', 'application/octet-stream'],
      ['pybox:///out/report.md', 'text/markdown'],
    ]);
    const read = await client.readResource({ uri: 'pybox:///out/report.md' });
    expect(read.contents[0]).toMatchObject({ uri: 'pybox:///out/report.md', mimeType: 'text/markdown', text: '# 2 cities\n' });
    const blob = await client.readResource({ uri: 'pybox:///out/raw.bin' });
    expect(Buffer.from((blob.contents[0] as { blob: string }).blob, 'base64')).toEqual(Buffer.from([0, 255, 1]));

    expect(textOf(await client.callTool({ name: 'delete_file', arguments: { path: '/out/raw.bin' } }))).toBe('deleted /out/raw.bin');
    const gone = await client.callTool({ name: 'read_file', arguments: { path: '/out/raw.bin' } });
    expect(gone.isError).toBe(true);
    expect(textOf(gone)).toBe('no such file: /out/raw.bin');
    expect(textOf(await runPython(client, 'import os\nos.path.exists("/out/raw.bin")'))).toBe('Out: False');
  });

  it('reports file-tool failures as tool errors with the reason', async () => {
    const readOnly = await client.callTool({ name: 'write_file', arguments: { path: '/lib/x.py', content: '' } });
    expect(readOnly).toMatchObject({ isError: true });
    expect(textOf(readOnly)).toBe('/lib/x.py: /lib is read-only');
    const notFolder = await client.callTool({ name: 'list_files', arguments: { path: '/data/in.csv' } });
    expect(textOf(notFolder)).toBe('/data/in.csv is a file, not a folder: read it with read_file');
    const relative = await client.callTool({ name: 'read_file', arguments: { path: 'data/in.csv' } });
    expect(relative.isError).toBe(true);
    expect(textOf(relative)).toContain('an absolute path');
  });
  it('streams output as progress notifications when the client asks for progress', async () => {
    const messages: string[] = [];
    const r = await client.callTool({ name: 'run_python', arguments: { code: 'for i in range(3):\n    print("step", i)\n    await wait_ms(ms=30)' } }, undefined, {
      onprogress: (p) => messages.push(p.message ?? ''),
    });
    expect(textOf(r)).toBe('step 0\nstep 1\nstep 2');
    expect(messages.join('')).toBe('step 0\nstep 1\nstep 2\n');
    expect(messages.length).toBeGreaterThanOrEqual(2); // the output came in parts, while the code ran
  });

  it('runs concurrent calls one after the other in the session context', async () => {
    const [a, b] = await Promise.all([runPython(client, 'import asyncio\nawait asyncio.sleep(0.05)\norder = ["a"]'), runPython(client, 'order.append("b")\nprint(order)')]);
    expect(a.isError).toBeFalsy();
    expect(textOf(b)).toBe("['a', 'b']");
  });

  it('stops the code when the client cancels the call, and answers the next one', async () => {
    const controller = new AbortController();
    const cancelled = client.callTool({ name: 'run_python', arguments: { code: 'import time\nwhile True:\n    time.sleep(0.01)' } }, undefined, { signal: controller.signal });
    setTimeout(() => controller.abort('changed my mind'), 200);
    await expect(cancelled).rejects.toThrow(/changed my mind|abort/i);
    expect(textOf(await runPython(client, 'print("next", x)'))).toBe('next 40');
  });

  it('survives a hard stop (a builtin that never reaches a limit check): the next call gets a fresh context', async () => {
    const r = await runPython(client, 'sum(range(10**13))');
    expect(r.isError).toBe(true);
    expect(structured(r).error?.type).toBe('GuestCrashError');
    expect(textOf(r)).toContain('[The sandbox was restarted: variables and files written since it started are gone.]');
    const next = await runPython(client, 'print("fresh", "x" in globals())');
    expect(textOf(next)).toBe('fresh False');
  });
});

describe('pybox mcp --connect', () => {
  let client: Client;

  beforeAll(async () => {
    ({ client } = await mcpClient(['--connect', `geo=node ${UPSTREAM}`, '--tools', 'tools.mjs']));
  });
  afterAll(async () => {
    await client?.close();
  });

  it("describes the server's tools as a namespaced class of stubs from their input schemas", async () => {
    const { tools } = await client.listTools();
    const description = tools.find((t) => t.name === 'run_python')!.description!;
    expect(description).toContain('class geo:');
    expect(description).toContain('"""City facts for tests. (call as: await geo.<tool>(...))"""');
    expect(description).toContain('    async def lookup_city(city: str, detail: Literal["short", "long"] = "short") -> str:');
    expect(description).toContain('    async def stats() -> GeoStatsResult:');
    expect(description).toContain('async def get_price(sku: str) -> Any:');
  });

  it('gathers a server tool ten times from Python, and the server sees the ten calls', async () => {
    const code = [
      'import asyncio, json',
      'cities = ["Oslo", "Rome", "Lima", "Pune", "Kyiv", "Baku", "Doha", "Riga", "Bern", "Oran"]',
      'facts = await asyncio.gather(*[geo.lookup_city(city=c) for c in cities])',
      'print(sum(json.loads(f)["letters"] for f in facts))',
      'print((await geo.stats())["lookups"])',
    ].join('\n');
    const r = await runPython(client, code);
    expect(r.isError).toBeFalsy();
    expect(textOf(r)).toBe('40\n10');
    const calls = structured(r).toolCalls;
    expect(calls.filter((c) => c.name === 'geo__lookup_city')).toHaveLength(10);
    expect(new Set(calls.map((c) => c.args.city)).size).toBe(11); // ten cities, and stats() without one
  });

  it("validates calls before forwarding them, and turns the server's errors into Python exceptions", async () => {
    const code = [
      'try:',
      '    await geo.lookup_city(city="X")',
      'except ValueError as e:',
      '    print("refused:", e)',
      'try:',
      '    await geo.fail(why="no reason")',
      'except Exception as e:',
      '    print(type(e).__name__, e)',
      'try:',
      '    geo.no_such_tool',
      'except AttributeError as e:',
      '    print(e)',
      'print(geo)',
      'print((await geo.stats())["lookups"])',
    ].join('\n');
    const r = await runPython(client, code);
    expect(textOf(r).split('\n')).toEqual([
      'refused: geo__lookup_city(): city: must be at least 2 characters long, got 1',
      'ToolError geo.fail: refused: no reason',
      "MCP server 'geo' has no tool 'no_such_tool'; its tools: lookup_city, stats, fail",
      '<MCP server geo: lookup_city, stats, fail>',
      '10', // the refused call never reached the server
    ]);
  });

  it('keeps the namespace from being rebound', async () => {
    const r = await runPython(client, 'geo = 1');
    expect(r.isError).toBe(true);
    expect(textOf(await runPython(client, 'print(type(geo).__name__)'))).toBe('_McpServer');
  });

  it('offers search_tools and describe_tool with --discovery on, and lists only names in the description', async () => {
    const { client: discovering } = await mcpClient(['--connect', `geo=node ${UPSTREAM}`, '--tools', 'tools.mjs', '--discovery', 'on']);
    try {
      const { tools } = await discovering.listTools();
      expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['run_python', 'search_tools', 'describe_tool']));
      const description = tools.find((t) => t.name === 'run_python')!.description!;
      expect(description).not.toContain('async def');
      expect(description).toContain('# - geo.lookup_city: Facts about a city.');
      expect(description).toContain('# - get_price: The price of a product, in cents.');
      const found = await discovering.callTool({ name: 'search_tools', arguments: { query: 'city facts' } });
      expect(textOf(found)).toContain('async def lookup_city(city: str');
      const described = await discovering.callTool({ name: 'describe_tool', arguments: { name: 'geo.stats' } });
      expect(textOf(described)).toContain('class GeoStatsResult(TypedDict):');
      const unknown = await discovering.callTool({ name: 'describe_tool', arguments: { name: 'geo.lookup' } });
      expect(unknown.isError).toBe(true);
      expect(textOf(unknown)).toContain('Did you mean: geo.lookup_city');
    } finally {
      await discovering.close();
    }
  });

  it("names unnamed servers after themselves, one namespace each, and refuses a name Python needs", async () => {
    const { client: two } = await mcpClient(['--connect', `node ${UPSTREAM}`, '--connect', `node ${UPSTREAM}`]);
    try {
      expect(textOf(await runPython(two, 'print(geo_server, geo_server_2)'))).toBe(
        '<MCP server geo_server: lookup_city, stats, fail> <MCP server geo_server_2: lookup_city, stats, fail>',
      );
    } finally {
      await two.close();
    }
    const reserved = await pybox(['mcp', '--connect', `json=node ${UPSTREAM}`]);
    expect(reserved.code).toBe(2);
    expect(reserved.stderr).toContain('cannot use "json" as a namespace');
  });

  it('exits 2 when a --connect server cannot be started', async () => {
    const r = await pybox(['mcp', '--connect', `broken=node ${FIXTURES}/no-such-server.mjs`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('pybox mcp: cannot connect to the MCP server node');
  });
});

describe('pybox mcp: stdout is the protocol', () => {
  it("sends a tools module's console output to stderr", async () => {
    const { client, stderr } = await mcpClient(['--tools', 'noisy-tools.mjs']);
    try {
      expect(textOf(await runPython(client, 'await noisy()'))).toBe("Out: 'quiet answer'");
      expect(stderr()).toContain('noisy-tools loaded');
      expect(stderr()).toContain('noisy called');
      expect(stderr()).toContain('noisy info');
    } finally {
      await client.close();
    }
  });
});

describe('pybox mcp: the session ends with the client', () => {
  it('exits 0 by itself, with the box freed, when the client closes stdin', async () => {
    const child = spawn(process.execPath, [BIN, 'mcp'], { cwd: FIXTURES, stdio: ['pipe', 'pipe', 'pipe'] });
    const transport = new ChildStdioTransport(child);
    const client = new Client({ name: 'closing-client', version: '1.0.0' });
    await client.connect(transport);
    expect(textOf(await runPython(client, 'print("hello")'))).toBe('hello');
    await client.close();
    expect(await transport.exited).toEqual({ code: 0, signal: null });
  });
});
