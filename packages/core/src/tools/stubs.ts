/**
 * Python stubs of tools, for prompts and for `help(tool)`: one `async def`
 * per tool with typed parameters (`Literal` for enums, `TypedDict` for object
 * shapes), defaults, a return type from the output schema, and a docstring
 * from the descriptions. Compact on purpose: a prompt with 30 tools must stay
 * readable.
 */
import type { JsonSchema } from './schema.js';

/** What a stub is made from. */
export interface StubSource {
  name: string;
  description?: string;
  parameters: JsonSchema;
  outputSchema?: JsonSchema;
}

type Node = { [keyword: string]: unknown };

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PY_KEYWORDS = new Set(
  ('False None True and as assert async await break class continue def del elif else except finally for from ' +
    'global if import in is lambda nonlocal not or pass raise return try while with yield').split(' '),
);

/**
 * Renders the stubs of several tools: shared `TypedDict`s first, then one
 * `async def` per tool.
 *
 * @example
 * ```ts
 * renderStubs([{ name: 'get_orders', description: 'Orders of a customer.', parameters: {
 *   type: 'object', required: ['customer_id'],
 *   properties: { customer_id: { type: 'string' }, status: { enum: ['open', 'closed'], default: 'open' } } } }])
 * // async def get_orders(customer_id: str, status: Literal["open", "closed"] = "open") -> Any:
 * //     """Orders of a customer."""
 * ```
 */
export function renderStubs(tools: StubSource[]): string {
  const types = new TypeRegistry();
  const defs = tools.map((tool) => renderTool(tool, types));
  return [...types.blocks(), ...defs].join('\n\n');
}

function renderTool(tool: StubSource, types: TypeRegistry): string {
  const toolPascal = pascal(tool.name);
  const params = asNode(tool.parameters);
  const root = params;
  const props = asNode(params.properties);
  const required = new Set(Array.isArray(params.required) ? params.required.map(String) : []);
  const sig: string[] = [];
  const docs: string[] = [];
  const extras: string[] = [];
  let seenOptional = false;
  let keywordOnly = false;
  for (const [name, raw] of Object.entries(props)) {
    const schema = asNode(raw);
    const type = types.typeOf(schema, `${toolPascal}${pascal(name)}`, root);
    if (!IDENTIFIER.test(name) || PY_KEYWORDS.has(name) || name.startsWith('_')) {
      extras.push(`"${name}": ${type}`);
      continue;
    }
    const isRequired = required.has(name);
    if (isRequired && seenOptional && !keywordOnly) {
      // Python puts no required parameter after an optional one: the rest are keyword-only.
      sig.push('*');
      keywordOnly = true;
    }
    if (isRequired) sig.push(`${name}: ${type}`);
    else {
      seenOptional = true;
      sig.push(`${name}: ${type} = ${'default' in schema ? pyLiteral(schema.default) : '...'}`);
    }
    const doc = [text(schema.description), constraints(schema)].filter(Boolean).join(' ');
    if (doc) docs.push(`${name}: ${doc}`);
  }
  if (extras.length || params.additionalProperties === true) sig.push('**kwargs: Any');
  if (extras.length) docs.push(`Also takes keyword arguments ${extras.join(', ')} (pass them with **{...}).`);
  const output = tool.outputSchema === undefined ? 'Any' : types.typeOf(asNode(tool.outputSchema), `${toolPascal}Result`, asNode(tool.outputSchema));
  const head = `async def ${tool.name}(${sig.join(', ')}) -> ${output}:`;
  const description = text(tool.description);
  const lines = [...(description ? description.split('\n') : []), ...(docs.length && description ? [''] : []), ...docs];
  if (lines.length === 0) return `${head} ...`;
  if (lines.length === 1) return `${head}\n    """${escapeDoc(lines[0]!)}"""`;
  return `${head}\n    """${lines.map((l, i) => (i === 0 ? escapeDoc(l) : l ? `    ${escapeDoc(l)}` : '')).join('\n')}\n    """`;
}

/** Names and renders the TypedDicts the types refer to, each once. */
class TypeRegistry {
  private readonly byNode = new Map<Node, string>();
  private readonly rendered = new Map<string, string>();
  /** The schema text behind each name, so that equal shapes under one title share it. */
  private readonly sourceOf = new Map<string, string>();
  private readonly order: string[] = [];

