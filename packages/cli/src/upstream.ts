/**
 * `--connect`: other MCP servers whose tools become async Python functions,
 * namespaced by server: `await github.search_issues(q="...")`.
 *
 * Each server tool is defined in the box under a flat name
 * (`github__search_issues`, the name its validation errors show), with the
 * server's input schema, so PyBox validates every call before it is
 * forwarded; a small Python object per server (`github`) gathers them.
 * A tool result comes back as the server's `structuredContent` when it sends
 * one, otherwise as its text (several text blocks joined by newlines), or as
 * the list of content blocks when some are not text (images, resources).
 * A server's error (`isError`, or a JSON-RPC error) raises a Python exception.
 */
import type { Client } from './vendor/mcp-client.js';
import { mcpClientSdk } from './vendor/load.js';
import type { CallToolResult, Tool } from './vendor/mcp-server.js';
import type { Context, JsonSchema, JsonSchemaObject, PyBoxBase, ToolDefinition } from '@pybox/node';
import type { ConnectSpec } from './options.js';

/**
 * A `--connect` server that could not be reached or listed, or a namespace that cannot be used.
 *
 * @example
 * ```ts
 * try { await connectUpstreams(specs, new Set()) } catch (e) { if (e instanceof ConnectError) process.exitCode = 2 }
 * ```
 */
export class ConnectError extends Error {
  override name = 'ConnectError';
}

/**
 * One tool of a connected server, as Python sees it.
 *
 * @example
 * ```ts
 * // { namespace: 'github', pythonName: 'search_issues', flatName: 'github__search_issues', tool: { name: 'search-issues', ... } }
 * ```
 */
export interface UpstreamTool {
  /** The server's namespace in Python. */
  namespace: string;
  /** The attribute name in Python (`search_issues`). */
  pythonName: string;
  /** The flat tool name in the box (`github__search_issues`). */
  flatName: string;
  /** The tool as the server listed it. */
  tool: Tool;
}

/**
 * A connected server.
 *
 * @example
 * ```ts
 * for (const s of upstreams.servers) console.log(s.namespace, s.tools.map((t) => t.pythonName))
 * ```
 */
export interface UpstreamServer {
  namespace: string;
  /** How it was reached, for messages. */
  label: string;
  client: Client;
  tools: UpstreamTool[];
  /** The server's `instructions`, if it sent any. */
  instructions?: string;
}

/**
 * Every connected server, and what a box needs to call them.
 *
 * @example
 * ```ts
 * await box.defineTools(upstreams.toolDefinitions()); await upstreams.install(ctx)
 * console.log(upstreams.describe(box))   // class github: ... async def search_issues(q: str) -> str: ...
 * ```
 */
export interface Upstreams {
  servers: UpstreamServer[];
  /** The box tools that forward calls to the servers (validated by PyBox first). */
  toolDefinitions(): ToolDefinition[];
  /** Binds the namespaces (`github`, ...) in a context; run once per context. */
  install(context: Context): Promise<void>;
  /**
   * The Python stubs of the servers' tools, one `class <namespace>:` per server.
   * @param flatNames only these tools (`github__search_issues`)
   */
  describe(box: PyBoxBase, flatNames?: string[]): string;
  /** Closes every connection (and ends the spawned servers). */
  close(): Promise<void>;
}

const CLIENT_INFO = { name: 'pybox', version: '0.1.0' };
const KEYWORDS = new Set(
  ('False None True and as assert async await break class continue def del elif else except finally for from global if import in ' +
    'is lambda nonlocal not or pass raise return try while with yield').split(' '),
);
/** Names a namespace must not take: keywords, and builtins and modules that code uses all the time. */
const RESERVED = new Set([
  ...KEYWORDS,
  ...('print len list dict set str int float bool type object range open input help id min max sum any all map filter zip sorted ' +
    'json re os sys math asyncio time datetime random itertools collections functools statistics decimal pathlib typing dataclasses').split(' '),
]);

/**
 * Connects to every server and lists its tools.
 * @param taken names already used in Python (host tools), which namespaces must avoid
 * @throws ConnectError when a server cannot be started, reached or listed
 *
 * @example
 * ```ts
 * const upstreams = await connectUpstreams([parseConnect('github=npx -y github-mcp')], new Set())
 * const box = await PyBox.create({ tools: upstreams.toolDefinitions() })
 * const ctx = await box.createContext(); await upstreams.install(ctx)
 * await ctx.exec('print(await github.search_issues(q="wasm"))')
 * ```
 */
