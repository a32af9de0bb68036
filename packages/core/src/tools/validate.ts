/**
 * Validation of tool arguments and results on the host, before the handler
 * runs. JSON Schema is checked with `@cfworker/json-schema`, which interprets
 * schemas (no `eval`, no `new Function`: it works under a strict
 * Content-Security-Policy). A Standard Schema's own `validate` decides when
 * the tool was given one; its output (transforms, defaults) is what the
 * handler receives.
 *
 * A failed check becomes an error whose `name` is the Python exception to
 * raise: `TypeError` for a wrong type, a missing or an unexpected argument,
 * `ValueError` for every other rule. Its message names the argument and the
 * rule: `create_invoice(): amount_cents: must be >= 1, got 0`.
 */
import { Validator, type Schema, type SchemaDraft } from '@cfworker/json-schema';
import { ToolDefinitionError } from '../errors.js';
import type { JsonSchema, ResolvedSchema } from './schema.js';

/** The outcome of a check: the value to hand on, or the error to raise in Python. */
export type CheckResult = { ok: true; value: unknown } | { ok: false; error: Error };

/** A compiled check of one schema. Synchronous unless the schema library validates asynchronously. */
export type Check = (value: unknown) => CheckResult | Promise<CheckResult>;

/** What is checked, for messages: a tool's arguments or its result. */
export interface CheckTarget {
  tool: string;
  kind: 'arguments' | 'result';
}

/** One broken rule. */
interface Problem {
  /** Where, in Python terms: `items[0].sku`; `''` for the value itself. */
  path: string;
  /** The rule, e.g. `must be >= 1, got 0`. */
  rule: string;
  /** Whether Python should see a TypeError (wrong type, missing or unexpected argument). */
  typeError: boolean;
}

/** Messages name at most this many problems; the rest are counted. */
const MAX_PROBLEMS = 3;

/**
 * Compiles the check of a schema.
 *
 * @example
 * ```ts
 * const check = createCheck(await resolveSchema(schema, 'tool pay'), { tool: 'pay', kind: 'arguments' })
 * const r = check({ amount_cents: 0 })
 * // r.ok === false; r.error.name === 'ValueError'; r.error.message === 'pay(): amount_cents: must be >= 1, got 0'
 * ```
 */
export function createCheck(schema: ResolvedSchema, target: CheckTarget): Check {
  const native = schema.native;
  if (!native) refuseBadPatterns(schema.json, target);
  const problemsOf = jsonProblems(schema.json);
  const fail = (problems: Problem[]): CheckResult => ({ ok: false, error: toError(problems, target) });
  if (!native) {
    return (value) => {
      const problems = problemsOf(value);
      return problems.length ? fail(problems) : { ok: true, value };
    };
  }
  const decide = (value: unknown, r: Awaited<ReturnType<typeof native>>): CheckResult => {
    if (r.ok) {
      const unsafe = problemsOf.unsafeIntegers(r.value);
      return unsafe.length ? fail(unsafe) : { ok: true, value: r.value };
    }
    // The JSON Schema view gives uniform messages and tells type errors apart;
    // rules it cannot express (refinements) keep the library's own message.
    const problems = problemsOf(value);
    if (problems.length) return fail(problems);
    return fail(r.issues.map((i) => ({ path: i.path, rule: i.message, typeError: false })));
  };
  return (value) => {
    const r = native(value);
    return r instanceof Promise ? r.then((res) => decide(value, res)) : decide(value, r);
  };
}

/** Keywords whose values are data, not schemas: a "pattern" in them is no pattern. */
const DATA_KEYWORDS = new Set(['const', 'enum', 'default', 'examples']);

/**
 * Refuses a schema with a pattern the validator cannot compile (it compiles
 * them as ECMAScript regular expressions with the `u` flag, when a call
 * reaches them): better at definition than as a failure of every call.
 * @throws ToolDefinitionError naming the pattern and where it is
 */
