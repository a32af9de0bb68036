/**
 * Typed bindings over the guest ABI (guest/ABI.md). This is the only module
 * that knows about guest pointers, lengths, the result buffer layout and
 * the names the guest gives its failures.
 */
import {
  ContextBusyError,
  TimeLimitError,
  ContextDisposedError,
  InvalidArgumentError,
  PythonError,
  ToolDefinitionError,
} from '../errors.js';

/** The wasm exports of a PyBox guest. */
export interface GuestExports {
  readonly memory: WebAssembly.Memory;
  _initialize?: () => void;
  pybox_abi_version(): number;
  pybox_alloc(size: number): number;
  pybox_free(ptr: number): void;
  pybox_init(): number;
  pybox_configure(ptr: number, len: number): number;
  pybox_context_create(parent: number): number;
  pybox_context_delete(ctx: number): number;
  pybox_exec(ctx: number, code: number, codeLen: number, opts: number, optsLen: number): number;
  pybox_resume(ctx: number, ptr: number, len: number): number;
  pybox_cancel(ctx: number): number;
  pybox_set_json(ctx: number, name: number, nameLen: number, json: number, jsonLen: number): number;
  pybox_set_bytes(ctx: number, name: number, nameLen: number, data: number, dataLen: number): number;
  pybox_get(ctx: number, name: number, nameLen: number): number;
  pybox_protect(ctx: number, name: number, nameLen: number): number;
  pybox_names(ctx: number): number;
  pybox_define_tools(ptr: number, len: number): number;
  pybox_reseed(ptr: number, len: number): number;
  pybox_limits(deadlineMs: number, memoryBytes: number): void;
  pybox_state(): number;
  pybox_build_id(): number;
}

/** The ABI version this engine speaks. */
export const ABI_VERSION = 2;

/** A Python exception as the guest reports it. */
export interface GuestError {
  type: string;
  message: string;
  traceback: string;
}

/** A tool call the guest hands to the host while an exec is suspended. */
export interface ToolRequest {
  id: number;
  tool: string;
  args: Record<string, unknown>;
}

/** The JSON answer of every guest export. */
export interface GuestAnswer {
  status: 'ok' | 'error' | 'suspended';
  error?: GuestError;
  /** Set when the driver itself failed (a guest bug or exhausted memory). */
  internal?: boolean;
  value?: unknown;
  repr?: string;
  truncated?: boolean;
  requests?: ToolRequest[];
  wakeAfterMs?: number;
  id?: number;
  names?: string[];
  /** `pybox_build_id`: the inputs hash of the guest's build. */
  build?: string;
  /** `pybox_state`: the live contexts, and the calls a suspended exec waits on. */
  contexts?: { id: number; parent: number; suspended: boolean; pending: ToolRequest[] }[];
  protected?: string[];
  bytes?: boolean;
  jsonError?: string;
  python?: string;
}

/** An answer plus its binary attachment (bytes values). */
export interface GuestReply {
  answer: GuestAnswer;
  attachment: Uint8Array | null;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The guest could not allocate the buffer of its answer: its memory is exhausted. */
export class GuestNoAnswerError extends Error {
  override name = 'GuestNoAnswerError';
}

/**
 * Decodes UTF-8 that may hold lone surrogates the way Python's
 * `surrogatepass` writes them (ED A0..BF xx: WTF-8), keeping them as lone
 * UTF-16 surrogates instead of three U+FFFD each. Valid UTF-8 takes the
 * fast path.
 *
 * @example
 * ```ts
 * decodeWtf8(new Uint8Array([0x61, 0xed, 0xa0, 0x80])) // 'a\ud800'
 * ```
 */
export function decodeWtf8(bytes: Uint8Array): string {
  const ascii = shortAscii(bytes);
  if (ascii !== null) return ascii;
  const text = decoder.decode(bytes);
  if (!text.includes('\ufffd')) return text;
  let out = '';
  let from = 0;
  for (let i = 0; i + 2 < bytes.length; i++) {
    if (bytes[i] !== 0xed || (bytes[i + 1]! & 0xe0) !== 0xa0 || (bytes[i + 2]! & 0xc0) !== 0x80) continue;
    out += decoder.decode(bytes.subarray(from, i));
    out += String.fromCharCode(0xd000 | ((bytes[i + 1]! & 0x3f) << 6) | (bytes[i + 2]! & 0x3f));
    i += 2;
    from = i + 1;
  }
  return out + decoder.decode(bytes.subarray(from));
}

/**
 * Short ASCII bytes as a string, or null: most answers and tool calls are a
 * few dozen ASCII bytes, and a TextDecoder call costs more than reading them.
 */
function shortAscii(bytes: Uint8Array): string | null {
  if (bytes.length > 256) return null;
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) return null;
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
}

/** The largest input buffer kept in the guest between calls (bytes). */
const SCRATCH_KEPT = 1024 * 1024;

