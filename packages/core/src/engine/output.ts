/**
 * Where the guest's stdout and stderr go: the sink of the exec whose guest
 * call is running (guest calls nest when a tool handler runs another exec),
 * capped at the box's output limit per exec.
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

  /** Output of the guest call about to start goes to `sink`. */
  push(sink: OutputSink): void {
    this.sinks.push(sink);
  }

  /** The guest call ended: output goes back to the one around it, if any. */
  pop(): void {
    this.sinks.pop();
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
