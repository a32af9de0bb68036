/**
 * Values cross between JS and Python as JSON. This module turns a JS value
 * into JSON text or explains, with a typed error, why it cannot.
 */
import { describeThrown, InvalidArgumentError } from './errors.js';

/**
 * Encodes `value` as JSON, refusing what JSON cannot carry faithfully:
 * BigInt, functions, symbols, non-finite numbers, cycles, and built-in
 * objects JSON would silently empty (Map, Set, RegExp, Error, typed arrays
 * nested in a value...). Lone surrogates survive (JSON escapes them).
 *
 * @param what names the value in the error message, e.g. "the value of x"
 * @throws InvalidArgumentError saying what is wrong
 * @example
 * ```ts
 * toJson({ a: [1, 'x'] }, 'the value of a') // '{"a":[1,"x"]}'
 * toJson(new Map(), 'the value of m')        // throws InvalidArgumentError
 * ```
 */
export function toJson(value: unknown, what: string): string {
  // Fast paths for the common results of tools: nothing to walk.
  if (typeof value === 'string' || typeof value === 'boolean' || value === null) return JSON.stringify(value);
  if (typeof value === 'number' && Number.isFinite(value)) return JSON.stringify(value);
  let text: string | undefined;
  try {
    text = JSON.stringify(value, function (this: unknown, key: string, v: unknown) {
      switch (typeof v) {
        case 'bigint':
          throw new InvalidArgumentError(`${what} contains a BigInt, which JSON cannot carry: convert it to a number or string`);
        case 'function':
        case 'symbol':
          throw new InvalidArgumentError(`${what} contains a ${typeof v}, which JSON cannot carry`);
        case 'number':
          if (!Number.isFinite(v)) throw new InvalidArgumentError(`${what} contains ${String(v)}, which JSON cannot carry`);
          break;
        case 'object':
          if (v !== null && !Array.isArray(v)) checkPlain(v, (this as Record<string, unknown>)[key], what);
      }
      return v;
    });
  } catch (e) {
    if (e instanceof InvalidArgumentError) throw e;
    // The engine's own wording of a cycle differs between JS engines: say it one way.
    if (e instanceof TypeError && /circular|cyclic/i.test(e.message)) {
      throw new InvalidArgumentError(`${what} contains a cycle (an object that contains itself), which JSON cannot carry`);
    }
    throw new InvalidArgumentError(`${what} cannot be converted to JSON: ${describeThrown(e).message}`);
  }
  if (text === undefined) throw new InvalidArgumentError(`${what} is undefined: pass null or a JSON value`);
  return text;
}

/** Built-in kinds JSON empties or mangles without a word (by their `Object.prototype.toString` tag). */
const LOSSY = new Set([
  'Map', 'Set', 'WeakMap', 'WeakSet', 'WeakRef', 'RegExp', 'Promise', 'Error', 'ArrayBuffer', 'SharedArrayBuffer', 'DataView',
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
  'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
]);

/**
 * Refuses objects JSON would turn into something else without a word. `v`
 * is what `toJSON` returned, `original` the value before it (a Date's
 * `toJSON` gives a string, which is fine).
 */
function checkPlain(v: object, original: unknown, what: string): void {
  if (original !== v) return; // produced by toJSON
  const tag = Object.prototype.toString.call(v).slice(8, -1);
  if (!LOSSY.has(tag)) return;
  throw new InvalidArgumentError(
    `${what} contains a ${tag}, which JSON cannot carry: pass plain objects, arrays, strings, numbers, booleans and null (bytes only as a whole Uint8Array value)`,
  );
}
