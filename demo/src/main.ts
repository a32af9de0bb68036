/**
 * The playground: downloads the guest (with a progress bar), starts one
 * PyBox with the shop's tools and files, and wires the panels: the agent
 * (first), the editor, files, contexts, limits and tools.
 */
import { AgentPanel } from './agent/panel.js';
import { ContextsPanel } from './contexts/panel.js';
import { ContextTree } from './contexts/tree.js';
import { EditorPanel } from './editor/panel.js';
import { FilePanel } from './files/panel.js';
import { downloadGuest } from './shell/assets.js';
import { byTestId, formatBytes, h } from './shell/dom.js';
import { highlightedPython } from './shell/highlight.js';
import { bindLimits } from './shell/limits.js';
import { Runner, type HardStopReport } from './shell/runner.js';
import { DEFAULT_LIMITS, Sandbox, isIsolated, type PageLimits } from './shell/sandbox.js';
import { HARD_STOP_KEEPS, stopMode } from './shell/stops.js';
import { bindTabs } from './shell/tabs.js';

const isolated = isIsolated();
const status = byTestId('status');
const setStatus = (text: string, kind: 'busy' | 'ready' | 'error') => {
  status.textContent = text;
  status.className = `status ${kind}`;
};

// The page says which mode it is in and what Stop can do there.
const mode = byTestId('mode');
mode.textContent = stopMode(isolated).badge;
mode.title = stopMode(isolated).detail;
mode.classList.add(isolated ? 'isolated' : 'plain');
mode.dataset.isolated = String(isolated);
byTestId('mode-note').textContent = `${stopMode(isolated).short} (see Limits)`;
bindTabs();

// 1. The page, ready to be looked at while Python downloads.
const sandbox = new Sandbox(DEFAULT_LIMITS);
let tree: ContextTree | null = null;
const currentTree = () => {
  if (!tree) throw new Error('Python has not started yet');
  return tree;
};
const files = new FilePanel(byTestId('files-panel'), () => sandbox.box.fs);
const contexts = new ContextsPanel(byTestId('contexts-panel'), currentTree, () => sandbox.busy);
const notice = byTestId('hard-stop');
const runner = new Runner(sandbox, currentTree, {
  knownFiles: () => files.knownFiles,
  refreshFiles: () => files.refresh(),
  refreshContexts: () => contexts.refresh(),
  onHardStop: (report) => showHardStop(report),
});
const agent = new AgentPanel(byTestId('agent-panel'), runner, sandbox.feed, () => tree?.current.name ?? 'main');
const editor = new EditorPanel(byTestId('editor-panel'), runner, sandbox.feed);
const setBusy = (busy: boolean) => {
  agent.setBusy(busy, sandbox.ready);
  editor.setBusy(busy, sandbox.ready);
  if (sandbox.ready) setStatus(busy ? 'Running…' : 'Ready', busy ? 'busy' : 'ready');
};
sandbox.onBusy(setBusy);
setBusy(false);

// 2. The guest, with the bytes as they arrive.
const started = performance.now();
const loading = byTestId('loading');
const bar = byTestId<HTMLProgressElement>('loading-bar');
const loadingText = byTestId('loading-text');
try {
  const assets = await downloadGuest(({ loaded, total }) => {
    bar.max = total || 1;
    bar.value = total ? loaded : 0;
    loadingText.textContent = total ? `Downloading Python… ${formatBytes(loaded)} of ${formatBytes(total)}` : `Downloading Python… ${formatBytes(loaded)}`;
  });
  loadingText.textContent = 'Starting Python…';
  bar.removeAttribute('value'); // indeterminate while the module compiles and boots
  await sandbox.boot(assets);
  tree = await ContextTree.create(sandbox.box);
} catch (e) {
  setStatus(`Python failed to start: ${e instanceof Error ? e.message : String(e)}. Reload to try again.`, 'error');
  loadingText.textContent = 'failed';
  throw e;
}
loading.hidden = true;
tree.onChange(() => setBusy(sandbox.busy));
byTestId('tool-stubs').replaceWith(highlightedPython(sandbox.describeTools(), 'tool-stubs'));
bindLimits(byTestId('limits-panel'), sandbox.limits, isolated, applyLimits);
await files.refresh();
await contexts.refresh();
setBusy(false);
setStatus(`Ready · Python started in ${Math.round(performance.now() - started)} ms`, 'ready');

/** New limits: timeouts apply to the next run; a new memory cap restarts Python with the files. */
async function applyLimits(next: PageLimits): Promise<string> {
  if (sandbox.busy) return 'Stop the run first.';
  if (next.memoryBytes === sandbox.limits.memoryBytes) {
    sandbox.limits = next;
    return 'Applied: the next run uses the new time limits.';
  }
  const carried = await readAllFiles();
  await sandbox.restart(next, carried);
  const lost = await currentTree().rebuild(sandbox.box);
  await files.refresh();
  await contexts.refresh();
  return `Python restarted with ${Math.round(next.memoryBytes / 1024 / 1024)} MiB: ${Object.keys(carried).length} files carried over; the contexts ${lost.join(', ')} start empty.`;
}

async function readAllFiles(): Promise<Record<string, Uint8Array>> {
  await files.refresh();
  const out: Record<string, Uint8Array> = {};
  for (const path of files.knownFiles) out[path] = await sandbox.box.fs.readFile(path);
  return out;
}

/** Explains a hard stop: what the fresh Python kept and what it lost. */
function showHardStop(report: HardStopReport): void {
  notice.replaceChildren(
    h('strong', { text: 'Hard stop: Python was restarted. ' }),
    isolated
      ? 'The code was inside one long builtin call that never checks for Stop or the clock, so its worker was terminated and replaced. '
      : 'This page has no SharedArrayBuffer, so code that keeps the CPU busy can only be stopped by terminating its worker and starting a fresh one. ',
    h('br'),
    HARD_STOP_KEEPS,
    h('br'),
    h('span', { testid: 'hard-stop-lost', text: `Lost: the variables of ${report.contexts.join(', ')}${report.files.length ? `; the files ${report.files.join(', ')}` : '; no files (none had been written since Python started)'}.` }),
    ' ',
    h('button', { class: 'small', text: 'OK', testid: 'hard-stop-dismiss' }),
  );
  notice.querySelector('button')!.addEventListener('click', () => (notice.hidden = true));
  notice.hidden = false;
}
