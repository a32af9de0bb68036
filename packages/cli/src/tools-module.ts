/**
 * `--tools tools.mjs`: a JS module that defines host tools. Its default
 * export (or its `tools` export) is what `PyBox.create({ tools })` accepts:
 * an array of definitions, or a record of AI SDK tools; or a function,
 * possibly async, that returns one (for setup such as opening a database).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ToolsInput } from '@pybox/node';

/**
 * A `--tools` module that could not be loaded or exports no tools.
 *
 * @example
 * ```ts
 * try { await loadToolsModule('./tools.mjs') } catch (e) { if (e instanceof ToolsModuleError) console.error(e.message) }
 * ```
 */
export class ToolsModuleError extends Error {
  override name = 'ToolsModuleError';
}

/**
 * Imports a tools module and returns its tools.
 * @throws ToolsModuleError when the module cannot be imported or exports no tools
 *
 * @example
 * ```ts
 * // tools.mjs: export default [{ name: 'add', parameters: {...}, handler: ({ a, b }) => a + b }]
 * const tools = await loadToolsModule('./tools.mjs')
 * ```
 */
export async function loadToolsModule(path: string): Promise<ToolsInput> {
  const url = pathToFileURL(resolve(path)).href;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new ToolsModuleError(`cannot load the tools module ${path}: ${reason}`);
  }
  let tools = mod.default ?? mod.tools;
  if (typeof tools === 'function') tools = await (tools as () => unknown)();
  if (typeof tools !== 'object' || tools === null) {
    throw new ToolsModuleError(
      `the tools module ${path} must export its tools as \`export default [...]\` (definitions with name, parameters, handler) or \`export default { name: tool({...}) }\` (AI SDK tools), or as \`export const tools\``,
    );
  }
  return tools as ToolsInput;
}