function refuseBadPatterns(json: JsonSchema, target: CheckTarget): void {
  const visit = (node: unknown, path: string, depth: number): void => {
    if (typeof node !== 'object' || node === null || depth > 100) return;
    for (const [key, value] of Object.entries(node)) {
      if (!Array.isArray(node) && DATA_KEYWORDS.has(key)) continue;
      const here = `${path}/${key}`;
      if (key === 'pattern' && typeof value === 'string') compiles(value, here);
      if (key === 'patternProperties' && typeof value === 'object' && value !== null) {
        for (const pattern of Object.keys(value)) compiles(pattern, `${here}/${pattern}`);
      }
      visit(value, here, depth + 1);
    }
  };
  const compiles = (pattern: string, where: string): void => {
    try {
      new RegExp(pattern, 'u');
    } catch (e) {
      const schemaName = target.kind === 'arguments' ? 'parameters' : 'outputSchema';
      throw new ToolDefinitionError(
        `tool ${target.tool}: ${schemaName} has a pattern that is not a valid regular expression at ${where || '/'}: ` +
          `${JSON.stringify(pattern)} (${e instanceof Error ? e.message : String(e)}); ` +
          'JSON Schema patterns are ECMAScript regular expressions, compiled with the u flag',
      );
    }
  };
  visit(json, '', 0);
}

/** The error Python raises for these problems. */
function toError(problems: Problem[], target: CheckTarget): Error {
  const shown = problems.slice(0, MAX_PROBLEMS).map((p) => (p.path ? `${p.path}: ${p.rule}` : p.rule));
  if (problems.length > MAX_PROBLEMS) shown.push(`(${problems.length - MAX_PROBLEMS} more)`);
  const text = shown.join('; ');
  const error =
    target.kind === 'arguments'
      ? new Error(`${target.tool}(): ${text}`)
      : new Error(`${target.tool}() returned a result that does not match its outputSchema: ${text}`);
  // A result that breaks the tool's own contract is the tool's fault, not the caller's.
  error.name = target.kind === 'result' ? 'ToolError' : problems.some((p) => p.typeError) ? 'TypeError' : 'ValueError';
  return error;
}

// ---- JSON Schema -----------------------------------------------------------

type ProblemFinder = ((value: unknown) => Problem[]) & { unsafeIntegers: (value: unknown) => Problem[] };

/** Keywords whose failure is explained by the errors of their subschemas. */
const CONTAINERS = new Set([
  'properties', 'patternProperties', 'items', 'prefixItems', 'additionalItems', 'unevaluatedItems', '$ref',
  '$recursiveRef', 'allOf', 'if', 'then', 'else', 'dependentSchemas', 'propertyNames', 'contains',
]);

function jsonProblems(json: JsonSchema): ProblemFinder {
  // The validator annotates the schema objects it is given: hand it a copy.
  const schema = JSON.parse(JSON.stringify(json)) as Schema | boolean;
  const validator = new Validator(schema as Schema, draftOf(schema), false);
  // Worked out once, as every call pays for the checks: a schema that can refuse no object
  // needs no validator run, and one that never says `integer` has no unsafe integers.
  const permissive = acceptsEveryObject(schema);
  const integers = JSON.stringify(schema).includes('"integer"');
  const unsafe = (value: unknown): Problem[] => (integers ? unsafeIntegers(value, schema, schema, []) : []);
  const find = (value: unknown): Problem[] => {
    if (permissive && typeof value === 'object' && value !== null && !Array.isArray(value)) return [];
    const result = validator.validate(value);
    const problems = result.valid ? [] : explain(result.errors, schema, value);
    return problems.concat(unsafe(value));
  };
  return Object.assign(find, { unsafeIntegers: unsafe });
}

/** Keywords that only describe: they never make a value invalid. */
const ANNOTATIONS = new Set(['$schema', '$id', '$comment', 'title', 'description', 'default', 'examples', 'deprecated', 'readOnly', 'writeOnly']);

/**
 * Whether a schema accepts every JSON object: `type: "object"` at most, and properties whose
 * schemas are empty (annotations only) — the shape of a tool whose arguments are unconstrained.
 */
function acceptsEveryObject(schema: Schema | boolean): boolean {
  if (schema === true) return true;
  if (typeof schema !== 'object' || schema === null) return false;
  const unconstrained = (s: unknown) =>
    s === true || (typeof s === 'object' && s !== null && !Array.isArray(s) && Object.keys(s).every((k) => ANNOTATIONS.has(k)));
  return Object.entries(schema).every(([key, v]) => {
    if (ANNOTATIONS.has(key)) return true;
    if (key === 'type') return v === 'object';
    if (key === 'properties') return typeof v === 'object' && v !== null && Object.values(v).every(unconstrained);
    if (key === 'additionalProperties') return unconstrained(v);
    return false;
  });
}

function draftOf(schema: Schema | boolean): SchemaDraft {
  const uri = typeof schema === 'object' ? String(schema.$schema ?? '') : '';
  if (uri.includes('draft-04')) return '4';
  if (uri.includes('draft-07') || uri.includes('draft-06')) return '7';
  if (uri.includes('2019-09')) return '2019-09';
  return '2020-12';
}

