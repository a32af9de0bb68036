/**
 * What every e2e test shares: a page that must raise no uncaught error,
 * and helpers that drive the playground the way a person does.
 */
import { test as base, expect, type Locator, type Page } from '@playwright/test';

/** The page's uncaught errors fail the test that caused them. */
export const test = base.extend<{ pageErrors: Error[] }>({
  pageErrors: [
    async ({ page }, use) => {
      const errors: Error[] = [];
      page.on('pageerror', (e) => errors.push(e));
      await use(errors);
      expect(errors.map((e) => e.message)).toEqual([]);
    },
    { auto: true },
  ],
});
export { expect, type Page };

/** Opens the playground and waits until Python is ready. */
export async function openPlayground(page: Page, path = '/'): Promise<void> {
  await page.goto(path);
  await expect(page.getByTestId('status')).toContainText('Python started in', { timeout: 30_000 });
}

/** The editor's text area (CodeMirror's content element). */
export function editorInput(page: Page): Locator {
  return page.getByTestId('editor-input');
}

/** Replaces the editor's code with `code` (as one paste, so no auto-indent is applied). */
export async function setEditorCode(page: Page, code: string): Promise<void> {
  await page.getByTestId('tab-editor').click();
  const input = editorInput(page);
  await input.click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(code);
  await expect.poll(() => editorText(page)).toBe(code);
}

/** The editor's text as CodeMirror holds it. */
export async function editorText(page: Page): Promise<string> {
  return editorInput(page).evaluate((el) => [...el.querySelectorAll('.cm-line')].map((l) => l.textContent).join('\n'));
}

/** Runs `code` in the editor and waits for the run to end. */
export async function runInEditor(page: Page, code: string): Promise<void> {
  await setEditorCode(page, code);
  await page.getByTestId('run').click();
  await expect(page.getByTestId('result').locator('.badge').first()).not.toHaveText('running');
  await expect(page.getByTestId('run')).toBeEnabled();
}

/** The file-tree row of `path`. */
export function fileRow(page: Page, path: string): Locator {
  return page.locator(`[data-testid="file"][data-path="${path}"]`);
}
