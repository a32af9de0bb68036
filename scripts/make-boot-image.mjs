// Makes the boot image shipped with @pybox/core (dist/wasm/pybox.image):
// boots the committed guest once, imports the modules agent code and the
// driver use most, and saves the memory. Engines then start from it.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { Engine } = await import(join(root, 'packages/core/dist/internal.js'));
const out = resolve(process.argv[2] ?? join(root, 'packages/core/dist/wasm/pybox.image'));

const module = await WebAssembly.compile(readFileSync(join(root, 'wasm/pybox.wasm')));
const engine = await Engine.create({ module, stdlib: new Uint8Array(readFileSync(join(root, 'wasm/python313.zip'))) });
const ctx = engine.createContext();
// `await` sets up the driver's event loop; the imports are what agents reach for first.
const warm = await engine.exec(ctx, 'import asyncio, json, re, math, collections, itertools, functools, random\nawait asyncio.sleep(0)');
if (!warm.ok) throw new Error(`warming the guest failed: ${warm.error.traceback}`);
engine.deleteContext(ctx);
const image = engine.bootImage();
writeFileSync(out, image);
console.log(`boot image: ${(image.length / 1e6).toFixed(1)} MB -> ${out}`);
