/**
 * The playground's offline agent in Node: every prepared task runs for real
 * (runAgent, the demo's tools, a worker_threads PyBox), and its answer is
 * the one the data gives. The page's e2e tests drive the same agent in
 * Chromium; this keeps each prepared turn's Python honest, fast.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PyBox } from '@pybox/node';
import { runAgent } from '@pybox/agent';
import { OFFLINE_TASKS, UNKNOWN_TASK_ANSWER, offlineAgent } from '../src/agent/offline.js';
import { SEED_FILES } from '../src/data.js';
import { createTools } from '../src/tools.js';

const task = (id: string) => OFFLINE_TASKS.find((t) => t.id === id)!.prompt;
let box: PyBox;

beforeAll(async () => {
  box = await PyBox.create({ tools: createTools(), files: SEED_FILES });
});
afterAll(() => box.close());

describe('the offline agent', () => {
  it('answers the Q1 task from what its code printed, writes the report, and a follow-up reuses the context', async () => {
    const context = await box.createContext();
    const model = offlineAgent({ thinkMs: 0 });
    const q1 = await runAgent({ context, model, task: task('q1') });
    expect(q1.stopReason).toBe('answer');
    expect(q1.steps.map((s) => s.ok)).toEqual([true, true, true]);
    expect(q1.steps[1]!.toolCalls.filter((c) => c.name === 'get_sales')).toHaveLength(18);
    expect(q1.steps[1]!.output).toContain('3 of 6 lines missed their target');
    expect(q1.text).toContain('**3 product lines missed their Q1 target:**');
    expect(q1.text).toContain('- **Filter Roast**: 265 of 300 units, 35 short (−11.7%)');
    expect(q1.text).toContain('- **Cold Brew Kit**: 68 of 90 units, 22 short (−24.4%)');
    expect(q1.text).toContain('- **Earl Grey**: 307 of 320 units, 13 short (−4.1%)');
    const report = await box.fs.readText('/out/q1.md');
    expect(report).toContain('| Filter Roast | 300 | 265 | -35 (-11.7%) |');
    expect(await box.fs.readText('/out/q1_chart.svg')).toMatch(/^<svg [^>]+>/);

    const trend = await runAgent({ context, model, task: task('trend'), messages: q1.messages });
    expect(trend.steps).toHaveLength(1);
    expect(trend.steps[0]!.toolCalls).toEqual([]); // the data came from the context, not from tools
    expect(trend.text).toBe(
      'Improved from January to March: **Filter Roast** (90 → 95), **Cold Brew Kit** (15 → 31). Not improving: **Earl Grey** (110 → 102).',
    );

    const send = await runAgent({ context, model, task: task('send'), messages: trend.messages });
    expect(send.steps[0]!.toolCalls).toMatchObject([{ name: 'send_report', ok: true, args: { title: '2025-Q1: product lines that missed their target' } }]);
    expect(send.text).toContain('Sent');
    await context.dispose();
  });

  it('says so when a follow-up needs state the context does not have', async () => {
    const context = await box.createContext();
    const r = await runAgent({ context, model: offlineAgent({ thinkMs: 0 }), task: task('trend') });
    expect(r.steps[0]!.error?.type).toBe('NameError');
    expect(r.text).toContain('`missed` is not defined');
    await context.dispose();
  });

  it('ranks the revenue and forecasts demand from the tools', async () => {
    const context = await box.createContext();
    const revenue = await runAgent({ context, model: offlineAgent({ thinkMs: 0 }), task: task('revenue') });
    expect(revenue.text).toBe('**Espresso Beans** earned the most in Q1: 5,872.50, by month 1,740.00, 1,957.50, 2,175.00. The full ranking is in the step\'s output above.');
    const forecast = await runAgent({ context, model: offlineAgent({ thinkMs: 0 }), task: task('forecast') });
    expect(forecast.steps[0]!.toolCalls.filter((c) => c.name === 'forecast_demand')).toHaveLength(3);
    expect(forecast.text).toBe('Expected demand for 2025-04: **Espresso Beans** 165 units, **Filter Roast** 98 units, **Cold Brew Kit** 39 units.');
    await context.dispose();
  });

  it('answers an unknown task with what it can do, and runs no code', async () => {
    const r = await runAgent({ box, model: offlineAgent({ thinkMs: 0 }), task: 'Write me a poem' });
    expect(r.steps).toEqual([]);
    expect(r.text).toBe(UNKNOWN_TASK_ANSWER);
  });
});
