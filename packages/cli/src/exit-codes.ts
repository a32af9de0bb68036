/**
 * The exit codes of `pybox run` (and of the other commands when they fail
 * to start): one per outcome, so that scripts can tell a bug in the Python
 * code from a limit and from a mistake on the command line.
 */
import { GuestCrashError, TimeLimitError, WallTimeLimitError } from '@pybox/node';

/**
 * What each exit code means. `sys.exit(n)` in the script exits with `n`
 * itself, as `python3` does (so a script may also choose one of these).
 *
 * @example
 * ```ts
 * import { EXIT_CODES } from '@pybox/cli'
 * const { status } = spawnSync('pybox', ['run', 'job.py'])
 * if (status === EXIT_CODES.timeLimit) console.log('the job ran out of CPU time')
 * ```
 */
export const EXIT_CODES = {
  /** The code ran to its end (or called `sys.exit(0)`). */
  ok: 0,
  /** An uncaught Python exception; its traceback is on stderr. */
  pythonError: 1,
  /** A mistake on the command line or in its inputs: an unknown option, a missing file, a bad `--tools` module, a `--connect` server that did not answer. */
  usage: 2,
  /** The CPU time limit (`--timeout`) stopped the code. */
  timeLimit: 3,
  /** The wall-clock limit (`--wall-timeout`), tool waits included, stopped the code. */
  wallTimeLimit: 4,
  /** The memory limit (`--memory`): an uncaught `MemoryError`. */
  memoryLimit: 5,
  /** The guest crashed or had to be stopped hard (a builtin that never reached a limit check). */
  crash: 6,
  /** Ctrl+C (SIGINT) stopped the code. */
  interrupted: 130,
} as const;

/**
 * The exit code for an error thrown by an exec (a limit or a crash), or
 * `undefined` when the error is not one of those.
 *
 * @example
 * ```ts
 * exitCodeOfThrown(new TimeLimitError('...')) === EXIT_CODES.timeLimit
 * ```
 */
export function exitCodeOfThrown(error: unknown): number | undefined {
  if (error instanceof TimeLimitError) return EXIT_CODES.timeLimit;
  if (error instanceof WallTimeLimitError) return EXIT_CODES.wallTimeLimit;
  if (error instanceof GuestCrashError) return EXIT_CODES.crash;
  return undefined;
}

/**
 * The exit code for an uncaught Python exception: `SystemExit` exits as
 * Python would, `MemoryError` is the memory limit, anything else is 1.
 * `message` is `str(exception)`.
 *
 * @example
 * ```ts
 * exitCodeOfPython('SystemExit', '3') === 3
 * exitCodeOfPython('ValueError', 'bad') === EXIT_CODES.pythonError
 * ```
 */
export function exitCodeOfPython(type: string, message: string): number {
  if (type === 'MemoryError') return EXIT_CODES.memoryLimit;
  if (type !== 'SystemExit') return EXIT_CODES.pythonError;
  if (message === '' || message === 'None') return EXIT_CODES.ok;
  // Python keeps the low byte of an integer status; anything else is printed and exits with 1.
  return /^-?\d+$/.test(message) ? Number(message) & 0xff : EXIT_CODES.pythonError;
}
