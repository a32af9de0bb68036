/**
 * Where the guest's stdout and stderr go: the sink of the exec whose guest
 * call is running (guest calls nest when a tool handler runs another exec),
 * capped at the box's output limit per exec. Text arrives from the driver's
 * `sys.stdout` (decoded) and as raw bytes written to fd 1 and 2 (`os.write`,
 * C code): those are decoded here as they arrive, never held back for a
 * newline, and only as many as the sink still has room for; an incomplete
 * UTF-8 sequence left at the end of a guest call goes to that call's exec,
 * so nothing one exec writes can surface in another.
 */

/** The notice that replaces output past the limit. */
export const TRUNCATED = "\n[output truncated: the exec's output limit was reached]\n";

/** One exec's output: what it printed, what it may still print, who streams it. */
export interface OutputSink {
  stdout: string[];
  stderr: string[];
  /** Characters still allowed this exec; output past it is dropped with one notice. */
  left: number;
  onStdout?: ((text: string) => void) | undefined;
  onStderr?: ((text: string) => void) | undefined;
}

/**
 * A fresh sink for an exec allowed `limit` characters of output.
 *
 * @example
 * ```ts
 * const sink = createSink(1024, (t) => process.stdout.write(t))
 * ```
 */
export function createSink(limit: number, onStdout?: (text: string) => void, onStderr?: (text: string) => void): OutputSink {
  return { stdout: [], stderr: [], left: limit + TRUNCATED.length, onStdout, onStderr };
}

/** The stack of sinks of the guest calls in progress; output goes to the innermost. */
export class OutputRouter {
  private readonly sinks: OutputSink[] = [];
  /** Decoders of the raw bytes of fd 1 and 2 (index 1 and 2), for UTF-8 split across writes. */
  private readonly decoders = [null, new TextDecoder(), new TextDecoder()] as const;
  /** Whether a decoder holds an incomplete sequence. */
  private pending = false;

  /** Output of the guest call about to start goes to `sink`. */
  push(sink: OutputSink): void {
    this.flush();
    this.sinks.push(sink);
  }

  /** The guest call ended: output goes back to the one around it, if any. */
  pop(): void {
    try {
      this.flush();
    } finally {
      this.sinks.pop(); // even when flushing ran out of stack (after a crash): never a stale sink
    }
  }

  /**
   * Raw bytes the guest wrote to fd 1 or 2. Bytes past the sink's room are
   * dropped undecoded: a loop writing 400 MiB under a 1 MiB limit costs the
   * host about 1 MiB.
   */
  write(stream: 1 | 2, bytes: Uint8Array): void {
    const sink = this.sinks[this.sinks.length - 1];
    if (!sink || sink.left <= 0 || bytes.length === 0) return;
    // One UTF-16 unit needs at least one byte and at most four, so this many bytes fill the room.
    const take = Math.min(bytes.length, sink.left * 4);
    this.pending = true;
    const text = this.decoders[stream].decode(bytes.subarray(0, take), { stream: true });
    if (text) this.emit(stream, text);
  }

  /** Ends the incomplete UTF-8 sequences held for the current sink (as U+FFFD). */
  private flush(): void {
    if (!this.pending) return;
    this.pending = false;
    for (const stream of [1, 2] as const) {
      const rest = this.decoders[stream].decode();
      if (rest) this.emit(stream, rest);
    }
  }

  /** Text the guest wrote to stdout (1) or stderr (2). */
  emit(stream: number, text: string): void {
    const sink = this.sinks[this.sinks.length - 1];
    if (!sink) return; // output outside an exec (e.g. a warning at init) is dropped
    // The guest caps output too; this cap holds even if Python code bypasses it.
    if (sink.left <= 0) return;
    if (text.length > sink.left) text = text.slice(0, sink.left) + TRUNCATED;
    sink.left -= text.length;
    if (stream === 2) {
      sink.stderr.push(text);
      sink.onStderr?.(text);
    } else {
      sink.stdout.push(text);
      sink.onStdout?.(text);
    }
  }
}
