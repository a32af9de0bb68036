/**
 * Tools from any schema: JSON Schema, any Standard Schema (zod 4, valibot,
 * arktype...) and AI SDK tools, all brought to one internal form — a JSON
 * Schema for the guest, the stubs and the validator, plus the schema
 * library's own `validate` when there is one.
 */
import type { StandardJSONSchemaV1, StandardSchemaV1 } from '@standard-schema/spec';
import { isThenable } from '../engine/tools.js';
import type { JsonSchemaObject } from '../engine/types.js';
import { ToolDefinitionError } from '../errors.js';

/**
 * Any JSON Schema (an object, or `true`/`false`).
 *
 * @example
 * ```ts
 * const anything: JsonSchema = true
 * const text: JsonSchema = { type: 'string', maxLength: 200 }
 * ```
 */
export type JsonSchema = boolean | { [keyword: string]: unknown };

/**
 * A schema created with the AI SDK's `jsonSchema()` (or its `asSchema()`):
 * a JSON Schema, possibly lazy, with an optional validator.
 *
 * @example
 * ```ts
 * const parameters: AiSdkSchema = jsonSchema({ type: 'object', properties: { q: { type: 'string' } } })
 * ```
 */
export interface AiSdkSchema {
  readonly jsonSchema: unknown;
  readonly validate?: (value: unknown) => AiSdkValidation | PromiseLike<AiSdkValidation>;
}

/** What an AI SDK schema's `validate` returns. */
export type AiSdkValidation = { success: true; value: unknown } | { success: false; error: Error };

/**
 * A tool's parameters or result: a JSON Schema, a Standard Schema that can
 * export JSON Schema (zod 4, arktype, valibot through `toStandardJsonSchema`
 * of `@valibot/to-json-schema`), or an AI SDK `jsonSchema()` schema.
 *
 * @example
 * ```ts
 * const asJson: ToolSchema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }
 * const asZod: ToolSchema = z.object({ city: z.string() })
 * const asValibot: ToolSchema = toStandardJsonSchema(v.object({ city: v.string() }))
 * ```
 */
export type ToolSchema = JsonSchemaObject | StandardSchemaV1 | StandardJSONSchemaV1 | AiSdkSchema;

/**
 * A tool result's schema: the same forms as {@link ToolSchema}, of any JSON type.
 *
 * @example
 * ```ts
 * const outputSchema: ResultSchema = { type: 'array', items: { type: 'object', title: 'Order', properties: { id: { type: 'integer' } } } }
 * ```
 */
export type ResultSchema = JsonSchema | StandardSchemaV1 | StandardJSONSchemaV1 | AiSdkSchema;

/**
 * A tool as the Vercel AI SDK defines it (`tool({ description, inputSchema,
 * execute })`), keyed by its name in a record. PyBox accepts such a record as
 * it is.
 *
 * @example
 * ```ts
 * await box.defineTools({ get_weather: tool({ description: 'Weather.', inputSchema: z.object({ city: z.string() }), execute: async ({ city }) => ({ city }) }) })
 * ```
 */
export interface AiSdkTool {
  /** A string, or (AI SDK 7) a function of the call's context: PyBox calls it with `{ context: undefined }`. */
  description?: unknown;
  inputSchema?: unknown;
  outputSchema?: unknown;
  /** Called as `execute(input, { toolCallId, messages: [] })`. */
  execute?: (...args: never[]) => unknown;
  [key: string]: unknown;
}

/** A result of a library's own validator: the (possibly transformed) value, or messages with paths. */
export type NativeResult = { ok: true; value: unknown } | { ok: false; issues: { path: string; message: string }[] };

/** A schema brought to the internal form. */
export interface ResolvedSchema {
  /** The JSON Schema: what the guest, the stubs and the JSON Schema validator read. */
  json: JsonSchema;
  /** The schema library's own validator, when the schema came from one. */
  native?: (value: unknown) => NativeResult | Promise<NativeResult>;
  /** Where it came from, for messages: `json-schema`, `zod`, `valibot`, `arktype`, `ai-sdk`... */
  source: string;
}

const AI_SDK_SCHEMA = Symbol.for('vercel.ai.schema');

/**
 * Brings a tool's schema to the internal form. JSON Schema export comes from
 * the library itself: the Standard JSON Schema interface (`~standard.jsonSchema`,
 * zod 4 and arktype have it; valibot through `toStandardJsonSchema()`), else
 * the library's own method (`toJsonSchema()` of arktype, `toJSONSchema()` of zod).
 * @param what names the schema in errors, e.g. `tool get_orders: parameters`
 * @throws ToolDefinitionError when the schema cannot be turned into JSON Schema
 */
