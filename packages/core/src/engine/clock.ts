/**
 * Time for the engine and the guest: the monotonic clock both see
 * (performance.now(), WASI's CLOCK_MONOTONIC), and the WASI calls that read
 * it and sleep on it (`clock_time_get`, `poll_oneoff`), replacing the shim's.
 */

/**
 * Milliseconds on the monotonic clock shared with the guest.
 *
 * @example
 * ```ts
 * const t0 = now(); work(); const ms = now() - t0
 * ```
 */
export function now(): number {
  return performance.now();
}

let sleepCell: Int32Array | null | undefined;

/**
 * Blocks for `ms`: Atomics.wait where the thread may block, else a spin.
 *
 * @example
 * ```ts
 * sleepFor(5)
 * ```
 */
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

const CLOCK_MONOTONIC = 1;
const ERRNO_NOTSUP = 58;

/**
 * WASI `clock_time_get` with a fast monotonic clock: it is read several
 * times per exec and by every limit check, so it is written as two u32
 * halves (exact below 2^53 ns, i.e. 104 days) instead of through a BigInt.
 * Other clocks go to `fallback` (the shim's).
 */
export function clockTimeGet(
  memory: () => DataView,
  fallback: (id: number, precision: bigint, ptr: number) => number,
): (id: number, precision: bigint, ptr: number) => number {
  return (id, precision, ptr) => {
    if (id !== CLOCK_MONOTONIC) return fallback(id, precision, ptr);
    const ns = Math.round(now() * 1e6);
    const view = memory();
    view.setUint32(ptr, ns % 4294967296, true);
    view.setUint32(ptr + 4, Math.floor(ns / 4294967296), true);
    return 0;
  };
}

/**
 * WASI `poll_oneoff` for the one thing the guest uses it for: sleeping on a
 * clock (`time.sleep`). It works out how long the guest asked to sleep and
 * hands that to `sleep`, which decides how long it really waits (the engine
 * cuts sleeps at the exec's limits). The shim's own version reads the flags
 * at the wrong offset and turns absolute sleeps into very long relative ones.
 */
export function pollOneoff(
  memory: () => DataView,
  sleep: (ms: number) => void,
): (inPtr: number, outPtr: number, n: number, neventsPtr: number) => number {
  return (inPtr, outPtr, n, neventsPtr) => {
    if (n !== 1) return ERRNO_NOTSUP;
    const view = memory();
    // subscription: userdata u64 @0, tag u8 @8, clock id u32 @16, timeout u64 @24, flags u16 @40
    if (view.getUint8(inPtr + 8) !== 0) return ERRNO_NOTSUP; // not a clock subscription
    const clock = view.getUint32(inPtr + 16, true);
    const timeoutMs = Number(view.getBigUint64(inPtr + 24, true)) / 1e6;
    const absolute = (view.getUint16(inPtr + 40, true) & 1) === 1;
    const start = clock === 0 ? Date.now() : now(); // realtime or monotonic
    sleep(absolute ? timeoutMs - start : timeoutMs);
    // The views may be stale after the sleep (nothing grows memory meanwhile, but be safe).
    const out = memory();
    // event: userdata u64 @0, error u16 @8, type u8 @10
    out.setBigUint64(outPtr, out.getBigUint64(inPtr, true), true);
    out.setUint16(outPtr + 8, 0, true);
    out.setUint8(outPtr + 10, 0);
    out.setUint32(neventsPtr, 1, true);
    return 0;
  };
}
