/**
 * `pybox run script.py|-`: runs a file (or stdin) in a fresh box, streams
 * its output, and exits with a code that tells what happened
 * ({@link EXIT_CODES}). `--json` prints the whole result object instead.
 */
import { readFile } from 'node:fs/promises';
import { AbortedError, type ToolCallEvent } from '@pybox/node';
import { EXIT_CODES, exitCodeOfPython, exitCodeOfThrown } from './exit-codes.js';
import type { BoxCliOptions } from './options.js';
import { loadToolSource, openBox } from './setup.js';

/**
 * `pybox run`'s options.
 *
 * @example
 * ```ts
 * await runScript('job.py', [], { json: true, timeout: 5_000 } satisfies RunCliOptions)
 * ```
 */
export interface RunCliOptions extends BoxCliOptions {
  json?: boolean;
}

/**
 * What `--json` prints.
 *
 * @example
 * ```ts
 * // {"ok":true,"exitCode":0,"stdout":"got 700\n","stderr":"","value":700,"repr":"700","toolCalls":[{"name":"get_price",...}]}
 * const report = JSON.parse(stdout) as RunReport
 * ```
 */
export interface RunReport {
  ok: boolean;
  exitCode: number;
  stdout: string;
  stderr: string;
  value?: unknown;
  repr?: string;
  error?: { type: string; message: string; traceback: string };
  durationMs?: number;
  toolCalls: Omit<ToolCallEvent, 'id'>[];
}

/**
 * Runs a script and returns the exit code. Everything the user should see
 * is already written to stdout/stderr.
 *
 * @example
 * ```ts
 * process.exitCode = await runScript('job.py', [], { mount: [], connect: [], timeout: 10_000 })
 * ```
 */
export async function runScript(file: string, scriptArgs: string[], options: RunCliOptions): Promise<number> {
  const source = await readSource(file);
  if (source === undefined) return EXIT_CODES.usage;
  const filename = file === '-' ? '<stdin>' : file;

  const tools = loadToolSource(options);
  let cli;
  try {
    cli = await openBox(options, tools);
  } catch (e) {
    await tools.then((t) => t.close(), () => {});
    process.stderr.write(`pybox: ${e instanceof Error ? e.message : String(e)}\n`);
    return EXIT_CODES.usage;
  }

  const toolCalls: RunReport['toolCalls'] = [];
  cli.box.onToolCall(({ id: _id, ...call }) => toolCalls.push(call));
  const stop = new AbortController();
  const onSigint = () => {
    if (stop.signal.aborted) process.exit(EXIT_CODES.interrupted); // a second Ctrl+C does not wait
    stop.abort();
  };
  process.on('SIGINT', onSigint);

  const report: RunReport = { ok: false, exitCode: EXIT_CODES.ok, stdout: '', stderr: '', toolCalls };
  try {
    const ctx = await cli.createContext();
    await ctx.exec(`__import__("sys").argv = ${JSON.stringify([filename, ...scriptArgs])}`);
    const r = await ctx.exec(source, {
      filename,
      signal: stop.signal,
      ...(options.json ? {} : { onStdout: (t) => process.stdout.write(t), onStderr: (t) => process.stderr.write(t) }),
    });
    Object.assign(report, { stdout: r.stdout, stderr: r.stderr, durationMs: r.durationMs, ok: r.ok });
    if (r.ok) {
      Object.assign(report, r.value !== undefined ? { value: r.value } : {}, r.repr !== undefined ? { repr: r.repr } : {});
    } else {
      report.error = r.error;
      report.exitCode = exitCodeOfPython(r.error.type, r.error.message);
      if (!options.json) process.stderr.write(errorText(r.error));
    }
  } catch (e) {
    const error = e instanceof Error ? e : new Error(String(e));
    report.exitCode = e instanceof AbortedError ? EXIT_CODES.interrupted : (exitCodeOfThrown(e) ?? EXIT_CODES.crash);
    report.error = { type: error.name, message: error.message, traceback: `${error.name}: ${error.message}` };
    if (!options.json) process.stderr.write(`pybox: ${error.name}: ${error.message}\n`);
  } finally {
    process.off('SIGINT', onSigint);
    await cli.box.close();
    await cli.source.close();
  }
  if (options.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  return report.exitCode;
}

/** What stderr shows for an uncaught exception: the traceback, or for `SystemExit` only a non-numeric message. */
function errorText(error: { type: string; message: string; traceback: string }): string {
  if (error.type === 'SystemExit') return /^(-?\d+|None|)$/.test(error.message) ? '' : `${error.message}\n`;
  return error.traceback.endsWith('\n') ? error.traceback : `${error.traceback}\n`;
}

async function readSource(file: string): Promise<string | undefined> {
  try {
    if (file !== '-') return await readFile(file, 'utf8');
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : e instanceof Error ? e.message : String(e);
    process.stderr.write(`pybox: cannot read ${file}: ${reason}\n`);
    return undefined;
  }
}
