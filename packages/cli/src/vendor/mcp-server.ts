/**
 * The MCP SDK server parts `pybox mcp` uses, and the zod it takes schemas
 * in. `pnpm build` bundles this module (scripts/bundle-sdk.mjs): one file
 * loads in about half the time of the SDK's hundreds of modules, and the
 * time before the first `tools/list` answer is mostly this load.
 */
export { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
export { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
export { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
export type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
export { z } from 'zod';
