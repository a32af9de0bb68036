// The stdlib bundle in Chromium: a box booted from the boot image gives its first result before
// the bundle is here; a module the image does not hold, imported right after, is read from the
// bundle then. In a Web Worker that read is a blocking request, made while the worker's own
// background fetch of the same URL is still running (engine/stdlib.ts: it must bypass the cache).
import { expect, it } from 'vitest';
import { PyBox } from '@pybox/core';

/** argparse: in the bundle, not in the boot image (scripts/make-boot-image.mjs preloads none of its importers). */
const importOutsideImage = 'import argparse, sys\n[argparse.__name__, argparse.__file__, argparse.ArgumentParser(prog="p").prog]';

for (const [name, options] of [
  ['Web Worker', {}],
  ['in-thread', { inThread: true }],
] as const) {
  // The bound is a hang guard: a blocking read that waits on an unfinished fetch of the same URL
  // sits out Chromium's 20 s cache-lock timeout.
  it(`${name}: a module outside the boot image, imported right after the first result`, { timeout: 15_000 }, async () => {
    const box = await PyBox.create(options);
    try {
      const ctx = await box.createContext();
      const first = await ctx.exec('import sys\n[1 + 1, "argparse" in sys.modules]');
      expect(first.ok && first.value).toEqual([2, false]);
      const r = await ctx.exec(importOutsideImage);
      expect(r.ok && r.value).toEqual(['argparse', '/lib/python313.zip/argparse.pyc', 'p']);
    } finally {
      await box.close();
    }
  });
}
