/**
 * Loads the MCP SDK as `pnpm build` bundled it (scripts/bundle-sdk.mjs): a
 * few CommonJS files in dist/vendor, each compiled with the V8 code cache
 * made beside it at build time. Loading the SDK and zod this way takes a
 * fraction of the CPU time of their hundreds of ES modules, and `pybox mcp`
 * loads them on its way to the first answer. A cache that does not fit this
 * Node (another version) is ignored by V8 and the file compiles as usual.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import type * as McpClientSdk from './mcp-client.js';
import type * as McpHttpSdk from './mcp-http.js';
import type * as McpServerSdk from './mcp-server.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const nodeRequire = createRequire(import.meta.url);
const loaded = new Map<string, unknown>();

/** The server side: McpServer, ResourceTemplate, StdioServerTransport, isInitializeRequest, z. */
export const mcpServerSdk = (): typeof McpServerSdk => load('mcp-server') as typeof McpServerSdk;
/** The Streamable HTTP server transport. */
export const mcpHttpSdk = (): typeof McpHttpSdk => load('mcp-http') as typeof McpHttpSdk;
/** The client side, for `--connect`. */
export const mcpClientSdk = (): typeof McpClientSdk => load('mcp-client') as typeof McpClientSdk;

function load(name: string): unknown {
  const file = join(HERE, `${name}.cjs`);
  if (!existsSync(file)) {
    throw new Error(`${file} is missing: build @pybox/cli with \`pnpm build\`, which bundles the MCP SDK`);
  }
  return loadFile(file, false);
}

/**
 * Runs one bundled file as CommonJS; its `require('./chunk-...')` loads the
 * shared chunks the same way. With `writeCache`, saves the code cache.
 */
function loadFile(file: string, writeCache: boolean): unknown {
  if (loaded.has(file)) return loaded.get(file);
  const cacheFile = `${file}.cache`;
  const cachedData = !writeCache && existsSync(cacheFile) ? readFileSync(cacheFile) : undefined;
  // The wrapper is on the first line, so that line numbers in stack traces stay right.
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${readFileSync(file, 'utf8')}\n})`, {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const module = { exports: {} as unknown };
  loaded.set(file, module.exports);
  const requireHere = (id: string) => (id.startsWith('./') ? loadFile(join(dirname(file), id), writeCache) : nodeRequire(id));
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, requireHere, module, file, dirname(file));
  loaded.set(file, module.exports);
  if (writeCache) writeFileSync(cacheFile, script.createCachedData());
  return module.exports;
}

/**
 * For the build: loads every bundled entry in `dir` and writes the code
 * caches. Run it in a fresh process.
 *
 * @example
 * ```ts
 * writeCodeCaches(['mcp-server', 'mcp-http', 'mcp-client']) // dist/vendor/*.cjs.cache
 * ```
 */
export function writeCodeCaches(names: string[]): void {
  for (const name of names) loadFile(join(HERE, `${name}.cjs`), true);
}
