// Rows of `pnpm bench` for the first import of stdlib modules, timed inside each interpreter
// around the `import` statement alone:
// - warm process: PyBox with a new box per run (in-thread, and on a worker thread), so nothing
//   is imported beyond the boot image; Pyodide in this process, the modules an import brought
//   evicted from sys.modules after each run; native python3 in a fresh `python3 -I` process, as
//   a user meets it (every native process is fresh; its site may import some modules at start).
// - fresh Node process: cold.mjs import / import-worker, one process per run.
// - all of them one after another in one fresh process, for each runtime (Pyodide included:
//   a fresh Pyodide takes 2.5–4 s to start, too long for one process per module).
import { execFileSync } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

/**
 * What PTC code imports (the boot image preloads these; scripts/make-boot-image.mjs), then
 * modules it does not preload, which go through the import path itself.
 */
export const IMPORT_MODULES = [
  'decimal', 'statistics', 'csv', 'email.mime.text', 'xml.etree.ElementTree', 'urllib.parse', 'difflib',
  'fractions', 'zoneinfo', 'html.parser', 'pathlib', 'tomllib', 'uuid', 'base64', 'hashlib', 'gzip',
  'dataclasses', 'datetime', 'string', 'textwrap', 'sqlite3', 'lzma', 'bz2',
  // not preloaded
  'argparse', 'logging.handlers', 'http.client', 'zipfile', 'xml.dom.minidom', 'configparser', 'ipaddress', 'pickle',
];
const RUNS = 3;
/** Python that imports the modules of a list and sets `_r` to [all imported already, ms]. */
const timingImports = (names) =>
  `import sys, time as _t\n_pre = all(m in sys.modules for m in ${JSON.stringify(names)})\n_t0 = _t.perf_counter()\nimport ${names.join(', ')}\n_r = [_pre, (_t.perf_counter() - _t0) * 1000]`;
/** The same, ending in `_r` (the value of an exec). */
export const timedImports = (names) => `${timingImports(names)}\n_r`;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const na = (why) => ({ text: 'n/a', why });
const dash = { text: '—' };
const PRELOADED = 'preloaded in the boot image';

/** The median of `runs` results of `once()` ([preloaded, ms]) as a cell; an error cell at the first failure. */
async function cellOf(once, runs = RUNS) {
  const ms = [];
  let preloaded = false;
  for (let k = 0; k < runs; k++) {
    try {
      const [pre, t] = await once();
      preloaded = pre;
      ms.push(t);
    } catch (e) {
      return { text: 'error', why: String(e?.message ?? e).split('\n').filter(Boolean).at(-1)?.slice(0, 90) };
    }
  }
  return { value: median(ms), preloaded };
}

/**
 * @param {(...a: unknown[]) => void} log
 * @param {{ PyBox: any, python: { exe: string } | null, pyodide: { py: any } | null,
 *   runChild: (cmd: string, args: string[]) => Promise<{ lines: string[], stderr: string }>, lastJson: (lines: string[]) => any }} deps
 */
