/**
 * `pybox run` as a real child process: output, exit codes, limits, --json,
 * --tools, --mount, usage errors, Ctrl+C.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../src/exit-codes.js';
import { BIN, FIXTURES, pybox, tempDir, UPSTREAM } from './helpers.js';

describe('pybox run', () => {
  it('runs a file, streams stdout and stderr, and passes arguments in sys.argv', async () => {
    const dir = tempDir();
    const script = join(dir, 'hello.py');
    writeFileSync(script, 'import sys\nprint("hi", sys.argv[1:])\nprint("note", file=sys.stderr)\nif __name__ == "__main__":\n    print(sum(range(10)))\n');
    const r = await pybox(['run', script, 'a', '--', '-b']);
    expect(r).toMatchObject({ code: EXIT_CODES.ok, stdout: "hi ['a', '-b']\n45\n", stderr: 'note\n' });
  });

  it('reads the script from stdin with -', async () => {
    const r = await pybox(['run', '-'], { input: 'print(2 ** 100)\n' });
    expect(r).toMatchObject({ code: 0, stdout: '1267650600228229401496703205376\n', stderr: '' });
  });

  it('exits 1 on a Python error, with the traceback of the script on stderr', async () => {
    const dir = tempDir();
    const script = join(dir, 'bad.py');
    writeFileSync(script, 'def f(x):\n    return x / 0\nprint("before")\nf(1)\n');
    const r = await pybox(['run', script]);
    expect(r.code).toBe(EXIT_CODES.pythonError);
    expect(r.stdout).toBe('before\n');
    expect(r.stderr).toContain(`File "${script}", line 4, in <module>`);
    expect(r.stderr).toContain('line 2, in f');
    expect(r.stderr.trimEnd().endsWith('ZeroDivisionError: division by zero')).toBe(true);
  });

  it('exits with the status sys.exit gives, as python3 does', async () => {
    expect((await pybox(['run', '-'], { input: 'import sys\nsys.exit(7)' })).code).toBe(7);
    expect(await pybox(['run', '-'], { input: 'raise SystemExit()' })).toMatchObject({ code: 0, stderr: '' });
    expect(await pybox(['run', '-'], { input: 'import sys\nsys.exit("cannot go on")' })).toMatchObject({ code: 1, stderr: 'cannot go on\n' });
  });

  it('exits 3 when the CPU time limit stops the code', async () => {
    const r = await pybox(['run', '--timeout', '500ms', '-'], { input: 'print("start", flush=True)\nwhile True:\n    pass\n' });
    expect(r.code).toBe(EXIT_CODES.timeLimit);
    expect(r.stdout).toBe('start\n');
    expect(r.stderr).toMatch(/^pybox: TimeLimitError: .*CPU time limit of 500 ms/);
  });

  it('exits 4 when the wall-clock limit stops code waiting on a tool', async () => {
    const r = await pybox(['run', '--tools', 'tools.mjs', '--wall-timeout', '300ms', '-'], { input: 'await wait_ms(ms=5000)' });
    expect(r.code).toBe(EXIT_CODES.wallTimeLimit);
    expect(r.stderr).toMatch(/^pybox: WallTimeLimitError: /);
  });

  it('exits 5 when the memory limit is hit (an uncaught MemoryError)', async () => {
    const r = await pybox(['run', '--memory', '64M', '-'], { input: 'x = bytearray(200 * 1024 * 1024)' });
    expect(r.code).toBe(EXIT_CODES.memoryLimit);
    expect(r.stderr).toContain('MemoryError');
  });

  it('--json prints the whole result: value, output, tool calls', async () => {
    const r = await pybox(['run', '--json', '--tools', 'tools.mjs', '-'], { input: 'p = await get_price(sku="A7")\nprint("got", p["cents"])\np' });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({
      ok: true,
      exitCode: 0,
      stdout: 'got 700\n',
      stderr: '',
      value: { sku: 'A7', cents: 700 },
      repr: "{'sku': 'A7', 'cents': 700}",
      toolCalls: [{ name: 'get_price', args: { sku: 'A7' }, ok: true, result: { sku: 'A7', cents: 700 } }],
    });
  });

  it('--json reports a Python error with its exit code', async () => {
    const r = await pybox(['run', '--json', '--tools', 'tools.mjs', '-'], { input: 'await get_price(sku="bad")' });
    expect(r.code).toBe(EXIT_CODES.pythonError);
    const report = JSON.parse(r.stdout);
    expect(report.ok).toBe(false);
    expect(report.exitCode).toBe(1);
    expect(report.error.type).toBe('ValueError');
    expect(report.error.message).toContain('sku: must match the pattern ^[A-Z][0-9]$');
    expect(report.toolCalls[0]).toMatchObject({ name: 'get_price', ok: false, error: { type: 'ValueError' } });
  });

  it('--tools takes a record of AI SDK-shaped tools with a zod schema, from an async `tools` export', async () => {
    const r = await pybox(['run', '--tools', 'zod-tools.mjs', '-'], { input: 'print(await shout(word="hey"))\ntry:\n    await shout(word="x" * 11)\nexcept ValueError as e:\n    print("refused")' });
    expect(r).toMatchObject({ code: 0, stdout: 'HEY\nrefused\n' });
  });

  it('--connect gives the script an MCP server\'s tools as Python functions', async () => {
    const r = await pybox(['run', '--connect', `geo=node ${UPSTREAM}`, '-'], {
      input: 'import asyncio, json\nfacts = await asyncio.gather(*[geo.lookup_city(city=c) for c in ("Oslo", "Lima")])\nprint([json.loads(f)["letters"] for f in facts])',
    });
    expect(r).toMatchObject({ code: 0, stdout: '[4, 4]\n' });
  });

  it('--mount: ro refuses writes, rw writes to the folder, overlay keeps writes in memory', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'in'));
    writeFileSync(join(dir, 'in', 'data.csv'), 'a,b\n1,2\n');
    mkdirSync(join(dir, 'out'));
    const code = [
      'print(open("/mnt/in/data.csv").read().splitlines()[1])',
      'import errno\ntry:\n    open("/mnt/in/new.txt", "w")\nexcept OSError as e:\n    print("ro:", errno.errorcode[e.errno])',
      'open("/mnt/out/result.txt", "w").write("written")',
      'open("/mnt/ov/data.csv", "w").write("changed")',
      'print(open("/mnt/ov/data.csv").read())',
    ].join('\n');
    const r = await pybox(['run', '--mount', `${dir}/in:/mnt/in`, '--mount', `${dir}/out:/mnt/out:rw`, '--mount', `${dir}/in:/mnt/ov:overlay`, '-'], { input: code });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('1,2\nro: EROFS\nchanged\n');
    expect(readFileSync(join(dir, 'out', 'result.txt'), 'utf8')).toBe('written');
    expect(readFileSync(join(dir, 'in', 'data.csv'), 'utf8')).toBe('a,b\n1,2\n');
  });

  it('exits 2 on usage errors, saying what is wrong', async () => {
    const missing = await pybox(['run', 'no-such-file.py']);
    expect(missing).toMatchObject({ code: EXIT_CODES.usage, stderr: 'pybox: cannot read no-such-file.py: no such file\n' });
    const option = await pybox(['run', '--frobnicate', 'x.py']);
    expect(option.code).toBe(EXIT_CODES.usage);
    expect(option.stderr).toContain("error: unknown option '--frobnicate'");
    const duration = await pybox(['run', '--timeout', 'soon', '-']);
    expect(duration.code).toBe(EXIT_CODES.usage);
    expect(duration.stderr).toContain("option '--timeout <duration>' argument 'soon' is invalid");
    const mount = await pybox(['run', '--mount', 'nothing-here', '-']);
    expect(mount.code).toBe(EXIT_CODES.usage);
    expect(mount.stderr).toContain('give host:guest[:ro|rw|overlay]');
    const tools = await pybox(['run', '--tools', 'no-tools.mjs', '-'], { input: 'print(1)' });
    expect(tools.code).toBe(EXIT_CODES.usage);
    expect(tools.stderr).toContain('must export its tools as `export default [...]`');
    const absent = await pybox(['run', '--mount', `${FIXTURES}/absent-folder:/mnt/x`, '-'], { input: 'print(1)' });
    expect(absent.code).toBe(EXIT_CODES.usage);
    expect(absent.stderr).toMatch(/^pybox: .*absent-folder/);
  });

  it('--help works for every subcommand', async () => {
    for (const command of ['run', 'repl', 'mcp']) {
      const r = await pybox([command, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: pybox ${command} [options]`);
    }
    const none = await pybox([]);
    expect(none.code).toBe(EXIT_CODES.usage);
    expect(none.stderr).toContain('Usage: pybox [options] [command]');
    const top = await pybox(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/run \[options\] <script>[\s\S]*repl \[options\][\s\S]*mcp \[options\]/);
    expect((await pybox(['run', '--help'])).stdout).toContain(`${EXIT_CODES.timeLimit}    CPU time limit`);
  });

  it('Ctrl+C (SIGINT) stops running code and exits 130', async () => {
    const child = spawn(process.execPath, [BIN, 'run', '-'], { cwd: FIXTURES });
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const started = new Promise<void>((resolve) =>
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
        if (stdout.includes('looping')) resolve();
      }),
    );
    // Prints now and then: output leaves a busy worker with the next print (see the README).
    child.stdin.end('i = 0\nwhile True:\n    i += 1\n    if i % 100000 == 0:\n        print("looping", i)\n');
    await started;
    child.kill('SIGINT');
    const [code] = await new Promise<[number | null]>((resolve) => child.on('close', (c) => resolve([c])));
    expect(code).toBe(EXIT_CODES.interrupted);
    expect(stderr).toContain('pybox: AbortedError');
  });
});