export async function connectUpstreams(specs: ConnectSpec[], taken: Set<string>): Promise<Upstreams> {
  // Connected at once (each spawns or reaches its server); named afterwards, in the order given.
  const settled = await Promise.allSettled(specs.map((spec) => connectOne(spec)));
  const connected = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const servers: UpstreamServer[] = [];
  const used = new Set(taken);
  try {
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    for (const [i, c] of connected.entries()) {
      const spec = specs[i]!;
      const namespace = pickNamespace(spec.name ?? c.serverName ?? 'server', used, spec.name !== undefined);
      servers.push({ namespace, label: c.label, client: c.client, tools: pythonNames(namespace, c.tools), ...(c.instructions ? { instructions: c.instructions } : {}) });
    }
  } catch (e) {
    await Promise.allSettled(connected.map((c) => c.client.close()));
    throw e;
  }
  return {
    servers,
    toolDefinitions: () => servers.flatMap((s) => s.tools.map((t) => forwardingTool(s, t))),
    install: async (context) => {
      if (servers.length === 0) return;
      const r = await context.exec(namespaceCode(servers), { filename: '<pybox-connect>' });
      if (!r.ok) throw new ConnectError(`could not bind the MCP namespaces in Python: ${r.error.traceback}`);
      for (const s of servers) await context.protect(s.namespace);
    },
    describe: (box, flatNames) => {
      const only = flatNames && new Set(flatNames);
      return servers
        .map((s) => ({ ...s, tools: only ? s.tools.filter((t) => only.has(t.flatName)) : s.tools }))
        .filter((s) => s.tools.length)
        .map((s) => describeServer(box, s))
        .join('\n\n');
    },
    close: async () => {
      await Promise.allSettled(servers.map((s) => s.client.close()));
    },
  };
}

/** A server reached and listed, not yet named. */
interface Connected {
  label: string;
  client: Client;
  tools: Tool[];
  serverName?: string;
  instructions?: string;
}

async function connectOne(spec: ConnectSpec): Promise<Connected> {
  const { Client, StdioClientTransport, StreamableHTTPClientTransport, getDefaultEnvironment } = mcpClientSdk();
  const label = spec.kind === 'http' ? spec.url : [spec.command, ...spec.args].join(' ');
  const client = new Client(CLIENT_INFO);
  try {
    if (spec.kind === 'http') {
      await client.connect(new StreamableHTTPClientTransport(new URL(spec.url)));
    } else {
      // The whole environment, as a shell would pass it: servers read their tokens from it.
      const env = { ...getDefaultEnvironment(), ...definedEnv(process.env) };
      await client.connect(new StdioClientTransport({ command: spec.command, args: spec.args, env, stderr: 'inherit' }));
    }
    const tools: Tool[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : {});
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor);
    const serverName = client.getServerVersion()?.name;
    const instructions = client.getInstructions();
    return { label, client, tools, ...(serverName ? { serverName } : {}), ...(instructions ? { instructions } : {}) };
  } catch (e) {
    await client.close().catch(() => {});
    throw new ConnectError(`cannot connect to the MCP server ${label}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function definedEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((kv): kv is [string, string] => kv[1] !== undefined));
}

/** A Python identifier from any name: other characters become `_`. */
function identifier(name: string): string {
  let id = name.replace(/^@[^/]*\//, '').replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  if (!id) id = 'tool';
  if (/^[0-9]/.test(id)) id = `t_${id}`;
  return id;
}

function pickNamespace(wanted: string, used: Set<string>, explicit: boolean): string {
  const base = identifier(wanted);
  if (explicit && (base !== wanted || RESERVED.has(base) || used.has(base))) {
    throw new ConnectError(
      `cannot use "${wanted}" as a namespace: it must be a Python identifier that is not a keyword, a common builtin or module, a host tool or another server's name`,
    );
  }
  let name = RESERVED.has(base) ? `${base}_mcp` : base;
  for (let i = 2; used.has(name); i++) name = `${base}_${i}`;
  used.add(name);
  return name;
}

function pythonNames(namespace: string, tools: Tool[]): UpstreamTool[] {
  const seen = new Set<string>();
  return tools.map((tool) => {
    let pythonName = identifier(tool.name);
    if (KEYWORDS.has(pythonName)) pythonName = `${pythonName}_`;
    const base = pythonName;
    for (let i = 2; seen.has(pythonName); i++) pythonName = `${base}_${i}`;
    seen.add(pythonName);
    return { namespace, pythonName, flatName: `${namespace}__${pythonName}`, tool };
  });
}


