/**
 * One MCP session: an `McpServer` over one box and one persistent context.
 * `run_python({ code })` returns the code tool's model-facing text as
 * `content` and the details as `structuredContent`; a Python error or a
 * limit is `isError: true` with the traceback, never a protocol error.
 * The file tools and `/out` resources, and with many tools `search_tools`
 * and `describe_tool`, complete it.
 */
import { codeTool, codeToolDescription, cut, type CodeTool } from '@pybox/agent';
import type { Context } from '@pybox/node';
import { mcpServerSdk } from '../vendor/load.js';
import type { CallToolResult, McpServer } from '../vendor/mcp-server.js';
import type { CliBox } from '../setup.js';
import { buildCatalog, findEntry, listCatalog, searchCatalog, type CatalogEntry } from './catalog.js';
import { outSignature, registerFileTools } from './files.js';

/**
 * How a session behaves (from `pybox mcp`'s flags).
 *
 * @example
 * ```ts
 * await createMcpSession(cli, { maxOutputChars: 5_000, discovery: 'on' } satisfies McpSessionOptions)
 * ```
 */
export interface McpSessionOptions {
  /** Characters of output run_python returns (head and tail kept). Default 20,000. */
  maxOutputChars?: number;
  /** `on`: list names only and offer search_tools/describe_tool; `off`: every stub in the description; `auto` (default): `on` past 25 tools or 15,000 characters of stubs. */
  discovery?: 'auto' | 'on' | 'off';
}

/**
 * A session: its MCP server and how to end it.
 *
 * @example
 * ```ts
 * const session = await createMcpSession(cli)
 * await session.server.connect(transport)
 * transport.onclose = () => void session.close()
 * ```
 */
export interface McpSession {
  server: McpServer;
  /** Closes the server and frees the box. */
  close(): Promise<void>;
}

const SERVER_INFO = { name: 'pybox', version: '0.1.0' };
const DISCOVERY_TOOLS = 25;
const DISCOVERY_CHARS = 15_000;

const sdk = mcpServerSdk();
const { z } = sdk;

const toolCallShape = z.object({
  name: z.string(),
  args: z.record(z.string(), z.unknown()),
  ok: z.boolean(),
  error: z.object({ type: z.string(), message: z.string() }).optional(),
  ms: z.number(),
});

/** What `structuredContent` of run_python holds. */
const runOutput = {
  ok: z.boolean().describe('whether the code ran to its end'),
  stdout: z.string(),
  stderr: z.string(),
  value: z.unknown().optional().describe("the final expression's value, as JSON"),
  repr: z.string().optional().describe("the final expression's repr"),
  error: z.object({ type: z.string(), message: z.string(), traceback: z.string() }).optional(),
  toolCalls: z.array(toolCallShape).describe('the calls the code made (their results stay in the sandbox unless printed)'),
  durationMs: z.number(),
};
/** `structuredContent` of run_python, as {@link runOutput} describes it. */
type RunOutput = {
  ok: boolean;
  stdout: string;
  stderr: string;
  value?: unknown;
  repr?: string;
  error?: { type: string; message: string; traceback: string };
  toolCalls: { name: string; args: Record<string, unknown>; ok: boolean; error?: { type: string; message: string }; ms: number }[];
  durationMs: number;
};

/**
 * Opens a session on a box: creates its context and registers the tools.
 * Connect the returned server to a transport; `close()` frees the box.
 *
 * @example
 * ```ts
 * const session = await createMcpSession(await openBox(options, source), { maxOutputChars: 20_000 })
 * await session.server.connect(new StdioServerTransport())
 * ```
 */