/** Calls guest exports, moving strings and bytes in and answers out. */
export class GuestAbi {
  /** A guest buffer reused for inputs: the guest copies them before running any Python. */
  private scratch = 0;
  private scratchSize = 0;
  private u8 = new Uint8Array(0);

  constructor(readonly exports: GuestExports) {}

  /** A byte view of guest memory, renewed when the memory has grown. */
  private bytes(): Uint8Array {
    if (this.u8.buffer !== this.exports.memory.buffer) this.u8 = new Uint8Array(this.exports.memory.buffer);
    return this.u8;
  }

  private ensureScratch(size: number): number {
    if (size > this.scratchSize) {
      if (this.scratch) this.exports.pybox_free(this.scratch);
      const want = Math.max(size, 4096, this.scratchSize * 2);
      this.scratch = this.exports.pybox_alloc(want);
      this.scratchSize = this.scratch ? want : 0;
      if (!this.scratch) {
        throw new InvalidArgumentError(
          `${size} bytes of input do not fit in the guest's memory: pass less data, or raise limits.memoryBytes`,
        );
      }
    }
    return this.scratch;
  }

  /**
   * Copies the inputs into the scratch buffer and calls `call` with (ptr, len) for each. A long
   * string is encoded first, so that the guest is asked for what it needs rather than 3 bytes
   * per UTF-16 unit; a scratch buffer grown past {@link SCRATCH_KEPT} is freed after the call,
   * so that one large input does not hold guest memory (and the entries' memory cap) for good.
   */
  private withInputs(inputs: (string | Uint8Array)[], call: (...ptrLen: number[]) => number): GuestReply {
    const parts = inputs.map((input) => (typeof input === 'string' && input.length > SCRATCH_KEPT / 3 ? encoder.encode(input) : input));
    let size = 0;
    for (const part of parts) size += typeof part === 'string' ? part.length * 3 : part.length;
    let ptr = this.ensureScratch(size);
    const mem = this.bytes();
    const args: number[] = [];
    for (const part of parts) {
      let len: number;
      if (typeof part === 'string') {
        len = encoder.encodeInto(part, mem.subarray(ptr, ptr + part.length * 3)).written;
      } else {
        mem.set(part, ptr);
        len = part.length;
      }
      args.push(ptr, len);
      ptr += len;
    }
    const reply = this.read(call(...args));
    if (this.scratchSize > SCRATCH_KEPT) {
      this.exports.pybox_free(this.scratch);
      this.scratch = 0;
      this.scratchSize = 0;
    }
    return reply;
  }

  /** Decodes the result buffer [u32 jsonLen][u32 binLen][json][bin]. */
  private read(ptr: number): GuestReply {
    if (ptr === 0) throw new GuestNoAnswerError('the guest returned no answer (out of memory)');
    const mem = this.bytes();
    const jsonLen = mem[ptr]! | (mem[ptr + 1]! << 8) | (mem[ptr + 2]! << 16) | (mem[ptr + 3]! << 24);
    const binLen = mem[ptr + 4]! | (mem[ptr + 5]! << 8) | (mem[ptr + 6]! << 16) | (mem[ptr + 7]! << 24);
    const answer = JSON.parse(decodeWtf8(mem.subarray(ptr + 8, ptr + 8 + jsonLen))) as GuestAnswer;
    const attachment = binLen ? mem.slice(ptr + 8 + jsonLen, ptr + 8 + jsonLen + binLen) : null;
    return { answer, attachment };
  }

  /** Reads a host-owned buffer the guest wrote: used by the output import. */
  readText(ptr: number, len: number): string {
    return decodeWtf8(this.bytes().subarray(ptr, ptr + len));
  }

  /** Copies a UTF-8 string into a new guest buffer laid out as [u32 len][bytes]. */
  putLengthPrefixed(text: string): number {
    // A short text goes straight into a buffer of the most UTF-8 can take (3 bytes per UTF-16
    // unit); a long one is encoded first, so the guest is asked for no more than it needs.
    const data = text.length <= 4096 ? null : encoder.encode(text);
    const room = data ? data.length : text.length * 3;
    const ptr = this.exports.pybox_alloc(room + 4);
    if (ptr === 0) return 0;
    const mem = this.bytes();
    let written = room;
    if (data) mem.set(data, ptr + 4);
    else written = encoder.encodeInto(text, mem.subarray(ptr + 4, ptr + 4 + room)).written;
    new DataView(mem.buffer).setUint32(ptr, written, true);
    return ptr;
  }

  /** The limits of the next entry: a deadline on the guest's monotonic clock (ms, 0 = none) and an allocation cap. */
  limits(deadlineMs: number, memoryBytes: number): void {
    this.exports.pybox_limits(deadlineMs, memoryBytes);
  }

  init(): GuestReply {
    return this.read(this.exports.pybox_init());
  }

