/**
 * The Contexts tab: names and values of each context, a child that sees
 * its parent's names live, switching, reset and dispose.
 */
import { expect, openPlayground, runInEditor, test, type Page } from './fixtures.js';

const context = (page: Page, name: string) => page.locator(`[data-testid="context"][data-name="${name}"]`);
const binding = (page: Page, ctx: string, name: string) => context(page, ctx).locator(`[data-testid="context-var"][data-name="${name}"]`);

test('a child context inherits live, runs go to the current context, and reset and dispose work', async ({ page }) => {
  await openPlayground(page);
  await runInEditor(page, 'x = 41\ndef double(v):\n    return v * 2');
  await page.getByTestId('tab-contexts').click();
  await expect(context(page, 'main')).toHaveAttribute('data-current', 'true');
  await expect(binding(page, 'main', 'x').getByTestId('context-value')).toHaveText('41');
  await expect(binding(page, 'main', 'double').getByTestId('context-value')).toHaveText(/^<function double at 0x[0-9a-f]+>$/);

  await page.getByTestId('context-child').click();
  await expect(context(page, 'child-1')).toHaveAttribute('data-current', 'true');
  await expect(context(page, 'child-1')).toContainText('child of main');
  await expect(binding(page, 'child-1', 'x')).toHaveAttribute('data-from', 'main');
  await expect(binding(page, 'child-1', 'x').getByTestId('context-value')).toHaveText('41');
  await expect(page.getByTestId('agent-context')).toHaveText('Code runs in context “child-1”.');

  // The child's own names shadow nothing in the parent.
  await runInEditor(page, 'y = double(x) + 1\ny');
  await expect(page.getByTestId('result-value')).toHaveText('83');
  await page.getByTestId('tab-contexts').click();
  await expect(binding(page, 'child-1', 'y')).toHaveAttribute('data-from', '');
  await expect(binding(page, 'main', 'y')).toHaveCount(0);

  // Live inheritance: change x in main, the child reads the new value.
  await context(page, 'main').getByTestId('context-use').click();
  await expect(context(page, 'main')).toHaveAttribute('data-current', 'true');
  await runInEditor(page, 'x = 100');
  await page.getByTestId('tab-contexts').click();
  await expect(binding(page, 'child-1', 'x').getByTestId('context-value')).toHaveText('100');

  // Reset empties the child (its own names), the inherited ones stay.
  await context(page, 'child-1').getByTestId('context-reset').click();
  await expect(binding(page, 'child-1', 'y')).toHaveCount(0);
  await expect(binding(page, 'child-1', 'x').getByTestId('context-value')).toHaveText('100');

  // Dispose removes it; main stays current.
  await context(page, 'child-1').getByTestId('context-dispose').click();
  await expect(page.getByTestId('context')).toHaveCount(1);
  await runInEditor(page, 'x');
  await expect(page.getByTestId('result-value')).toHaveText('100');

  // Reset of main empties it.
  await page.getByTestId('tab-contexts').click();
  await context(page, 'main').getByTestId('context-reset').click();
  await expect(context(page, 'main')).toContainText('no names yet');
  await runInEditor(page, 'x');
  await expect(page.getByTestId('error-type')).toHaveText('NameError');
});
