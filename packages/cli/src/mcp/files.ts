/**
 * The session's virtual filesystem over MCP: `list_files`, `read_file`,
 * `write_file`, `delete_file`, and the files under `/out` as resources
 * (`pybox:///out/report.md`). Every failure is a tool error with the
 * reason, never a protocol error.
 */
import type { BoxFileSystem } from '@pybox/node';
import { mcpServerSdk } from '../vendor/load.js';
import type { CallToolResult, McpServer } from '../vendor/mcp-server.js';

const { ResourceTemplate, z } = mcpServerSdk();

/** Largest file `read_file` returns (larger ones: read a part in run_python). */
export const MAX_READ_BYTES = 1024 * 1024;
/** Most entries a recursive `list_files` returns. */
const MAX_ENTRIES = 2000;
/** The URI prefix of the `/out` resources. */
export const OUT_URI_PREFIX = 'pybox:///out/';

const MIME: Record<string, string> = {
  md: 'text/markdown',
  txt: 'text/plain',
  log: 'text/plain',
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  json: 'application/json',
  jsonl: 'application/jsonl',
  html: 'text/html',
  xml: 'application/xml',
  svg: 'image/svg+xml',
  py: 'text/x-python',
  yaml: 'application/yaml',
  yml: 'application/yaml',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  pdf: 'application/pdf',
};

/** A file's MIME type from its extension (`application/octet-stream` when unknown). */
export function mimeOf(path: string): string {
  return MIME[path.split('.').pop()?.toLowerCase() ?? ''] ?? 'application/octet-stream';
}

/** One entry of a listing. */
interface Entry {
  path: string;
  type: 'file' | 'directory';
  size: number;
}

/**
 * Every file under a folder (depth first, sorted), up to `max` entries.
 *
 * @example
 * ```ts
 * await walk(box.fs, '/out', true, 100) // [{ path: '/out/report.md', type: 'file', size: 812 }]
 * ```
 */
export async function walk(fs: BoxFileSystem, dir: string, recursive: boolean, max: number): Promise<{ entries: Entry[]; truncated: boolean }> {
  const entries: Entry[] = [];
  const visit = async (folder: string): Promise<boolean> => {
    for (const name of (await fs.readdir(folder)).sort()) {
      if (entries.length >= max) return false;
      const path = folder === '/' ? `/${name}` : `${folder}/${name}`;
      const info = await fs.stat(path);
      if (!info) continue;
      entries.push({ path, type: info.type, size: info.size });
      // /lib is the standard library: only listed deeply when asked for by name.
      if (recursive && info.type === 'directory' && !(path === '/lib' && dir !== '/lib')) {
        if (!(await visit(path))) return false;
      }
    }
    return true;
  };
  const complete = await visit(dir);
  return { entries, truncated: !complete };
}

const failure = (e: unknown): CallToolResult => ({
  content: [{ type: 'text', text: e instanceof Error ? e.message : String(e) }],
  isError: true,
});

