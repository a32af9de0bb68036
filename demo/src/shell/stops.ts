/**
 * What the page says about stopping code: which mode it is in, what Stop
 * can do there, and what a stop or a hard stop kept and lost.
 */

/**
 * What Stop can do on this page.
 *
 * @example
 * ```ts
 * badge.textContent = stopMode(isIsolated()).badge
 * ```
 */
export function stopMode(isolated: boolean): { badge: string; short: string; detail: string } {
  return isolated
    ? {
        badge: 'cross-origin isolated',
        short: 'Stop interrupts Python in place',
        detail:
          'This page is cross-origin isolated (COOP/COEP headers), so PyBox has SharedArrayBuffer: Stop interrupts running Python within a millisecond, and the context keeps its variables. Only a long builtin (one C call, such as sum(range(10**13))) needs a hard stop.',
      }
    : {
        badge: 'not isolated',
        short: 'Stop ends busy code by restarting Python',
        detail:
          'This page is served without COOP/COEP headers, so there is no SharedArrayBuffer: Stop ends tool waits at once, but code that keeps the CPU busy is ended by a hard stop: Python restarts, the contexts and the files written since it started are lost.',
      };
}

/**
 * What a hard stop keeps, as the page words it.
 *
 * @example
 * ```ts
 * notice.append(HARD_STOP_KEEPS)
 * ```
 */
export const HARD_STOP_KEEPS = 'Kept: the page, the tools, the starting files (/data as the page first wrote it) and the contexts\' names (now empty).';

/**
 * A note under a failed run's error: what the stop did.
 *
 * @example
 * ```ts
 * noteFor('AbortedError') // 'Stopped. The context keeps everything the code did before the stop.'
 * ```
 */
export function noteFor(errorType: string): string | undefined {
  switch (errorType) {
    case 'AbortedError':
      return 'Stopped. The context keeps everything the code did before the stop.';
    case 'TimeLimitError':
      return 'The run used its CPU time (see Limits). The context keeps what it did up to the stop.';
    case 'WallTimeLimitError':
      return 'The run took longer than its wall-clock limit (see Limits), tool waits included.';
    case 'GuestCrashError':
      return 'Hard stop: Python was restarted. See the notice at the top for what was kept and lost.';
    case 'MemoryError':
      return 'The code hit the memory limit (see Limits); the memory is freed and the context goes on.';
    default:
      return undefined;
  }
}