export async function importRows(log, { PyBox, python, pyodide, runChild, lastJson }) {
  /** One run in a new PyBox box of this process. */
  const inBox = (options, names) => async () => {
    const box = await PyBox.create(options);
    try {
      const r = await (await box.createContext()).exec(timedImports(names));
      if (!r.ok) throw new Error(`${r.error.type}: ${r.error.message}`);
      return r.value;
    } finally {
      await box.close();
    }
  };
  /** One run in a fresh Node process (cold.mjs). */
  const inProcess = (mode, names) => async () => {
    const r = await runChild(process.execPath, [`${HERE}/cold.mjs`, mode, names.join(',')]);
    const j = lastJson(r.lines);
    if (j?.importMs === undefined) throw new Error(j?.error ?? (r.stderr.trim().split('\n').at(-1) || 'no figure'));
    return [j.preloaded, j.importMs];
  };
  /** One run in a fresh native process. */
  const inNative = (names) => async () => {
    const code = `${timingImports(names)}\nimport json\nprint(json.dumps(_r))`;
    return JSON.parse(execFileSync(python.exe, ['-I', '-c', code], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
  };
  /** One run in this process's Pyodide, then what it imported is evicted. */
  const inPyodide = (names) => async () => {
    const py = pyodide.py;
    const before = py.runPython('import sys\nlist(sys.modules)').toJs();
    try {
      return py.runPython(timedImports(names)).toJs();
    } finally {
      py.globals.set('_pybox_keep', py.toPy(before));
      py.runPython('import sys\n_k = set(_pybox_keep)\nfor _n in [n for n in sys.modules if n not in _k]: del sys.modules[_n]');
    }
  };

  const warm = {};
  const warmWorker = {};
  const fresh = {};
  const freshWorker = {};
  const native = {};
  const pyo = {};
  log(`imports: ${IMPORT_MODULES.length} modules, ${RUNS} runs each (warm in-thread and worker, fresh process, native, pyodide)`);
  for (const m of IMPORT_MODULES) {
    warm[m] = await cellOf(inBox({ inThread: true }, [m]));
    warmWorker[m] = await cellOf(inBox({}, [m]));
    fresh[m] = await cellOf(inProcess('import', [m]));
    // A preloaded module costs a look-up in sys.modules on every engine: one worker process is enough to show it.
    freshWorker[m] = await cellOf(inProcess('import-worker', [m]), fresh[m].preloaded ? 1 : RUNS);
    native[m] = python ? await cellOf(inNative([m])) : na('python3 not found');
    pyo[m] = pyodide ? await cellOf(inPyodide([m])) : na('pyodide not installed');
    if (pyo[m].text === 'error') pyo[m] = { text: 'unsupported', why: pyo[m].why };
  }
  log('imports: all of them in one fresh process, each runtime');
  const all = IMPORT_MODULES;
  const seq = {
    inThread: await cellOf(inProcess('import', all)),
    worker: await cellOf(inProcess('import-worker', all)),
    pyodide: pyodide ? await cellOf(inProcess('import-pyodide', all.filter((m) => pyo[m]?.value !== undefined))) : na('pyodide not installed'),
    native: python ? await cellOf(inNative(all)) : na('python3 not found'),
  };

  const rows = [];
  const noteOf = (m, pyodideCell) => {
    const notes = [];
    if (warm[m].preloaded) notes.push(`PyBox: ${PRELOADED}`);
    if (pyodideCell?.preloaded) notes.push('pyodide: imported at its start');
    if (native[m].preloaded) notes.push('native: imported at its start (site), no ratio target');
    return notes.join('; ') || undefined;
  };
  /** The targets of a row: the ratio only where native python3 really imported the module. */
  const targetsOf = (m, ratio) => [
    ...(native[m].preloaded ? [] : [{ col: 'inThread', maxRatioToNative: ratio }]),
    { col: 'inThread', max: 30 },
    { col: 'worker', max: 30 },
  ];
  for (const m of IMPORT_MODULES) {
    rows.push({
      label: `import \`${m}\`, warm process: first import (ms)`,
      cells: { inThread: warm[m], worker: warmWorker[m], monty: na('no stdlib modules'), pyodide: pyo[m], native: native[m] },
      target: targetsOf(m, 2),
      note: noteOf(m, pyo[m]),
    });
  }
  for (const m of IMPORT_MODULES) {
    rows.push({
      label: `import \`${m}\`, fresh Node process: first import (ms)`,
      cells: {
        inThread: fresh[m],
        worker: freshWorker[m],
        monty: na('no stdlib modules'),
        pyodide: na('one fresh Pyodide per module is too slow to start: see the one-process row'),
        native: native[m],
      },
      target: targetsOf(m, 4),
      note: noteOf(m),
    });
  }
  // The sums, over the modules every runtime in the row imported.
  const sum = (table) => IMPORT_MODULES.reduce((s, m) => s + (table[m]?.value ?? NaN), 0);
  const total = (table) => (Number.isFinite(sum(table)) ? { value: sum(table) } : na('not every module imported'));
  rows.push({
    label: `all ${IMPORT_MODULES.length} imports above, warm process, sum of first imports (ms)`,
    cells: { inThread: total(warm), worker: total(warmWorker), monty: na('no stdlib modules'), pyodide: pyodide ? total(pyo) : na('pyodide not installed'), native: python ? total(native) : na('python3 not found') },
    target: [{ col: 'inThread', maxRatioToNative: 2 }],
    note: 'native: each in a fresh process',
  });
  rows.push({
    label: `all ${IMPORT_MODULES.length} imports above, each in a fresh process, sum (ms)`,
    cells: { inThread: total(fresh), worker: total(freshWorker), monty: na('no stdlib modules'), pyodide: na('see the one-process row'), native: python ? total(native) : na('python3 not found') },
    target: [{ col: 'inThread', maxRatioToNative: 4 }],
  });
  const missing = all.filter((m) => pyo[m]?.value === undefined);
  rows.push({
    label: `all ${IMPORT_MODULES.length} imported one after another in one fresh process (ms)`,
    cells: { ...seq, monty: na('no stdlib modules') },
    target: [{ col: 'inThread', maxRatioToNative: 4 }],
    note: missing.length && pyodide ? `pyodide: without ${missing.join(', ')} (unsupported there)` : undefined,
  });
  return rows;
}
