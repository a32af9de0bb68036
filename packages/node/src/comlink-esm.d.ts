// Types for Comlink's ES module files: the same API as the package.
declare module 'comlink/dist/esm/comlink.mjs' {
  export * from 'comlink';
}
declare module 'comlink/dist/esm/node-adapter.mjs' {
  import nodeEndpoint from 'comlink/dist/umd/node-adapter';
  export default nodeEndpoint;
}
