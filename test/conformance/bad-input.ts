/**
 * One answer per bad input: every bad argument of the public API, run on
 * every engine, must reject with the same error class and the same message
 * (the facade validates once, before any engine sees it). Exact messages
 * are spelled out here, so an engine that answers differently fails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Context, PyBoxBase, PyBoxOptions } from '@pybox/core';
import { ok, type EngineUnderTest } from './suite.js';

type Case = [label: string, call: (t: { box: PyBoxBase; ctx: Context; create: (o: unknown) => Promise<PyBoxBase> }) => Promise<unknown>, error: string, message: string | RegExp];

const cyclic: Record<string, unknown> = {};
cyclic.self = cyclic;

const MS = 'must be a number of milliseconds above 0 and at most 2147483647 (about 24.8 days, the most timers hold)';

/** The table: what is called, which error class, which message. */
const CASES: Case[] = [
  // box.fs
  ['fs.rm(path, null)', ({ box }) => box.fs.rm('/data/x', null as never), 'InvalidArgumentError', 'rm options must be an object, got null'],
  ['fs.rm with a non-boolean option', ({ box }) => box.fs.rm('/data/x', { recursive: 1 } as never), 'InvalidArgumentError', 'rm options.recursive must be true or false, got 1'],
  ['fs.rm with an unknown option', ({ box }) => box.fs.rm('/data/x', { all: true } as never), 'InvalidArgumentError', 'rm options has an unknown option "all": use "recursive", "force"'],
  ['fs.writeFile with a number', ({ box }) => box.fs.writeFile('/data/x', 42 as never), 'InvalidArgumentError', 'data must be a string or a Uint8Array, got 42'],
  ['fs.readFile of a number', ({ box }) => box.fs.readFile(123 as never), 'InvalidArgumentError', 'path must be an absolute guest path such as "/data/file.txt", got 123'],
  ['fs.readFile of a relative path', ({ box }) => box.fs.readFile('data/x'), 'InvalidArgumentError', 'path must be an absolute guest path such as "/data/file.txt", got "data/x"'],
  ['fs.stat with ..', ({ box }) => box.fs.stat('/data/../lib'), 'InvalidArgumentError', 'path must not contain "..": write the path out, e.g. "/data/file.txt" (got "/data/../lib")'],
  ['fs.readdir of a symbol', ({ box }) => box.fs.readdir(Symbol('p') as never), 'InvalidArgumentError', 'path must be an absolute guest path such as "/data/file.txt", got a symbol'],
  // contexts
  ['createContext(null)', ({ box }) => box.createContext(null as never), 'InvalidArgumentError', 'createContext options must be an object, got null'],
  ['createContext with an unknown option', ({ box }) => box.createContext({ inherit: true } as never), 'InvalidArgumentError', 'createContext options has an unknown option "inherit": use "name", "parent"'],
  ['createContext with a foreign parent', ({ box }) => box.createContext({ parent: { id: 1 } }), 'InvalidArgumentError', 'parent must be a live context of this box'],
  ['createContext with a numeric name', ({ box }) => box.createContext({ name: 7 as never }), 'InvalidArgumentError', 'createContext options.name must be a string, got 7'],
  // values
  ['set(Symbol())', ({ ctx }) => ctx.set(Symbol('x') as never, 1), 'InvalidArgumentError', 'name must be a Python identifier (ASCII letters, digits, _), got a symbol'],
  ['set with a name that is not an identifier', ({ ctx }) => ctx.set('1x', 1), 'InvalidArgumentError', 'name must be a Python identifier (ASCII letters, digits, _), got "1x"'],
  ['get(Symbol())', ({ ctx }) => ctx.get(Symbol('x') as never), 'InvalidArgumentError', 'name must be a Python identifier (ASCII letters, digits, _), got a symbol'],
  ['protect(null)', ({ ctx }) => ctx.protect(null as never), 'InvalidArgumentError', 'name must be a Python identifier (ASCII letters, digits, _), got null'],
  ['set a BigInt', ({ ctx }) => ctx.set('v', 10n), 'InvalidArgumentError', 'the value of v contains a BigInt, which JSON cannot carry: convert it to a number or string'],
  ['set a value holding a function (DataCloneError in a worker before)', ({ ctx }) => ctx.set('v', { f: () => 1 }), 'InvalidArgumentError', 'the value of v contains a function, which JSON cannot carry'],
  ['set a value holding a symbol', ({ ctx }) => ctx.set('v', { s: Symbol('s') }), 'InvalidArgumentError', 'the value of v contains a symbol, which JSON cannot carry'],
  ['set a toJSON object with a method (DataCloneError in a worker before)', ({ ctx }) => ctx.set('v', { toJSON: () => ({ m: new Map() }) }), 'InvalidArgumentError', /^the value of v contains a Map, which JSON cannot carry/],
  ['set a Map', ({ ctx }) => ctx.set('v', new Map([[1, 2]])), 'InvalidArgumentError', /^the value of v contains a Map, which JSON cannot carry/],
  ['set a nested typed array', ({ ctx }) => ctx.set('v', { b: new Uint8Array(2) }), 'InvalidArgumentError', /^the value of v contains a Uint8Array, which JSON cannot carry: .*bytes only as a whole Uint8Array value/],
  ['set a cyclic value', ({ ctx }) => ctx.set('v', cyclic), 'InvalidArgumentError', 'the value of v contains a cycle (an object that contains itself), which JSON cannot carry'],
  ['set NaN', ({ ctx }) => ctx.set('v', [NaN]), 'InvalidArgumentError', 'the value of v contains NaN, which JSON cannot carry'],
  ['set undefined', ({ ctx }) => ctx.set('v', undefined), 'InvalidArgumentError', 'the value of v is undefined: pass null or a JSON value'],
  // exec
  ['exec(42)', ({ ctx }) => ctx.exec(42 as never), 'InvalidArgumentError', 'code must be a string, got 42'],
  ['exec code with a lone surrogate', ({ ctx }) => ctx.exec('x = "\ud800"'), 'InvalidArgumentError', 'code contains a lone surrogate (U+D800) at index 5, which is not text Python can compile: fix the string (pass binary data with ctx.set() instead)'],
  ['exec(code, null)', ({ ctx }) => ctx.exec('1', null as never), 'InvalidArgumentError', 'exec options must be an object, got null'],
  ['exec with an unknown option', ({ ctx }) => ctx.exec('1', { timeout: 5 } as never), 'InvalidArgumentError', /^exec options has an unknown option "timeout": use "timeoutMs", /],
  ['exec with filename: 123', ({ ctx }) => ctx.exec('1', { filename: 123 as never }), 'InvalidArgumentError', 'filename must be a non-empty string such as "agent.py", got 123'],
  ['exec with onStdout not a function', ({ ctx }) => ctx.exec('1', { onStdout: 'log' as never }), 'InvalidArgumentError', 'onStdout must be a function (text: string) => void, got "log"'],
  ['exec with onStderr not a function', ({ ctx }) => ctx.exec('1', { onStderr: {} as never }), 'InvalidArgumentError', 'onStderr must be a function (text: string) => void, got an object'],
  ['exec with a signal that is not an AbortSignal', ({ ctx }) => ctx.exec('1', { signal: { aborted: false } as never }), 'InvalidArgumentError', 'signal must be an AbortSignal (e.g. new AbortController().signal), got an object'],
  ['exec with timeoutMs past what timers hold', ({ ctx }) => ctx.exec('1', { timeoutMs: 2 ** 31 }), 'InvalidArgumentError', `timeoutMs ${MS}, got 2147483648`],
  ['exec with wallTimeoutMs: Infinity', ({ ctx }) => ctx.exec('1', { wallTimeoutMs: Infinity }), 'InvalidArgumentError', `wallTimeoutMs ${MS}, got Infinity`],
  ['exec with timeoutMs: 0', ({ ctx }) => ctx.exec('1', { timeoutMs: 0 }), 'InvalidArgumentError', `timeoutMs ${MS}, got 0`],
  ['exec with an aborted signal', ({ ctx }) => ctx.exec('1', { signal: AbortSignal.abort('why') }), 'AbortedError', 'the exec was aborted before it started: its signal was already aborted, so the code did not run'],
  // tools
  ['defineTools({})', ({ box }) => box.defineTools({} as never), 'ToolDefinitionError', 'tools must be an array of tool definitions ({ name, description, parameters, handler }) or a record of AI SDK tools keyed by name, got an object'],
  ['defineTool(null)', ({ box }) => box.defineTool(null as never), 'ToolDefinitionError', 'a tool must be an object'],
  ['defineTool with a handler that is not a function', ({ box }) => box.defineTool({ name: 'x', handler: 5 as never }), 'ToolDefinitionError', 'tool x needs a handler function'],
  ['defineTool with a bad name', ({ box }) => box.defineTool({ name: 'not valid', handler: () => 1 }), 'ToolDefinitionError', 'tool name must be a Python identifier, got "not valid"'],
  // PyBox.create
  ['create({ tools: {} })', ({ create }) => create({ tools: {} }), 'ToolDefinitionError', 'tools must be an array of tool definitions ({ name, description, parameters, handler }) or a record of AI SDK tools keyed by name, got an object'],
  ['create with an unknown option', ({ create }) => create({ limit: {} }), 'InvalidArgumentError', /^PyBox\.create options has an unknown option "limit": use "tools", "validateResults", "files", "env", "limits", "inThread", /],
  ['create with an unknown limit', ({ create }) => create({ limits: { cpuMs: 1 } }), 'InvalidArgumentError', 'limits has an unknown option "cpuMs": use "timeoutMs", "wallTimeoutMs", "memoryBytes", "outputChars", "resultChars", "fsBytes"'],
  ['create with memoryBytes: 0.5', ({ create }) => create({ limits: { memoryBytes: 0.5 } }), 'InvalidArgumentError', 'limits.memoryBytes must be a whole number of bytes from 16777216 (16 MiB) to 4294967296 (4 GiB), got 0.5'],
  ['create with memoryBytes below 16 MiB', ({ create }) => create({ limits: { memoryBytes: 1 << 20 } }), 'InvalidArgumentError', 'limits.memoryBytes must be a whole number of bytes from 16777216 (16 MiB) to 4294967296 (4 GiB), got 1048576'],
  ['create with memoryBytes above 4 GiB', ({ create }) => create({ limits: { memoryBytes: 2 ** 33 } }), 'InvalidArgumentError', 'limits.memoryBytes must be a whole number of bytes from 16777216 (16 MiB) to 4294967296 (4 GiB), got 8589934592'],
  ['create with wallTimeoutMs past what timers hold', ({ create }) => create({ limits: { wallTimeoutMs: 2 ** 32 } }), 'InvalidArgumentError', `limits.wallTimeoutMs ${MS}, got 4294967296`],
  ['create with timeoutMs 1e13', ({ create }) => create({ limits: { timeoutMs: 1e13 } }), 'InvalidArgumentError', `limits.timeoutMs ${MS}, got 10000000000000`],
  ['create with outputChars: 0', ({ create }) => create({ limits: { outputChars: 0 } }), 'InvalidArgumentError', 'limits.outputChars must be a whole number of characters, at least 1, got 0'],
  ['create with resultChars: 1.5', ({ create }) => create({ limits: { resultChars: 1.5 } }), 'InvalidArgumentError', 'limits.resultChars must be a whole number of characters, at least 1, got 1.5'],
  ['create with limits: null', ({ create }) => create({ limits: null }), 'InvalidArgumentError', 'limits must be an object, got null'],
  ['create with a relative file path', ({ create }) => create({ files: { 'data/a.txt': 'x' } }), 'InvalidArgumentError', 'files["data/a.txt"] must be an absolute guest path such as "/data/file.txt", got "data/a.txt"'],
  ['create with file data that is a number', ({ create }) => create({ files: { '/data/a.txt': 1 } }), 'InvalidArgumentError', 'files["/data/a.txt"] must be a string or a Uint8Array, got 1'],
  ['create with a non-string env value', ({ create }) => create({ env: { A: 1 } }), 'InvalidArgumentError', 'env.A must be a string without NUL, got 1'],
];

/** Registers the bad-input table for one engine. */
export function defineBadInput(engine: EngineUnderTest): void {
  describe(`one answer per bad input: ${engine.name}`, () => {
    let box: PyBoxBase;
    let ctx: Context;
    beforeAll(async () => {
      box = await engine.create();
      ctx = await box.createContext();
    });
    afterAll(async () => {
      await box?.close();
    });

    for (const [label, call, error, message] of CASES) {
      it(`${label} → ${error}`, async () => {
        const created: PyBoxBase[] = [];
        const create = async (options: unknown) => {
          const b = await engine.create(options as PyBoxOptions);
          created.push(b);
          return b;
        };
        const outcome = await call({ box, ctx, create }).then(
          () => new Error('accepted'),
          (e: unknown) => e as Error,
        );
        await Promise.all(created.map((b) => b.close()));
        expect(outcome.name).toBe(error);
        if (typeof message === 'string') expect(outcome.message).toBe(message);
        else expect(outcome.message).toMatch(message);
      });
    }

    it('leaves the box working after all of them', async () => {
      expect(ok(await ctx.exec('21 * 2')).value).toBe(42);
    });
  });
}
