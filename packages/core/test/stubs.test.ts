// The Python stubs of tools (box.describeTools()): typed, compact, and valid Python — which
// Python itself checks here by running them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PyBox, type ToolDefinition } from '@pybox/node';

const getOrders: ToolDefinition = {
  name: 'get_orders',
  description: 'Orders of one customer, newest first.',
  parameters: {
    type: 'object',
    properties: {
      customer_id: { type: 'string', description: 'The customer, e.g. "c1".' },
      status: { enum: ['open', 'closed'], default: 'open', description: 'Which orders.' },
      limit: { type: 'integer', minimum: 1, maximum: 100 },
    },
    required: ['customer_id'],
  },
  outputSchema: {
    type: 'array',
    items: { $ref: '#/$defs/Order' },
    $defs: {
      Order: {
        type: 'object',
        properties: {
          id: { type: 'integer' },
          status: { enum: ['open', 'closed'] },
          lines: { type: 'array', items: { type: 'object', properties: { sku: { type: 'string' }, qty: { type: 'integer' } }, required: ['sku', 'qty'] } },
          note: { type: ['string', 'null'], description: 'Free text.' },
        },
        required: ['id', 'status', 'lines'],
      },
    },
  },
  handler: async () => [],
};

let box: PyBox;
beforeAll(async () => {
  box = await PyBox.create({ inThread: true, tools: [getOrders] });
});
afterAll(() => box.close());

/** Runs the stubs as Python: they must define every function and TypedDict they name. */
async function runsAsPython(stubs: string, names: string[]): Promise<void> {
  const ctx = await box.createContext();
  await ctx.set('stubs', stubs);
  const r = await ctx.exec(
    'from typing import Any, Literal, NotRequired, TypedDict\nns = {"Any": Any, "Literal": Literal, "NotRequired": NotRequired, "TypedDict": TypedDict}\nexec(stubs, ns)\nsorted(k for k in ns if not k.startswith("__"))',
  );
  await ctx.dispose();
  if (!r.ok) throw new Error(`the stubs are not valid Python: ${r.error.traceback}\n${stubs}`);
  expect(r.value).toEqual(expect.arrayContaining(names));
}

describe('describeTools', () => {
  it('renders the signature, TypedDicts from $defs, and a docstring from the descriptions', async () => {
    const stubs = box.describeTools();
    expect(stubs).toBe(
      [
        'class OrderLine(TypedDict):',
        '    sku: str',
        '    qty: int',
        '',
        'class Order(TypedDict):',
        '    id: int',
        '    status: Literal["open", "closed"]',
        '    lines: list[OrderLine]',
        '    note: NotRequired[str | None]  # Free text.',
        '',
        'async def get_orders(customer_id: str, status: Literal["open", "closed"] = "open", limit: int = ...) -> list[Order]:',
        '    """Orders of one customer, newest first.',
        '',
        '    customer_id: The customer, e.g. "c1".',
        '    status: Which orders.',
        '    limit: (>= 1, <= 100)',
        '    """',
      ].join('\n'),
    );
    await runsAsPython(stubs, ['Order', 'OrderLine', 'get_orders']);
  });

  it('keeps Python valid for awkward schemas', async () => {
    const awkward: ToolDefinition[] = [
      {
        name: 'awkward',
        description: 'Says """quotes""" and \\backslashes.',
        parameters: {
          type: 'object',
          properties: {
            maybe: { type: 'string' },
            must: { type: 'integer' }, // required after an optional one: keyword-only
            'first-name': { type: 'string' }, // not an identifier: **kwargs
            pair: { type: 'array', prefixItems: [{ type: 'number' }, { type: 'string' }] },
            counts: { type: 'object', additionalProperties: { type: 'integer' } },
            either: { anyOf: [{ type: 'string' }, { type: 'object', properties: { class: { type: 'string' } }, required: ['class'] }] },
            tree: { $ref: '#/$defs/Node' },
          },
          required: ['must'],
          $defs: { Node: { type: 'object', properties: { children: { type: 'array', items: { $ref: '#/$defs/Node' } } } } },
        },
        handler: () => 1,
      },
    ];
    await box.defineTools(awkward);
    const stubs = box.describeTools(['awkward']);
    expect(stubs).toContain(
      'async def awkward(maybe: str = ..., *, must: int, pair: tuple[float, str] = ..., counts: dict[str, int] = ..., either: str | AwkwardEither2 = ..., tree: Node = ..., **kwargs: Any) -> Any:',
    );
    expect(stubs).toContain('AwkwardEither2 = TypedDict("AwkwardEither2", {"class": str})');
    expect(stubs).toContain('class Node(TypedDict):\n    children: NotRequired[list["Node"]]');
    expect(stubs).toContain('Also takes keyword arguments "first-name": str');
    await runsAsPython(stubs, ['awkward', 'Node', 'AwkwardEither2']);
  });

  it('stays compact and valid with 30 tools', async () => {
    const many: ToolDefinition[] = Array.from({ length: 30 }, (_, i) => ({
      name: `tool_${i}`,
      description: `Does thing number ${i}.`,
      parameters: {
        type: 'object',
        properties: { id: { type: 'string', description: 'The id.' }, mode: { enum: ['fast', 'full'] } },
        required: ['id'],
      },
      outputSchema: { type: 'object', title: 'Thing', properties: { id: { type: 'string' }, score: { type: 'number' } }, required: ['id'] },
      handler: () => ({ id: 'x' }),
    }));
    const b = await PyBox.create({ inThread: true, tools: many });
    try {
      const stubs = b.describeTools();
      // One shared TypedDict (equal shapes under one title), five lines per tool.
      expect(stubs.match(/class Thing\b/g)).toHaveLength(1);
      expect(stubs.split('\n').length).toBeLessThanOrEqual(4 + 30 * 6);
      expect(stubs).toContain('async def tool_29(id: str, mode: Literal["fast", "full"] = ...) -> Thing:');
      await runsAsPython(stubs, ['Thing', 'tool_0', 'tool_29']);
    } finally {
      await b.close();
    }
  });

  it('names a different shape under a taken title apart', async () => {
    const b = await PyBox.create({
      inThread: true,
      tools: [
        { name: 'a', outputSchema: { type: 'object', title: 'Item', properties: { x: { type: 'integer' } } }, handler: () => ({}) },
        { name: 'b', outputSchema: { type: 'object', title: 'Item', properties: { y: { type: 'string' } } }, handler: () => ({}) },
      ],
    });
    try {
      const stubs = b.describeTools();
      expect(stubs).toContain('async def a() -> Item: ...');
      expect(stubs).toContain('async def b() -> Item2: ...');
      await runsAsPython(stubs, ['Item', 'Item2']);
    } finally {
      await b.close();
    }
  });

  it('refuses unknown names', () => {
    expect(() => box.describeTools(['nope'])).toThrow(expect.objectContaining({ name: 'InvalidArgumentError', message: 'no tool named nope: define it first' }));
  });
});
