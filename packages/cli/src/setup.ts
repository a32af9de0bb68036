/**
 * From the shared command-line options to a ready box: limits and mounts,
 * the `--tools` module's tools, and the `--connect` servers' tools bound
 * under their namespaces in every context the commands create.
 */
import { PyBox, type Context, type Limits, type ToolDefinition, type ToolsInput } from '@pybox/node';
import type { BoxCliOptions } from './options.js';
import { loadToolsModule } from './tools-module.js';
import { connectUpstreams, type Upstreams } from './upstream.js';

/**
 * The tools every box of a process gets: from `--tools` and `--connect`, loaded once.
 *
 * @example
 * ```ts
 * const source = await loadToolSource({ connect: [parseConnect('geo=node geo-server.mjs')] })
 * source.upstreams.servers[0].namespace // 'geo'
 * ```
 */
export interface ToolSource {
  /** The `--tools` module's tools, as it exported them. */
  hostTools?: ToolsInput;
  /** The `--connect` servers. */
  upstreams: Upstreams;
  /** Closes the server connections. */
  close(): Promise<void>;
}

/**
 * A box with the command's tools, and contexts that see the servers' namespaces.
 *
 * @example
 * ```ts
 * const cli = await openBox(options, loadToolSource(options))
 * const ctx = await cli.createContext()        // `geo.lookup(...)` works here
 * console.log(cli.describe())                  // the stubs of every tool
 * ```
 */
export interface CliBox {
  box: PyBox;
  source: ToolSource;
  /** Names of the `--tools` tools, in definition order. */
  hostToolNames: string[];
  /** A new context with the servers' namespaces bound (and protected). */
  createContext(): Promise<Context>;
  /** The stubs of every tool: the host tools, then one class per server. */
  describe(): string;
}

/**
 * Loads the `--tools` module and connects to the `--connect` servers.
 * @throws ToolsModuleError, ConnectError
 *
 * @example
 * ```ts
 * const source = await loadToolSource({ tools: './tools.mjs', connect: [], mount: [] })
 * ```
 */
export async function loadToolSource(options: Pick<BoxCliOptions, 'tools' | 'connect'>): Promise<ToolSource> {
  const hostTools = options.tools ? await loadToolsModule(options.tools) : undefined;
  const taken = new Set(hostTools ? toolNamesOf(hostTools) : []);
  const upstreams = await connectUpstreams(options.connect ?? [], taken);
  return { ...(hostTools ? { hostTools } : {}), upstreams, close: () => upstreams.close() };
}

/**
 * The limits the options ask for (the box's defaults fill the rest).
 *
 * @example
 * ```ts
 * limitsOf({ timeout: 5000, mount: [], connect: [] }) // { timeoutMs: 5000 }
 * ```
 */
export function limitsOf(options: Pick<BoxCliOptions, 'timeout' | 'wallTimeout' | 'memory'>): Limits {
  return {
    ...(options.timeout ? { timeoutMs: options.timeout } : {}),
    ...(options.wallTimeout ? { wallTimeoutMs: options.wallTimeout } : {}),
    ...(options.memory ? { memoryBytes: options.memory } : {}),
  };
}

/**
 * Starts a box. `source` may still be loading: the guest boots meanwhile,
 * and the tools are defined once both are ready.
 * @throws InvalidArgumentError (bad mounts or limits), ToolDefinitionError, and whatever `source` rejects with
 *
 * @example
 * ```ts
 * const cli = await openBox(options, loadToolSource(options))
 * const ctx = await cli.createContext()
 * ```
 */
export async function openBox(options: BoxCliOptions, source: ToolSource | Promise<ToolSource>): Promise<CliBox> {
  const boxPromise = PyBox.create({ limits: limitsOf(options), mounts: options.mount ?? [] });
  let box: PyBox | undefined;
  try {
    const [created, tools] = await Promise.all([boxPromise, source]);
    box = created;
    if (tools.hostTools) await box.defineTools(tools.hostTools);
    const hostToolNames = box.toolNames;
    const forwarding = tools.upstreams.toolDefinitions();
    if (forwarding.length) await box.defineTools(forwarding);
    const ready = box;
    return {
      box: ready,
      source: tools,
      hostToolNames,
      createContext: async () => {
        const ctx = await ready.createContext();
        await tools.upstreams.install(ctx);
        return ctx;
      },
      describe: () => {
        const host = hostToolNames.length ? ready.describeTools(hostToolNames) : '';
        return [host, tools.upstreams.describe(ready)].filter(Boolean).join('\n\n');
      },
    };
  } catch (e) {
    // Whichever failed, nothing is left running.
    box ??= await boxPromise.catch(() => undefined);
    await box?.close();
    throw e;
  }
}

function toolNamesOf(tools: ToolsInput): string[] {
  return Array.isArray(tools) ? (tools as ToolDefinition[]).map((t) => t?.name).filter((n): n is string => typeof n === 'string') : Object.keys(tools);
}