export async function resolveSchema(schema: unknown, what: string): Promise<ResolvedSchema> {
  // Standard Schemas may be callable (arktype's types are functions): look for the marker first.
  if ((typeof schema === 'object' || typeof schema === 'function') && schema !== null && '~standard' in schema) {
    return fromStandard(schema as StandardSchemaV1, what);
  }
  if (typeof schema === 'function') {
    // The AI SDK's lazy schemas: `() => schema`.
    return resolveSchema((schema as () => unknown)(), what);
  }
  if (typeof schema === 'boolean') return { json: schema, source: 'json-schema' };
  if (typeof schema !== 'object' || schema === null) {
    throw new ToolDefinitionError(`${what} must be a JSON Schema object or a Standard Schema, got ${describe(schema)}`);
  }
  if (AI_SDK_SCHEMA in schema) return fromAiSdk(schema as unknown as AiSdkSchema, what);
  return { json: schema as JsonSchema, source: 'json-schema' };
}

async function fromAiSdk(schema: AiSdkSchema, what: string): Promise<ResolvedSchema> {
  let json: unknown;
  try {
    json = await schema.jsonSchema;
  } catch (e) {
    throw new ToolDefinitionError(`${what}: the AI SDK schema could not produce its JSON Schema (${message(e)})`);
  }
  if (!isJsonSchema(json)) throw new ToolDefinitionError(`${what}: the AI SDK schema's jsonSchema is not a JSON Schema`);
  const validate = schema.validate;
  if (!validate) return { json, source: 'ai-sdk' };
  return {
    json,
    source: 'ai-sdk',
    native: (value) => {
      const fromResult = (r: AiSdkValidation): NativeResult =>
        r.success ? { ok: true, value: r.value } : { ok: false, issues: [{ path: '', message: message(r.error) }] };
      const r = validate(value);
      return isThenable(r) ? Promise.resolve(r).then(fromResult) : fromResult(r as AiSdkValidation);
    },
  };
}

function fromStandard(schema: StandardSchemaV1, what: string): ResolvedSchema {
  const props = schema['~standard'] as StandardSchemaV1['~standard'] & Partial<StandardJSONSchemaV1['~standard']>;
  const vendor = String(props?.vendor ?? 'unknown');
  const json = standardJsonSchema(schema, props, vendor, what);
  if (typeof props.validate !== 'function') return { json, source: vendor };
  return {
    json,
    source: vendor,
    native: (value) => {
      const r = props.validate(value);
      return isThenable(r) ? Promise.resolve(r).then(fromStandardResult) : fromStandardResult(r as StandardSchemaV1.Result<unknown>);
    },
  };
}

function standardJsonSchema(
  schema: object,
  props: Partial<StandardJSONSchemaV1['~standard']>,
  vendor: string,
  what: string,
): JsonSchema {
  const attempts: (() => unknown)[] = [];
  if (props.jsonSchema && typeof props.jsonSchema.input === 'function') {
    const input = props.jsonSchema.input.bind(props.jsonSchema);
    attempts.push(() => input({ target: 'draft-2020-12' }), () => input({ target: 'draft-07' }));
  }
  for (const method of ['toJsonSchema', 'toJSONSchema'] as const) {
    const fn = (schema as Record<string, unknown>)[method];
    if (typeof fn === 'function') attempts.push(() => (fn as () => unknown).call(schema));
  }
  let lastError: unknown;
  for (const attempt of attempts) {
    try {
      const json = attempt();
      if (isJsonSchema(json)) return json;
    } catch (e) {
      lastError = e;
    }
  }
  if (attempts.length === 0) {
    throw new ToolDefinitionError(
      `${what} is a ${vendor} schema without a JSON Schema export: ` +
        (vendor === 'valibot'
          ? 'wrap it with toStandardJsonSchema() from @valibot/to-json-schema'
          : 'use a library version with Standard JSON Schema support (~standard.jsonSchema), or pass a JSON Schema'),
    );
  }
  throw new ToolDefinitionError(
    `${what}: the ${vendor} schema could not be converted to JSON Schema (${message(lastError)}); ` +
      'refinements and transforms without a JSON Schema form need a plain JSON Schema instead',
  );
}

function fromStandardResult(r: StandardSchemaV1.Result<unknown>): NativeResult {
  if (!r.issues) return { ok: true, value: r.value };
  return {
    ok: false,
    issues: r.issues.map((issue) => ({
      path: (issue.path ?? []).map((p) => String(typeof p === 'object' && p !== null ? p.key : p)).join('.'),
      message: issue.message,
    })),
  };
}

function isJsonSchema(x: unknown): x is JsonSchema {
  return typeof x === 'boolean' || (typeof x === 'object' && x !== null && !Array.isArray(x));
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function describe(x: unknown): string {
  return x === null ? 'null' : Array.isArray(x) ? 'an array' : typeof x;
}
