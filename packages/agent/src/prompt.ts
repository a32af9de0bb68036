/**
 * The words that teach a model programmatic tool calling: the default
 * system prompt and the code tool's description.
 */

/**
 * The default system prompt of `runAgent`. Replace it with `system`;
 * the code tool's description carries the tool stubs either way.
 *
 * @example
 * ```ts
 * await runAgent({ box, model, task, system: `${DEFAULT_SYSTEM_PROMPT}\nAnswer in French.` })
 * ```
 */
export const DEFAULT_SYSTEM_PROMPT = `You solve tasks by writing Python. Your tool run_python runs code in a persistent sandbox (CPython 3.13, standard library only, no network) where the host's tools are async Python functions.

How to work:
- Call tools from Python with \`await tool(...)\` (top-level await works). Fan out with \`asyncio.gather(...)\` when calls do not depend on each other.
- Loop, filter, join and compute in code. Only what you print comes back to you: print the few facts you need, never whole tool results.
- Variables, functions and imports persist between run_python calls: build on earlier steps instead of repeating them.
- On an exception you get the traceback of your code: fix it and run again.
- When you have the answer, reply in plain text without calling run_python.`;

/**
 * The code tool's description: how to write the code, then the tool stubs.
 *
 * @example
 * ```ts
 * const description = codeToolDescription(box.describeTools(), 'Amounts are in cents.')
 * ```
 */
export function codeToolDescription(stubs: string, instructions?: string): string {
  const tools = stubs.trim()
    ? `Functions already defined in the sandbox (do not import or redefine them):\n\n\`\`\`python\n${stubs}\n\`\`\``
    : 'No host functions are defined: use the standard library.';
  return [
    'Run Python code (CPython 3.13, async, standard library only, no network) in a persistent sandbox and get back what it prints.',
    '- Top-level `await` works: `x = await some_tool(arg=1)`. Fan out with `asyncio.gather(*[...])`.',
    '- Only printed output, and the repr of a final expression, comes back. Tool results you do not print never reach you: print compact summaries.',
    '- State persists between calls (variables, functions, imports). /data, /tmp and /out are writable.',
    ...(instructions ? [instructions.trim()] : []),
    '',
    tools,
  ].join('\n');
}
