/**
 * The agent panel with the offline agent (the default model): a task in
 * plain words becomes code, tool calls, output, a file and an answer; a
 * follow-up task reuses the context; a step's code can be edited and run
 * again; Stop ends a run that waits on a slow tool.
 */
import { expect, fileRow, openPlayground, test } from './fixtures.js';

test('the offline agent answers the Q1 task end to end: code, live tool calls, output, the report in the tree, the answer @plain', async ({ page }) => {
  await openPlayground(page);
  await expect(page.getByTestId('task')).toHaveValue('Which product lines missed their Q1 target, and by how much? Write a short report to /out/q1.md');
  await expect(page.getByTestId('model-kind')).toHaveValue('offline');
  await expect(fileRow(page, '/out/q1.md')).toHaveCount(0);
  await page.getByTestId('agent-run').click();

  const steps = page.getByTestId('step');
  await expect(page.getByTestId('answer')).toBeVisible({ timeout: 30_000 });
  await expect(steps).toHaveCount(3);
  await expect(page.getByTestId('user-task')).toContainText('Which product lines missed their Q1 target');

  // Step 1: the model's words, its code (highlighted), two list_products calls, what it printed.
  await expect(page.getByTestId('model-text').first()).toHaveText("I'll start with the quarter's targets and the product catalogue.");
  const step1 = steps.nth(0);
  await expect(step1.getByTestId('step-code')).toContainText('groups = await asyncio.gather(*(list_products(c) for c in config["categories"]))');
  await expect(step1.getByTestId('step-code').locator('.tok-keyword').first()).toHaveText('import');
  await expect(step1.getByTestId('tool-call')).toHaveText([/^list_products\(category="coffee"\)ok/, /^list_products\(category="tea"\)ok/]);
  await expect(step1.getByTestId('step-output')).toHaveText(
    '2025-Q1: months 2025-01, 2025-02, 2025-03\n6 targets, 6 products: Espresso Beans, Filter Roast, Cold Brew Kit, Sencha, Earl Grey, Masala Chai\n',
  );

  // Step 2: 18 get_sales calls gathered at once, each with its result and time.
  const step2 = steps.nth(1);
  const sales = step2.locator('[data-testid="tool-call"][data-name="get_sales"]');
  await expect(sales).toHaveCount(18);
  await expect(step2.locator('[data-testid="tool-call"][data-status="ok"]')).toHaveCount(18);
  await expect(sales.first()).toContainText('get_sales(product_id="c-espresso", month="2025-01")');
  await expect(sales.first()).toContainText('→ {"product_id":"c-espresso","month":"2025-01","units":120,"revenue":1740}');
  await expect(sales.first().getByTestId('call-time')).toHaveText(/^\d+(\.\d)? ms$/);
  await expect(step2.getByTestId('step-output')).toContainText('18 sales records; 3 of 6 lines missed their target:');
  await expect(step2.getByTestId('step-output')).toContainText('  Filter Roast    265 of  300 units  -35 (-11.7%)');
  // The tool results stayed on the page: the model read only what the code printed.
  await step2.locator('.model-read summary').click();
  await expect(step2.getByTestId('step-model-read')).not.toContainText('"revenue"');
  await expect(step2.getByTestId('step-model-read')).toContainText('3 of 6 lines missed their target');

  // Step 3 wrote the report; the tree shows it, and the viewer renders it.
  await expect(steps.nth(2).getByTestId('step-output')).toHaveText(/\/out\/q1\.md \d+ bytes\n\/out\/q1_chart\.svg \d+ bytes\n/);
  await expect(fileRow(page, '/out/q1.md')).toBeVisible();
  await expect(fileRow(page, '/out/q1_chart.svg')).toBeVisible();

  const answer = page.getByTestId('answer');
  await expect(answer).toContainText('3 product lines missed their Q1 target:');
  await expect(answer.locator('li')).toHaveText([
    'Filter Roast: 265 of 300 units, 35 short (−11.7%)',
    'Cold Brew Kit: 68 of 90 units, 22 short (−24.4%)',
    'Earl Grey: 307 of 320 units, 13 short (−4.1%)',
  ]);
  await expect(page.getByTestId('usage')).toContainText('3 steps · 20 tool calls · 4 model requests');

  await fileRow(page, '/out/q1.md').click();
  const report = page.getByTestId('file-markdown');
  await expect(report.locator('h1')).toHaveText('2025-Q1: product lines that missed their target');
  await expect(report.locator('tbody tr')).toHaveCount(3);
  await expect(report.locator('tbody tr').first().locator('td')).toHaveText(['Filter Roast', '300', '265', '-35 (-11.7%)']);
  await fileRow(page, '/out/q1_chart.svg').click();
  await expect(page.getByTestId('file-image')).toBeVisible();
  expect(await page.getByTestId('file-image').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(480);
});

test('a follow-up task runs in the same context: the second task uses the first one\'s variables, with no tool calls', async ({ page }) => {
  await openPlayground(page);
  await page.getByTestId('agent-run').click();
  await expect(page.getByTestId('answer')).toHaveCount(1, { timeout: 30_000 });
  await expect(page.getByTestId('agent-run')).toHaveText('Send follow-up');
  await page.getByTestId('suggestion-trend').click();
  await page.getByTestId('agent-run').click();

  await expect(page.getByTestId('answer')).toHaveCount(2, { timeout: 30_000 });
  const step = page.getByTestId('step').nth(3);
  await expect(step.locator('header')).toContainText('Step 4');
  await expect(step.getByTestId('step-code')).toContainText('for r in missed:');
  await expect(step.getByTestId('tool-call')).toHaveCount(0);
  await expect(step.getByTestId('step-output')).toContainText('Filter Roast   2025-01:  90  2025-03:  95  +5');
  await expect(page.getByTestId('answer').nth(1)).toHaveText(
    'Improved from January to March: Filter Roast (90 → 95), Cold Brew Kit (15 → 31). Not improving: Earl Grey (110 → 102).',
  );

  // The Contexts tab shows what the agent left in "main".
  await page.getByTestId('tab-contexts').click();
  const main = page.locator('[data-testid="context"][data-name="main"]');
  await expect(main.locator('[data-testid="context-var"][data-name="targets"] [data-testid="context-value"]')).toHaveText(
    '{"c-espresso":400,"c-filter":300,"c-coldbrew":90,"t-sencha":180,"t-earlgrey":320,"t-chai":150}',
  );
  await expect(main.locator('[data-testid="context-var"][data-name="asyncio"] [data-testid="context-value"]')).toHaveText(/^<module 'asyncio'/);

  // A new conversation forgets the messages, not the context.
  await page.getByTestId('agent-new').click();
  await expect(page.getByTestId('step')).toHaveCount(0);
  await expect(page.getByTestId('agent-run')).toHaveText('Run task');
});

test("a step's code can be edited and run again in the same context", async ({ page }) => {
  await openPlayground(page);
  await page.getByTestId('agent-run').click();
  await expect(page.getByTestId('answer')).toBeVisible({ timeout: 30_000 });
  const step2 = page.getByTestId('step').nth(1);
  await step2.getByTestId('step-edit').click();
  const input = step2.getByTestId('step-editor-input');
  await input.click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.insertText('print(len(missed), "missed;", sum(r["gap"] for r in missed), "units short")\nmissed[0]["name"]');
  await step2.getByTestId('step-rerun').click();
  await expect(step2.getByTestId('rerun-output')).toHaveText('3 missed; -70 units short\n');
  await expect(step2.getByTestId('rerun-result').getByTestId('result-value')).toHaveText("'Filter Roast'");
});

test('Stop ends an agent run that waits on a slow tool, at once, and the next task runs @plain', async ({ page }) => {
  await openPlayground(page);
  await page.getByTestId('suggestion-forecast').click();
  await page.getByTestId('agent-run').click();
  const pending = page.locator('[data-testid="tool-call"][data-name="forecast_demand"][data-status="pending"]');
  await expect(pending).toHaveCount(3);
  await page.getByTestId('agent-stop').click();
  await expect(page.getByTestId('agent-error').locator('.badge')).toHaveText('AbortedError');
  await expect(page.locator('[data-testid="tool-call"][data-name="forecast_demand"][data-status="abandoned"]')).toHaveCount(3);
  await expect(page.getByTestId('step-result').getByTestId('error-type')).toHaveText('AbortedError');
  // A tool wait is stopped without a hard stop, on every page.
  await expect(page.getByTestId('hard-stop')).toBeHidden();

  await page.getByTestId('suggestion-revenue').click();
  await page.getByTestId('agent-run').click();
  await expect(page.getByTestId('answer')).toContainText('Espresso Beans earned the most in Q1: 5,872.50', { timeout: 30_000 });
});
