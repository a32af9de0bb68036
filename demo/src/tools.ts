/**
 * The page's tools: plain JS functions with JSON Schemas. Python sees each
 * as an async function with that signature (`await get_sales(id, month)`).
 */
import type { ToolDefinition } from '@pybox/core';
import { MONTHS, PRODUCTS, UNITS_SOLD } from './data.js';

/** What `send_report` hands to the page. */
export interface Report {
  title: string;
  body: string;
}

/** One call the agent made, as the tool-call log shows it. */
export interface ToolCall {
  name: string;
  args: Record<string, unknown>;
  /** `abandoned`: the run ended (stopped, timed out) before the call returned. */
  status: 'pending' | 'ok' | 'error' | 'abandoned';
  /** Start, in ms since the log was cleared. */
  startMs: number;
  durationMs?: number;
  result?: unknown;
  error?: string;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** An error that reaches Python as the builtin exception `type`. */
const pythonError = (type: 'ValueError' | 'KeyError', message: string) => Object.assign(new Error(message), { name: type });

/** A network-like delay: `ms` give or take 50 %. */
const latency = (ms: number) => sleep(ms * (0.5 + Math.random()));

/** The demo's tools; `onReport` receives what `send_report` sends. */
export function createTools(onReport: (report: Report) => void): ToolDefinition[] {
  const categories = [...new Set(PRODUCTS.map((p) => p.category))];
  return [
    {
      name: 'list_products',
      description: `The products of a category (${categories.join(', ')}): id, name, category, price.`,
      parameters: { type: 'object', properties: { category: { type: 'string', enum: categories } }, required: ['category'] },
      handler: async ({ category }) => {
        await latency(40);
        if (!categories.includes(category as string)) throw pythonError('ValueError', `unknown category ${String(category)}`);
        return PRODUCTS.filter((p) => p.category === category);
      },
    },
    {
      name: 'get_sales',
      description: 'Units sold and revenue of one product in one month (YYYY-MM).',
      parameters: {
        type: 'object',
        properties: { product_id: { type: 'string' }, month: { type: 'string', enum: MONTHS } },
        required: ['product_id', 'month'],
      },
      handler: async ({ product_id, month }) => {
        await latency(100);
        const product = PRODUCTS.find((p) => p.id === product_id);
        if (!product) throw pythonError('KeyError', `no product ${String(product_id)}`);
        const i = MONTHS.indexOf(month as string);
        if (i < 0) throw pythonError('ValueError', `no sales data for ${String(month)}; months: ${MONTHS.join(', ')}`);
        const units = UNITS_SOLD[product.id]![i]!;
        return { product_id, month, units, revenue: Math.round(units * product.price * 100) / 100 };
      },
    },
    {
      name: 'send_report',
      description: 'Sends a report to the user (the page shows it under Reports).',
      parameters: { type: 'object', properties: { title: { type: 'string' }, body: { type: 'string' } }, required: ['title', 'body'] },
      handler: async ({ title, body }) => {
        onReport({ title: String(title), body: String(body) });
        return { delivered: true };
      },
    },
    {
      name: 'forecast_demand',
      description: "Next month's expected units of a product. Slow: takes about 30 s.",
      parameters: { type: 'object', properties: { product_id: { type: 'string' } }, required: ['product_id'] },
      handler: async ({ product_id }) => {
        await sleep(30_000);
        const units = UNITS_SOLD[String(product_id)];
        if (!units) throw pythonError('KeyError', `no product ${String(product_id)}`);
        return { product_id, units: Math.round(units.at(-1)! * 1.1) };
      },
    },
  ];
}

/** Records every tool call the agent makes, for the tool-call log. */
export class CallLog {
  private calls: ToolCall[] = [];
  private origin = performance.now();

  /** @param onChange called whenever a call starts or ends */
  constructor(private readonly onChange: (calls: readonly ToolCall[]) => void) {}

  /** Wraps the tools' handlers so that their calls are recorded here. */
  wrap(tools: ToolDefinition[]): ToolDefinition[] {
    return tools.map((tool) => ({
      ...tool,
      handler: async (args: Record<string, unknown>) => {
        const t0 = performance.now();
        const call: ToolCall = { name: tool.name, args, status: 'pending', startMs: t0 - this.origin };
        this.calls.push(call);
        this.onChange(this.calls);
        try {
          const result = await tool.handler(args);
          this.settle(call, t0, { status: 'ok', result });
          return result;
        } catch (e) {
          this.settle(call, t0, { status: 'error', error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
          throw e;
        }
      },
    }));
  }

  /** Starts a new log (at the start of a run). */
  clear(): void {
    this.calls = [];
    this.origin = performance.now();
    this.onChange(this.calls);
  }

  /** Marks the calls still waiting as abandoned (at the end of a run). */
  abandonPending(): void {
    for (const call of this.calls) if (call.status === 'pending') call.status = 'abandoned';
    this.onChange(this.calls);
  }

  private settle(call: ToolCall, t0: number, outcome: Pick<ToolCall, 'status' | 'result' | 'error'>): void {
    if (call.status !== 'pending') return; // abandoned: the run is over
    Object.assign(call, outcome, { durationMs: performance.now() - t0 });
    this.onChange(this.calls);
  }
}
