/**
 * Comlink's ES module build. The package has no `exports` map and its `main`
 * is a UMD bundle that Node's ESM loader cannot see named exports in, so we
 * point at the ESM file directly; this one import works in Node and bundlers.
 */
export * from 'comlink/dist/esm/comlink.mjs';
