/** Comlink's ES module build (its `main` is a UMD bundle Node's ESM loader cannot read named exports from). */
export * from 'comlink/dist/esm/comlink.mjs';
