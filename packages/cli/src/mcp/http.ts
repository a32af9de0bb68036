/**
 * `pybox mcp --http`: Streamable HTTP on a loopback address, at `/mcp`.
 * Each client session (its `initialize`) gets its own box; the session ends,
 * and its box is freed, when the client sends DELETE, when it stays idle
 * past `--session-timeout`, or when the process stops. The `--connect`
 * servers are shared by every session. Requests whose Host or Origin is not
 * a loopback name are refused (DNS rebinding: a web page must not reach the
 * server through a name it controls).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mcpHttpSdk, mcpServerSdk } from '../vendor/load.js';
import type { StreamableHTTPServerTransport } from '../vendor/mcp-http.js';
import { EXIT_CODES } from '../exit-codes.js';
import { openBox, type ToolSource } from '../setup.js';
import type { McpCliOptions } from './serve.js';
import { sessionOptions } from './serve.js';
import { createMcpSession, type McpSession } from './session.js';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);
/** The largest request body: run_python's source may be up to 2 MiB, as JSON. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

interface Live {
  transport: StreamableHTTPServerTransport;
  session: McpSession;
  timer?: NodeJS.Timeout;
}

/**
 * Listens until SIGINT/SIGTERM; returns `undefined` while serving, or an exit code if it cannot start.
 *
 * @example
 * ```ts
 * await serveHttp({ mount: [], connect: [], http: '8765' }, loadToolSource(options))
 * ```
 */
export async function serveHttp(options: McpCliOptions, sourcePromise: Promise<ToolSource>): Promise<number | undefined> {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK_NAMES.has(host) && !/^127\.\d+\.\d+\.\d+$/.test(host)) {
    process.stderr.write(`pybox mcp: --host must be a loopback address (127.0.0.1, ::1 or localhost): the server runs code for anyone who reaches it\n`);
    return EXIT_CODES.usage;
  }
  const port = options.http === true || options.http === undefined ? 0 : Number(options.http);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`pybox mcp: --http takes a port number, got "${String(options.http)}"\n`);
    return EXIT_CODES.usage;
  }
  let source: ToolSource;
  try {
    source = await sourcePromise;
  } catch (e) {
    process.stderr.write(`pybox mcp: ${e instanceof Error ? e.message : String(e)}\n`);
    return EXIT_CODES.usage;
  }

  const sessions = new Map<string, Live>();
  const idleMs = options.sessionTimeout ?? 30 * 60_000;
  const maxSessions = options.maxSessions ?? 16;
  const closeSession = async (id: string) => {
    const live = sessions.get(id);
    if (!live) return;
    sessions.delete(id);
    clearTimeout(live.timer);
    await live.session.close();
    process.stderr.write(`pybox mcp: session ${id} closed, its sandbox freed (${sessions.size} open)\n`);
  };
  const touch = (id: string) => {
    const live = sessions.get(id);
    if (!live) return;
    clearTimeout(live.timer);
    live.timer = setTimeout(() => void closeSession(id), idleMs);
    live.timer.unref();
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (!loopbackRequest(req)) return reply(res, 403, 'only loopback Host and Origin headers are accepted');
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/mcp') return reply(res, 404, 'the MCP endpoint is /mcp');
    const id = header(req, 'mcp-session-id');
    if (id) {
      const live = sessions.get(id);
      if (!live) return reply(res, 404, 'unknown or expired session: initialize a new one', -32001);
      touch(id);
      const body = req.method === 'POST' ? await readJson(req, res) : undefined;
      if (req.method === 'POST' && body === undefined) return;
      await live.transport.handleRequest(req, res, body);
      return;
    }
    if (req.method !== 'POST') return reply(res, 400, 'send initialize first (POST /mcp without a session id)');
    const body = await readJson(req, res);
    if (body === undefined) return;
    if (!mcpServerSdk().isInitializeRequest(body)) return reply(res, 400, 'no session: the first request must be initialize');
    if (sessions.size >= maxSessions) return reply(res, 503, `${maxSessions} sessions are open: close one (DELETE /mcp) or retry later`);
    const cli = await openBox(options, source);
    const session = await createMcpSession(cli, sessionOptions(options));
    const transport: StreamableHTTPServerTransport = new (mcpHttpSdk().StreamableHTTPServerTransport)({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (newId) => {
        sessions.set(newId, { transport, session });
        touch(newId);
        process.stderr.write(`pybox mcp: session ${newId} opened (${sessions.size} open)\n`);
      },
      onsessionclosed: (closedId) => void closeSession(closedId),
    });
    transport.onclose = () => {
      if (transport.sessionId) void closeSession(transport.sessionId);
      else void session.close();
    };
    await session.server.connect(transport);
    await transport.handleRequest(req, res, body);
    if (!transport.sessionId) await session.close(); // initialize was refused: nothing to keep
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      process.stderr.write(`pybox mcp: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      if (!res.headersSent) reply(res, 500, e instanceof Error ? e.message : String(e), -32603);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  }).catch((e: unknown) => {
    process.stderr.write(`pybox mcp: cannot listen on ${host}:${port}: ${e instanceof Error ? e.message : String(e)}\n`);
    return Promise.reject(e);
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  process.stderr.write(`pybox mcp: listening on http://${shown}:${address.port}/mcp\n`);

  const stop = async () => {
    server.close();
    await Promise.allSettled([...sessions.keys()].map(closeSession));
    await source.close();
    process.exit(EXIT_CODES.ok);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop());
  return undefined;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Host (and Origin, when a browser sends one) name a loopback address, whatever the port. */
function loopbackRequest(req: IncomingMessage): boolean {
  const hostname = (value: string) => {
    try {
      return new URL(`http://${value}`).hostname;
    } catch {
      return '';
    }
  };
  const host = header(req, 'host');
  if (!host || !LOOPBACK_NAMES.has(hostname(host))) return false;
  const origin = header(req, 'origin');
  if (origin === undefined) return true;
  try {
    return LOOPBACK_NAMES.has(new URL(origin).hostname);
  } catch {
    return false;
  }
}

function reply(res: ServerResponse, status: number, message: string, code = -32000): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

async function readJson(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      reply(res, 413, `the request is larger than ${MAX_BODY_BYTES} bytes: pass large data as a file (write_file)`);
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    reply(res, 400, 'the body is not JSON', -32700);
    return undefined;
  }
}
