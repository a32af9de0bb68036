// Prints the closing line of `npm test`: every test counted across the
// vitest and Playwright runs, from their JSON reports.
import { readFileSync } from 'node:fs';

const vitest = JSON.parse(readFileSync('test-results/vitest.json', 'utf8'));
const e2e = JSON.parse(readFileSync('test-results/e2e.json', 'utf8'));
const passed = vitest.numPassedTests + (e2e.stats?.expected ?? 0);
const failed = vitest.numFailedTests + (e2e.stats?.unexpected ?? 0);
const skipped = (vitest.numPendingTests ?? 0) + (vitest.numTodoTests ?? 0) + (e2e.stats?.skipped ?? 0);
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
