/**
 * `pybox mcp`: the MCP server over stdio (one session: the process) or
 * Streamable HTTP on a loopback address (one session per client).
 *
 * Start-up is arranged for speed: the guest boots on its worker thread and
 * the `--connect` servers start while the main thread loads the MCP SDK.
 */
import { EXIT_CODES } from '../exit-codes.js';
import type { BoxCliOptions } from '../options.js';
import { loadToolSource, openBox } from '../setup.js';

/**
 * `pybox mcp`'s options.
 *
 * @example
 * ```ts
 * await serveMcp({ http: '8765', sessionTimeout: 60_000, maxSessions: 4 } satisfies McpCliOptions)
 * ```
 */
export type McpCliOptions = BoxCliOptions & {
  /** Serve Streamable HTTP: `true` or a port (`'0'`: any free port). */
  http?: string | true;
  /** The loopback address for `--http`. */
  host?: string;
  discovery?: 'auto' | 'on' | 'off';
  maxOutput?: number;
  /** With `--http`: ms without a request before a session is closed. */
  sessionTimeout?: number;
  /** With `--http`: sessions open at once. */
  maxSessions?: number;
};

/**
 * Serves until the client goes away (stdio) or the process is stopped
 * (HTTP). Returns an exit code when it ends, `undefined` while an HTTP
 * server keeps running.
 *
 * @example
 * ```ts
 * await serveMcp({ mount: [], connect: [parseConnect('docs=node docs-server.mjs')] })
 * ```
 */
export async function serveMcp(options: McpCliOptions): Promise<number | undefined> {
  // stdout carries the protocol: a tools module that logs must not corrupt it.
  if (options.http === undefined) for (const name of ['log', 'info', 'debug'] as const) console[name] = console.error;
  const source = loadToolSource(options);
  source.catch(() => {}); // reported where it is awaited
  if (options.http !== undefined) {
    const { serveHttp } = await import('./http.js');
    return serveHttp(options, source);
  }
  const firstBox = openBox(options, source);
  firstBox.catch(() => {});
  // The guest boots on a worker thread, but reading and compiling it, and starting the thread, are
  // main-thread work: load the SDK (a blocking evaluation of ~1 MB of code) once the thread exists.
  await workerStarted(firstBox);
  const [{ mcpServerSdk }, { createMcpSession }] = await Promise.all([import('../vendor/load.js'), import('./session.js')]);
  let cli;
  try {
    cli = await firstBox;
  } catch (e) {
    await source.then((s) => s.close(), () => {});
    process.stderr.write(`pybox mcp: ${e instanceof Error ? e.message : String(e)}\n`);
    return EXIT_CODES.usage;
  }
  const session = await createMcpSession(cli, sessionOptions(options));
  const transport = new (mcpServerSdk().StdioServerTransport)();
  return new Promise<number>((resolve) => {
    let ended = false;
    const end = async () => {
      if (ended) return;
      ended = true;
      await session.close();
      await cli.source.close();
      resolve(EXIT_CODES.ok);
    };
    // The client closing its end of stdin ends the session and frees the box.
    process.stdin.once('end', end);
    process.stdin.once('close', end);
    transport.onclose = () => void end();
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void end());
    session.server.connect(transport).catch((e: unknown) => {
      process.stderr.write(`pybox mcp: ${e instanceof Error ? e.message : String(e)}\n`);
      void end();
    });
  });
}

/** Resolves once a worker thread was started (or `box` settled, whichever comes first). */
function workerStarted(box: Promise<unknown>): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('worker', done);
      resolve();
    };
    process.on('worker', done);
    box.then(done, done);
  });
}

/**
 * The session options from the command's flags.
 *
 * @example
 * ```ts
 * sessionOptions({ mount: [], connect: [], maxOutput: 5000 }) // { maxOutputChars: 5000, discovery: 'auto' }
 * ```
 */
export function sessionOptions(options: McpCliOptions): { maxOutputChars: number; discovery: 'auto' | 'on' | 'off' } {
  return { maxOutputChars: options.maxOutput ?? 20_000, discovery: options.discovery ?? 'auto' };
}
