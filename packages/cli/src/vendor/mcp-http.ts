/** The MCP SDK's Streamable HTTP server transport, for `pybox mcp --http` (a bundle entry, like mcp-server.ts). */
export { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
