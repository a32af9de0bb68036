/**
 * The Editor tab: CodeMirror's shortcuts (Ctrl/Cmd+Enter runs, Tab indents
 * as an undoable change, Escape leaves), the error line in the gutter, code
 * that survives a reload and an example load, one result view, and the
 * persistent context.
 */
import { editorInput, editorText, expect, openPlayground, runInEditor, setEditorCode, test } from './fixtures.js';

test('Ctrl/Cmd+Enter runs; Tab indents and Ctrl/Cmd+Z undoes it step by step; Escape leaves the editor', async ({ page }) => {
  await openPlayground(page);
  await setEditorCode(page, '');
  const input = editorInput(page);
  await input.click();
  await page.keyboard.type('for i in range(2):');
  await page.keyboard.press('Enter'); // the new line is indented under the `for`
  await page.keyboard.type('print(i)');
  expect(await editorText(page)).toBe('for i in range(2):\n    print(i)');

  await page.keyboard.press('Tab'); // indents the line, as a change of its own
  expect(await editorText(page)).toBe('for i in range(2):\n        print(i)');
  await page.keyboard.press('ControlOrMeta+Z'); // undoes the Tab only
  expect(await editorText(page)).toBe('for i in range(2):\n    print(i)');
  await page.keyboard.press('ControlOrMeta+Z'); // and before it, the typing is still in the history
  expect(await editorText(page)).not.toContain('print(i)');
  await page.keyboard.press('ControlOrMeta+Shift+Z');
  expect(await editorText(page)).toBe('for i in range(2):\n    print(i)');

  await page.keyboard.press('ControlOrMeta+Enter');
  await expect(page.getByTestId('output')).toHaveText('0\n1\n');
  await expect(page.getByTestId('result-kind')).toHaveText('ok');

  await input.click();
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('run')).toBeFocused();
  await expect(input).not.toBeFocused();
});

test("an error's line is marked in the gutter, and the traceback points into the editor's code", async ({ page }) => {
  await openPlayground(page);
  await page.getByTestId('tab-editor').click();
  await page.getByTestId('example-exception').click();
  await page.getByTestId('run').click();
  await expect(page.getByTestId('error-type')).toHaveText('KeyError');
  await expect(page.getByTestId('error-message')).toHaveText("'cost'");
  await expect(page.getByTestId('traceback')).toContainText('File "editor.py", line 7, in <module>');
  await expect(page.getByTestId('traceback')).toContainText('File "editor.py", line 4, in margin');
  await expect(page.locator('.cm-error-line')).toHaveCount(1);
  await expect(page.locator('.cm-error-line')).toContainText('return (product["price"] - product["cost"]) / product["price"]');
  await expect(page.locator('.cm-error-marker')).toHaveAttribute('title', "KeyError: 'cost'");
  // The next edit clears the mark.
  await editorInput(page).click();
  await page.keyboard.press('End');
  await page.keyboard.type(' ');
  await expect(page.locator('.cm-error-line')).toHaveCount(0);
});

test('the code survives a reload, and loading an example keeps unsaved code one click (or one undo) away', async ({ page }) => {
  await openPlayground(page);
  await setEditorCode(page, 'mine = "my own code"\nmine');
  await page.reload();
  await expect(page.getByTestId('status')).toContainText('Python started in', { timeout: 30_000 });
  await page.getByTestId('tab-editor').click();
  expect(await editorText(page)).toBe('mine = "my own code"\nmine');

  await page.getByTestId('example-quick-look').click();
  expect(await editorText(page)).toContain('products = await list_products("coffee")');
  await expect(page.getByTestId('restore-code')).toContainText('Loaded “Quick look”. Your code is kept');
  await page.getByTestId('restore-button').click();
  expect(await editorText(page)).toBe('mine = "my own code"\nmine');

  await page.getByTestId('example-files').click();
  await editorInput(page).click();
  await page.keyboard.press('ControlOrMeta+Z');
  expect(await editorText(page)).toBe('mine = "my own code"\nmine');
});

test('one result view: the repr, None for a trailing None, and "no value" only without a trailing expression', async ({ page }) => {
  await openPlayground(page);
  await runInEditor(page, 'x = 1');
  await expect(page.getByTestId('no-value')).toHaveText('no value: the code does not end with an expression');
  await expect(page.getByTestId('result-value')).toHaveCount(0);

  await runInEditor(page, 'print("side effect")');
  await expect(page.getByTestId('no-value')).toHaveCount(0);
  await expect(page.getByTestId('result-value')).toHaveText('None');

  await runInEditor(page, '{"a": [1, 2], "b": "text"}');
  await expect(page.getByTestId('result-value')).toHaveCount(1);
  await expect(page.getByTestId('result-value')).toHaveText("{'a': [1, 2], 'b': 'text'}");

  await runInEditor(page, 'x = 2  # a comment after the last statement\n# and a comment line');
  await expect(page.getByTestId('no-value')).toBeVisible();
});

test('runs share the current context: x = 41, then x + 1 gives 42 @plain', async ({ page }) => {
  await openPlayground(page);
  await runInEditor(page, 'x = 41');
  await runInEditor(page, 'x + 1');
  await expect(page.getByTestId('result-value')).toHaveText('42');
});
