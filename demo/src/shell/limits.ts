/**
 * The Limits tab: CPU time and wall-clock time per run (applied to the next
 * run), and the memory cap (applied by restarting Python with the files
 * carried over). It also says what Stop can do on this page.
 */
import { byTestId } from './dom.js';
import type { PageLimits } from './sandbox.js';
import { HARD_STOP_KEEPS, stopMode } from './stops.js';

const MIB = 1024 * 1024;

/**
 * Binds the Limits form.
 *
 * @example
 * ```ts
 * bindLimits(byTestId('limits-panel'), sandbox.limits, isIsolated(), (next) => applyLimits(next))
 * ```
 */
export function bindLimits(root: HTMLElement, initial: PageLimits, isolated: boolean, apply: (limits: PageLimits) => Promise<string>): void {
  const timeout = byTestId<HTMLInputElement>('limit-timeout', root);
  const wall = byTestId<HTMLInputElement>('limit-wall', root);
  const memory = byTestId<HTMLInputElement>('limit-memory', root);
  const message = byTestId('limits-message', root);
  const show = (l: PageLimits) => {
    timeout.value = String(l.timeoutMs / 1000);
    wall.value = String(l.wallTimeoutMs / 1000);
    memory.value = String(Math.round(l.memoryBytes / MIB));
  };
  show(initial);
  byTestId('stop-mode', root).textContent = stopMode(isolated).detail;
  byTestId('hard-stop-keeps', root).textContent = `A hard stop terminates Python's worker and starts a fresh one. ${HARD_STOP_KEEPS} Lost: every context's variables and the files written since Python started.`;
  byTestId<HTMLFormElement>('limits-form', root).addEventListener('submit', (e) => {
    e.preventDefault();
    const next = {
      timeoutMs: Number(timeout.value) * 1000,
      wallTimeoutMs: Number(wall.value) * 1000,
      memoryBytes: Math.round(Number(memory.value)) * MIB,
    };
    const problem =
      !(next.timeoutMs >= 100 && next.timeoutMs <= 600_000)
        ? 'CPU time: between 0.1 and 600 s.'
        : !(next.wallTimeoutMs >= 1000 && next.wallTimeoutMs <= 3_600_000)
          ? 'Wall-clock time: between 1 and 3600 s.'
          : !(next.memoryBytes >= 32 * MIB && next.memoryBytes <= 2048 * MIB)
            ? 'Memory: between 32 and 2048 MiB.'
            : null;
    if (problem) {
      message.textContent = problem;
      return;
    }
    message.textContent = 'Applying…';
    void apply(next).then(
      (text) => (message.textContent = text),
      (err: unknown) => (message.textContent = `Could not apply: ${err instanceof Error ? err.message : String(err)}`),
    );
  });
}
