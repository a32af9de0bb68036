/**
 * Values cross between JS and Python as JSON. This module turns a JS value
 * into JSON text or explains, with a typed error, why it cannot.
 */
import { describeThrown, InvalidArgumentError } from './errors.js';

/** How deep values may nest (the guest's own limit for JSON both ways). */
export const MAX_DEPTH = 100;

/** The deepest nesting of arrays and objects in JSON text (strings skipped). */
function nestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      for (i++; i < text.length && text.charCodeAt(i) !== 34; i++) if (text.charCodeAt(i) === 92 /* \\ */) i++;
    } else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > max) max = depth;
    } else if (c === 93 /* ] */ || c === 125 /* } */) {
      depth--;
    }
  }
  return max;
}

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
  if (nestingDepth(text) > MAX_DEPTH) {
    throw new InvalidArgumentError(`${what} is nested deeper than ${MAX_DEPTH} levels, which Python cannot read from JSON: flatten it`);
  }
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
