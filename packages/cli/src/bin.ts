#!/usr/bin/env node
/**
 * The `pybox` command: `pybox run`, `pybox repl`, `pybox mcp`. Each
 * subcommand's module is imported only when it runs, so that `pybox run`
 * never loads the MCP SDK and `pybox mcp` starts as fast as it can.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { EXIT_CODES } from './exit-codes.js';
import type { McpCliOptions } from './mcp/serve.js';
import { addBoxOptions, parseDuration, type BoxCliOptions } from './options.js';
import { tuneV8 } from './v8-tuning.js';

tuneV8(); // before any subcommand compiles the guest

const program = new Command('pybox')
  .description('Sandboxed CPython 3.13 (WebAssembly) on the command line and as an MCP server.')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

addBoxOptions(
  program
    .command('run')
    .description('Run a Python file (or - for stdin) in a fresh sandbox; output streams as it is printed.')
    .argument('<script>', 'the Python file to run, or - to read it from stdin')
    .argument('[args...]', "what the script sees in sys.argv[1:] (put -- before arguments that start with '-')")
    .option('--json', 'print the whole result object as JSON (ok, exitCode, stdout, stderr, value, repr, error, toolCalls) instead of streaming'),
)
  .addHelpText(
    'after',
    `
Exit codes:
  ${EXIT_CODES.ok}    the script ran to its end
  ${EXIT_CODES.pythonError}    an uncaught Python exception (traceback on stderr)
  ${EXIT_CODES.usage}    a bad option or input (missing file, bad --tools module, --connect failed)
  ${EXIT_CODES.timeLimit}    CPU time limit (--timeout)
  ${EXIT_CODES.wallTimeLimit}    wall-clock limit (--wall-timeout)
  ${EXIT_CODES.memoryLimit}    memory limit (--memory): an uncaught MemoryError
  ${EXIT_CODES.crash}    the guest crashed or was stopped hard
  ${EXIT_CODES.interrupted}  interrupted with Ctrl+C
  sys.exit(n) exits with n, as python3 does.

Examples:
  pybox run report.py --mount ./data:/mnt/data:ro --timeout 10s
  echo 'print(2 ** 100)' | pybox run -
  pybox run job.py --tools ./tools.mjs --json`,
  )
  .action(async (script: string, args: string[], options: BoxCliOptions & { json?: boolean }) => {
    const { runScript } = await import('./run.js');
    finish(await runScript(script, args, options));
  });

addBoxOptions(
  program
    .command('repl')
    .description('An interactive Python prompt on one persistent context: Ctrl+C interrupts running code, Ctrl+D exits.')
    .option('--no-tty', 'read plain lines from stdin even on a terminal (no line editing, prompts on stderr)')
    .option('--history <file>', 'where to keep the input history (default ~/.pybox_history; PYBOX_HISTORY overrides)'),
)
  .addHelpText(
    'after',
    `
Multi-line input works as in python3: a compound statement continues until an empty line.

Example:
  pybox repl --mount .:/mnt/here:ro --tools ./tools.mjs`,
  )
  .action(async (options: BoxCliOptions & { tty: boolean; history?: string }) => {
    const { startRepl } = await import('./repl.js');
    finish(await startRepl(options));
  });

addBoxOptions(
  program
    .command('mcp')
    .description('An MCP server (stdio by default) whose run_python tool runs code in a persistent sandbox, one per client session.')
    .option('--http [port]', 'serve Streamable HTTP on 127.0.0.1 instead of stdio (port 0 or none: any free port; the URL goes to stderr)')
    .option('--host <address>', 'the loopback address to listen on with --http', '127.0.0.1')
    .addOption(
      new Option('--discovery <mode>', 'list every tool stub in the run_python description, or offer search_tools/describe_tool instead')
        .choices(['auto', 'on', 'off'])
        .default('auto'),
    )
    .addOption(
      new Option('--max-output <chars>', 'characters of output run_python returns (head and tail are kept past it)')
        .argParser((v) => positiveInt(v))
        .default(20_000),
    )
    .addOption(
      new Option('--session-timeout <duration>', 'with --http: close a session (and free its sandbox) after this long without a request')
        .argParser(parseDuration)
        .default(30 * 60_000, '30m'),
    )
    .addOption(new Option('--max-sessions <n>', 'with --http: sessions open at once').argParser((v) => positiveInt(v)).default(16)),
)
  .addHelpText(
    'after',
    `
Tools: run_python({ code }), list_files, read_file, write_file, delete_file; with many tools also
search_tools and describe_tool. Files under /out are resources (pybox:///out/...).

Examples:
  pybox mcp --mount ./data:/mnt/data:ro
  pybox mcp --connect 'github=npx -y @modelcontextprotocol/server-github' --timeout 20s
  pybox mcp --http 8765 --connect http://127.0.0.1:9000/mcp`,
  )
  .action(async (options: McpCliOptions) => {
    const { serveMcp } = await import('./mcp/serve.js');
    const code = await serveMcp(options);
    if (code !== undefined) finish(code);
  });

function positiveInt(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('give a positive integer');
  return n;
}

/** Exits once stdout and stderr have taken everything written to them. */
function finish(code: number): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // --help and --version exit 0; everything else commander refuses (no command included) is a usage error.
    finish(e.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage);
  } else {
    process.stderr.write(`pybox: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    finish(EXIT_CODES.usage);
  }
}