  blocks(): string[] {
    return this.order.map((name) => this.rendered.get(name)!);
  }

  /** The Python type of a schema; object shapes become TypedDicts named after `hint`. */
  typeOf(schema: Node, hint: string, root: Node, depth = 0): string {
    if (depth > 12) return 'Any';
    if (typeof schema.$ref === 'string') {
      const target = resolveRef(schema.$ref, root);
      if (!target) return 'Any';
      const refName = /([^/]+)$/.exec(schema.$ref)?.[1];
      return this.typeOf(target, refName && IDENTIFIER.test(pascal(refName)) ? pascal(refName) : hint, root, depth + 1);
    }
    if ('const' in schema) return `Literal[${pyLiteral(schema.const)}]`;
    if (Array.isArray(schema.enum)) return `Literal[${schema.enum.map(pyLiteral).join(', ')}]`;
    for (const key of ['anyOf', 'oneOf'] as const) {
      const alternatives = schema[key];
      if (Array.isArray(alternatives) && alternatives.length) {
        return union(alternatives.map((alt, i) => this.typeOf(asNode(alt), alternatives.length > 1 ? `${hint}${i + 1}` : hint, root, depth + 1)));
      }
    }
    if (Array.isArray(schema.allOf) && schema.allOf.length === 1) return this.typeOf(asNode(schema.allOf[0]), hint, root, depth + 1);
    const type = schema.type;
    if (Array.isArray(type)) {
      return union(type.map((t) => this.typeOf({ ...schema, type: t }, hint, root, depth + 1)));
    }
    switch (type) {
      case 'string':
        return 'str';
      case 'integer':
        return 'int';
      case 'number':
        return 'float';
      case 'boolean':
        return 'bool';
      case 'null':
        return 'None';
      case 'array':
        return this.arrayType(schema, hint, root, depth);
      case 'object':
        return this.objectType(schema, hint, root, depth);
      default:
        if (schema.properties) return this.objectType(schema, hint, root, depth);
        if (schema.items || schema.prefixItems) return this.arrayType(schema, hint, root, depth);
        return 'Any';
    }
  }

  private arrayType(schema: Node, hint: string, root: Node, depth: number): string {
    const prefix = Array.isArray(schema.prefixItems) ? schema.prefixItems : Array.isArray(schema.items) ? schema.items : null;
    if (prefix) return `tuple[${prefix.map((s, i) => this.typeOf(asNode(s), `${hint}${i + 1}`, root, depth + 1)).join(', ')}]`;
    const item = schema.items === undefined ? 'Any' : this.typeOf(asNode(schema.items), singular(hint), root, depth + 1);
    return `list[${item}]`;
  }