const absolute = z.string().regex(/^\//, 'an absolute path, such as /out/report.md');

/**
 * Registers the file tools and the `/out` resources on a server.
 *
 * @example
 * ```ts
 * registerFileTools(server, box.fs)
 * ```
 */
export function registerFileTools(server: McpServer, fs: BoxFileSystem): void {
  server.registerTool(
    'list_files',
    {
      title: 'List sandbox files',
      description:
        'List a folder of the sandbox filesystem (/data, /tmp and /out are writable; mounted folders appear where they were mounted). Returns path, type and size.',
      inputSchema: {
        path: absolute.default('/').describe('the folder to list'),
        recursive: z.boolean().default(false).describe('list subfolders too (at most 2000 entries)'),
      },
      annotations: { readOnlyHint: true },
    },
    async ({ path, recursive }) => {
      try {
        const info = await fs.stat(path);
        if (!info) throw new Error(`no such folder: ${path}`);
        if (info.type !== 'directory') throw new Error(`${path} is a file, not a folder: read it with read_file`);
        const { entries, truncated } = await walk(fs, path, recursive, MAX_ENTRIES);
        const lines = entries.map((e) => (e.type === 'directory' ? `${e.path}/` : `${e.path}  (${e.size} bytes)`));
        if (truncated) lines.push(`[... stopped at ${MAX_ENTRIES} entries: list a subfolder]`);
        return { content: [{ type: 'text', text: lines.join('\n') || `(${path} is empty)` }], structuredContent: { path, entries, truncated } };
      } catch (e) {
        return failure(e);
      }
    },
  );

  server.registerTool(
    'read_file',
    {
      title: 'Read a sandbox file',
      description: `Read a file of the sandbox filesystem, as UTF-8 text (binary files come back base64-encoded, images as images). At most ${MAX_READ_BYTES} bytes.`,
      inputSchema: {
        path: absolute.describe('the file to read'),
        encoding: z.enum(['utf-8', 'base64']).optional().describe('utf-8 (default for text) or base64'),
      },
      annotations: { readOnlyHint: true },
    },
    async ({ path, encoding }) => {
      try {
        const info = await fs.stat(path);
        if (!info) throw new Error(`no such file: ${path}`);
        if (info.type === 'directory') throw new Error(`${path} is a folder: list it with list_files`);
        if (info.size > MAX_READ_BYTES) throw new Error(`${path} is ${info.size} bytes, more than ${MAX_READ_BYTES}: read a part of it with run_python`);
        const bytes = await fs.readFile(path);
        const mimeType = mimeOf(path);
        if (encoding !== 'base64') {
          const text = decodeUtf8(bytes);
          if (text !== undefined) return { content: [{ type: 'text', text }] };
          if (encoding === 'utf-8') throw new Error(`${path} is not UTF-8 text: read it with encoding "base64"`);
        }
        const data = Buffer.from(bytes).toString('base64');
        if (mimeType.startsWith('image/') && mimeType !== 'image/svg+xml') return { content: [{ type: 'image', data, mimeType }] };
        return { content: [{ type: 'text', text: data }], structuredContent: { path, encoding: 'base64', mimeType, size: bytes.length } };
      } catch (e) {
        return failure(e);
      }
    },
  );

  server.registerTool(
    'write_file',
    {
      title: 'Write a sandbox file',
      description: 'Write a file in the sandbox filesystem (under /data, /tmp, /out or a writable mount), creating its folders. Replaces an existing file.',
      inputSchema: {
        path: absolute.describe('where to write, e.g. /data/input.csv'),
        content: z.string().describe('the file content'),
        encoding: z.enum(['utf-8', 'base64']).default('utf-8').describe('how content is encoded'),
      },
      annotations: { destructiveHint: true, idempotentHint: true },
    },
    async ({ path, content, encoding }) => {
      try {
        const data = encoding === 'base64' ? new Uint8Array(Buffer.from(content, 'base64')) : content;
        await fs.writeFile(path, data);
        const size = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
        return { content: [{ type: 'text', text: `wrote ${size} bytes to ${path}` }] };
      } catch (e) {
        return failure(e);
      }
    },
  );

  server.registerTool(
    'delete_file',
    {
      title: 'Delete a sandbox file',
      description: 'Delete a file (or, with recursive, a folder and its content) from the sandbox filesystem.',
      inputSchema: {
        path: absolute.describe('the file or folder to delete'),
        recursive: z.boolean().default(false).describe('delete a folder and everything in it'),
      },
      annotations: { destructiveHint: true },
    },
    async ({ path, recursive }) => {
      try {
        await fs.rm(path, { recursive });
        return { content: [{ type: 'text', text: `deleted ${path}` }] };
      } catch (e) {
        return failure(e);
      }
    },
  );

  server.registerResource(
    'out',
    new ResourceTemplate(`${OUT_URI_PREFIX}{+path}`, {
      list: async () => {
        const { entries } = await walk(fs, '/out', true, MAX_ENTRIES);
        return {
          resources: entries
            .filter((e) => e.type === 'file')
            .map((e) => ({ uri: `pybox://${e.path}`, name: e.path.slice('/out/'.length), mimeType: mimeOf(e.path), size: e.size })),
        };
      },
    }),
    { title: 'Files the code wrote to /out', description: 'Every file under /out in the sandbox.' },
    async (uri) => {
      const path = decodeURIComponent(uri.pathname);
      if (!path.startsWith('/out/') || path.split('/').includes('..')) throw new Error(`not a file under /out: ${uri.href}`);
      const bytes = await fs.readFile(path);
      const mimeType = mimeOf(path);
      const text = mimeType.startsWith('image/') && mimeType !== 'image/svg+xml' ? undefined : decodeUtf8(bytes);
      return {
        contents: [text !== undefined ? { uri: uri.href, mimeType, text } : { uri: uri.href, mimeType, blob: Buffer.from(bytes).toString('base64') }],
      };
    },
  );
}

/**
 * The files under `/out` with their sizes, to tell whether the resource list changed.
 *
 * @example
 * ```ts
 * const before = await outSignature(box.fs)
 * ```
 */
export async function outSignature(fs: BoxFileSystem): Promise<string> {
  try {
    const { entries } = await walk(fs, '/out', true, MAX_ENTRIES);
    return entries.map((e) => `${e.path}:${e.size}`).join('\n');
  } catch {
    return '';
  }
}

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
