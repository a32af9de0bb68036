/**
 * The page at 1280×800 and at 390 px: nothing wider than the window, one
 * column on a phone with Run scrolling to the output, a loading bar that
 * counts bytes, tool results that expand on click; screenshots of both
 * sizes are saved as test artifacts (test-results/e2e/...). With
 * `DOCS_SCREENSHOT=1` the desktop one mid-task is also written to
 * docs/playground.png, the README's opening picture.
 */
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, fileRow, openPlayground, runInEditor, test, type Page } from './fixtures.js';

/** Elements whose content is wider than their box (clipped text), except scrollers meant to scroll. */
async function overflowing(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    if (document.documentElement.scrollWidth > window.innerWidth) out.push(`page: ${document.documentElement.scrollWidth} > ${window.innerWidth}`);
    for (const el of document.querySelectorAll<HTMLElement>('.step, .answer, .model-text, .user, .call, .task-form, .file-view, .tree, .context, .notice')) {
      if (el.offsetParent && el.scrollWidth > el.clientWidth + 1) out.push(`${el.className}: ${el.scrollWidth} > ${el.clientWidth}`);
    }
    return out;
  });
}

/** Runs the Q1 task, then a follow-up whose slow tool calls are pending: the agent panel mid-task. */
async function midTask(page: Page): Promise<void> {
  await page.getByTestId('agent-run').click();
  await expect(page.getByTestId('answer')).toBeVisible({ timeout: 30_000 });
  await page.getByTestId('suggestion-forecast').click();
  await page.getByTestId('agent-run').click();
  await expect(page.locator('[data-testid="tool-call"][data-name="forecast_demand"][data-status="pending"]')).toHaveCount(3);
}

test('at 1280×800 the agent panel mid-task fits with nothing clipped; a tool call expands on click', async ({ page }, info) => {
  await openPlayground(page);
  await midTask(page);
  expect(await overflowing(page)).toEqual([]);
  // The report of the first task, opened while the follow-up waits on its tools (the box serves both).
  await fileRow(page, '/out/q1.md').click();
  await expect(page.getByTestId('file-markdown').locator('tbody tr')).toHaveCount(3);
  // The follow-up from its start: the task, the model's words, the code, the calls still waiting.
  await page.getByTestId('user-task').last().evaluate((el) => el.scrollIntoView({ block: 'start' }));
  await page.screenshot({ path: info.outputPath('desktop-1280x800-mid-task.png') });
  if (process.env.DOCS_SCREENSHOT) {
    await page.screenshot({ path: fileURLToPath(new URL('../docs/playground.png', import.meta.url)) });
  }
  await expect(page.getByTestId('answer').nth(1)).toBeVisible({ timeout: 30_000 });

  // A tool result expands on click and shows everything, then folds again.
  const call = page.locator('[data-testid="tool-call"][data-name="get_sales"]').first();
  await call.scrollIntoViewIfNeeded();
  await call.click();
  await expect(call.getByTestId('call-details')).toContainText('"revenue": 1740');
  await expect(call).toHaveAttribute('aria-expanded', 'true');
  expect(await overflowing(page)).toEqual([]);
  await call.locator('.call-line').click();
  await expect(call.getByTestId('call-details')).toHaveCount(0);
  await page.screenshot({ path: info.outputPath('desktop-1280x800-done.png') });

  await page.getByTestId('tab-editor').click();
  await runInEditor(page, `print("a long line: " + "word " * 60)\nx = 1  # ${'a very long comment '.repeat(10)}`);
  expect(await overflowing(page)).toEqual([]);
  await page.screenshot({ path: info.outputPath('desktop-1280x800-editor.png') });
});

test('at 390 px the page is one column, Run scrolls to the output, and nothing is wider than the screen @plain', async ({ page }, info) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await openPlayground(page);
  const [work, side] = [await page.locator('.workspace').boundingBox(), await page.locator('.side').boundingBox()];
  expect(side!.y).toBeGreaterThanOrEqual(work!.y + work!.height); // stacked, not side by side
  expect(work!.width).toBeLessThanOrEqual(390);

  await page.getByTestId('agent-run').click();
  await expect(page.getByTestId('user-task')).toBeInViewport();
  await expect(page.getByTestId('answer')).toBeVisible({ timeout: 30_000 });
  expect(await overflowing(page)).toEqual([]);
  await page.screenshot({ path: info.outputPath('phone-390-agent.png'), fullPage: true });

  await page.getByTestId('tab-editor').click();
  await page.getByTestId('example-quick-look').click();
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.getByTestId('run').click();
  await expect(page.getByTestId('output')).toBeInViewport();
  await expect(page.getByTestId('editor-panel').getByTestId('result-kind')).toHaveText('ok');
  expect(await overflowing(page)).toEqual([]);
  await page.screenshot({ path: info.outputPath('phone-390-editor.png') });
});

test('a loading bar counts the bytes while the guest downloads @plain', async ({ page }) => {
  // A slower network, so that the download takes long enough to be seen.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: 2 * 1024 * 1024, uploadThroughput: 1024 * 1024 });
  await page.goto('/');
  // The guest's decoded size, whatever the server's compression does to Content-Length.
  const total = ['pybox.wasm', 'python313.zip', 'pybox.image'].reduce((n, f) => n + statSync(new URL(`../packages/core/dist/wasm/${f}`, import.meta.url)).size, 0);
  const mib = (total / 1024 / 1024).toFixed(1);
  const counting = new RegExp(`^Downloading Python… \\d+\\.\\d MiB of ${mib.replace('.', '\\.')} MiB$`);
  await expect(page.getByTestId('loading-text')).toHaveText(counting);
  // Bar and text read in one go: the download is quick (the server compresses), and the bar turns
  // indeterminate once it is done.
  const seen = await page.waitForFunction(
    (pattern) => {
      const bar = document.querySelector<HTMLProgressElement>('[data-testid="loading-bar"]')!;
      const text = document.querySelector('[data-testid="loading-text"]')!.textContent ?? '';
      return new RegExp(pattern).test(text) && bar.value > 0 ? { value: bar.value, max: bar.max } : false;
    },
    counting.source,
    { polling: 'raf' },
  );
  const { value, max } = (await seen.jsonValue()) as { value: number; max: number };
  expect(max).toBe(total);
  expect(value).toBeLessThan(total);
  await expect(page.getByTestId('status')).toContainText('Python started in', { timeout: 30_000 });
  await expect(page.getByTestId('loading')).toBeHidden();
});
