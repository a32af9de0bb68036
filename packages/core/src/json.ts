/**
 * Values cross between JS and Python as JSON. This module turns a JS value
 * into JSON text or explains, with a typed error, why it cannot.
 */
import { InvalidArgumentError } from './errors.js';

/**
 * Encodes `value` as JSON, refusing what JSON cannot carry faithfully
 * (BigInt, functions, symbols, cycles, non-finite numbers).
 * @param what names the value in the error message, e.g. "the value of x"
 */
export function toJson(value: unknown, what: string): string {
  // Fast paths for the common results of tools: nothing to walk.
  if (typeof value === 'string' || typeof value === 'boolean' || value === null) return JSON.stringify(value);
  if (typeof value === 'number' && Number.isFinite(value)) return JSON.stringify(value);
  let text: string | undefined;
  try {
    text = JSON.stringify(value, (_key, v: unknown) => {
      switch (typeof v) {
        case 'bigint':
          throw new InvalidArgumentError(`${what} contains a BigInt, which JSON cannot carry: convert it to a number or string`);
        case 'function':
        case 'symbol':
          throw new InvalidArgumentError(`${what} contains a ${typeof v}, which JSON cannot carry`);
        case 'number':
          if (!Number.isFinite(v)) {
            throw new InvalidArgumentError(`${what} contains ${String(v)}, which JSON cannot carry`);
          }
      }
      return v;
    });
  } catch (e) {
    if (e instanceof InvalidArgumentError) throw e;
    throw new InvalidArgumentError(`${what} cannot be converted to JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (text === undefined) throw new InvalidArgumentError(`${what} is undefined: pass null or a JSON value`);
  return text;
}
