// Types for Comlink's ES module file (see comlink.ts): the same API as the package.
declare module 'comlink/dist/esm/comlink.mjs' {
  export * from 'comlink';
}
