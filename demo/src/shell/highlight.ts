/**
 * Python highlighting outside the editor (the code a model wrote, in the
 * conversation): the same Lezer parser and class names as CodeMirror, so
 * one stylesheet colours both.
 */
import { pythonLanguage } from '@codemirror/lang-python';
import { classHighlighter, highlightCode } from '@lezer/highlight';

/**
 * A `<pre>` with `code` highlighted as Python.
 *
 * @example
 * ```ts
 * step.append(highlightedPython('print(await get_sales("c-espresso", "2025-03"))'))
 * ```
 */
export function highlightedPython(code: string, testid?: string): HTMLPreElement {
  const pre = document.createElement('pre');
  pre.className = 'code python';
  if (testid) pre.dataset.testid = testid;
  const put = (text: string, classes: string) => {
    if (!classes) return void pre.append(text);
    const span = document.createElement('span');
    span.className = classes;
    span.textContent = text;
    pre.append(span);
  };
  highlightCode(code, pythonLanguage.parser.parse(code), classHighlighter, put, () => pre.append('\n'));
  return pre;
}

/**
 * Whether the code ends with an expression statement: then an exec without
 * a repr means the value was `None`; otherwise there is no value at all.
 *
 * @example
 * ```ts
 * endsWithExpression('x = 1\nx + 1') // true
 * endsWithExpression('x = 1')        // false
 * ```
 */
export function endsWithExpression(code: string): boolean {
  const tree = pythonLanguage.parser.parse(code);
  let last = tree.topNode.lastChild;
  while (last && (last.type.name === 'Comment' || last.type.isError)) last = last.prevSibling;
  return last?.type.name === 'ExpressionStatement';
}
