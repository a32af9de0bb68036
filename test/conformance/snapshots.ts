/**
 * Snapshots, on every engine: `box.snapshot()` and `PyBox.restore()` keep
 * contexts (variables, names, parents, protected names), files, limits and
 * configuration; a run waiting on tool calls comes back as a paused run that
 * the host resumes with results or with the tools; damaged, foreign, newer
 * or oversized snapshots are refused with `SnapshotError` and nothing else
 * changes. Each group runs on fresh boxes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ContextBusyError,
  InvalidArgumentError,
  SnapshotError,
  type ExecResult,
  type PyBoxBase,
  type PyBoxOptions,
  type RestoreOptions,
  type ToolDefinition,
} from '@pybox/core';
import { ok, type BoxFactory } from './suite.js';

/** An engine with its restore. */
export interface SnapshotEngine {
  name: string;
  create: BoxFactory;
  restore: (bytes: Uint8Array, options?: RestoreOptions) => Promise<PyBoxBase>;
  inThread: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What a rejected call rejected with (or a marker error when it resolved). */
async function rejection(p: Promise<unknown>): Promise<Error> {
  return p.then(
    (v) => new Error(`resolved with ${String(v)}`),
    (e: unknown) => e as Error,
  );
}

/** A tool whose calls never settle on the box that took the snapshot: the run waits there. */
const waitForever = (name: string, properties: Record<string, object> = { amount: { type: 'number' } }): ToolDefinition => ({
  name,
  description: `${name} (never answers on the original box)`,
  parameters: { type: 'object', properties, required: Object.keys(properties) },
  handler: () => new Promise(() => undefined),
});

/** Runs bytes through a (de)compression stream. */
async function through(bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const out = new Response(new Blob([bytes as BlobPart]).stream().pipeThrough(stream));
  return new Uint8Array(await out.arrayBuffer());
}

/** A copy of a snapshot whose JSON description `edit` changed, repacked intact (valid checksum). */
async function rewrite(bytes: Uint8Array, edit: (d: Record<string, unknown>) => void): Promise<Uint8Array> {
  const body = await through(bytes.subarray(12), new DecompressionStream('gzip'));
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const len = view.getUint32(0, true);
  const d = JSON.parse(new TextDecoder().decode(body.subarray(4, 4 + len))) as Record<string, unknown>;
  edit(d);
  const meta = new TextEncoder().encode(JSON.stringify(d));
  const pad = (n: number) => (4 - (n % 4)) % 4;
  const oldStart = 4 + len + pad(4 + len);
  const head = new Uint8Array(4 + meta.length + pad(4 + meta.length));
  new DataView(head.buffer).setUint32(0, meta.length, true);
  head.set(meta, 4);
  const rest = body.subarray(oldStart);
  const newBody = new Uint8Array(head.length + rest.length);
  newBody.set(head, 0);
  newBody.set(rest, head.length);
  const gz = await through(newBody, new CompressionStream('gzip'));
  gz.fill(0, 3, 10); // as box.snapshot() writes it: no flags, time or OS
  const out = new Uint8Array(12 + gz.length);
  out.set(bytes.subarray(0, 12), 0);
  out.set(gz, 12);
  return out;
}

/** Registers the snapshot suite for one engine. */
export function defineSnapshots(engine: SnapshotEngine): void {
  const { create, restore } = engine;

  describe(`snapshots: ${engine.name}`, () => {
    describe('a box comes back whole', () => {
      let bytes: Uint8Array;
      let before: { names: string[]; parent: (string | undefined)[] };
      const options: PyBoxOptions = {
        files: { '/data/people.csv': 'name,age\nAda,36\n' },
        env: { TEAM: 'blue' },
        limits: { timeoutMs: 4_000, wallTimeoutMs: 9_000, outputChars: 5_000 },
      };

      beforeAll(async () => {
        const box = await create(options);
        const main = await box.createContext({ name: 'main' });
        const child = await box.createContext({ name: 'child', parent: main });
        await box.createContext(); // a context with the default name
        ok(
          await main.exec(
            'import dataclasses\n@dataclasses.dataclass\nclass Order:\n  sku: str\n  qty: int\n' +
              'orders = [Order("A1", 2), Order("B2", 5)]\ndef total(): return sum(o.qty for o in orders)\n' +
              'open("/tmp/notes.txt", "w").write("remember")\nimport os\nos.makedirs("/out/empty")',
          ),
        );
        await main.set('budget', 100);
        await main.protect('budget');
        ok(await child.exec('mine = total() * 10'));
        before = { names: box.contexts().map((c) => c.name), parent: box.contexts().map((c) => c.parent?.name) };
        bytes = await box.snapshot();
        // The original box goes on unchanged.
        expect(ok(await main.exec('total()')).value).toBe(7);
        await box.close();
      });

      it('box.contexts() lists the same contexts, names and parents after a restore', async () => {
        expect(before.names).toEqual(['main', 'child', expect.stringMatching(/^context-\d+$/)]);
        const box = await restore(bytes);
        try {
          expect(box.contexts().map((c) => c.name)).toEqual(before.names);
          expect(box.contexts().map((c) => c.parent?.name)).toEqual(before.parent);
          expect(box.contexts().every((c) => c.isLive)).toBe(true);
          expect(box.paused).toEqual([]);
        } finally {
          await box.close();
        }
      });

      it('keeps variables, functions, classes, inheritance and protected names', async () => {
        const box = await restore(bytes);
        try {
          const [main, child] = box.contexts();
          expect(ok(await main!.exec('total(), [dataclasses.asdict(o) for o in orders]')).value).toEqual([
            7,
            [{ sku: 'A1', qty: 2 }, { sku: 'B2', qty: 5 }],
          ]);
          expect(ok(await child!.exec('mine, budget')).value).toEqual([70, 100]); // budget comes from the parent
          const rebind = await main!.exec('budget = 5');
          expect(rebind.ok ? 'ok' : rebind.error.type).toBe('ProtectedNameError');
          expect(await main!.get('budget')).toBe(100);
          expect(await main!.names()).toEqual(expect.arrayContaining(['orders', 'total', 'budget', 'Order']));
        } finally {
          await box.close();
        }
      });

      it('keeps the in-memory files, the environment and the limits', async () => {
        const box = await restore(bytes);
        try {
          expect(await box.fs.readText('/tmp/notes.txt')).toBe('remember');
          expect(await box.fs.readText('/data/people.csv')).toBe('name,age\nAda,36\n');
          expect(await box.fs.stat('/out/empty')).toEqual({ type: 'directory', size: 0 });
          expect(await box.fs.readdir('/lib')).toEqual(['python313.zip']);
          const [main] = box.contexts();
          expect(ok(await main!.exec('import os\nos.environ["TEAM"], open("/data/people.csv").read()')).value).toEqual([
            'blue',
            'name,age\nAda,36\n',
          ]);
          expect(box.limits).toMatchObject({ timeoutMs: 4_000, wallTimeoutMs: 9_000, outputChars: 5_000 });
          const big = ok(await main!.exec('print("x" * 20000)'));
          expect(big.stdout.length).toBeLessThan(5_200); // the snapshot's outputChars holds
        } finally {
          await box.close();
        }
      });

      it('new contexts get fresh handles; disposing a restored context works', async () => {
        const box = await restore(bytes);
        try {
          const ids = box.contexts().map((c) => c.id);
          const fresh = await box.createContext({ name: 'later' });
          expect(ids).not.toContain(fresh.id);
          expect(ok(await fresh.exec('1 + 1')).value).toBe(2);
          const [, child] = box.contexts();
          await child!.dispose();
          expect(box.contexts().map((c) => c.name)).toEqual(['main', expect.stringMatching(/^context-\d+$/), 'later']);
        } finally {
          await box.close();
        }
      });

      it('reseeds random: two restores of one snapshot draw different numbers', async () => {
        const a = await restore(bytes);
        const b = await restore(bytes);
        try {
          const draw = 'import random\n[random.random() for _ in range(3)]';
          const x = ok(await a.contexts()[0]!.exec(draw)).value;
          const y = ok(await b.contexts()[0]!.exec(draw)).value;
          expect(x).not.toEqual(y);
        } finally {
          await a.close();
          await b.close();
        }
      });

      it('a snapshot of a restored box restores too', async () => {
        const a = await restore(bytes);
        await a.contexts()[0]!.exec('orders.append(Order("C3", 1))');
        const again = await a.snapshot();
        await a.close();
        const b = await restore(again);
        try {
          expect(ok(await b.contexts()[0]!.exec('total()')).value).toBe(8);
        } finally {
          await b.close();
        }
      });
    });

    describe('paused runs', () => {
      let bytes: Uint8Array;
      const handled: unknown[] = [];
      const answering = (name: string): ToolDefinition => ({
        ...waitForever(name),
        handler: async (args) => {
          handled.push({ name, args });
          return { approved: true, by: 'handler' };
        },
      });

      beforeAll(async () => {
        const box = await create({ tools: [waitForever('approve')] });
        const ctx = await box.createContext({ name: 'payments' });
        const run = ctx.exec(
          'import time\nt0 = time.monotonic()\nprint("asking for 120")\n' +
            'try:\n  ok = await approve(amount=120)\nexcept PermissionError as e:\n  ok = f"refused: {e}"\n' +
            'print("answer:", ok)\nok',
        );
        void run.catch(() => undefined); // it ends with BoxClosedError when the box closes
        await sleep(30);
        bytes = await box.snapshot();
        await box.close();
      });

      it('lists the run, its context, its pending call and what it printed', async () => {
        const box = await restore(bytes, { tools: [answering('approve')] });
        try {
          expect(box.paused).toHaveLength(1);
          const [run] = box.paused;
          expect(run!.context.name).toBe('payments');
          expect(run!.context).toBe(box.contexts()[0]);
          expect(run!.pending).toEqual([{ id: expect.any(Number), tool: 'approve', args: { amount: 120 } }]);
          expect(run!.stdout).toBe('asking for 120\n');
          const busy = await rejection(run!.context.exec('1'));
          expect(busy).toBeInstanceOf(ContextBusyError);
          expect(busy.message).toMatch(/paused run/);
        } finally {
          await box.close();
        }
      });

      it('resumes with a result the host supplies, and the run ends with its whole output', async () => {
        handled.length = 0;
        const box = await restore(bytes, { tools: [answering('approve')] });
        try {
          const [run] = box.paused;
          const streamed: string[] = [];
          const r = ok(
            await run!.resume({ results: [{ id: run!.pending[0]!.id, value: 'yes, by webhook' }], onStdout: (t) => streamed.push(t) }),
          );
          expect(r.stdout).toBe('asking for 120\nanswer: yes, by webhook\n');
          expect(streamed.join('')).toBe('answer: yes, by webhook\n');
          expect(r.value).toBe('yes, by webhook');
          expect(handled).toEqual([]); // the handler was not called
          expect(box.paused).toEqual([]);
          expect(run!.isDone).toBe(true);
          // The context is an ordinary one again; the guest's clock did not go back across the restore.
          expect(ok(await run!.context.exec('time.monotonic() >= t0')).value).toBe(true);
        } finally {
          await box.close();
        }
      });

      it('resumes through the tools given to restore', async () => {
        handled.length = 0;
        const box = await restore(bytes, { tools: [answering('approve')] });
        try {
          const r = ok(await box.paused[0]!.resume());
          expect(handled).toEqual([{ name: 'approve', args: { amount: 120 } }]);
          expect(r.stdout).toBe("asking for 120\nanswer: {'approved': True, 'by': 'handler'}\n");
        } finally {
          await box.close();
        }
      });

      it('an error result raises the named exception in Python', async () => {
        const box = await restore(bytes, { tools: [answering('approve')] });
        try {
          const [run] = box.paused;
          const refusal = Object.assign(new Error('Ada said no'), { name: 'PermissionError' });
          const r = ok(await run!.resume({ results: [{ id: run!.pending[0]!.id, error: refusal }] }));
          expect(r.value).toBe('refused: Ada said no');
        } finally {
          await box.close();
        }
      });

      it('cancel ends the run; the context is usable again', async () => {
        const box = await restore(bytes, { tools: [answering('approve')] });
        try {
          const [run] = box.paused;
          await run!.cancel();
          expect(box.paused).toEqual([]);
          expect(ok(await run!.context.exec('"free"')).value).toBe('free');
          expect(await rejection(run!.resume())).toBeInstanceOf(InvalidArgumentError);
        } finally {
          await box.close();
        }
      });

      it('refuses resume arguments that do not fit the run, before anything runs', async () => {
        const box = await restore(bytes); // no tools given
        try {
          const [run] = box.paused;
          const id = run!.pending[0]!.id;
          const noTool = await rejection(run!.resume());
          expect(noTool).toBeInstanceOf(InvalidArgumentError);
          expect(noTool.message).toMatch(/no tool named approve/);
          expect((await rejection(run!.resume({ results: [{ id: id + 1000, value: 1 }] }))).message).toMatch(/id of a pending call/);
          expect((await rejection(run!.resume({ results: [{ id, value: 10n }] }))).message).toMatch(/BigInt/i);
          expect(await rejection(run!.resume({ results: [{ id }] as never }))).toBeInstanceOf(InvalidArgumentError);
          expect(box.paused).toHaveLength(1); // still paused: nothing was sent
          expect(ok(await run!.resume({ results: [{ id, value: 'late but fine' }] })).value).toBe('late but fine');
        } finally {
          await box.close();
        }
      });

      it('a restored box snapshotted before resuming keeps the run paused', async () => {
        const a = await restore(bytes);
        const again = await a.snapshot();
        await a.close();
        const b = await restore(again);
        try {
          const [run] = b.paused;
          expect(run!.stdout).toBe('asking for 120\n');
          expect(ok(await run!.resume({ results: [{ id: run!.pending[0]!.id, value: 'twice restored' }] })).stdout).toBe(
            'asking for 120\nanswer: twice restored\n',
          );
        } finally {
          await b.close();
        }
      });

      it('gathered calls: some answered before the snapshot stay answered, the rest go to the tools', async () => {
        const calls: number[] = [];
        const fetchItem: ToolDefinition = {
          name: 'fetch_item',
          parameters: { type: 'object', properties: { id: { type: 'integer' } }, required: ['id'] },
          handler: async ({ id }) => {
            calls.push(id as number);
            return { id, name: `item-${String(id)}` };
          },
        };
        const box = await create({ tools: [waitForever('fetch_item', { id: { type: 'integer' } })] });
        const ctx = await box.createContext();
        void ctx
          .exec('import asyncio\nrows = await asyncio.gather(*(fetch_item(i) for i in range(5)))\nprint([r["name"] for r in rows])')
          .catch(() => undefined);
        await sleep(30);
        const snap = await box.snapshot();
        await box.close();
        const restored = await restore(snap, { tools: [fetchItem] });
        try {
          const [run] = restored.paused;
          expect(run!.pending.map((c) => c.args)).toEqual([0, 1, 2, 3, 4].map((id) => ({ id })));
          const first = run!.pending[0]!.id;
          const r = ok(await run!.resume({ results: [{ id: first, value: { id: 0, name: 'supplied' } }] }));
          expect(r.stdout).toBe("['supplied', 'item-1', 'item-2', 'item-3', 'item-4']\n");
          expect(calls.sort()).toEqual([1, 2, 3, 4]);
        } finally {
          await restored.close();
        }
      });

      it('an asyncio timer in a paused run keeps its time on the guest clock', async () => {
        const box = await create({ tools: [waitForever('approve')] });
        const ctx = await box.createContext();
        void ctx
          .exec(
            'import asyncio, time\nt0 = time.monotonic()\ntry:\n  r = await asyncio.wait_for(approve(amount=1), timeout=0.3)\n' +
              'except TimeoutError:\n  r = "timed out"\nr, time.monotonic() - t0 >= 0.3',
          )
          .catch(() => undefined);
        await sleep(20);
        const snap = await box.snapshot();
        await box.close();
        await sleep(400); // longer than the timeout: time in the snapshot does not count
        const restored = await restore(snap, { tools: [waitForever('approve')] });
        try {
          const r: ExecResult = await restored.paused[0]!.resume();
          expect(ok(r).value).toEqual(['timed out', true]); // the guest's clock ran on from the snapshot
        } finally {
          await restored.close();
        }
      });
    });

    describe('refusals', () => {
      let box: PyBoxBase;
      let bytes: Uint8Array;

      beforeAll(async () => {
        box = await create();
        const ctx = await box.createContext({ name: 'keeper' });
        ok(await ctx.exec('kept = "still here"'));
        bytes = await box.snapshot();
      });
      afterAll(async () => {
        await box.close();
      });

      const refusedWith = async (input: Uint8Array, reason: string, options?: RestoreOptions) => {
        const e = await rejection(restore(input, options));
        expect(e).toBeInstanceOf(SnapshotError);
        expect((e as SnapshotError).reason).toBe(reason);
        return e;
      };

      it('not a snapshot', async () => {
        const e = await refusedWith(new TextEncoder().encode('{"hello": "world"}'), 'not-a-snapshot');
        expect(e.message).toMatch(/box\.snapshot\(\)/);
      });

      it('truncated', async () => {
        await refusedWith(bytes.subarray(0, Math.floor(bytes.length / 2)), 'corrupted');
        await refusedWith(bytes.subarray(0, bytes.length - 3), 'corrupted');
        await refusedWith(bytes.subarray(0, 10), 'not-a-snapshot');
      });

      it('a changed byte in the gzip header or trailer', async () => {
        // 15: flags, 20: extra flags, then the body's CRC-32 and its length
        for (const at of [15, 20, bytes.length - 6, bytes.length - 1]) {
          const damaged = bytes.slice();
          damaged[at] = damaged[at]! ^ 0x40;
          await refusedWith(damaged, 'corrupted');
        }
      });

      it('a changed byte in the compressed body: refused, or it still unpacks to the very same body', async () => {
        // deflate is redundant (a copy from a run of zeros reads the same at another distance),
        // so a changed bit can decode to the same body, which gzip's CRC-32 rightly passes
        for (const at of [40, Math.floor(bytes.length / 2), bytes.length - 12]) {
          const damaged = bytes.slice();
          damaged[at] = damaged[at]! ^ 0x40;
          const outcome: { box?: PyBoxBase; error?: unknown } = await restore(damaged).then(
            (box) => ({ box }),
            (error: unknown) => ({ error }),
          );
          if (outcome.box) {
            try {
              const keeper = outcome.box.contexts().find((c) => c.name === 'keeper')!;
              expect(ok(await keeper.exec('kept')).value).toBe('still here');
            } finally {
              await outcome.box.close();
            }
          } else {
            expect(outcome.error).toBeInstanceOf(SnapshotError);
            expect((outcome.error as SnapshotError).reason).toBe('corrupted');
          }
        }
      });

      it('a newer format version', async () => {
        const newer = bytes.slice();
        new DataView(newer.buffer).setUint32(8, 99, true);
        const e = await refusedWith(newer, 'newer-format');
        expect(e.message).toMatch(/format 99/);
      });

      it('another guest build, and another boot image', async () => {
        const e = await refusedWith(await rewrite(bytes, (d) => (d.build = '0123456789abcdef')), 'other-build');
        expect(e.message).toMatch(/0123456789ab/);
        await refusedWith(await rewrite(bytes, (d) => (d.base = 'image:feedfacefeedface')), 'other-image');
      });

      it('a hand-made description that does not fit its sections', async () => {
        await refusedWith(await rewrite(bytes, (d) => (d.contexts = 'nope')), 'corrupted');
        await refusedWith(await rewrite(bytes, (d) => (d.sections = [1, 2, 3])), 'corrupted');
      });

      it('a hand-made description with options or limits no box could be created with', async () => {
        const options = (d: Record<string, unknown>) => d.options as Record<string, unknown>;
        const e = await refusedWith(await rewrite(bytes, (d) => (options(d).timeoutMs = -1)), 'corrupted');
        expect(e.message).toMatch(/its options: limits\.timeoutMs must be a number of milliseconds above 0/);
        await refusedWith(await rewrite(bytes, (d) => (options(d).outputLimit = 'all')), 'corrupted');
        await refusedWith(await rewrite(bytes, (d) => (options(d).memoryBytes = 2 ** 40)), 'corrupted');
        await refusedWith(await rewrite(bytes, (d) => (options(d).env = { HOME: 5 })), 'corrupted');
        const limits = await refusedWith(await rewrite(bytes, (d) => ((d.facade as { limits: unknown }).limits = { timeoutMs: 'never' })), 'corrupted');
        expect(limits.message).toMatch(/its limits: limits\.timeoutMs must be a number of milliseconds/);
        await refusedWith(await rewrite(bytes, (d) => ((d.facade as { limits: unknown }).limits = { noLimit: true })), 'corrupted');
      });

      it('options a description cannot bring (mounts) are ignored', async () => {
        const box = await restore(await rewrite(bytes, (d) => (options(d).mounts = [{ guestPath: '/mnt/host', hostPath: '/' }])));
        try {
          const keeper = box.contexts().find((c) => c.name === 'keeper')!;
          expect(ok(await keeper.exec('import os\n[kept, os.path.exists("/mnt/host")]')).value).toEqual(['still here', false]);
        } finally {
          await box.close();
        }
        function options(d: Record<string, unknown>) {
          return d.options as Record<string, unknown>;
        }
      });

      it('larger than maxBytes, compressed or unpacked', async () => {
        const e = await refusedWith(bytes, 'too-large', { maxBytes: bytes.length - 1 });
        expect(e.message).toMatch(/maxBytes/);
        await refusedWith(bytes, 'too-large', { maxBytes: bytes.length + 10 }); // unpacks to much more
      });

      it('bad arguments are InvalidArgumentError', async () => {
        expect(await rejection(restore('snapshot' as never))).toBeInstanceOf(InvalidArgumentError);
        const env = await rejection(restore(bytes, { env: {} } as never));
        expect(env).toBeInstanceOf(InvalidArgumentError);
        expect(env.message).toMatch(/env of its snapshot/);
        expect(await rejection(restore(bytes, { maxBytes: -1 }))).toBeInstanceOf(InvalidArgumentError);
      });

      it('after every refusal the box and a valid restore still work', async () => {
        expect(ok(await box.contexts()[0]!.exec('kept')).value).toBe('still here');
        const again = await restore(bytes);
        try {
          expect(ok(await again.contexts()[0]!.exec('kept')).value).toBe('still here');
        } finally {
          await again.close();
        }
      });
    });

    if (engine.inThread) {
      it('box.snapshot() from a synchronous tool handler is refused (not-now), and the exec goes on', async () => {
        let attempt: Promise<unknown> | undefined;
        const holder: { box?: PyBoxBase } = {};
        const box = await create({
          tools: [
            {
              name: 'snap_now',
              parameters: { type: 'object', properties: {} },
              handler: () => {
                attempt = holder.box!.snapshot();
                return 'called';
              },
            },
          ],
        });
        holder.box = box;
        try {
          const ctx = await box.createContext();
          expect(ok(await ctx.exec('snap_now()')).value).toBe('called');
          const e = await rejection(attempt!);
          expect(e).toBeInstanceOf(SnapshotError);
          expect((e as SnapshotError).reason).toBe('not-now');
        } finally {
          await box.close();
        }
      });
    }
  });
}