interface OutputUnit {
  keyword: string;
  keywordLocation: string;
  instanceLocation: string;
  error: string;
}

/** Turns the validator's output units into one problem per broken rule. */
function explain(units: OutputUnit[], root: Schema | boolean, value: unknown): Problem[] {
  // Alternatives (anyOf/oneOf) are explained as one problem each; drop what failed inside them.
  const alternatives = units.filter((u) => u.keyword === 'anyOf' || u.keyword === 'oneOf');
  const inside = (u: OutputUnit) => alternatives.some((a) => u !== a && u.keywordLocation.startsWith(`${a.keywordLocation}/`));
  const additional = new Set(
    units.filter((u) => u.keyword === 'additionalProperties' || u.keyword === 'unevaluatedProperties').map((u) => u.instanceLocation),
  );
  const problems: Problem[] = [];
  for (const unit of units) {
    if (inside(unit) || CONTAINERS.has(unit.keyword)) continue;
    const segments = decodePointer(unit.instanceLocation);
    const instance = at(value, segments);
    const parent = segments.length ? instanceParent(unit.instanceLocation) : undefined;
    // A `false` schema under additionalProperties is already reported by additionalProperties.
    if (unit.keyword === 'false' && parent !== undefined && additional.has(parent)) continue;
    const problem = describeUnit(unit, schemaAt(root, unit.keywordLocation), instance, value, segments, root);
    if (problem) problems.push(problem);
  }
  // A `format` says what a string should be better than the pattern a library derived from it.
  const formatted = new Set(problems.filter((p) => p.rule.startsWith('must be a valid ')).map((p) => p.path));
  for (let i = problems.length - 1; i >= 0; i--) {
    if (formatted.has(problems[i]!.path) && problems[i]!.rule.startsWith('must match the pattern ')) problems.splice(i, 1);
  }
  if (problems.length === 0 && units.length) {
    const u = units[0]!;
    problems.push({ path: pythonPath(value, decodePointer(u.instanceLocation)), rule: u.error, typeError: false });
  }
  return problems;
}

function describeUnit(
  unit: OutputUnit,
  keywordValue: unknown,
  instance: unknown,
  root: unknown,
  segments: string[],
  rootSchema: Schema | boolean,
): Problem | null {
  const path = pythonPath(root, segments);
  const top = segments.length === 0;
  const got = `, got ${pyRepr(instance)}`;
  const rule = (text: string, typeError = false): Problem => ({ path, rule: text, typeError });
  switch (unit.keyword) {
    case 'type': {
      const types = Array.isArray(keywordValue) ? keywordValue.map(String) : [String(keywordValue)];
      return rule(`must be ${types.join(' or ')}, not ${pyType(instance)}`, true);
    }
    case 'minimum':
      return rule(`must be >= ${num(keywordValue)}${got}`);
    case 'maximum':
      return rule(`must be <= ${num(keywordValue)}${got}`);
    case 'exclusiveMinimum':
      return rule(typeof keywordValue === 'number' ? `must be > ${keywordValue}${got}` : `${unit.error}`);
    case 'exclusiveMaximum':
      return rule(typeof keywordValue === 'number' ? `must be < ${keywordValue}${got}` : `${unit.error}`);
    case 'multipleOf':
      return rule(`must be a multiple of ${num(keywordValue)}${got}`);
    case 'minLength':
      return rule(`must be at least ${num(keywordValue)} characters long, got ${lengthOf(instance)}`);
    case 'maxLength':
      return rule(`must be at most ${num(keywordValue)} characters long, got ${lengthOf(instance)}`);
    case 'pattern':
      return rule(`must match the pattern ${String(keywordValue)}${got}`);
    case 'format':
      return rule(`must be a valid ${String(keywordValue)}${got}`);
    case 'enum':
      return rule(`must be one of ${(Array.isArray(keywordValue) ? keywordValue : []).map(pyRepr).join(', ')}${got}`);
    case 'const':
      return rule(`must be ${pyRepr(keywordValue)}${got}`);
    case 'minItems':
      return rule(`must have at least ${num(keywordValue)} items, got ${lengthOf(instance)}`);
    case 'maxItems':
      return rule(`must have at most ${num(keywordValue)} items, got ${lengthOf(instance)}`);
    case 'uniqueItems':
      return rule('must not contain duplicate items');
    case 'minProperties':
      return rule(`must have at least ${num(keywordValue)} keys`);
    case 'maxProperties':
      return rule(`must have at most ${num(keywordValue)} keys`);
    case 'required': {
      const obj = (instance ?? {}) as Record<string, unknown>;
      const missing = (Array.isArray(keywordValue) ? keywordValue : []).filter(
        (k): k is string => typeof k === 'string' && !(k in obj),
      );
      const names = missing.map((k) => `'${k}'`).join(', ');
      return top
        ? rule(`missing required argument${missing.length > 1 ? 's' : ''} ${names}`, true)
        : rule(`missing required key${missing.length > 1 ? 's' : ''} ${names}`);
    }
    case 'additionalProperties':
    case 'unevaluatedProperties': {
      const name = /^Property "(.*)" does not match/.exec(unit.error)?.[1] ?? '?';
      return top ? rule(`unexpected argument '${name}'`, true) : rule(`unexpected key '${name}'`);
    }
    case 'anyOf':
    case 'oneOf':
      return alternativesProblem(unit, keywordValue, instance, path, rootSchema);
    case 'not':
      return rule(`is not allowed${got}`);
    case 'false':
      return rule('is not allowed');
    default:
      return rule(unit.error.replace(/\.$/, ''));
  }
}

