// PyBoxPool in Chromium: sessions on Web Workers hibernate to the in-memory store and come back
// with their state when called again; past max, the least recently used one is evicted.
import { expect, it } from 'vitest';
import { MemorySnapshotStore, PyBox, PyBoxPool } from '@pybox/core';

it('sessions hibernate and come back on Web Workers', async () => {
  const store = new MemorySnapshotStore();
  const pool = new PyBoxPool({ create: () => PyBox.create(), restore: (bytes) => PyBox.restore(bytes), max: 1, hibernateAfterMs: Infinity, store });
  try {
    expect((await pool.session('a').exec('who = "a"\nwho')).ok).toBe(true);
    const b = await pool.session('b').exec('who = "b"\nwho'); // a is evicted to make room
    expect(b.ok && b.value).toBe('b');
    expect(pool.session('a').state).toBe('hibernated');
    expect(store.size).toBe(1);
    const a = await pool.session('a').exec('who');
    expect(a.ok && a.value).toBe('a');
    expect(pool.metrics()).toMatchObject({ live: 1, evicted: 2, restored: 1, created: 2 });
  } finally {
    await pool.close({ hibernate: false });
  }
});
