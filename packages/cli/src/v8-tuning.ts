/**
 * V8 settings for the `pybox` process. The command owns its process, so it
 * may set what `@pybox/node` must not (a V8 flag is process-wide: it would
 * change every other WebAssembly module of a host application).
 */
import { setFlagsFromString } from 'node:v8';

/**
 * The wasm tiering budget `pybox` runs with: 10× V8 11.3's default. With the
 * default, so many interpreter functions qualify for TurboFan in a fresh
 * process that the background compiles take both cores of a small machine
 * from Python (guest/README.md, "V8's tier-up in a fresh process").
 *
 * @example
 * ```ts
 * `--wasm-tiering-budget=${WASM_TIERING_BUDGET}` // what tuneV8() sets
 * ```
 */
export const WASM_TIERING_BUDGET = 18_000_000;

/**
 * Sets the tiering budget before the guest is compiled, unless the user gave
 * one (`node --wasm-tiering-budget=N` or `NODE_OPTIONS`).
 *
 * @example
 * ```ts
 * tuneV8() // first thing in bin.ts
 * ```
 */
export function tuneV8(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): boolean {
  const given = [...execArgv, nodeOptions].some((arg) => /--wasm[-_]tiering[-_]budget\b/.test(arg));
  if (!given) setFlagsFromString(`--wasm-tiering-budget=${WASM_TIERING_BUDGET}`);
  return !given;
}