/** anyOf/oneOf: a TypeError when no alternative takes the value's type, else the rule of the closest one. */
function alternativesProblem(
  unit: OutputUnit,
  alternatives: unknown,
  instance: unknown,
  path: string,
  root: Schema | boolean,
): Problem {
  const options = (Array.isArray(alternatives) ? alternatives : []).map((s) => resolveRefs(s, root));
  const typesOf = (s: unknown): string[] | null => {
    if (typeof s !== 'object' || s === null) return null;
    const t = (s as Schema).type;
    if (t !== undefined) return Array.isArray(t) ? t : [t];
    if ('const' in s) return [jsonType((s as { const: unknown }).const)];
    if (Array.isArray((s as Schema).enum)) return [...new Set(((s as Schema).enum as unknown[]).map(jsonType))];
    return null;
  };
  const types = options.map(typesOf);
  if (types.every((t) => t !== null)) {
    const all = [...new Set((types as string[][]).flat())];
    const actual = jsonType(instance);
    const accepts = all.includes(actual) || (actual === 'integer' && all.includes('number'));
    if (!accepts) return { path, rule: `must be ${all.join(' or ')}, not ${pyType(instance)}`, typeError: true };
  }
  if (unit.keyword === 'oneOf' && /more than one|multiple/.test(unit.error)) {
    return { path, rule: 'matches more than one of the allowed forms (oneOf)', typeError: false };
  }
  const literals = options.every((s) => typeof s === 'object' && s !== null && 'const' in s);
  if (literals) {
    const values = options.map((s) => pyRepr((s as { const: unknown }).const)).join(', ');
    return { path, rule: `must be one of ${values}, got ${pyRepr(instance)}`, typeError: false };
  }
  // Explain against the first alternative that takes the value's type.
  const actual = jsonType(instance);
  const closest = options.find((s, i) => {
    const t = types[i];
    return t === null || t === undefined || t.includes(actual) || (actual === 'integer' && t.includes('number'));
  });
  if (closest !== undefined) {
    const sub = new Validator(closest as Schema, '2020-12', false).validate(instance);
    const inner = sub.valid ? [] : explain(sub.errors, closest as Schema, instance);
    if (inner[0]) {
      const p = inner[0];
      return { path: joinPath(path, p.path), rule: p.rule, typeError: p.typeError };
    }
  }
  return { path, rule: `does not match any of the allowed forms${unit.keyword === 'oneOf' ? ' (oneOf)' : ' (anyOf)'}`, typeError: false };
}

// ---- integers JSON cannot carry exactly --------------------------------------

/**
 * Integers past ±(2^53 − 1) where the schema says `integer`: JSON numbers are
 * doubles in JS, so such a value already lost digits. They are refused with
 * ValueError, not passed as BigInt (handlers get plain JSON values).
 */
function unsafeIntegers(value: unknown, schema: unknown, root: Schema | boolean, segments: string[], depth = 0): Problem[] {
  if (depth > 64 || typeof schema !== 'object' || schema === null) return [];
  const s = resolveRefs(schema, root) as Schema;
  if (typeof s !== 'object' || s === null) return [];
  const out: Problem[] = [];
  if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value) && saysInteger(s, root)) {
    out.push({
      path: pythonPathFromSegments(segments),
      rule: 'is an integer outside ±2**53, which JSON numbers cannot carry exactly: pass it as a string',
      typeError: false,
    });
    return out;
  }
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    for (const sub of s[key] ?? []) out.push(...unsafeIntegers(value, sub, root, segments, depth + 1));
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      const sub = s.prefixItems?.[i] ?? (Array.isArray(s.items) ? s.items[i] : s.items);
      out.push(...unsafeIntegers(item, sub, root, [...segments, `[${i}]`], depth + 1));
    });
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      const sub = s.properties?.[key] ?? s.additionalProperties;
      out.push(...unsafeIntegers(item, sub, root, [...segments, key], depth + 1));
    }
  }
  return dedupe(out);
}

