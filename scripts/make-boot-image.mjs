// Makes the boot image shipped with @pybox/core (dist/wasm/pybox.image):
// boots the committed guest once, imports the modules agent code and the
// driver use most, and saves what differs from the module's own initial
// memory (engine/image.ts). Engines then start from it: a preloaded module's
// `import` costs nothing, in a warm process or a fresh one.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { Engine } = await import(join(root, 'packages/core/dist/internal.js'));
const out = resolve(process.argv[2] ?? join(root, 'packages/core/dist/wasm/pybox.image'));

/**
 * What programmatic-tool-calling code imports, beyond what the driver needs (asyncio): text,
 * data and dates, numbers, files and archives, mail. Each costs image bytes (bench/README.md
 * gives the weighing); the email set is the largest (about 1.2 MB of memory, 0.3 MB brotli).
 */
const PRELOAD = [
  'asyncio', 'json', 're', 'math', 'collections', 'itertools', 'functools', 'random', 'operator',
  'heapq', 'bisect', 'copy', 'pprint', 'enum', 'io', 'time', 'calendar', 'struct', 'contextlib',
  'typing', 'dataclasses', 'datetime', 'zoneinfo', 'tzdata', 'decimal', 'fractions', 'statistics',
  'string', 'textwrap', 'difflib', 'html', 'html.parser', 'xml.etree.ElementTree', 'csv',
  'urllib.parse', 'base64', 'hashlib', 'uuid', 'pathlib', 'tempfile', 'shutil', 'tomllib',
  'sqlite3', 'gzip', 'lzma', 'bz2', 'email.message', 'email.parser', 'email.policy', 'email.utils',
  'email.mime.text', 'email.mime.multipart',
];

const module = await WebAssembly.compile(readFileSync(join(root, 'wasm/pybox.wasm')));
const engine = await Engine.create({ module, stdlib: new Uint8Array(readFileSync(join(root, 'wasm/python313.zip'))) });
const ctx = engine.createContext();
// `await` sets up the driver's event loop. gc.freeze(): the preloaded objects live for good, so
// the collector never walks them again (faster collections in every exec).
const warm = await engine.exec(ctx, `import ${PRELOAD.join(', ')}\nawait asyncio.sleep(0)\nimport gc\ngc.collect()\ngc.freeze()`);
if (!warm.ok) throw new Error(`warming the guest failed: ${warm.error.traceback}`);
engine.deleteContext(ctx);
const image = engine.bootImage();
writeFileSync(out, image);
console.log(`boot image: ${(image.length / 1e6).toFixed(1)} MB, ${PRELOAD.length} modules preloaded -> ${out}`);