/** The box tool that validates (through PyBox) and forwards one server tool. */
function forwardingTool(server: UpstreamServer, t: UpstreamTool): ToolDefinition {
  const qualified = `${server.namespace}.${t.pythonName}`;
  return {
    name: t.flatName,
    ...(t.tool.description ? { description: t.tool.description } : {}),
    parameters: t.tool.inputSchema as JsonSchemaObject,
    // No declared output: the server's text comes back, which the stub says.
    outputSchema: (t.tool.outputSchema as JsonSchema | undefined) ?? { type: 'string' },
    handler: async (args) => {
      let result: CallToolResult;
      try {
        result = (await server.client.callTool({ name: t.tool.name, arguments: args })) as CallToolResult;
      } catch (e) {
        throw pythonError(e, qualified);
      }
      if (result.isError) {
        const error = new Error(`${qualified}: ${textOf(result) || 'the server reported an error without a message'}`);
        error.name = 'ToolError';
        throw error;
      }
      return resultValue(result);
    },
  };
}

/** A JSON-RPC error as a Python exception type: bad arguments are ValueError, timeouts TimeoutError, the rest ToolError. */
function pythonError(e: unknown, qualified: string): Error {
  const code = typeof e === 'object' && e !== null && 'code' in e ? (e as { code: unknown }).code : undefined;
  const error = new Error(`${qualified}: ${e instanceof Error ? e.message : String(e)}`);
  error.name = code === -32602 ? 'ValueError' : code === -32001 ? 'TimeoutError' : 'ToolError';
  return error;
}

function textOf(result: CallToolResult): string {
  return (result.content ?? [])
    .filter((b): b is { type: 'text'; text: string } => b.type === 'text')
    .map((b) => b.text)
    .join('\n');
}

/** What Python gets back from a successful call. */
export function resultValue(result: CallToolResult): unknown {
  if (result.structuredContent !== undefined) return result.structuredContent;
  const blocks = result.content ?? [];
  if (blocks.every((b) => b.type === 'text')) return textOf(result);
  return blocks;
}

/** Python that binds one object per server, whose attributes are the server's tools. */
function namespaceCode(servers: UpstreamServer[]): string {
  const lines = [
    'class _McpServer:',
    '    """The tools of an MCP server, as async functions: await server.tool(...)."""',
    '    def __init__(self, name, tools):',
    '        self.__dict__.update(tools)',
    "        self.__dict__['_server'] = name",
    '    def __getattr__(self, attr):',
    '        tools = ", ".join(k for k in self.__dict__ if not k.startswith("_"))',
    '        raise AttributeError(f"MCP server {self._server!r} has no tool {attr!r}; its tools: {tools}")',
    '    def __dir__(self):',
    '        return [k for k in self.__dict__ if not k.startswith("_")]',
    '    def __repr__(self):',
    '        return f"<MCP server {self._server}: {\', \'.join(self.__dir__())}>"',
  ];
  for (const s of servers) {
    const members = s.tools.map((t) => `${JSON.stringify(t.pythonName)}: ${t.flatName}`).join(', ');
    lines.push(`${s.namespace} = _McpServer(${JSON.stringify(s.namespace)}, {${members}})`);
  }
  lines.push('del _McpServer');
  return lines.join('\n');
}

/** One server's stubs as a class whose methods are its tools, after the TypedDicts they use. */
function describeServer(box: PyBoxBase, server: UpstreamServer): string {
  const types = new Set<string>();
  const methods: string[] = [];
  for (const t of server.tools) {
    const text = box.describeTools([t.flatName]);
    const head = `async def ${t.flatName}(`;
    const at = text.lastIndexOf(head);
    for (const block of text.slice(0, at).split('\n\n')) if (block.trim()) types.add(block.trim());
    const def = `async def ${t.pythonName}(${text.slice(at + head.length)}`;
    methods.push(def.split('\n').map((line) => (line ? `    ${line}` : line)).join('\n'));
  }
  const doc = firstLine(server.instructions) ?? `Tools of the MCP server ${server.label}`;
  const cls = [`class ${server.namespace}:`, `    """${doc.replaceAll('"""', "'''")} (call as: await ${server.namespace}.<tool>(...))"""`, '', ...interleave(methods)];
  return [...types, cls.join('\n')].join('\n\n');
}

function interleave(blocks: string[]): string[] {
  return blocks.flatMap((b, i) => (i === 0 ? [b] : ['', b]));
}

function firstLine(text: string | undefined): string | undefined {
  const line = text?.trim().split('\n')[0]?.trim();
  return line ? (line.length > 160 ? `${line.slice(0, 157)}...` : line) : undefined;
}
