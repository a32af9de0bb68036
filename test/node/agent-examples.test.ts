// The agent examples in examples/, each run with its scripted turns (offline).
import { describe, expect, it } from 'vitest';
import { scripted } from '@pybox/agent';
import * as expenses from '../../examples/agent-expenses.mjs';
import * as triage from '../../examples/agent-log-triage.mjs';
import * as travel from '../../examples/agent-travel.mjs';

describe('examples', () => {
  it('expense analysis: 24 gathered get_expenses calls, a printed summary, no claim reaches the model', async () => {
    const model = scripted(expenses.turns);
    const r = await expenses.main({ model });
    expect(r.stopReason).toBe('answer');
    expect(r.steps).toHaveLength(2);
    const calls = r.steps[1]!.toolCalls;
    expect(calls).toHaveLength(24);
    expect(calls.every((c) => c.name === 'get_expenses' && c.ok)).toBe(true);
    expect(r.steps[1]!.output).toMatch(/^24 calls, \d+ claims, total EUR [\d,]+\n {2}\w+: EUR/);
    expect(r.text).toContain('top spender:');
    expect(JSON.stringify(model.requests)).not.toContain('receipt e1-'); // the claims stayed in Python
  });

  it('log triage: writes /out/report.md from the logs and the owners it looked up', async () => {
    const r = await triage.main({ model: scripted(triage.turns) });
    expect(r.stopReason).toBe('answer');
    expect(r.steps[1]!.toolCalls.map((c) => c.name)).toEqual(['lookup_owner', 'lookup_owner', 'lookup_owner']);
    expect(r.report).toMatch(/^# Error triage, 2026-11-01\n\n\| service \| code \| error \| count \| first seen \| owner \| on call \|\n/);
    expect(r.report).toContain('| worker | E137 | out of memory | 11 | 2026-11-01T00:13:00Z | jobs | grace@example.com |');
    expect(r.report!.trim().split('\n')).toHaveLength(4 + 5);
    expect(r.text).toBe('Triage done. 33 errors of 5 kinds in 3 services; report in /out/report.md\nmost frequent: worker E137 (11x), owner jobs');
  });

  it('travel planner: 18 flight and hotel searches in one gather, the three cheapest trips', async () => {
    const r = await travel.main({ model: scripted(travel.turns) });
    expect(r.stopReason).toBe('answer');
    const calls = r.steps[0]!.toolCalls;
    expect(calls.filter((c) => c.name === 'search_flights')).toHaveLength(12);
    expect(calls.filter((c) => c.name === 'search_hotels')).toHaveLength(6);
    const lines = r.text.split('\n').slice(1);
    expect(lines).toHaveLength(3);
    const totals = lines.map((l) => Number(/EUR (\d+)/.exec(l)![1]));
    expect(totals).toEqual([...totals].sort((a, b) => a - b));
  });
});
