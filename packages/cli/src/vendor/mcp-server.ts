/**
 * The MCP SDK server parts `pybox mcp` uses, and the zod it takes schemas
 * in: the entry of the bundle `pnpm build` makes (scripts/bundle-sdk.mjs).
 * Code loads it through `mcpServerSdk()` of load.ts; only its types are
 * imported directly.
 */
export { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
export { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
export { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
export type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
export { z } from 'zod';
