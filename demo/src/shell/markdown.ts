/**
 * Markdown for the model's words and .md files: marked renders it,
 * DOMPurify removes anything that could run or load (scripts, handlers,
 * images, frames, forms). The only HTML the page renders goes through here.
 */
import DOMPurify from 'dompurify';
import { marked } from 'marked';

const PURIFY = {
  FORBID_TAGS: ['img', 'picture', 'video', 'audio', 'iframe', 'form', 'input', 'button', 'style', 'svg', 'math'],
  FORBID_ATTR: ['style', 'srcset'],
};

/**
 * Renders markdown into `el`, safely. Links open in a new tab.
 *
 * @example
 * ```ts
 * renderMarkdown(answer, '**3 of 6** product lines missed their target.')
 * ```
 */
export function renderMarkdown(el: HTMLElement, text: string): void {
  const html = marked.parse(text, { async: false, gfm: true, breaks: false });
  el.innerHTML = DOMPurify.sanitize(html, PURIFY);
  for (const a of el.querySelectorAll('a')) {
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
  }
  el.classList.add('markdown');
}
