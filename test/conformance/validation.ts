/**
 * Tools from any schema, validated on the host before the handler runs: the
 * same cases on every engine (in-thread, worker_threads, Chromium Web Worker).
 * Each case runs in Python and asserts the exception Python sees, its message,
 * and that the handler was not called.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Context, PyBoxBase, ToolCallEvent, ToolDefinition } from '@pybox/core';
import { jsonSchema, tool } from 'ai';
import { type } from 'arktype';
import * as v from 'valibot';
import { toStandardJsonSchema } from '@valibot/to-json-schema';
import { z } from 'zod';
import { fails, ok, type BoxFactory } from './suite.js';

/** The invoice tool: every JSON Schema rule the issue names, nested objects and arrays included. */
function invoiceTool(calls: unknown[]): ToolDefinition {
  return {
    name: 'create_invoice',
    description: 'Create an invoice.',
    parameters: {
      type: 'object',
      properties: {
        amount_cents: { type: 'integer', minimum: 1, description: 'Amount in cents.' },
        currency: { enum: ['EUR', 'USD'], default: 'EUR' },
        memo: { type: 'string', maxLength: 10 },
        customer: {
          type: 'object',
          properties: { id: { type: 'string', pattern: '^C[0-9]+$' }, email: { type: 'string' } },
          required: ['id'],
          additionalProperties: false,
        },
        lines: {
          type: 'array',
          items: {
            type: 'object',
            properties: { sku: { type: 'string', minLength: 2 }, qty: { type: 'integer', minimum: 1 } },
            required: ['sku', 'qty'],
          },
        },
      },
      required: ['amount_cents'],
      additionalProperties: false,
    },
    handler: async (args) => {
      calls.push(args);
      return { id: 'inv-1', ...args };
    },
  };
}