  configure(settings: object): GuestReply {
    return this.withInputs([JSON.stringify(settings)], (p, l) => this.exports.pybox_configure(p!, l!));
  }

  contextCreate(parent: number): GuestReply {
    return this.read(this.exports.pybox_context_create(parent));
  }

  contextDelete(ctx: number): GuestReply {
    return this.read(this.exports.pybox_context_delete(ctx));
  }

  exec(ctx: number, code: string, opts: object): GuestReply {
    return this.withInputs([code, JSON.stringify(opts)], (c, cl, o, ol) =>
      this.exports.pybox_exec(ctx, c!, cl!, o!, ol!),
    );
  }

  /** Resumes a suspended exec; the payload is JSON text (`{results, deadline}`). */
  resume(ctx: number, payloadJson: string): GuestReply {
    return this.withInputs([payloadJson], (p, l) => this.exports.pybox_resume(ctx, p!, l!));
  }

  cancel(ctx: number): GuestReply {
    return this.read(this.exports.pybox_cancel(ctx));
  }

  setJson(ctx: number, name: string, valueJson: string): GuestReply {
    return this.withInputs([name, valueJson], (n, nl, v, vl) =>
      this.exports.pybox_set_json(ctx, n!, nl!, v!, vl!),
    );
  }

  setBytes(ctx: number, name: string, data: Uint8Array): GuestReply {
    return this.withInputs([name, data], (n, nl, v, vl) =>
      this.exports.pybox_set_bytes(ctx, n!, nl!, v!, vl!),
    );
  }

  get(ctx: number, name: string): GuestReply {
    return this.withInputs([name], (n, nl) => this.exports.pybox_get(ctx, n!, nl!));
  }

  protect(ctx: number, name: string): GuestReply {
    return this.withInputs([name], (n, nl) => this.exports.pybox_protect(ctx, n!, nl!));
  }

  names(ctx: number): GuestReply {
    return this.read(this.exports.pybox_names(ctx));
  }

  defineTools(specs: object[]): GuestReply {
    return this.withInputs([JSON.stringify(specs)], (p, l) => this.exports.pybox_define_tools(p!, l!));
  }

  /** The inputs hash of the build this guest comes from (wasm/manifest.json). */
  buildId(): string {
    return String(this.read(this.exports.pybox_build_id()).answer.build ?? '');
  }

  /** The live contexts and the tool calls each suspended exec still waits on. */
  state(): GuestReply {
    return this.read(this.exports.pybox_state());
  }

  reseed(seed: Uint8Array): GuestReply {
    return this.withInputs([seed], (p, l) => this.exports.pybox_reseed(p!, l!));
  }
}

/**
 * The typed error for a failed guest call other than a Python exception of
 * user code: an unknown context, a busy one, a refused argument.
 *
 * @param what the call that failed, e.g. `defineTools`
 */
export function answerError(answer: GuestAnswer, what: string): Error {
  const err = answer.error ?? { type: 'Error', message: 'unknown failure', traceback: '' };
  switch (err.type) {
    case 'UnknownContext':
      return new ContextDisposedError();
    case 'ContextBusy':
      return new ContextBusyError();
    case 'TimeLimitExceeded':
      return new TimeLimitError(
        `${what} ran past its time limit: Python code it ran (a __repr__, __del__ or __str__) took too long`,
      );
    case 'ValueError':
      if (what === 'defineTools') return new ToolDefinitionError(err.message);
      return new InvalidArgumentError(err.message);
    case 'MemoryError':
      if (what !== 'set') break;
      return new InvalidArgumentError(
        "the value does not fit in the box's memory limit (limits.memoryBytes) next to what Python holds: " +
          'pass less data (or write it to a file with box.fs.writeFile and read it in Python), or raise limits.memoryBytes',
      );
  }
  return new PythonError(err.type, err.message, err.traceback);
}

/** How an exec's error answer is to be read. */
export type ExecFailure = 'internal' | 'unknown-context' | 'busy' | 'time-limit' | 'interrupted' | 'python';

/** Classifies an exec answer with `status: "error"`. */
export function execFailure(answer: GuestAnswer): ExecFailure {
  if (answer.internal) return 'internal';
  switch (answer.error?.type) {
    case 'UnknownContext':
      return 'unknown-context';
    case 'ContextBusy':
      return 'busy';
    case 'TimeLimitExceeded':
      return 'time-limit';
    case 'KeyboardInterrupt':
      return 'interrupted';
    default:
      return 'python';
  }
}

/** What the `interrupted` import answers the guest. */
export const InterruptAnswer = {
  /** Go on. */
  none: 0,
  /** Stop: the guest raises KeyboardInterrupt (at every check until the exec ends). */
  stop: 1,
  /** A sleep was cut short at the CPU deadline: the guest raises its time limit now. */
  deadline: 2,
} as const;
