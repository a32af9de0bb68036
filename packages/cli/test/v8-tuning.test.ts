/** The tiering budget `pybox` sets for itself, and a user's own flag winning over it. */
import { describe, expect, it } from 'vitest';
import { tuneV8 } from '../src/v8-tuning.js';

describe('tuneV8', () => {
  it("keeps a budget the user gave on node's command line or in NODE_OPTIONS", () => {
    expect(tuneV8(['--wasm-tiering-budget=5000'], '')).toBe(false);
    expect(tuneV8([], '--max-old-space-size=512 --wasm_tiering_budget=5000')).toBe(false);
  });

  it('sets its own budget otherwise, whatever other flags there are', () => {
    expect(tuneV8(['--enable-source-maps'], '--max-old-space-size=512')).toBe(true);
  });
});