  private objectType(schema: Node, hint: string, root: Node, depth: number): string {
    const props = asNode(schema.properties);
    const keys = Object.keys(props);
    if (keys.length === 0) {
      const extra = schema.additionalProperties;
      const value = typeof extra === 'object' && extra !== null ? this.typeOf(asNode(extra), `${hint}Value`, root, depth + 1) : 'Any';
      return `dict[str, ${value}]`;
    }
    const known = this.byNode.get(schema);
    // A type still being defined (recursion) is a forward reference: Python 3.13 evaluates class annotations at once.
    if (known) return this.rendered.get(known) === '' ? `"${known}"` : known;
    const source = JSON.stringify(schema);
    const titled = typeof schema.title === 'string' && IDENTIFIER.test(pascal(schema.title)) ? pascal(schema.title) : null;
    const base = titled ?? hint;
    if (this.sourceOf.get(base) === source) return this.rendered.get(base) === '' ? `"${base}"` : base; // the same shape, defined by another tool
    const name = this.freeName(base);
    this.byNode.set(schema, name);
    this.sourceOf.set(name, source);
    this.order.push(name); // reserve the position before fields register their own types
    this.rendered.set(name, '');
    const required = new Set(Array.isArray(schema.required) ? schema.required.map(String) : []);
    const fields = keys.map((key) => {
      const sub = asNode(props[key]);
      let type = this.typeOf(sub, `${name}${pascal(key)}`, root, depth + 1);
      if (!required.has(key)) type = `NotRequired[${type}]`;
      const note = [text(sub.description), constraints(sub)].filter(Boolean).join(' ').replace(/\n/g, ' ');
      return { key, type, note };
    });
    const functional = fields.some((f) => !IDENTIFIER.test(f.key) || PY_KEYWORDS.has(f.key));
    let block: string;
    if (functional) {
      block = `${name} = TypedDict("${name}", {${fields.map((f) => `${JSON.stringify(f.key)}: ${f.type}`).join(', ')}})`;
    } else {
      const doc = text(schema.description);
      block = [
        `class ${name}(TypedDict):`,
        ...(doc ? [`    """${escapeDoc(doc.replace(/\n/g, ' '))}"""`] : []),
        ...fields.map((f) => `    ${f.key}: ${f.type}${f.note ? `  # ${f.note}` : ''}`),
      ].join('\n');
    }
    // Move the finished block after the types its fields introduced (definition before use).
    this.order.splice(this.order.indexOf(name), 1);
    this.order.push(name);
    this.rendered.set(name, block);
    return name;
  }

  private freeName(base: string): string {
    let name = base;
    for (let i = 2; this.rendered.has(name); i++) name = `${base}${i}`;
    return name;
  }
}

/** Rules worth telling the model up front, compactly: `(>= 1, at most 200 chars)`. */
function constraints(schema: Node): string {
  const parts: string[] = [];
  // Bounds that only restate "a safe integer" (zod's int()) are noise in a prompt.
  const n = (k: string) =>
    typeof schema[k] === 'number' && Math.abs(schema[k] as number) !== Number.MAX_SAFE_INTEGER ? (schema[k] as number) : undefined;
  if (n('minimum') !== undefined) parts.push(`>= ${n('minimum')}`);
  if (n('exclusiveMinimum') !== undefined) parts.push(`> ${n('exclusiveMinimum')}`);
  if (n('maximum') !== undefined) parts.push(`<= ${n('maximum')}`);
  if (n('exclusiveMaximum') !== undefined) parts.push(`< ${n('exclusiveMaximum')}`);
  if (n('multipleOf') !== undefined) parts.push(`multiple of ${n('multipleOf')}`);
  if (n('minLength') !== undefined) parts.push(`at least ${n('minLength')} chars`);
  if (n('maxLength') !== undefined) parts.push(`at most ${n('maxLength')} chars`);
  if (n('minItems') !== undefined) parts.push(`at least ${n('minItems')} items`);
  if (n('maxItems') !== undefined) parts.push(`at most ${n('maxItems')} items`);
  if (typeof schema.pattern === 'string' && typeof schema.format !== 'string') parts.push(`pattern ${schema.pattern}`);
  if (typeof schema.format === 'string') parts.push(`format ${schema.format}`);
  return parts.length ? `(${parts.join(', ')})` : '';
}

function resolveRef(ref: string, root: Node): Node | null {
  if (!ref.startsWith('#')) return null;
  let node: unknown = root;
  for (const raw of ref.replace(/^#\/?/, '').split('/').filter(Boolean)) {
    const segment = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    node = typeof node === 'object' && node !== null ? (node as Node)[segment] : undefined;
  }
  return typeof node === 'object' && node !== null ? (node as Node) : null;
}

function union(types: string[]): string {
  const unique = [...new Set(types)];
  // `None` last reads best: `str | None`.
  unique.sort((a, b) => Number(a === 'None') - Number(b === 'None'));
  return unique.includes('Any') ? 'Any' : unique.join(' | ');
}

/** A JSON value as a Python literal. */
export function pyLiteral(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'None';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(pyLiteral).join(', ')}]`;
  if (typeof v === 'object') {
    return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${pyLiteral(x)}`).join(', ')}}`;
  }
  return 'None';
}

function asNode(x: unknown): Node {
  return typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Node) : {};
}

function text(x: unknown): string {
  return typeof x === 'string' ? x.trim() : '';
}

function escapeDoc(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"""/g, '\\"\\"\\"');
}

/** `get_orders` → `GetOrders`; `line-items` → `LineItems`. */
function pascal(s: string): string {
  return s
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('')
    .replace(/^[0-9]/, (d) => `T${d}`);
}

/** `GetOrdersItems` → `GetOrdersItem`, for the element type of a list. */
function singular(hint: string): string {
  if (hint.endsWith('ies')) return `${hint.slice(0, -3)}y`;
  if (hint.endsWith('ses') || hint.endsWith('xes')) return hint.slice(0, -2);
  if (hint.endsWith('s') && !hint.endsWith('ss')) return hint.slice(0, -1);
  return `${hint}Item`;
}