function saysInteger(s: Schema, root: Schema | boolean): boolean {
  const t = s.type;
  if (t === 'integer' || (Array.isArray(t) && t.includes('integer') && !t.includes('number'))) return true;
  return [...(s.anyOf ?? []), ...(s.oneOf ?? [])].some((sub) => saysInteger(resolveRefs(sub, root) as Schema, root));
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => !seen.has(p.path) && (seen.add(p.path), true));
}

// ---- pointers, paths and Python spelling ------------------------------------

function decodePointer(location: string): string[] {
  const body = location.replace(/^#\/?/, '');
  return body === '' ? [] : body.split('/').map((s) => decodeURIComponent(s).replace(/~1/g, '/').replace(/~0/g, '~'));
}

function instanceParent(location: string): string {
  const i = location.lastIndexOf('/');
  return i <= 1 ? '#' : location.slice(0, i);
}

function at(value: unknown, segments: string[]): unknown {
  let v = value;
  for (const s of segments) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[s] : undefined;
  return v;
}

/** The schema value a keyword location points to, following local `$ref`s on the way. */
function schemaAt(root: Schema | boolean, location: string): unknown {
  let node: unknown = root;
  for (const segment of decodePointer(location)) {
    if (segment === '$ref' && typeof node === 'object' && node !== null) {
      node = resolveRefs(node, root);
      continue;
    }
    node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[segment] : undefined;
  }
  return node;
}

/** Follows local `$ref`s (`#/$defs/X`, `#/definitions/X`, `#`). */
function resolveRefs(schema: unknown, root: Schema | boolean, depth = 0): unknown {
  let s = schema;
  while (depth++ < 32 && typeof s === 'object' && s !== null && typeof (s as Schema).$ref === 'string') {
    const ref = (s as Schema).$ref as string;
    if (!ref.startsWith('#')) return s;
    let target: unknown = root;
    for (const segment of decodePointer(ref)) {
      target = typeof target === 'object' && target !== null ? (target as Record<string, unknown>)[segment] : undefined;
    }
    if (target === undefined) return s;
    s = target;
  }
  return s;
}

/** `items[0].sku` for the segments ['items', '0', 'sku'] of `value`. */
function pythonPath(value: unknown, segments: string[]): string {
  const parts: string[] = [];
  let v = value;
  for (const s of segments) {
    parts.push(Array.isArray(v) ? `[${s}]` : s);
    v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[s] : undefined;
  }
  return pythonPathFromSegments(parts);
}

function pythonPathFromSegments(parts: string[]): string {
  let out = '';
  for (const p of parts) {
    if (p.startsWith('[')) out += p;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(p)) out += out ? `.${p}` : p;
    else out += `[${JSON.stringify(p)}]`;
  }
  return out;
}

function joinPath(a: string, b: string): string {
  if (!b) return a;
  if (!a) return b;
  return b.startsWith('[') ? a + b : `${a}.${b}`;
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** The Python type name of a JSON value, as Python's own TypeErrors spell it. */
function pyType(v: unknown): string {
  if (v === null) return 'None';
  if (Array.isArray(v)) return 'list';
  switch (typeof v) {
    case 'string':
      return 'str';
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isInteger(v) ? 'int' : 'float';
    case 'object':
      return 'dict';
    default:
      return typeof v;
  }
}

/** A short Python repr of a JSON value, for messages. */
function pyRepr(v: unknown): string {
  let text: string;
  if (v === null) text = 'None';
  else if (v === true) text = 'True';
  else if (v === false) text = 'False';
  else if (typeof v === 'string') text = `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  else if (typeof v === 'number') text = String(v);
  else if (v === undefined) text = 'nothing';
  else text = JSON.stringify(v).replace(/\btrue\b/g, 'True').replace(/\bfalse\b/g, 'False').replace(/\bnull\b/g, 'None');
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function lengthOf(v: unknown): number {
  return typeof v === 'string' ? [...v].length : Array.isArray(v) ? v.length : 0;
}

function num(v: unknown): string {
  return String(v);
}
