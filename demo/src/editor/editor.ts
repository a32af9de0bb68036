/**
 * The code editor: CodeMirror 6 with Python highlighting, line numbers,
 * auto-indentation, undo history (Tab indents as an undoable change),
 * Ctrl/Cmd+Enter to run, Escape to leave, and a gutter mark on the line an
 * error came from.
 */
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { python } from '@codemirror/lang-python';
import { bracketMatching, indentOnInput, indentUnit, syntaxHighlighting } from '@codemirror/language';
import { highlightSelectionMatches, searchKeymap } from '@codemirror/search';
import { EditorState, Prec, RangeSet, StateEffect, StateField, type Extension } from '@codemirror/state';
import {
  Decoration,
  EditorView,
  GutterMarker,
  drawSelection,
  gutter,
  highlightActiveLine,
  highlightActiveLineGutter,
  keymap,
  lineNumbers,
} from '@codemirror/view';
import { classHighlighter } from '@lezer/highlight';

/** Options of {@link createEditor}. */
export interface EditorOptions {
  parent: HTMLElement;
  doc: string;
  /** Ctrl/Cmd+Enter. */
  onRun: () => void;
  /** Every change of the text (to save it). */
  onChange?: (code: string) => void;
  /** Where Escape sends the focus (e.g. the Run button). */
  escapeTo?: () => HTMLElement | null;
  /** A label for screen readers. */
  label: string;
  testid?: string;
}

/** The editor's handle. */
export interface CodeEditor {
  readonly view: EditorView;
  /** The current text. */
  readonly code: string;
  /** Replaces the text as one undoable change (Ctrl/Cmd+Z brings the old text back). */
  replace(code: string): void;
  /** Marks the line an error came from (1-based), or clears the mark with `null`. */
  markError(line: number | null, message?: string): void;
  focus(): void;
  destroy(): void;
}

const setErrorLine = StateEffect.define<{ line: number; message: string } | null>();

class ErrorMarker extends GutterMarker {
  constructor(private readonly message: string) {
    super();
  }
  override toDOM(): Node {
    const el = document.createElement('span');
    el.className = 'cm-error-marker';
    el.textContent = '●';
    el.title = this.message;
    el.setAttribute('aria-label', `error: ${this.message}`);
    return el;
  }
}

/** The error line: a gutter marker and a line background, both cleared by the next edit. */
const errorLine = StateField.define<{ pos: number; message: string } | null>({
  create: () => null,
  update(value, tr) {
    for (const e of tr.effects) {
      if (e.is(setErrorLine)) {
        if (!e.value) return null;
        const line = Math.min(Math.max(e.value.line, 1), tr.state.doc.lines);
        return { pos: tr.state.doc.line(line).from, message: e.value.message };
      }
    }
    return tr.docChanged ? null : value;
  },
  provide: (field) => [
    EditorView.decorations.from(field, (v) => (v ? Decoration.set([Decoration.line({ class: 'cm-error-line' }).range(v.pos)]) : Decoration.none)),
    gutter({
      class: 'cm-error-gutter',
      markers: (view) => {
        const v = view.state.field(field);
        return v ? RangeSet.of([new ErrorMarker(v.message).range(v.pos)]) : RangeSet.empty;
      },
    }),
  ],
});

/** The extensions every editor of the page shares. */
function baseExtensions(options: EditorOptions): Extension[] {
  return [
    lineNumbers(),
    errorLine,
    highlightActiveLineGutter(),
    history(),
    drawSelection(),
    indentUnit.of('    '),
    EditorState.tabSize.of(4),
    indentOnInput(),
    bracketMatching(),
    closeBrackets(),
    autocompletion(),
    highlightActiveLine(),
    highlightSelectionMatches(),
    syntaxHighlighting(classHighlighter),
    python(),
    // Long lines wrap, so that no code is hidden at any width.
    EditorView.lineWrapping,
    Prec.highest(
      keymap.of([
        { key: 'Mod-Enter', preventDefault: true, run: () => (options.onRun(), true) },
        {
          key: 'Escape',
          run: (view) => {
            // Leave the editor (Tab then moves focus as everywhere else on the page).
            view.contentDOM.blur();
            options.escapeTo?.()?.focus();
            return true;
          },
        },
      ]),
    ),
    keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...searchKeymap, ...historyKeymap, ...completionKeymap, indentWithTab]),
    EditorView.contentAttributes.of({ 'aria-label': options.label, ...(options.testid ? { 'data-testid': `${options.testid}-input` } : {}) }),
    EditorView.updateListener.of((u) => {
      if (u.docChanged) options.onChange?.(u.state.doc.toString());
    }),
  ];
}

/**
 * Creates an editor in `options.parent`.
 *
 * @example
 * ```ts
 * const editor = createEditor({ parent, doc: 'print(1)', label: 'Python code', onRun: () => run(editor.code) })
 * editor.markError(3, 'NameError: name "x" is not defined')
 * ```
 */
export function createEditor(options: EditorOptions): CodeEditor {
  const view = new EditorView({
    parent: options.parent,
    state: EditorState.create({ doc: options.doc, extensions: baseExtensions(options) }),
  });
  if (options.testid) view.dom.dataset.testid = options.testid;
  return {
    view,
    get code() {
      return view.state.doc.toString();
    },
    replace(code) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: code }, selection: { anchor: 0 }, scrollIntoView: true });
    },
    markError(line, message = '') {
      view.dispatch({ effects: setErrorLine.of(line === null ? null : { line, message }) });
    },
    focus: () => view.focus(),
    destroy: () => view.destroy(),
  };
}

/**
 * The line of `filename` an error's traceback points at last (the frame
 * nearest the error), or null when no frame is in that file.
 *
 * @example
 * ```ts
 * errorLineOf('  File "editor.py", line 4, in margin\n', 'editor.py') // 4
 * ```
 */
export function errorLineOf(traceback: string, filename: string): number | null {
  const escaped = filename.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const frames = [...traceback.matchAll(new RegExp(`File "${escaped}", line (\\d+)`, 'g'))];
  const last = frames.at(-1);
  if (last) return Number(last[1]);
  // A SyntaxError names the line on its own: `  File "editor.py", line 3` is still matched above;
  // some messages only say "(editor.py, line 3)".
  const inMessage = new RegExp(`\\(${escaped}, line (\\d+)\\)`).exec(traceback);
  return inMessage ? Number(inMessage[1]) : null;
}
