/**
 * What the model reads after a code run: the printed output (head and tail
 * past a limit), the repr of a trailing expression, and on error the
 * exception with a traceback of the model's own code.
 */

/**
 * The outcome of one code run.
 *
 * @example
 * ```ts
 * const r = await code.run('print(1 + 1)')  // r.ok === true, r.text === '2', r.output === '2\n'
 * ```
 */
export interface CodeRunResult {
  /** The text the model reads (see {@link formatResult}). */
  text: string;
  /** Whether the code ran to its end without an exception or a limit. */
  ok: boolean;
  /** stdout and stderr as printed, interleaved, uncut. */
  output: string;
  /** The trailing expression's value as JSON, when it had one. */
  value?: unknown;
  /** The trailing expression's repr, when it was not None. */
  repr?: string;
  /** The exception (a Python one, or a limit such as `TimeLimitError`). */
  error?: { type: string; message: string; traceback: string };
  /** Wall-clock time of the run. */
  durationMs: number;
}

/** What {@link formatResult} is made from. */
export interface ResultParts {
  output: string;
  repr?: string;
  error?: { type: string; message: string; traceback: string };
}

/**
 * What the model reads when nothing was printed: a nudge, not silence.
 *
 * @example
 * ```ts
 * formatResult({ output: '' }, 20_000) === NO_OUTPUT
 * ```
 */
export const NO_OUTPUT = '(no output: print() what you need to see)';

/**
 * The result text: output, then `Out: <repr>`, or the traceback. Past
 * `maxChars`, the output keeps its head and tail around a
 * `[... N characters cut ...]` notice; the traceback is kept.
 *
 * @example
 * ```ts
 * formatResult({ output: 'total 3\n', repr: '3' }, 20_000)  // 'total 3\nOut: 3'
 * ```
 */
export function formatResult(parts: ResultParts, maxChars: number): string {
  const tail = parts.error ? errorText(parts.error) : parts.repr !== undefined ? `Out: ${parts.repr}` : '';
  const tailShown = cut(tail, Math.max(200, Math.floor(maxChars / 2)));
  const output = cut(parts.output, Math.max(200, maxChars - tailShown.length));
  const text = [output.replace(/\n$/, ''), tailShown].filter(Boolean).join('\n');
  return text || NO_OUTPUT;
}

function errorText(error: { type: string; message: string; traceback: string }): string {
  const traceback = error.traceback.trimEnd();
  return traceback || `${error.type}: ${error.message}`;
}

/**
 * `text` cut to `max` characters: its head and tail around a notice that says how much was cut.
 *
 * @example
 * ```ts
 * cut('a'.repeat(100), 40) // 20 × 'a', then '\n[... 60 characters cut ...]\n', then 20 × 'a'
 * ```
 */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const headChars = Math.ceil(max / 2);
  const tailChars = max - headChars;
  const removed = text.length - headChars - tailChars;
  return `${text.slice(0, headChars)}\n[... ${removed} characters cut ...]\n${text.slice(text.length - tailChars)}`;
}
