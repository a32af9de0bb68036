/**
 * `pybox repl` as a real child process: on a pseudo-terminal (node-pty)
 * for line editing, Ctrl+C and history; with piped stdin for plain lines.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pty from '@lydell/node-pty';
import { describe, expect, it } from 'vitest';
import { BIN, FIXTURES, pybox, tempDir } from './helpers.js';

/** A `pybox repl` on a pseudo-terminal, with what it printed (escape sequences removed). */
class Terminal {
  private raw = '';
  private seen = 0;
  readonly exited: Promise<number>;
  private readonly term: pty.IPty;

  constructor(args: string[]) {
    this.term = pty.spawn(process.execPath, [BIN, 'repl', ...args], { cols: 120, rows: 40, cwd: FIXTURES, env: { ...process.env, TERM: 'xterm' } });
    this.term.onData((d) => (this.raw += d));
    this.exited = new Promise((resolve) => this.term.onExit(({ exitCode }) => resolve(exitCode)));
  }

  /** The screen text so far, without escape sequences and carriage returns. */
  get text(): string {
    // eslint-disable-next-line no-control-regex
    return this.raw.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
  }

  /** Waits until `pattern` appears after what earlier waits consumed; fails with the screen if it never does. */
  async waitFor(pattern: string | RegExp, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rest = this.text.slice(this.seen);
      const at = typeof pattern === 'string' ? rest.indexOf(pattern) : rest.search(pattern);
      if (at >= 0) {
        const length = typeof pattern === 'string' ? pattern.length : (rest.slice(at).match(pattern)?.[0].length ?? 0);
        this.seen += at + length;
        return rest.slice(0, at + length);
      }
      if (Date.now() > deadline) throw new Error(`never saw ${String(pattern)}; the terminal shows:\n${this.text}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  type(keys: string): void {
    this.term.write(keys);
  }

  /** Types a line, then waits for the next prompt; returns what came before it. */
  async line(text: string, prompt = '>>> '): Promise<string> {
    this.type(`${text}\r`);
    const out = await this.waitFor(`\n${prompt}`);
    return out;
  }

  kill(): void {
    this.term.kill();
  }
}

describe('pybox repl on a terminal', () => {
  it('keeps state, takes multi-line input, shows results and tracebacks, and Ctrl+D exits 0', async () => {
    const history = join(tempDir(), 'history');
    const t = new Terminal(['--history', history, '--tools', 'tools.mjs']);
    try {
      await t.waitFor(/Python 3\.13\.\d+ in a PyBox sandbox/);
      await t.waitFor('>>> ');
      await t.line('x = 41');
      expect(await t.line('x + 1')).toContain('\n42\n');
      await t.line('def f(n):', '... ');
      await t.line('    return n * 2', '... ');
      await t.line('');
      expect(await t.line('f(x)')).toContain('\n82\n');
      expect(await t.line('(await get_price(sku="B3"))["cents"]')).toContain('\n300\n');
      const error = await t.line('1/0');
      expect(error).toContain('File "<stdin>", line 1, in <module>');
      expect(error).toContain('ZeroDivisionError: division by zero');
      await t.line('print("last-one")');
      t.type('\x04'); // Ctrl+D
      expect(await t.exited).toBe(0);
      expect(readFileSync(history, 'utf8').split('\n')).toEqual(expect.arrayContaining(['x = 41', 'def f(n):', 'print("last-one")']));
    } finally {
      t.kill();
    }
  });

  it('Ctrl+C interrupts running code without leaving; at the prompt it drops the input', async () => {
    const t = new Terminal(['--history', join(tempDir(), 'history')]);
    try {
      await t.waitFor('>>> ');
      await t.line('x = 41');
      await t.line('i = 0');
      await t.line('while True:', '... ');
      await t.line('    i += 1', '... ');
      await t.line('    if i % 100000 == 0: print("spin", i)', '... ');
      t.type('\r');
      await t.waitFor('spin');
      t.type('\x03'); // Ctrl+C while the loop runs
      await t.waitFor('KeyboardInterrupt');
      await t.waitFor('>>> ');
      expect(await t.line('print("alive", x, i > 0)')).toContain('alive 41 True');
      t.type('not finished'); // no Enter
      t.type('\x03');
      await t.waitFor('KeyboardInterrupt');
      await t.waitFor('>>> ');
      expect(await t.line('x')).toContain('\n41\n');
      t.type('\x04');
      expect(await t.exited).toBe(0);
    } finally {
      t.kill();
    }
  });

  it('recalls the history of an earlier session with the up arrow', async () => {
    const history = join(tempDir(), 'history');
    const first = new Terminal(['--history', history]);
    try {
      await first.waitFor('>>> ');
      await first.line('print("from", "the first session")');
      first.type('\x04');
      expect(await first.exited).toBe(0);
    } finally {
      first.kill();
    }
    const second = new Terminal(['--history', history]);
    try {
      await second.waitFor('>>> ');
      second.type('\x1b[A\r'); // up, Enter
      await second.waitFor('from the first session');
      second.type('exit()\r');
      expect(await second.exited).toBe(0);
    } finally {
      second.kill();
    }
  });
});

describe('pybox repl with piped stdin', () => {
  it('reads plain lines: results on stdout, prompts and the banner on stderr, EOF exits 0', async () => {
    const r = await pybox(['repl'], { input: 'x = 2\nx * 21\ndef f():\n    return 5\n\nf()\nprint("done")\n' });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('42\n5\ndone\n');
    expect(r.stderr).toContain('in a PyBox sandbox');
    expect(r.stderr).toContain('>>> ');
    expect(r.stderr).toContain('... ');
  });

  it('keeps going after an error, and sys.exit(n) leaves with n', async () => {
    const r = await pybox(['repl', '--no-tty'], { input: 'print(undefined_name)\nprint("after")\nimport sys\nsys.exit(4)\nprint("never")\n' });
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('after\n');
    expect(r.stderr).toContain("NameError: name 'undefined_name' is not defined");
  });
});
