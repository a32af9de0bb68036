/**
 * A small shop for agent tests (Node and browser): two tools and a
 * three-step PTC script whose third step uses variables of the first two.
 */
import type { ToolDefinition } from '@pybox/core';

export const customers: Record<string, { id: string; name: string; country: string }> = {
  c1: { id: 'c1', name: 'Ada Lovelace', country: 'UK' },
  c2: { id: 'c2', name: 'Grace Hopper', country: 'US' },
  c3: { id: 'c3', name: 'Alan Turing', country: 'UK' },
};

export const orders = [
  { id: 1, customer: 'c1', total: 120.5, status: 'open' },
  { id: 2, customer: 'c2', total: 80, status: 'open' },
  { id: 3, customer: 'c1', total: 42.25, status: 'shipped' },
  { id: 4, customer: 'c3', total: 310, status: 'open' },
];

/** `list_orders(status)` and `get_customer(id)`; every call is logged. */
export function shopTools(log: string[] = []): ToolDefinition[] {
  return [
    {
      name: 'list_orders',
      description: 'Orders with the given status.',
      parameters: {
        type: 'object',
        properties: { status: { enum: ['open', 'shipped'], description: 'Which orders.' } },
        required: ['status'],
      },
      outputSchema: {
        type: 'array',
        items: {
          type: 'object',
          title: 'Order',
          properties: { id: { type: 'integer' }, customer: { type: 'string' }, total: { type: 'number' }, status: { type: 'string' } },
          required: ['id', 'customer', 'total', 'status'],
        },
      },
      handler: async ({ status }) => {
        log.push(`list_orders(${String(status)})`);
        return orders.filter((o) => o.status === status);
      },
    },
    {
      name: 'get_customer',
      description: 'One customer by id.',
      parameters: { type: 'object', properties: { id: { type: 'string', pattern: '^c[0-9]+$' } }, required: ['id'] },
      handler: async ({ id }) => {
        log.push(`get_customer(${String(id)})`);
        return customers[id as string] ?? null;
      },
    },
  ];
}

/** The code of the three steps: the third uses `orders` and `people` from the first two. */
export const shopSteps = [
  'orders = await list_orders("open")\nprint(len(orders), "open orders")',
  'import asyncio\npeople = {c["id"]: c for c in await asyncio.gather(*[get_customer(o["customer"]) for o in orders])}\nprint(sorted(people))',
  'from collections import defaultdict\nby_country = defaultdict(float)\nfor o in orders:\n    by_country[people[o["customer"]]["country"]] += o["total"]\nfor country, total in sorted(by_country.items()):\n    print(f"{country}: {total:.2f}")',
];

/** What the model reads back after each step. */
export const shopOutputs = ['3 open orders', "['c1', 'c2', 'c3']", 'UK: 430.50\nUS: 80.00'];

export const shopAnswer = 'Open orders: UK 430.50, US 80.00.';
