/**
 * The Files tab: upload (button and drag and drop) and read from Python,
 * download what Python wrote, create, edit, rename and delete, the viewers
 * (JSON, binary as size + hex head, images), and files appearing while a
 * run waits on a tool.
 */
import { readFile } from 'node:fs/promises';
import { expect, fileRow, openPlayground, runInEditor, setEditorCode, test, type Page } from './fixtures.js';

// A 2×1 PNG (red, blue).
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAIAAAB7QOjdAAAAEElEQVR4nGP4z8DAwPCfAQAL+wL+L9Y0YQAAAABJRU5ErkJggg==', 'base64');

async function dropFile(page: Page, target: string, name: string, text: string): Promise<void> {
  const transfer = await page.evaluateHandle(
    ([n, t]: readonly [string, string]) => {
      const dt = new DataTransfer();
      dt.items.add(new File([t], n, { type: 'text/plain' }));
      return dt;
    },
    [name, text] as const,
  );
  const row = fileRow(page, target);
  await row.dispatchEvent('dragover', { dataTransfer: transfer });
  await expect(page.getByTestId('files-target')).toHaveText(`Drop to ${target}`);
  await row.dispatchEvent('drop', { dataTransfer: transfer });
}

test('a file uploaded with the button, and one dropped on a folder, are read by Python @plain', async ({ page }) => {
  await openPlayground(page);
  await page.getByTestId('file-input').setInputFiles({ name: 'prices.csv', mimeType: 'text/csv', buffer: Buffer.from('sku,price\nA1,9.5\nB2,3.25\n') });
  await expect(fileRow(page, '/data/prices.csv')).toBeVisible();
  await expect(page.getByTestId('file-text')).toHaveText('sku,price\nA1,9.5\nB2,3.25\n');

  await dropFile(page, '/tmp', 'dropped.txt', 'dropped from the desktop');
  await expect(fileRow(page, '/tmp/dropped.txt')).toBeVisible();

  await runInEditor(page, 'import csv\nrows = list(csv.DictReader(open("/data/prices.csv")))\nprint(sum(float(r["price"]) for r in rows))\nopen("/tmp/dropped.txt").read()');
  await expect(page.getByTestId('output')).toHaveText('12.75\n');
  await expect(page.getByTestId('result-value')).toHaveText("'dropped from the desktop'");
});

test('a file the code wrote downloads with its content', async ({ page }) => {
  await openPlayground(page);
  // A folder the code makes opens in the tree, so that its files show.
  await runInEditor(page, 'import json, os\nos.makedirs("/out/data", exist_ok=True)\njson.dump({"total": 16664, "lines": ["coffee", "tea"]}, open("/out/data/result.json", "w"))');
  await fileRow(page, '/out/data/result.json').click();
  await expect(page.getByTestId('file-json')).toHaveText(JSON.stringify({ total: 16664, lines: ['coffee', 'tea'] }, null, 2));
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('file-download').click()]);
  expect(download.suggestedFilename()).toBe('result.json');
  expect(JSON.parse(await readFile((await download.path())!, 'utf8'))).toEqual({ total: 16664, lines: ['coffee', 'tea'] });
});

