/**
 * Instantiating a compiled guest module.
 */

/**
 * Instantiates synchronously where the platform allows it: the module is compiled already, and an
 * async instantiate waits turns of the event loop for nothing (it was most of a new box's time in
 * a warm process). A browser's main thread refuses synchronous instances of large modules
 * (RangeError): there it instantiates asynchronously.
 *
 * @example
 * ```ts
 * const instance = await instantiate(assets.module, imports)
 * ```
 */
export async function instantiate(module: WebAssembly.Module, imports: WebAssembly.Imports): Promise<WebAssembly.Instance> {
  try {
    return new WebAssembly.Instance(module, imports);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    return WebAssembly.instantiate(module, imports);
  }
}
