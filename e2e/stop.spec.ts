/**
 * Stop, on a cross-origin isolated page (SharedArrayBuffer: CPU-bound code
 * stops in place) and on a plain one (no SharedArrayBuffer: a hard stop
 * restarts Python), for a `while True` loop and for one long builtin. The
 * page says which mode it is in, and what a hard stop kept and lost.
 */
import { expect, fileRow, openPlayground, runInEditor, test, type Page } from './fixtures.js';

const isolated = (page: Page) => page.getByTestId('mode').getAttribute('data-isolated').then((v: string | null) => v === 'true');

/** Sets limits in the Limits tab and applies them. */
async function setLimits(page: Page, limits: { timeout?: string; wall?: string; memory?: string }): Promise<string> {
  await page.getByTestId('tab-limits').click();
  if (limits.timeout) await page.getByTestId('limit-timeout').fill(limits.timeout);
  if (limits.wall) await page.getByTestId('limit-wall').fill(limits.wall);
  if (limits.memory) await page.getByTestId('limit-memory').fill(limits.memory);
  await page.getByTestId('limits-apply').click();
  await expect(page.getByTestId('limits-message')).not.toHaveText(/^(Applying…)?$/);
  return (await page.getByTestId('limits-message').textContent())!;
}

/** Starts an example, waits until Python is busy with it, and presses Stop. */
async function startAndStop(page: Page, example: string): Promise<void> {
  await page.getByTestId('tab-editor').click();
  await page.getByTestId(`example-${example}`).click();
  await page.getByTestId('run').click();
  await expect(page.getByTestId('status')).toHaveText('Running…');
  await page.waitForTimeout(300); // let the loop really spin
  await page.getByTestId('stop').click();
  await expect(page.getByTestId('run')).toBeEnabled();
}

test('the page says which mode it is in and what Stop can do there @plain', async ({ page }, info) => {
  await openPlayground(page);
  const expectIsolated = info.project.name === 'isolated';
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(expectIsolated);
  await expect(page.getByTestId('mode')).toHaveText(expectIsolated ? 'cross-origin isolated' : 'not isolated');
  await expect(page.getByTestId('mode-note')).toHaveText(expectIsolated ? 'Stop interrupts Python in place (see Limits)' : 'Stop ends busy code by restarting Python (see Limits)');
  await page.getByTestId('tab-limits').click();
  await expect(page.getByTestId('stop-mode')).toContainText(
    expectIsolated ? 'Stop interrupts running Python within a millisecond, and the context keeps its variables' : 'code that keeps the CPU busy is ended by a hard stop',
  );
  await expect(page.getByTestId('hard-stop-keeps')).toContainText('Lost: every context\'s variables and the files written since Python started.');
});

test('Stop ends `while True` on every page: in place when isolated, by a hard stop otherwise @plain', async ({ page }) => {
  await openPlayground(page);
  await runInEditor(page, 'open("/out/before.txt", "w").write("written before the loop")\nkept = "a variable from before"');
  await expect(fileRow(page, '/out/before.txt')).toBeVisible();
  await startAndStop(page, 'runaway-loop');

  if (await isolated(page)) {
    await expect(page.getByTestId('error-type')).toHaveText('AbortedError');
    await expect(page.getByTestId('error-note')).toHaveText('Stopped. The context keeps everything the code did before the stop.');
    await expect(page.getByTestId('hard-stop')).toBeHidden();
    await runInEditor(page, 'kept, n > 1000');
    await expect(page.getByTestId('result-value')).toHaveText("('a variable from before', True)");
    await expect(fileRow(page, '/out/before.txt')).toBeVisible();
  } else {
    await expect(page.getByTestId('error-type')).toHaveText('GuestCrashError');
    const notice = page.getByTestId('hard-stop');
    await expect(notice).toContainText('Hard stop: Python was restarted.');
    await expect(notice).toContainText('This page has no SharedArrayBuffer');
    await expect(notice).toContainText('Kept: the page, the tools, the starting files');
    await expect(page.getByTestId('hard-stop-lost')).toHaveText('Lost: the variables of main; the files /out/before.txt.');
    await expect(fileRow(page, '/out/before.txt')).toHaveCount(0);
    await expect(fileRow(page, '/data/config.json')).toBeVisible();
    await runInEditor(page, 'kept');
    await expect(page.getByTestId('error-type')).toHaveText('NameError');
    await runInEditor(page, 'len(await list_products("tea"))');
    await expect(page.getByTestId('result-value')).toHaveText('3');
  }
});

test('Stop ends a long builtin on every page, by a hard stop, and says what was lost @plain', async ({ page }) => {
  await openPlayground(page);
  // A CPU limit far beyond the test's timeout: what ends the builtin here is Stop, not the limit.
  await setLimits(page, { timeout: '120' });
  await runInEditor(page, 'open("/tmp/scratch.txt", "w").write("x")\nkept = 1');
  await page.getByTestId('tab-contexts').click();
  await page.getByTestId('context-child').click();
  await startAndStop(page, 'long-builtin');

  await expect(page.getByTestId('error-type')).toHaveText('GuestCrashError');
  await expect(page.getByTestId('error-message')).toContainText('aborted while running code that does not check for interrupts');
  await expect(page.getByTestId('error-note')).toHaveText('Hard stop: Python was restarted. See the notice at the top for what was kept and lost.');
  await expect(page.getByTestId('hard-stop-lost')).toHaveText('Lost: the variables of main, child-1; the files /tmp/scratch.txt.');
  if (await isolated(page)) await expect(page.getByTestId('hard-stop')).toContainText('inside one long builtin call');
  // The contexts are there again, empty, and the current one is still the child.
  await page.getByTestId('tab-contexts').click();
  await expect(page.getByTestId('context')).toHaveCount(2);
  await expect(page.locator('[data-testid="context"][data-name="child-1"]')).toHaveAttribute('data-current', 'true');
  await runInEditor(page, '"kept" in globals()');
  await expect(page.getByTestId('result-value')).toHaveText('False');
  await page.getByTestId('hard-stop-dismiss').click();
  await expect(page.getByTestId('hard-stop')).toBeHidden();
});

test('the time and memory limits set in the page hold: TimeLimitError, then MemoryError after a restart that keeps the files', async ({ page }) => {
  await openPlayground(page);
  expect(await setLimits(page, { timeout: '0.5' })).toBe('Applied: the next run uses the new time limits.');
  await page.getByTestId('tab-editor').click();
  await page.getByTestId('example-runaway-loop').click();
  await page.getByTestId('run').click();
  await expect(page.getByTestId('error-type')).toHaveText('TimeLimitError');
  await expect(page.getByTestId('error-message')).toContainText('CPU time limit of 500 ms');

  await runInEditor(page, 'open("/out/kept.txt", "w").write("carried over")\nx = 1');
  expect(await setLimits(page, { timeout: '10', memory: '64' })).toMatch(/^Python restarted with 64 MiB: \d+ files carried over; the contexts main start empty\.$/);
  await runInEditor(page, 'block = bytearray(200 * 2**20)');
  await expect(page.getByTestId('error-type')).toHaveText('MemoryError');
  await runInEditor(page, 'open("/out/kept.txt").read(), "x" in globals()');
  await expect(page.getByTestId('result-value')).toHaveText("('carried over', False)");
  await page.getByTestId('tab-limits').click();
  await page.getByTestId('limit-memory').fill('4');
  await page.getByTestId('limits-apply').click();
  await expect(page.getByTestId('limits-message')).toHaveText('Memory: between 32 and 2048 MiB.');
});
