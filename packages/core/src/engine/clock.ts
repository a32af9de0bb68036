/**
 * Time for the engine: the monotonic clock the guest also sees through WASI
 * (performance.now()), and a blocking sleep for the guest's `time.sleep`.
 */

/** Milliseconds on the monotonic clock shared with the guest. */
export function now(): number {
  return performance.now();
}

let sleepCell: Int32Array | null | undefined;

/** Blocks for `ms`: Atomics.wait where the thread may block, else a spin. */
export function sleepFor(ms: number): void {
  if (ms <= 0) return;
  if (sleepCell === undefined) {
    sleepCell = typeof SharedArrayBuffer === 'function' ? new Int32Array(new SharedArrayBuffer(4)) : null;
  }
  if (sleepCell) {
    try {
      Atomics.wait(sleepCell, 0, 0, ms);
      return;
    } catch {
      sleepCell = null; // a browser main thread may not block
    }
  }
  const end = now() + ms;
  while (now() < end) {
    // spin
  }
}
