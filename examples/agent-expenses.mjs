// Expense analysis: the agent gathers every employee's expenses for a quarter in one
// asyncio.gather (24 get_expenses calls), totals them in Python and prints a short summary.
// None of the ~300 expense records reach the model: only what the code prints.
//
//   node examples/agent-expenses.mjs                      (scripted turns, offline)
//   ANTHROPIC_API_KEY=... node examples/agent-expenses.mjs (a real model)
import { PyBox } from '@pybox/node';
import { runAgent } from '@pybox/agent';
import { isMain, lastOutput, modelFromEnv, printEvents } from './agent-model.mjs';

const DEPARTMENTS = ['engineering', 'sales', 'support'];
const CATEGORIES = ['travel', 'meals', 'software', 'hardware'];
const MONTHS = ['2026-07', '2026-08', '2026-09'];
const employees = ['Ada', 'Alan', 'Grace', 'Edsger', 'Barbara', 'Donald', 'Frances', 'John'].map((name, i) => ({
  id: `e${i + 1}`,
  name,
  department: DEPARTMENTS[i % 3],
}));

/** Deterministic expenses (a seeded PRNG): 8–15 a month per employee. */
function expensesOf(employeeId, month) {
  let state = [...`${employeeId}${month}`].reduce((h, c) => (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0, 7);
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const count = 8 + Math.floor(next() * 8);
  return Array.from({ length: count }, (_, n) => {
    const category = CATEGORIES[Math.floor(next() * CATEGORIES.length)];
    const scale = { travel: 900, meals: 700, software: 300, hardware: 1500 }[category];
    return {
      date: `${month}-${String(1 + Math.floor(next() * 28)).padStart(2, '0')}`,
      category,
      amount_eur: Math.round((next() * scale + 5) * 100) / 100,
      note: `receipt ${employeeId}-${month}-${n}`,
    };
  });
}

const tools = [
  {
    name: 'list_employees',
    description: 'Every employee, optionally of one department.',
    parameters: {
      type: 'object',
      properties: { department: { enum: DEPARTMENTS, description: 'Only this department.' } },
    },
    outputSchema: {
      type: 'array',
      items: { type: 'object', title: 'Employee', properties: { id: { type: 'string' }, name: { type: 'string' }, department: { type: 'string' } }, required: ['id', 'name', 'department'] },
    },
    handler: async ({ department }) => employees.filter((e) => !department || e.department === department),
  },
  {
    name: 'get_expenses',
    description: "One employee's expense claims in one month.",
    parameters: {
      type: 'object',
      properties: {
        employee_id: { type: 'string', pattern: '^e[0-9]+$' },
        month: { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}$', description: 'YYYY-MM' },
      },
      required: ['employee_id', 'month'],
      additionalProperties: false,
    },
    outputSchema: {
      type: 'array',
      items: {
        type: 'object',
        title: 'Expense',
        properties: { date: { type: 'string' }, category: { enum: CATEGORIES }, amount_eur: { type: 'number' }, note: { type: 'string' } },
        required: ['date', 'category', 'amount_eur', 'note'],
      },
    },
    handler: async ({ employee_id, month }) => {
      await new Promise((r) => setTimeout(r, 20)); // a slow backend: gathering pays
      return expensesOf(employee_id, month);
    },
  },
];

/** The turns of the scripted model: what a good model writes for this task. */
export const turns = [
  {
    text: "I'll look at who there is first.",
    code: 'emps = await list_employees()\nprint(len(emps), "employees in", sorted({e["department"] for e in emps}))',
  },
  {
    code: `import asyncio
from collections import defaultdict

months = ["2026-07", "2026-08", "2026-09"]
pairs = [(e, m) for e in emps for m in months]
claims = await asyncio.gather(*[get_expenses(e["id"], m) for e, m in pairs])

by_dept = defaultdict(float)
by_cat = defaultdict(float)
by_person = defaultdict(float)
big_meals = []
for (e, m), rows in zip(pairs, claims):
    for r in rows:
        by_dept[e["department"]] += r["amount_eur"]
        by_cat[r["category"]] += r["amount_eur"]
        by_person[e["name"]] += r["amount_eur"]
        if r["category"] == "meals" and r["amount_eur"] > 600:
            big_meals.append((e["name"], r["date"], r["amount_eur"]))

total = sum(by_dept.values())
print(f"{len(pairs)} calls, {sum(len(r) for r in claims)} claims, total EUR {total:,.0f}")
for d, v in sorted(by_dept.items(), key=lambda kv: -kv[1]):
    print(f"  {d}: EUR {v:,.0f} ({v / total:.0%})")
print("by category:", ", ".join(f"{c} {v:,.0f}" for c, v in sorted(by_cat.items(), key=lambda kv: -kv[1])))
top = max(by_person, key=by_person.get)
print(f"top spender: {top} (EUR {by_person[top]:,.0f})")
print(f"meals over EUR 600: {len(big_meals)}", sorted(big_meals, key=lambda x: -x[2])[:3])`,
  },
  (request) => `Q3 2026 expense summary:\n${lastOutput(request)}`,
];

export const task =
  'Analyse Q3 2026 (July to September) expenses: totals by department and category, the top spender, and meal claims over EUR 600. Keep the answer short.';

/** Runs the example; returns the agent's result. */
export async function main({ model = modelFromEnv(turns), onEvent } = {}) {
  const box = await PyBox.create({ tools });
  try {
    return await runAgent({ box, model, task, onEvent, maxSteps: 8 });
  } finally {
    await box.close();
  }
}

if (isMain(import.meta.url)) {
  const result = await main({ onEvent: printEvents });
  console.log(`\n=== answer (${result.stopReason}, ${result.steps.length} steps, ${result.usage.requestChars} request chars)\n${result.text}`);
}