export async function createMcpSession(cli: CliBox, options: McpSessionOptions = {}): Promise<McpSession> {
  const maxChars = options.maxOutputChars ?? 20_000;
  const catalog = buildCatalog(cli);
  const fullStubs = cli.describe();
  const discovery =
    options.discovery === 'on' || (options.discovery !== 'off' && (catalog.length > DISCOVERY_TOOLS || fullStubs.length > DISCOVERY_CHARS));

  const server = new sdk.McpServer(SERVER_INFO, {
    capabilities: { tools: {}, resources: { listChanged: true } },
    instructions:
      'Run Python in a persistent sandbox with run_python: state persists between calls, and only what the code prints comes back.' +
      (catalog.length ? ' The host tools are async Python functions in the sandbox: call them from code, gather them with asyncio.gather.' : ''),
  });

  let context: Context = await cli.createContext();
  let code: CodeTool = codeTool({ context, maxOutputChars: maxChars });
  let queue: Promise<unknown> = Promise.resolve();
  let outFiles = await outSignature(cli.box.fs);

  const run = async (source: string, signal: AbortSignal, progress?: (text: string) => void): Promise<CallToolResult> => {
    const calls: RunOutput['toolCalls'] = [];
    const stopListening = cli.box.onToolCall((e) => calls.push({ name: e.name, args: e.args, ok: e.ok, ...(e.ok ? {} : { error: e.error }), ms: Math.round(e.ms * 10) / 10 }));
    const streams = { stdout: '', stderr: '' };
    try {
      const r = await code.run(source, {
        signal,
        onOutput: (stream, text) => {
          streams[stream] += text;
          progress?.(text);
        },
      });
      let text = r.text;
      if (r.error?.type === 'GuestCrashError') {
        // A hard stop took the context with it: the next call starts afresh.
        context = await cli.createContext();
        code = codeTool({ context, maxOutputChars: maxChars });
        text += '\n[The sandbox was restarted: variables and files written since it started are gone.]';
      }
      const structured: RunOutput = {
        ok: r.ok,
        stdout: cut(streams.stdout, maxChars),
        stderr: cut(streams.stderr, maxChars),
        ...(r.value !== undefined ? { value: r.value } : {}),
        ...(r.repr !== undefined ? { repr: r.repr } : {}),
        ...(r.error ? { error: r.error } : {}),
        toolCalls: calls,
        durationMs: Math.round(r.durationMs * 10) / 10,
      };
      return { content: [{ type: 'text', text }], structuredContent: structured, ...(r.ok ? {} : { isError: true }) };
    } catch (e) {
      // Cancelled by the client, or the session is closing: an error result all the same.
      const error = e instanceof Error ? e : new Error(String(e));
      return { content: [{ type: 'text', text: `${error.name}: ${error.message}` }], isError: true };
    } finally {
      stopListening();
      const now = await outSignature(cli.box.fs);
      if (now !== outFiles) {
        outFiles = now;
        server.sendResourceListChanged();
      }
    }
  };

  const description = codeToolDescription(
    discovery
      ? `# ${catalog.length} functions; call describe_tool(name) for a signature, search_tools(query) to find one.\n${listCatalog(catalog)
          .split('\n')
          .map((l) => `# ${l}`)
          .join('\n')}`
      : fullStubs,
    cli.source.upstreams.servers.length
      ? "- MCP servers' tools are namespaced: `await server.tool(...)`. Tools without a declared output return the server's text (often JSON: use json.loads)."
      : undefined,
  );

  server.registerTool(
    'run_python',
    {
      title: 'Run Python',
      description,
      inputSchema: { code: z.string().describe('Python code to run. Top-level await works; print what you need to see.') },
      outputSchema: runOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: cli.source.upstreams.servers.length > 0 },
    },
    ({ code: source }, extra) => {
      // Output streams as progress notifications when the client asked for progress.
      const token = extra._meta?.progressToken;
      let step = 0;
      const progress =
        token === undefined
          ? undefined
          : (text: string) => void extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: ++step, message: text } }).catch(() => {});
      // One run at a time per session: a second call waits for the first.
      const result = queue.then(() => run(source, extra.signal, progress));
      queue = result.catch(() => {});
      return result;
    },
  );

  registerFileTools(server, cli.box.fs);
  if (discovery) registerDiscovery(server, catalog);

  return {
    server,
    close: async () => {
      await server.close().catch(() => {});
      await cli.box.close();
    },
  };
}

function registerDiscovery(server: McpServer, catalog: CatalogEntry[]): void {
  server.registerTool(
    'search_tools',
    {
      title: 'Search the sandbox functions',
      description: 'Find the Python functions (host tools and MCP servers’ tools) that run_python code can call, by words of their name or description. Returns their stubs.',
      inputSchema: {
        query: z.string().describe('words to look for, e.g. "issue search"'),
        limit: z.number().int().min(1).max(50).default(8).describe('how many to return'),
      },
      annotations: { readOnlyHint: true },
    },
    async ({ query, limit }) => {
      const found = searchCatalog(catalog, query, limit);
      const text = found.length ? found.map((e) => e.stub()).join('\n\n') : `No function matches "${query}". All functions:\n${listCatalog(catalog)}`;
      return { content: [{ type: 'text', text }] };
    },
  );
  server.registerTool(
    'describe_tool',
    {
      title: 'Describe a sandbox function',
      description: 'The full Python stub (signature, types, docstring) of a function that run_python code can call, e.g. "github.search_issues".',
      inputSchema: { name: z.string().describe('the function as Python calls it, e.g. github.search_issues') },
      annotations: { readOnlyHint: true },
    },
    async ({ name }) => {
      const found = findEntry(catalog, name);
      if (!found) {
        const near = searchCatalog(catalog, name, 5).map((e) => e.name);
        return {
          content: [{ type: 'text', text: `No function named "${name}".${near.length ? ` Did you mean: ${near.join(', ')}?` : ''} Use search_tools to find one.` }],
          isError: true,
        };
      }
      return { content: [{ type: 'text', text: found.stub() }] };
    },
  );
}
