// After `tsc -b`: bundles src/vendor/mcp-*.ts (the MCP SDK and zod, re-exported) into CommonJS
// files with shared chunks in dist/vendor, and makes each file's V8 code cache. src/vendor/load.ts
// loads them, and says why. (tsc's own dist/vendor/mcp-*.js re-exports stay unused.)
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sources = join(root, 'src', 'vendor');
const vendor = join(root, 'dist', 'vendor');
const names = readdirSync(sources).filter((f) => /^mcp-.*\.ts$/.test(f)).map((f) => f.slice(0, -3));
for (const f of readdirSync(vendor)) if (f.endsWith('.cjs') || f.endsWith('.cache')) rmSync(join(vendor, f));
await build({
  input: Object.fromEntries(names.map((n) => [n, join(sources, `${n}.ts`)])),
  platform: 'node',
  logLevel: 'warn',
  output: { dir: vendor, format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: 'chunk-[hash].cjs' },
});
// In a fresh process, so that each cache records a clean load.
const load = new URL('../dist/vendor/load.js', import.meta.url).href;
execFileSync(process.execPath, ['--input-type=module', '-e', `import { writeCodeCaches } from ${JSON.stringify(load)}; writeCodeCaches(${JSON.stringify(names)});`], { stdio: 'inherit' });
console.log(`bundled ${names.join(', ')} into dist/vendor, with code caches`);
