// Restores reuse released engines: an engine whose memory is exactly what its last snapshot saw
// (its box closed right after, as a pool's hibernation does) serves the next restore of the same
// assets, with its memory put back to the boot image through the blocks that snapshot found
// changed. Nothing of the old session may survive in the new one: not a variable, a file, a
// tool or a context; and an engine that ran anything after its snapshot is never reused.
import { beforeAll, describe, expect, it } from 'vitest';
import { Engine, type GuestAssets } from '@pybox/core/internal';
import { loadAssets } from '../../packages/node/src/assets.js';

let assets: GuestAssets;
beforeAll(async () => {
  assets = await loadAssets();
});

const ok = (r: { ok: boolean; value?: unknown }) => {
  expect(r.ok).toBe(true);
  return r.value;
};

async function session(secret: string, file: string): Promise<{ engine: Engine; bytes: Uint8Array }> {
  const engine = await Engine.create(assets);
  engine.defineTools([{ name: `tool_${secret}`, handler: async () => secret, parameters: { type: 'object', properties: {} } }]);
  const ctx = engine.createContext();
  ok(await engine.exec(ctx, `secret = "${secret}"\nbig = "${secret}" * 100000\nopen("${file}", "w").write(secret)\nawait tool_${secret}()`));
  return { engine, bytes: await engine.snapshot({}) };
}

describe('engine reuse', () => {
  it('a released engine serves the next restore, and nothing of its old session survives', async () => {
    const a = await session('alpha', '/data/alpha.txt');
    const b = await session('beta', '/tmp/beta.txt');
    a.engine.release();
    const { engine: restored, state } = await Engine.restore(assets, b.bytes);
    expect(restored).toBe(a.engine); // reused
    const [ctx] = state.contexts;
    expect(ok(await restored.exec(ctx!.id, 'secret, len(big), open("/tmp/beta.txt").read()'))).toEqual(['beta', 400000, 'beta']);
    expect(restored.fs.stat('/data/alpha.txt')).toBeNull();
    const leak = await restored.exec(ctx!.id, 'tool_alpha');
    expect(leak.ok).toBe(false); // alpha's tool is not in beta's guest
    expect(restored.contextList().map((c) => c.id)).toEqual([ctx!.id]);
    // beta's own tool exists in its memory but has no handler until it is given again
    const noHandler = await restored.exec(ctx!.id, 'await tool_beta()');
    expect(noHandler.ok ? 'ok' : noHandler.error.message).toMatch(/no handler is defined/);
    // A fresh restore of beta gives the same answers.
    const { engine: fresh, state: freshState } = await Engine.restore(assets, b.bytes);
    expect(fresh).not.toBe(a.engine);
    expect(ok(await fresh.exec(freshState.contexts[0]!.id, 'secret, len(big)'))).toEqual(['beta', 400000]);
  });

  it('an engine that ran anything after its snapshot is not reused', async () => {
    const a = await session('gamma', '/data/g.txt');
    ok(await a.engine.exec(1, '1 + 1').catch(() => ({ ok: true, value: 2 }))); // any guest call
    a.engine.names(a.engine.contextList()[0]!.id);
    a.engine.release();
    const { engine } = await Engine.restore(assets, a.bytes);
    expect(engine).not.toBe(a.engine);
  });

  it('restoring the same snapshot into reused engines, many times, always gives the same state', async () => {
    const { engine, bytes } = await session('delta', '/out/d.txt');
    engine.release();
    for (let i = 0; i < 5; i++) {
      const { engine: e, state } = await Engine.restore(assets, bytes);
      const id = state.contexts[0]!.id;
      expect(ok(await e.exec(id, 'secret, open("/out/d.txt").read(), len(big)'))).toEqual(['delta', 'delta', 500000]);
      ok(await e.exec(id, `big = "x" * ${10 ** 6 * (i + 1)}\nimport gc\ngc.collect()\nlen(big)`)); // dirty more memory each round
      await e.snapshot({});
      e.release();
    }
  });
});