/** Registers the validation cases for one engine. */
export function defineValidation(engine: string, createBox: BoxFactory): void {
  describe(`tool validation: ${engine}`, () => {
    let box: PyBoxBase;
    let ctx: Context;
    const calls: unknown[] = [];
    const events: ToolCallEvent[] = [];
    const run = (code: string) => ctx.exec(code);

    beforeAll(async () => {
      box = await createBox({ tools: [invoiceTool(calls)] });
      box.onToolCall((e) => events.push(e));
      ctx = await box.createContext();
    });
    afterAll(async () => {
      await box?.close();
    });

    const refused: [string, string, 'ValueError' | 'TypeError', string][] = [
      ['minimum', 'await create_invoice(0)', 'ValueError', 'create_invoice(): amount_cents: must be >= 1, got 0'],
      ['enum', 'await create_invoice(5, currency="GBP")', 'ValueError', "currency: must be one of 'EUR', 'USD', got 'GBP'"],
      ['maxLength', 'await create_invoice(5, memo="x" * 11)', 'ValueError', 'memo: must be at most 10 characters long, got 11'],
      ['pattern (nested object)', 'await create_invoice(5, customer={"id": "X1"})', 'ValueError', "customer.id: must match the pattern ^C[0-9]+$, got 'X1'"],
      ['required (nested object)', 'await create_invoice(5, customer={"email": "a@b.c"})', 'ValueError', "customer: missing required key 'id'"],
      [
        'additionalProperties: false (nested object)',
        'await create_invoice(5, customer={"id": "C1", "vip": True})',
        'ValueError',
        "customer: unexpected key 'vip'",
      ],
      ['minLength (in an array)', 'await create_invoice(5, lines=[{"sku": "AB", "qty": 1}, {"sku": "A", "qty": 1}])', 'ValueError', 'lines[1].sku: must be at least 2 characters long, got 1'],
      ['minimum (in an array)', 'await create_invoice(5, lines=[{"sku": "AB", "qty": 0}])', 'ValueError', 'lines[0].qty: must be >= 1, got 0'],
      ['type (in an array)', 'await create_invoice(5, lines=[{"sku": "AB", "qty": "2"}])', 'TypeError', 'lines[0].qty: must be integer, not str'],
      ['type (nested)', 'await create_invoice(5, customer={"id": 7})', 'TypeError', 'customer.id: must be string, not int'],
    ];
    for (const [rule, code, type, message] of refused) {
      it(`refuses ${rule} with ${type} before the handler runs`, async () => {
        calls.length = 0;
        const r = fails(await run(code), type);
        expect(r.error.message).toContain(message);
        expect(calls).toEqual([]);
      });
    }

    it('refuses an integer JSON cannot carry exactly with ValueError (refused, never a lossy number or a BigInt)', async () => {
      // Python refuses an int a JS number cannot hold exactly before the call leaves it; one
      // that a double holds (2**60) reaches the host, which refuses it where the schema says
      // integer. Either way: ValueError, and the handler never runs.
      calls.length = 0;
      for (const code of ['await create_invoice(2**60)', 'await create_invoice(-(2**53) - 1)', 'await create_invoice(5, lines=[{"sku": "AB", "qty": 2**64}])']) {
        expect(fails(await run(code), 'ValueError').error.message).toMatch(/2\*\*53|2\^53/);
      }
      expect(calls).toEqual([]);
      expect(ok(await run('(await create_invoice(2**53 - 1))["amount_cents"]')).value).toBe(2 ** 53 - 1);
    });

    it('refuses a missing or unknown argument with TypeError in Python', async () => {
      calls.length = 0;
      expect(fails(await run('await create_invoice()'), 'TypeError').error.message).toContain('amount_cents');
      expect(fails(await run('await create_invoice(5, colour="red")'), 'TypeError').error.message).toContain('colour');
      expect(calls).toEqual([]);
    });

    it('passes a valid call with the defaults the stub shows filled in', async () => {
      calls.length = 0;
      const r = ok(await run('await create_invoice(250, customer={"id": "C7"}, lines=[{"sku": "AB", "qty": 2}])'));
      expect(calls).toEqual([{ amount_cents: 250, customer: { id: 'C7' }, lines: [{ sku: 'AB', qty: 2 }], currency: 'EUR' }]);
      expect((r.value as { currency: string }).currency).toBe('EUR');
    });

    it('lets Python catch the error and go on', async () => {
      const r = ok(await run('try:\n  await create_invoice(0)\nexcept ValueError as e:\n  msg = str(e)\nmsg'));
      expect(r.value).toBe('create_invoice(): amount_cents: must be >= 1, got 0');
    });

    it('reports every call, refused ones too, to onToolCall', async () => {
      events.length = 0;
      ok(await run('try:\n  await create_invoice(0)\nexcept ValueError:\n  pass\nawait create_invoice(3)'));
      expect(events.map((e) => [e.name, e.args, e.ok])).toEqual([
        ['create_invoice', { amount_cents: 0 }, false],
        ['create_invoice', { amount_cents: 3 }, true],
      ]);
      const [refusedCall, passed] = events;
      expect(refusedCall!.ok === false && refusedCall!.error).toEqual({
        type: 'ValueError',
        message: 'create_invoice(): amount_cents: must be >= 1, got 0',
      });
      expect(passed!.ok === true && passed!.result).toEqual({ id: 'inv-1', amount_cents: 3, currency: 'EUR' });
      expect(typeof passed!.ms).toBe('number');
    });

    it('an onToolCall listener that throws, or returns a promise that rejects, changes nothing Python sees', async () => {
      const stopThrowing = box.onToolCall(() => {
        throw new Error('listener bug');
      });
      const stopRejecting = box.onToolCall(async () => {
        throw new Error('async listener bug'); // unobserved, this would end a Node process
      });
      try {
        expect(ok(await run('(await create_invoice(4))["amount_cents"]')).value).toBe(4);
        await new Promise((r) => setTimeout(r, 20)); // the rejection has settled, and was observed
        expect(ok(await run('(await create_invoice(5))["amount_cents"]')).value).toBe(5);
      } finally {
        stopThrowing();
        stopRejecting();
      }
    });

    it('gives the tool its stub as docstring: help(tool) shows what describeTools() gives the model', async () => {
      const doc = ok(await run('create_invoice.__doc__')).value as string;
      expect(doc).toBe(box.describeTools(['create_invoice']));
      expect(doc).toContain('Create an invoice.');
      expect(ok(await run('help(create_invoice)')).stdout).toContain(box.describeTools(['create_invoice']).split('\n')[0]!);
      expect(box.describeTools(['create_invoice'])).toContain(
        'async def create_invoice(amount_cents: int, currency: Literal["EUR", "USD"] = "EUR", memo: str = ..., customer: CreateInvoiceCustomer = ..., lines: list[CreateInvoiceLine] = ...) -> Any:',
      );
    });

    describe('Standard Schema and AI SDK tools', () => {
      let b: PyBoxBase;
      let c: Context;
      const seen: Record<string, unknown[]> = { zod: [], valibot: [], arktype: [], weather: [], geo: [] };
      beforeAll(async () => {
        b = await createBox({
          tools: [
            {
              name: 'zod_pay',
              description: 'Pay with zod.',
              parameters: z.object({
                amount_cents: z.number().int().min(1),
                email: z.email(),
                note: z.string().trim().max(5).optional(),
              }),
              handler: async (args) => (seen.zod!.push(args), 'paid'),
            },
            {
              name: 'valibot_pay',
              parameters: toStandardJsonSchema(v.object({ amount_cents: v.pipe(v.number(), v.integer(), v.minValue(1)) })),
              handler: async (args) => (seen.valibot!.push(args), 'paid'),
            },
            {
              name: 'arktype_pay',
              parameters: type({ amount_cents: 'number.integer >= 1', method: "'card' | 'bank'" }),
              handler: async (args) => (seen.arktype!.push(args), 'paid'),
            },
          ],
        });
        await b.defineTools({
          get_weather: tool({
            description: 'Weather of a city.',
            inputSchema: z.object({ city: z.string().min(2).describe('City name') }),
            outputSchema: z.object({ city: z.string(), temp_c: z.number() }),
            execute: async ({ city }) => (seen.weather!.push(city), { city, temp_c: 21 }),
          }),
          geocode: tool({
            description: 'Coordinates of a place.',
            inputSchema: jsonSchema<{ place: string }>({
              type: 'object',
              properties: { place: { type: 'string', maxLength: 20 } },
              required: ['place'],
              additionalProperties: false,
            }),
            execute: async ({ place }) => (seen.geo!.push(place), { lat: 59.9, lon: 10.7 }),
          }),
          // AI SDK 7: a description may be a function of the call's context.
          now: tool({ description: () => 'The time, described late.', inputSchema: z.object({}), execute: async () => '12:00' }),
        });
        c = await b.createContext();
      });
      afterAll(async () => {
        await b?.close();
      });

      it('zod 4: refuses with the rule, passes its transformed output to the handler', async () => {
        expect(fails(await c.exec('await zod_pay(0, "a@b.co")'), 'ValueError').error.message).toBe(
          'zod_pay(): amount_cents: must be >= 1, got 0',
        );
        expect(fails(await c.exec('await zod_pay(5, "nope")'), 'ValueError').error.message).toBe(
          "zod_pay(): email: must be a valid email, got 'nope'",
        );
        expect(fails(await c.exec('await zod_pay(5, "a@b.co", note="x" * 9)'), 'ValueError').error.message).toContain(
          'note: must be at most 5 characters long',
        );
        expect(seen.zod).toEqual([]);
        ok(await c.exec('await zod_pay(5, "a@b.co", note="  hi  ")'));
        expect(seen.zod).toEqual([{ amount_cents: 5, email: 'a@b.co', note: 'hi' }]); // trimmed by zod
      });

      it('valibot (toStandardJsonSchema): refuses with the rule', async () => {
        expect(fails(await c.exec('await valibot_pay(0)'), 'ValueError').error.message).toBe(
          'valibot_pay(): amount_cents: must be >= 1, got 0',
        );
        expect(seen.valibot).toEqual([]);
        expect(ok(await c.exec('await valibot_pay(9)')).value).toBe('paid');
      });

      it('arktype: refuses with the rule', async () => {
        expect(fails(await c.exec('await arktype_pay(0, "card")'), 'ValueError').error.message).toBe(
          'arktype_pay(): amount_cents: must be >= 1, got 0',
        );
        expect(fails(await c.exec('await arktype_pay(3, "cash")'), 'ValueError').error.message).toBe(
          "arktype_pay(): method: must be one of 'bank', 'card', got 'cash'",
        );
        expect(seen.arktype).toEqual([]);
        expect(ok(await c.exec('await arktype_pay(3, "bank")')).value).toBe('paid');
      });

      it('AI SDK tools as they are: tool() with zod and with jsonSchema()', async () => {
        expect(fails(await c.exec('await get_weather("X")'), 'ValueError').error.message).toBe(
          'get_weather(): city: must be at least 2 characters long, got 1',
        );
        expect(fails(await c.exec('await geocode("x" * 21)'), 'ValueError').error.message).toContain(
          'geocode(): place: must be at most 20 characters long',
        );
        expect(seen.weather).toEqual([]);
        expect(seen.geo).toEqual([]);
        expect(ok(await c.exec('(await get_weather("Oslo"))["temp_c"]')).value).toBe(21);
        expect(ok(await c.exec('(await geocode(place="Oslo"))["lat"]')).value).toBe(59.9);
      });

      it('takes a record of AI SDK tools in PyBox.create too', async () => {
        const created = await createBox({
          tools: { shout: tool({ description: 'Upper-case.', inputSchema: z.object({ text: z.string().max(5) }), execute: async ({ text }) => text.toUpperCase() }) },
        });
        try {
          const c2 = await created.createContext();
          expect(ok(await c2.exec('await shout("hey")')).value).toBe('HEY');
          expect(fails(await c2.exec('await shout("shouting")'), 'ValueError').error.message).toBe('shout(): text: must be at most 5 characters long, got 8');
          expect(created.toolNames).toEqual(['shout']);
        } finally {
          await created.close();
        }
      });

      it('an AI SDK tool that streams (async function* execute) gives Python its last value, its final output', async () => {
        const created = await createBox({
          tools: {
            progress: tool({
              description: 'Works in stages.',
              inputSchema: z.object({ n: z.number() }),
              execute: async function* ({ n }) {
                yield { status: 'working' as const, n: 0 };
                yield { status: 'done' as const, n };
              },
            }),
            silent: tool({ description: 'Yields nothing.', inputSchema: z.object({}), execute: async function* () {} }),
          },
        });
        try {
          const c2 = await created.createContext();
          expect(ok(await c2.exec('await progress(n=3)')).value).toEqual({ status: 'done', n: 3 });
          expect(ok(await c2.exec('(await silent()) is None')).value).toBe(true);
        } finally {
          await created.close();
        }
      });

      it('describes every kind of tool as Python stubs', () => {
        const stubs = b.describeTools();
        expect(stubs).toContain('async def zod_pay(amount_cents: int, email: str, note: str = ...) -> Any:');
        expect(stubs).toContain('async def arktype_pay(amount_cents: int, method: Literal["bank", "card"]) -> Any:');
        expect(stubs).toContain('async def get_weather(city: str) -> GetWeatherResult:');
        expect(stubs).toContain('class GetWeatherResult(TypedDict):\n    city: str\n    temp_c: float');
        expect(stubs).toContain('    city: City name (at least 2 chars)');
        expect(stubs).toContain('async def geocode(place: str) -> Any:');
        expect(stubs).toContain('async def now() -> Any:\n    """The time, described late."""');
      });
    });

    describe('outputSchema in development mode', () => {
      const report = {
        name: 'get_report',
        parameters: { type: 'object', properties: { broken: { type: 'boolean' } } },
        outputSchema: { type: 'object', properties: { total: { type: 'number' } }, required: ['total'] },
        handler: async ({ broken }: Record<string, unknown>) => (broken ? { total: 'many' } : { total: 3 }),
      } satisfies ToolDefinition;

      it('raises ToolError for a result that breaks it when validateResults is on', async () => {
        const b = await createBox({ tools: [report], validateResults: true });
        try {
          const c = await b.createContext();
          expect(ok(await c.exec('(await get_report())["total"]')).value).toBe(3);
          const r = fails(await c.exec('await get_report(broken=True)'), 'ToolError');
          expect(r.error.message).toBe('get_report() returned a result that does not match its outputSchema: total: must be number, not str');
        } finally {
          await b.close();
        }
      });

      it('passes results unchecked by default', async () => {
        const b = await createBox({ tools: [report] });
        try {
          const c = await b.createContext();
          expect(ok(await c.exec('(await get_report(broken=True))["total"]')).value).toBe('many');
        } finally {
          await b.close();
        }
      });
    });

    describe('definitions that cannot work', () => {
      it('refuses a Standard Schema without a JSON Schema export, saying what to do', async () => {
        await expect(
          box.defineTool({ name: 'bare', parameters: v.object({ n: v.number() }), handler: () => 1 }),
        ).rejects.toMatchObject({ name: 'ToolDefinitionError', message: expect.stringContaining('toStandardJsonSchema()') });
      });

      it('refuses parameters that are not an object schema', async () => {
        await expect(box.defineTool({ name: 'scalar', parameters: z.string(), handler: () => 1 })).rejects.toMatchObject({
          name: 'ToolDefinitionError',
          message: expect.stringContaining('must describe an object'),
        });
      });

      it('refuses a pattern that is no regular expression, saying where it is, and keeps the box usable', async () => {
        const bad = (parameters: object) => box.defineTool({ name: 'lookup', parameters, handler: () => 1 });
        await expect(bad({ type: 'object', properties: { code: { type: 'string', pattern: '[A-Z' } } })).rejects.toMatchObject({
          name: 'ToolDefinitionError',
          message: expect.stringMatching(/^tool lookup: parameters has a pattern that is not a valid regular expression at \/properties\/code\/pattern: "\[A-Z" \(.*\); JSON Schema patterns are ECMAScript regular expressions, compiled with the u flag$/),
        });
        // valid without the u flag, not with it: validators compile with u
        await expect(bad({ type: 'object', patternProperties: { '^x\\-': {} } })).rejects.toMatchObject({
          name: 'ToolDefinitionError',
          message: expect.stringContaining('at /patternProperties/^x\\-:'),
        });
        // data that merely holds a "pattern" key is no schema
        await box.defineTool({
          name: 'lookup',
          parameters: { type: 'object', properties: { q: { type: 'object', default: { pattern: '[' }, examples: [{ pattern: '(' }] } } },
          handler: (args) => args.q,
        });
        const c = await box.createContext();
        expect(ok(await c.exec('await lookup()')).value).toEqual({ pattern: '[' });
      });

      it('refuses an AI SDK tool without execute', async () => {
        await expect(box.defineTools({ remote: { description: 'provider-run', inputSchema: z.object({}) } })).rejects.toMatchObject({
          name: 'ToolDefinitionError',
          message: expect.stringContaining('no execute function'),
        });
      });
    });
  });
}
