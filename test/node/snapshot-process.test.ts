// Durable paused runs across processes: a run that awaits approve(...) is snapshotted, its box
// closed, the bytes written to a file; a NEW Node process restores them, resolves the approval
// and the run finishes there with its whole output (what it printed before the snapshot too).
// Also: snapshot sizes of an empty box and of a typical PTC session.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PyBox, type ToolDefinition } from '@pybox/node';
import { ok } from '../conformance/suite.js';

const run = promisify(execFile);
const fixture = new URL('./fixtures/resume-approval.mjs', import.meta.url).pathname;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const approve: ToolDefinition = {
  name: 'approve',
  description: 'Ask a human to approve a payment; answers when they do (minutes or hours later).',
  parameters: { type: 'object', properties: { amount: { type: 'number' }, to: { type: 'string' } }, required: ['amount', 'to'] },
  handler: () => new Promise(() => undefined), // the human answers elsewhere
};

const CODE = `ledger = globals().get("ledger", [])
print(f"paying {amount} to {to}: asking for approval")
decision = await approve(amount=amount, to=to)
if decision["approved"]:
    ledger.append({"to": to, "amount": amount, "by": decision["by"]})
    print(f"paid {amount} to {to}")
decision`;

describe('a paused run finishes in another process', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pybox-snap-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const kind of ['worker', 'in-thread'] as const) {
    it(`${kind}: snapshot, close, write a file, restore in a new process, approve, finish`, async () => {
      const box = await PyBox.create({ tools: [approve], inThread: kind === 'in-thread' });
      const ctx = await box.createContext({ name: 'payments' });
      await ctx.set('amount', 120);
      await ctx.set('to', 'ACME');
      const pending = ctx.exec(CODE);
      const closed = pending.then(
        () => 'resolved',
        (e: Error) => e.name,
      );
      await sleep(30);
      const bytes = await box.snapshot();
      await box.close();
      expect(await closed).toBe('BoxClosedError'); // the original run ends with its box
      const file = join(dir, `session-${kind}.pybox`);
      await writeFile(file, bytes);

      const { stdout } = await run(process.execPath, [fixture, file, kind], { cwd: process.cwd() });
      const out = JSON.parse(stdout.trim()) as {
        pid: number;
        context: string;
        pending: unknown[];
        result: { ok: boolean; stdout: string; value: unknown };
        after: unknown;
      };
      expect(out.pid).not.toBe(process.pid);
      expect(out.context).toBe('payments');
      expect(out.pending).toEqual([{ id: expect.any(Number), tool: 'approve', args: { amount: 120, to: 'ACME' } }]);
      expect(out.result.ok).toBe(true);
      expect(out.result.stdout).toBe('paying 120 to ACME: asking for approval\npaid 120 to ACME\n');
      expect(out.result.value).toEqual({ approved: true, by: 'webhook' });
      expect(out.after).toEqual([1, { to: 'ACME', amount: 120, by: 'webhook' }]);
    });
  }
});

describe('a restored worker box stopped hard', () => {
  it('starts again from the boot image with the snapshot\'s files; its contexts are gone', async () => {
    const box = await PyBox.create({ files: { '/data/in.csv': 'a,b\n1,2\n' } });
    const ctx = await box.createContext({ name: 'work' });
    ok(await ctx.exec('open("/out/result.txt", "w").write("42")\nx = 1'));
    const bytes = await box.snapshot();
    await box.close();
    const restored = await PyBox.restore(bytes);
    try {
      const [work] = restored.contexts();
      const stuck = await work!.exec('sum(range(10**13))', { timeoutMs: 100 }).then(
        () => null,
        (e: Error) => e,
      );
      expect(stuck?.name).toBe('GuestCrashError');
      expect(work!.isLive).toBe(false);
      expect(restored.contexts()).toEqual([]);
      expect(await restored.fs.readText('/out/result.txt')).toBe('42');
      expect(await restored.fs.readText('/data/in.csv')).toBe('a,b\n1,2\n');
      const fresh = await restored.createContext();
      expect(ok(await fresh.exec('open("/out/result.txt").read()')).value).toBe('42');
    } finally {
      await restored.close();
    }
  }, 30_000);
});

describe('snapshot sizes', () => {
  it('an empty box and a typical PTC session are small', async () => {
    const tools: ToolDefinition[] = [
      {
        name: 'get_order',
        parameters: { type: 'object', properties: { id: { type: 'integer' } }, required: ['id'] },
        handler: async ({ id }) => ({ id, total: (id as number) * 10, country: (id as number) % 2 ? 'FR' : 'DE' }),
      },
    ];
    const box = await PyBox.create({ tools });
    try {
      const empty = await box.snapshot();
      const ctx = await box.createContext({ name: 'agent' });
      for (let step = 0; step < 5; step++) {
        ok(
          await ctx.exec(
            `import asyncio, collections\norders = await asyncio.gather(*(get_order(i) for i in range(${step * 5}, ${step * 5 + 5})))\n` +
              'seen = globals().setdefault("seen", [])\nseen.extend(orders)\n' +
              'by = collections.Counter(o["country"] for o in seen)\nprint(dict(by), sum(o["total"] for o in seen))',
          ),
        );
      }
      const typical = await box.snapshot();
      expect(empty.byteLength).toBeLessThan(256 * 1024);
      expect(typical.byteLength).toBeLessThan(1024 * 1024);
      expect(typical.byteLength).toBeGreaterThan(empty.byteLength);
      const restored = await PyBox.restore(typical, { tools });
      try {
        expect(ok(await restored.contexts()[0]!.exec('len(seen), dict(by)')).value).toEqual([25, { DE: 13, FR: 12 }]);
      } finally {
        await restored.close();
      }
    } finally {
      await box.close();
    }
  });
});
