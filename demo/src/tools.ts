/**
 * The page's tools: plain JS functions with JSON Schemas. Python sees each
 * as an async function with that signature (`await get_sales(id, month)`),
 * and a model sees their stubs in the code tool's description.
 */
import type { ToolCallEvent, ToolDefinition } from '@pybox/core';
import { MONTHS, PRODUCTS, UNITS_SOLD } from './data.js';

/** One tool call, as the page shows it while it runs and after. */
export interface ToolCall {
  /** Unique in the page. */
  id: number;
  name: string;
  args: Record<string, unknown>;
  /** `refused`: the arguments failed the schema, the handler never ran; `abandoned`: the run ended first. */
  status: 'pending' | 'ok' | 'error' | 'refused' | 'abandoned';
  /** When it started (performance.now()). */
  startedAt: number;
  durationMs?: number;
  result?: unknown;
  /** `Type: message` of an error. */
  error?: string;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

/** An error that reaches Python as the builtin exception `type`. */
const pythonError = (type: 'ValueError' | 'KeyError', message: string) => Object.assign(new Error(message), { name: type });

/** A network-like delay: `ms` give or take 50 %. */
const latency = (ms: number) => sleep(ms * (0.5 + Math.random()));

/**
 * The demo's tools over the shop in data.ts.
 *
 * @example
 * ```ts
 * const box = await PyBox.create({ tools: createTools() })
 * ```
 */
export function createTools(): ToolDefinition[] {
  const categories = [...new Set(PRODUCTS.map((p) => p.category))];
  return [
    {
      name: 'list_products',
      description: `The products of a category: id, name, category, price.`,
      parameters: {
        type: 'object',
        properties: { category: { type: 'string', enum: categories, description: 'one of the shop\'s categories' } },
        required: ['category'],
        additionalProperties: false,
      },
      handler: async ({ category }) => {
        await latency(60);
        return PRODUCTS.filter((p) => p.category === category);
      },
    },
    {
      name: 'get_sales',
      description: 'Units sold and revenue of one product in one month.',
      parameters: {
        type: 'object',
        properties: {
          product_id: { type: 'string', description: 'a product id from list_products' },
          month: { type: 'string', enum: MONTHS, description: 'YYYY-MM' },
        },
        required: ['product_id', 'month'],
        additionalProperties: false,
      },
      handler: async ({ product_id, month }) => {
        await latency(150);
        const product = PRODUCTS.find((p) => p.id === product_id);
        if (!product) throw pythonError('KeyError', `no product ${String(product_id)}`);
        const units = UNITS_SOLD[product.id]![MONTHS.indexOf(month as string)]!;
        return { product_id, month, units, revenue: Math.round(units * product.price * 100) / 100 };
      },
    },
    {
      name: 'forecast_demand',
      description: "Next month's expected units of a product. A slow service: about 2 s per call.",
      parameters: {
        type: 'object',
        properties: { product_id: { type: 'string' } },
        required: ['product_id'],
        additionalProperties: false,
      },
      handler: async ({ product_id }) => {
        await sleep(2_000);
        const units = UNITS_SOLD[String(product_id)];
        if (!units) throw pythonError('KeyError', `no product ${String(product_id)}`);
        const trend = (units.at(-1)! - units[0]!) / (units.length - 1);
        return { product_id, month: '2025-04', units: Math.round(units.at(-1)! + trend) };
      },
    },
    {
      name: 'send_report',
      description: 'Sends a report to the team (the page shows it in the tool call).',
      parameters: {
        type: 'object',
        properties: { title: { type: 'string', maxLength: 120 }, body: { type: 'string' } },
        required: ['title', 'body'],
        additionalProperties: false,
      },
      handler: async ({ title }) => {
        await latency(80);
        return { delivered: true, to: 'team@shop.example', title };
      },
    },
  ];
}

/**
 * Every tool call of the box, live: a call shows as pending when it reaches
 * the handler and settles when the handler does. Calls the schema refused
 * never reach a handler; they come from `box.onToolCall` and show as refused.
 *
 * @example
 * ```ts
 * const feed = new ToolCallFeed()
 * const box = await PyBox.create({ tools: feed.wrap(createTools()) })
 * feed.attach(box)
 * const stop = feed.subscribe((call) => render(call))
 * ```
 */
export class ToolCallFeed {
  private nextId = 1;
  private readonly listeners = new Set<(call: ToolCall) => void>();
  private readonly startListeners = new Set<() => void>();
  /** Handler errors not yet matched with their box.onToolCall report: `name\0message`. */
  private readonly handlerErrors: string[] = [];
  private readonly pending = new Set<ToolCall>();

  /** Wraps the tools' handlers so that their calls show up here. */
  wrap(tools: ToolDefinition[]): ToolDefinition[] {
    return tools.map((tool) => ({
      ...tool,
      handler: async (args: Record<string, unknown>) => {
        const call: ToolCall = { id: this.nextId++, name: tool.name, args, status: 'pending', startedAt: performance.now() };
        this.pending.add(call);
        this.emit(call);
        for (const listener of this.startListeners) listener();
        try {
          const result = await tool.handler(args);
          this.settle(call, { status: 'ok', result });
          return result;
        } catch (e) {
          const error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
          this.handlerErrors.push(`${tool.name}\0${e instanceof Error ? e.message : String(e)}`);
          this.settle(call, { status: 'error', error });
          throw e;
        }
      },
    }));
  }

  /** Listens to the box for the calls its schemas refused. Returns a function that stops listening. */
  attach(box: { onToolCall(listener: (event: ToolCallEvent) => void): () => void }): () => void {
    return box.onToolCall((event) => {
      if (event.ok) return;
      const key = `${event.name}\0${event.error.message}`;
      const i = this.handlerErrors.indexOf(key);
      if (i >= 0) return void this.handlerErrors.splice(i, 1); // the handler's own error: shown already
      const call: ToolCall = {
        id: this.nextId++,
        name: event.name,
        args: event.args,
        status: 'refused',
        startedAt: performance.now() - event.ms,
        durationMs: event.ms,
        error: `${event.error.type}: ${event.error.message}`,
      };
      this.emit(call);
    });
  }

  /** Calls `listener` with each call when it starts and again when it changes. Returns an unsubscribe function. */
  subscribe(listener: (call: ToolCall) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Calls `listener` whenever a call reaches a handler (the exec is waiting: a moment to look at the files). */
  onStart(listener: () => void): () => void {
    this.startListeners.add(listener);
    return () => void this.startListeners.delete(listener);
  }

  /** Marks the calls still waiting as abandoned (their run ended: stopped, timed out). */
  abandonPending(): void {
    for (const call of this.pending) {
      call.status = 'abandoned';
      this.emit(call);
    }
    this.pending.clear();
  }

  private settle(call: ToolCall, outcome: Pick<ToolCall, 'status' | 'result' | 'error'>): void {
    if (!this.pending.delete(call)) return; // abandoned: its run is over
    Object.assign(call, outcome, { durationMs: performance.now() - call.startedAt });
    this.emit(call);
  }

  private emit(call: ToolCall): void {
    for (const listener of this.listeners) listener(call);
  }
}
