/**
 * `@pybox/cli`: the `pybox` command (`pybox run`, `pybox repl`, `pybox mcp`),
 * and the pieces it is made of for programs that embed them: the MCP
 * session over a box, the `--connect` bridge that turns other MCP servers'
 * tools into Python functions, and the exit codes.
 *
 * @example
 * ```ts
 * import { createMcpSession, loadToolSource, openBox, parseConnect } from '@pybox/cli'
 * import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
 * const options = { mount: [], connect: [parseConnect('docs=node docs-server.mjs')] }
 * const session = await createMcpSession(await openBox(options, loadToolSource(options)))
 * await session.server.connect(new StdioServerTransport())
 * ```
 */
export { EXIT_CODES } from './exit-codes.js';
export { parseConnect, parseDuration, parseMount, parseSize, type BoxCliOptions, type ConnectSpec } from './options.js';
export { loadToolsModule, ToolsModuleError } from './tools-module.js';
export { connectUpstreams, ConnectError, type Upstreams, type UpstreamServer, type UpstreamTool } from './upstream.js';
export { loadToolSource, openBox, type CliBox, type ToolSource } from './setup.js';
export { runScript, type RunCliOptions, type RunReport } from './run.js';
export { startRepl, type ReplCliOptions } from './repl.js';
export { createMcpSession, type McpSession, type McpSessionOptions } from './mcp/session.js';
export { serveMcp, type McpCliOptions } from './mcp/serve.js';
