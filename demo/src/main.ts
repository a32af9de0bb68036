/**
 * The playground: boots a PyBox with the demo's tools and files, runs the
 * editor's code in a fresh context per run, and shows what happened.
 */
import { PyBox } from '@pybox/core';
import { SEED_FILES } from './data.js';
import { EXAMPLES } from './examples.js';
import { listFiles } from './files.js';
import { CallLog, createTools, type Report } from './tools.js';
import * as ui from './ui.js';

/** The folders the file browser shows. */
const BROWSED = ['/data', '/out'];
/** CPU time per run: the runaway-loop example ends here. */
const LIMITS = { timeoutMs: 2_000 };

const reports: Report[] = [];
const log = new CallLog(ui.renderCalls);
const tools = createTools((report) => {
  reports.push(report);
  ui.renderReports(reports);
});
let selectedFile: string | null = null;
let controller: AbortController | null = null;

ui.bindControls(EXAMPLES, `Ctrl+Enter runs · CPU limit ${LIMITS.timeoutMs / 1000} s per run`, { run, stop });
ui.renderTools(tools);
ui.renderReports(reports);
ui.showFile(null, null);

const bootStart = performance.now();
const box = await PyBox.create({ tools: log.wrap(tools), files: SEED_FILES, limits: LIMITS }).catch((e: unknown) => {
  ui.setStatus(`Python failed to start: ${String(e)}`, 'error');
  throw e;
});
ui.setStatus(`Ready · Python started in ${Math.round(performance.now() - bootStart)} ms`, 'ready');
ui.setRunning(false);
await refreshFiles();

/** Runs the editor's code: output streams in, then the result, tool calls and files update. */
async function run(): Promise<void> {
  controller = new AbortController();
  ui.setRunning(true);
  ui.setStatus('Running…', 'busy');
  ui.startRun();
  log.clear();
  const started = performance.now();
  try {
    const ctx = await box.createContext();
    try {
      ui.showResult(
        await ctx.exec(ui.editor.value, {
          filename: 'agent.py',
          signal: controller.signal,
          onStdout: (text) => ui.appendOutput('stdout', text),
          onStderr: (text) => ui.appendOutput('stderr', text),
        }),
      );
    } finally {
      await ctx.dispose();
    }
  } catch (e) {
    ui.showFailure(e, performance.now() - started); // TimeLimitError, AbortedError...
  }
  controller = null;
  log.abandonPending();
  ui.setRunning(false);
  ui.setStatus('Ready', 'ready');
  await refreshFiles();
}

/** Stops the running exec: an aborted signal ends tool waits and (with SharedArrayBuffer) Python loops. */
function stop(): void {
  controller?.abort();
  ui.setStatus('Stopping…', 'busy');
}

/** Lists the browsed folders again and reloads the open file. */
async function refreshFiles(): Promise<void> {
  const roots = Object.fromEntries(await Promise.all(BROWSED.map(async (dir) => [dir, await listFiles(box.fs, dir)] as const)));
  ui.renderFiles(roots, openFile);
  if (selectedFile) await openFile(selectedFile);
}

/** Shows a file of the box in the file browser. */
async function openFile(path: string): Promise<void> {
  selectedFile = path;
  const exists = (await box.fs.stat(path)) !== null;
  ui.showFile(path, exists ? await box.fs.readText(path) : null);
}
