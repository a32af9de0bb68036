/**
 * `pybox repl`: a Python prompt on one persistent context. Input is complete
 * when Python's own `codeop` says so (with top-level `await` allowed, as in
 * `python -m asyncio`), so multi-line input behaves as in `python3`. On a
 * terminal: line editing and a history file (readline); Ctrl+C interrupts
 * running code (or drops the current input), Ctrl+D exits. Without one
 * (`--no-tty`, or piped stdin): plain lines, prompts on stderr.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { AbortedError, ContextDisposedError, GuestCrashError, type Context } from '@pybox/node';
import { EXIT_CODES, exitCodeOfPython } from './exit-codes.js';
import type { BoxCliOptions } from './options.js';
import { loadToolSource, openBox, type CliBox } from './setup.js';

/**
 * `pybox repl`'s options.
 *
 * @example
 * ```ts
 * await startRepl({ tty: false, history: '/tmp/pybox_history' } satisfies ReplCliOptions)
 * ```
 */
export interface ReplCliOptions extends BoxCliOptions {
  /** false with `--no-tty`. */
  tty?: boolean;
  /** The history file. */
  history?: string;
}

const PS1 = '>>> ';
const PS2 = '... ';
const HISTORY_SIZE = 1000;
const LEAVE = new Set(['exit', 'exit()', 'quit', 'quit()']);

/** Python that answers "is this input complete?" in a helper context, away from the user's names. */
const COMPLETENESS_CHECKER = `import ast, codeop
_cc = codeop.CommandCompiler()
_cc.compiler.flags |= ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
def _complete(src):
    try:
        return _cc(src, "<stdin>", "single") is not None
    except (SyntaxError, OverflowError, ValueError):
        return True  # an error is complete: running it shows the error`;

/**
 * Runs the REPL until Ctrl+D (or `exit()`), and returns the exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await startRepl({ mount: [], connect: [], tools: './tools.mjs' })
 * ```
 */
export async function startRepl(options: ReplCliOptions): Promise<number> {
  const tty = options.tty !== false && process.stdin.isTTY === true;
  const out = tty ? process.stdout : process.stderr; // prompts and notices
  const source = loadToolSource(options);
  let cli: CliBox;
  try {
    cli = await openBox(options, source);
  } catch (e) {
    await source.then((t) => t.close(), () => {});
    process.stderr.write(`pybox: ${e instanceof Error ? e.message : String(e)}\n`);
    return EXIT_CODES.usage;
  }
  const historyFile = options.history ?? process.env.PYBOX_HISTORY ?? join(homedir(), '.pybox_history');
  const session = new ReplSession(cli);
  try {
    await session.start();
    const version = await session.checker!.exec('__import__("sys").version.split()[0]');
    out.write(`Python ${version.ok ? String(version.value) : '3'} in a PyBox sandbox. Ctrl+C interrupts, Ctrl+D exits.\n`);
    const rl = createInterface({
      input: process.stdin,
      output: out,
      terminal: tty,
      prompt: PS1,
      ...(tty ? { history: readHistory(historyFile), historySize: HISTORY_SIZE, removeHistoryDuplicates: true } : {}),
    });
    if (tty) rl.on('history', (lines: string[]) => writeHistory(historyFile, lines));
    let buffer: string[] = [];
    const onInterrupt = () => {
      if (session.interrupt()) return;
      // At the prompt: drop the pending input, as python3 does.
      buffer = [];
      if (tty) rl.write(null, { ctrl: true, name: 'u' });
      out.write('\nKeyboardInterrupt\n');
      rl.setPrompt(PS1);
      rl.prompt();
    };
    rl.on('SIGINT', onInterrupt);
    process.on('SIGINT', onInterrupt); // without a terminal, Ctrl+C is a signal
    rl.prompt();
    try {
      for await (const line of rl) {
        buffer.push(line);
        const text = buffer.join('\n');
        if (buffer.length === 1 && !line.trim()) {
          buffer = [];
        } else if (buffer.length === 1 && LEAVE.has(line.trim())) {
          break;
        } else if (await session.isComplete(text)) {
          buffer = [];
          const exit = await session.run(text, out);
          if (exit !== undefined) {
            rl.close();
            return exit;
          }
        }
        rl.setPrompt(buffer.length ? PS2 : PS1);
        rl.prompt();
      }
    } finally {
      process.off('SIGINT', onInterrupt);
      rl.close();
    }
    if (tty) out.write('\n');
    return EXIT_CODES.ok;
  } finally {
    await cli.box.close();
    await cli.source.close();
  }
}

/** The user's context and the helper context, remade if a hard stop takes them. */
class ReplSession {
  context?: Context;
  checker?: Context;
  private running?: AbortController;

  constructor(private readonly cli: CliBox) {}

  async start(): Promise<void> {
    this.context = await this.cli.createContext();
    this.checker = await this.cli.box.createContext({ name: 'repl-checker' });
    const r = await this.checker.exec(COMPLETENESS_CHECKER);
    if (!r.ok) throw new Error(`the REPL could not start: ${r.error.traceback}`);
  }

  /** Stops the running code; false when nothing runs. */
  interrupt(): boolean {
    if (!this.running) return false;
    this.running.abort();
    return true;
  }

  async isComplete(text: string): Promise<boolean> {
    const r = await this.checker!.exec(`_complete(${JSON.stringify(text)})`);
    return !r.ok || r.value !== false;
  }

  /** Runs one input; returns an exit code when the code asked to leave (`SystemExit`). */
  async run(code: string, out: NodeJS.WritableStream): Promise<number | undefined> {
    this.running = new AbortController();
    try {
      const r = await this.context!.exec(code, {
        filename: '<stdin>',
        signal: this.running.signal,
        onStdout: (t) => process.stdout.write(t),
        onStderr: (t) => process.stderr.write(t),
      });
      if (r.ok) {
        if (r.repr !== undefined) process.stdout.write(`${r.repr}\n`);
      } else if (r.error.type === 'SystemExit') {
        return exitCodeOfPython(r.error.type, r.error.message);
      } else {
        process.stderr.write(r.error.traceback.endsWith('\n') ? r.error.traceback : `${r.error.traceback}\n`);
      }
    } catch (e) {
      if (e instanceof AbortedError) {
        process.stderr.write('KeyboardInterrupt\n');
      } else if (e instanceof GuestCrashError || e instanceof ContextDisposedError) {
        out.write(`${e instanceof Error ? e.message : String(e)}\nThe sandbox was restarted: earlier variables are gone.\n`);
        await this.start();
      } else if (e instanceof Error && e.name !== 'BoxClosedError') {
        process.stderr.write(`${e.name}: ${e.message}\n`); // a limit: the context lives on
      } else {
        throw e;
      }
    } finally {
      this.running = undefined;
    }
    return undefined;
  }
}

function readHistory(file: string): string[] {
  try {
    // Oldest first in the file, as shells keep it; readline wants newest first.
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).reverse().slice(0, HISTORY_SIZE);
  } catch {
    return [];
  }
}

function writeHistory(file: string, newestFirst: string[]): void {
  try {
    writeFileSync(file, `${[...newestFirst].reverse().join('\n')}\n`, { mode: 0o600 });
  } catch {
    // A history that cannot be saved must not end the session.
  }
}