test('create a folder and a file, edit it, rename and delete, and Python sees each change', async ({ page }) => {
  await openPlayground(page);
  await fileRow(page, '/out').click();
  await page.getByTestId('folder-new').click();
  await page.getByTestId('name-input').fill('notes');
  await page.getByTestId('name-ok').click();
  await expect(fileRow(page, '/out/notes')).toHaveAttribute('data-kind', 'dir');

  await page.getByTestId('file-new').click();
  await expect(page.getByTestId('name-label')).toHaveText('New file in /out/notes');
  await page.getByTestId('name-input').fill('todo.txt');
  await page.getByTestId('name-ok').click();
  await page.getByTestId('file-editor').fill('call the roaster\n');
  await page.getByTestId('file-save').click();
  await expect(page.getByTestId('file-text')).toHaveText('call the roaster\n');
  await runInEditor(page, 'open("/out/notes/todo.txt").read()');
  await expect(page.getByTestId('result-value')).toHaveText("'call the roaster\\n'");

  await fileRow(page, '/out/notes/todo.txt').click();
  await page.getByTestId('file-rename').click();
  await page.getByTestId('name-input').fill('a/b');
  await page.getByTestId('name-ok').click();
  await expect(page.getByTestId('files-error')).toHaveText('a name cannot contain "/"');
  await page.getByTestId('name-input').fill('done.txt');
  await page.getByTestId('name-ok').click();
  await expect(fileRow(page, '/out/notes/done.txt')).toBeVisible();
  await expect(fileRow(page, '/out/notes/todo.txt')).toHaveCount(0);
  await runInEditor(page, 'import os\nsorted(os.listdir("/out/notes"))');
  await expect(page.getByTestId('result-value')).toHaveText("['done.txt']");

  await fileRow(page, '/out/notes').click();
  await page.getByTestId('file-delete').click();
  await page.getByTestId('confirm-delete').click();
  await expect(fileRow(page, '/out/notes')).toHaveCount(0);
  await runInEditor(page, 'import os\nos.path.exists("/out/notes")');
  await expect(page.getByTestId('result-value')).toHaveText('False');
});

test('the viewer shows JSON pretty, a binary file as its size and a hex head, and an image', async ({ page }) => {
  await openPlayground(page);
  await fileRow(page, '/data/config.json').click();
  await expect(page.getByTestId('file-json')).toContainText('"quarter": "2025-Q1"');

  await runInEditor(page, 'open("/tmp/blob.bin", "wb").write(bytes(range(256)) * 4)');
  await fileRow(page, '/tmp/blob.bin').click();
  await expect(page.getByTestId('file-view')).toContainText('/tmp/blob.bin · 1.0 KiB · binary');
  await expect(page.getByTestId('file-view')).toContainText('Binary file: 1024 bytes. The first 256:');
  const hex = page.getByTestId('file-hex');
  await expect(hex).toContainText('00000000  00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f  |................|');
  await expect(hex).toContainText('00000040  40 41 42 43 44 45 46 47 48 49 4a 4b 4c 4d 4e 4f  |@ABCDEFGHIJKLMNO|');
  expect((await hex.textContent())!.split('\n')).toHaveLength(16);

  await fileRow(page, '/data').click(); // uploads go to the selected folder
  await page.getByTestId('file-input').setInputFiles({ name: 'pixel.png', mimeType: 'image/png', buffer: PNG });
  await expect(page.getByTestId('file-image')).toBeVisible();
  await expect.poll(() => page.getByTestId('file-image').evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight])).toEqual([2, 1]);
  await runInEditor(page, 'open("/data/pixel.png", "rb").read()[:8]');
  await expect(page.getByTestId('result-value')).toHaveText("b'\\x89PNG\\r\\n\\x1a\\n'");
});

test('files the code writes, and what it printed, show while the run waits on a tool @plain', async ({ page }) => {
  await openPlayground(page);
  await setEditorCode(page, 'open("/out/during.txt", "w").write("written before the wait")\nprint("waiting for the forecast")\nforecast = await forecast_demand("c-espresso")\nopen("/out/after.txt", "w").write(str(forecast))');
  await page.getByTestId('run').click();
  await expect(page.locator('[data-testid="tool-call"][data-status="pending"]')).toHaveCount(1);
  await expect(fileRow(page, '/out/during.txt')).toBeVisible();
  await expect(page.getByTestId('output')).toHaveText('waiting for the forecast\n');
  await expect(fileRow(page, '/out/after.txt')).toHaveCount(0);
  await expect(page.getByTestId('result-kind')).toHaveText('ok');
  await expect(fileRow(page, '/out/after.txt')).toBeVisible();
});
