// Copies the committed guest (wasm/) into a package's build output, so the
// package ships its assets next to the code that loads them.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dest = resolve(process.argv[2] ?? 'dist/wasm');
mkdirSync(dest, { recursive: true });
for (const file of ['pybox.wasm', 'python313.zip']) copyFileSync(join(root, 'wasm', file), join(dest, file));
