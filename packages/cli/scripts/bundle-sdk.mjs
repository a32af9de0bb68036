// After `tsc -b`: bundles dist/vendor/*.js (the MCP SDK and zod, re-exported) into a few files
// with shared chunks, in place. Loading one bundled file instead of the SDK's and zod's hundreds
// of modules halves the MCP server's start-up on this machine. The .d.ts files stay as tsc wrote them.
import { readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const vendor = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'vendor');
const out = `${vendor}.bundle`;
const entries = readdirSync(vendor).filter((f) => f.endsWith('.js') && !f.startsWith('chunk-'));
const input = Object.fromEntries(entries.map((f) => [f.slice(0, -3), join(vendor, f)]));
rmSync(out, { recursive: true, force: true });
await build({
  input,
  platform: 'node',
  logLevel: 'warn',
  output: { dir: out, format: 'esm', entryFileNames: '[name].js', chunkFileNames: 'chunk-[hash].js', sourcemap: false },
});
for (const f of readdirSync(vendor)) if (f.endsWith('.js') || f.endsWith('.js.map')) rmSync(join(vendor, f));
for (const f of readdirSync(out)) renameSync(join(out, f), join(vendor, f));
rmSync(out, { recursive: true });
console.log(`bundled ${entries.join(', ')} into dist/vendor`);
