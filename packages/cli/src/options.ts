/**
 * The options every command shares (`--mount`, `--tools`, `--connect`, the
 * limits) and their parsers. Each parser throws commander's
 * `InvalidArgumentError`, which commander prints with the option's name.
 */
import { resolve } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { parse as parseShell } from 'shell-quote';
import type { MountMode, MountSpec } from '@pybox/node';

/**
 * Where a `--connect` server is: a command to spawn (stdio) or a Streamable HTTP URL.
 *
 * @example
 * ```ts
 * const spec: ConnectSpec = { name: 'docs', kind: 'http', url: 'http://127.0.0.1:9000/mcp' }
 * ```
 */
export type ConnectSpec =
  | { name?: string; kind: 'stdio'; command: string; args: string[] }
  | { name?: string; kind: 'http'; url: string };

/**
 * The parsed shared options (`--mount`, `--tools`, `--connect`, the limits in ms and bytes).
 *
 * @example
 * ```ts
 * const options: BoxCliOptions = { mount: [parseMount('./data:/mnt/data')], tools: './tools.mjs', timeout: 10_000 }
 * ```
 */
export interface BoxCliOptions {
  mount?: MountSpec[];
  tools?: string;
  connect?: ConnectSpec[];
  timeout?: number;
  wallTimeout?: number;
  memory?: number;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A duration in ms from `500ms`, `30s`, `2m`, `1h`, or a plain number of seconds.
 *
 * @example
 * ```ts
 * parseDuration('30s') === 30_000; parseDuration('1.5') === 1500
 * ```
 */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  const ms = m ? Number(m[1]) * DURATION_UNITS[m[2] ?? 's']! : NaN;
  if (!(ms >= 1) || !Number.isFinite(ms)) {
    throw new InvalidArgumentError('give a duration such as 500ms, 30s, 2m or 1h (a plain number means seconds)');
  }
  return Math.round(ms);
}

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/**
 * A size in bytes from `512M`, `1G`, `64MiB`, `800k` (binary units) or a plain number of bytes.
 *
 * @example
 * ```ts
 * parseSize('512M') === 512 * 1024 * 1024
 * ```
 */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:([kmg])(?:i?b)?|b)?\s*$/i.exec(text);
  const bytes = m ? Math.round(Number(m[1]) * SIZE_UNITS[(m[2] ?? '').toLowerCase()]!) : NaN;
  if (!(bytes >= 1)) throw new InvalidArgumentError('give a size such as 512M, 1G or 800K (binary units; a plain number means bytes)');
  return bytes;
}

const MOUNT_MODES: readonly MountMode[] = ['ro', 'rw', 'overlay'];

/**
 * A host folder mount from `host:guest[:ro|rw|overlay]` (read-only by
 * default); the host path is resolved against the working directory.
 *
 * @example
 * ```ts
 * parseMount('./data:/mnt/data:overlay') // { hostPath: '/home/me/data', guestPath: '/mnt/data', mode: 'overlay' }
 * ```
 */
export function parseMount(spec: string): MountSpec {
  const m = /^(.+?):(\/[^:]*)(?::([a-z]+))?$/.exec(spec);
  if (!m) throw new InvalidArgumentError('give host:guest[:ro|rw|overlay], e.g. ./data:/mnt/data:ro (the guest path is absolute)');
  const mode = (m[3] ?? 'ro') as MountMode;
  if (!MOUNT_MODES.includes(mode)) throw new InvalidArgumentError(`the mode must be ro, rw or overlay, got "${m[3]}"`);
  return { hostPath: resolve(m[1]!), guestPath: m[2]!, mode };
}

/**
 * A server to connect to, from `[name=]command args...` (spawned, spoken to
 * over stdio) or `[name=]http://host/path` (Streamable HTTP). The name is
 * the server's namespace in Python (`await name.tool(...)`); without one,
 * the server's own name is used.
 *
 * @example
 * ```ts
 * parseConnect('files=npx -y @modelcontextprotocol/server-filesystem /srv')
 * // { name: 'files', kind: 'stdio', command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '/srv'] }
 * ```
 */
export function parseConnect(spec: string): ConnectSpec {
  const named = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(spec);
  const name = named?.[1];
  const target = (named ? named[2]! : spec).trim();
  if (/^https?:\/\//i.test(target)) {
    try {
      return { ...(name ? { name } : {}), kind: 'http', url: new URL(target).href };
    } catch {
      throw new InvalidArgumentError(`"${target}" is not a valid URL`);
    }
  }
  const words = parseShell(target, (key) => `$${key}`);
  if (words.some((w) => typeof w !== 'string')) {
    throw new InvalidArgumentError('give one command and its arguments, without shell operators (|, >, ;, globs)');
  }
  const [command, ...args] = words as string[];
  if (!command) throw new InvalidArgumentError('give [name=]command args... or [name=]http://127.0.0.1:PORT/mcp');
  return { ...(name ? { name } : {}), kind: 'stdio', command, args };
}

const collect =
  <T>(parse: (text: string) => T) =>
  (text: string, previous: T[] | undefined): T[] => [...(previous ?? []), parse(text)];

/**
 * Adds the shared options to a command.
 *
 * @example
 * ```ts
 * addBoxOptions(new Command('run')).action((file, options: BoxCliOptions) => ...)
 * ```
 */
export function addBoxOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--mount <host:guest[:mode]>', 'mount a host folder; mode ro (default), rw or overlay (repeatable)')
        .argParser(collect(parseMount)),
    )
    .option('--tools <module>', 'a JS module whose default (or `tools`) export defines host tools, in any form @pybox/core accepts')
    .addOption(
      new Option('--connect <server>', 'an MCP server whose tools become Python functions: [name=]command args... or [name=]URL (repeatable)')
        .argParser(collect(parseConnect)),
    )
    .addOption(new Option('--timeout <duration>', 'CPU time limit of one run, e.g. 30s (default 30s)').argParser(parseDuration))
    .addOption(
      new Option('--wall-timeout <duration>', 'wall-clock limit of one run, tool waits included (default 120s)').argParser(parseDuration),
    )
    .addOption(new Option('--memory <size>', 'memory limit of the Python heap, e.g. 512M (default 512M)').argParser(parseSize));
}
