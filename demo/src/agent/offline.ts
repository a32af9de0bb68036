/**
 * The offline agent: prepared model turns for a few tasks over the demo's
 * data, replayed with `scripted()` from @pybox/agent. It needs no network
 * and no key, so the whole flow (code, tool calls, output, files, answer)
 * works for every visitor. The final answers are written from what the
 * code really printed, so they follow the data (edit /data/targets.csv and
 * ask again).
 */
import { AbortedError } from '@pybox/core';
import { scripted, type Model, type ModelMessage, type ModelRequest, type ScriptedTurn } from '@pybox/agent';

/** What a prepared turn can look at: the results of this task's code runs so far. */
interface TaskState {
  results: { content: string; isError: boolean }[];
}

type OfflineTurn = { text: string; code: string } | ((state: TaskState) => string | { text: string; code: string });

/** A task the offline agent knows. */
export interface OfflineTask {
  /** Stable id (test ids of the suggestion buttons: `suggestion-<id>`). */
  id: string;
  /** The task as the suggestion button writes it. */
  prompt: string;
  /** The suggestion button's short label. */
  label: string;
  /** Whether a typed task means this one. */
  matches: RegExp;
  turns: OfflineTurn[];
}

const Q1_PROMPT = 'Which product lines missed their Q1 target, and by how much? Write a short report to /out/q1.md';

const failed = (state: TaskState) => state.results.find((r) => r.isError);
const firstLine = (text: string) => text.split('\n').find((l) => /Error|Exception/.test(l)) ?? text.split('\n')[0] ?? '';

/**
 * The tasks, the default (Q1) first.
 *
 * @example
 * ```ts
 * taskBox.value = OFFLINE_TASKS[0].prompt
 * ```
 */
export const OFFLINE_TASKS: OfflineTask[] = [
  {
    id: 'q1',
    label: 'Q1 targets',
    prompt: Q1_PROMPT,
    matches: /\bq1\b.*target|missed.*target|target.*\bq1\b/i,
    turns: [
      {
        text: "I'll start with the quarter's targets and the product catalogue.",
        code: `import asyncio, csv, json

config = json.load(open("/data/config.json"))
with open("/data/targets.csv", newline="") as f:
    targets = {row["product_id"]: int(row["target_units"]) for row in csv.DictReader(f)}

groups = await asyncio.gather(*(list_products(c) for c in config["categories"]))
catalogue = [p for group in groups for p in group]
print(f"{config['quarter']}: months {', '.join(config['months'])}")
print(f"{len(targets)} targets, {len(catalogue)} products:", ", ".join(p["name"] for p in catalogue))`,
      },
      {
        text: 'Now every product\'s sales for the three months, fetched in one go, against its target.',
        code: `sales = await asyncio.gather(
    *(get_sales(p["id"], month) for p in catalogue for month in config["months"])
)
units = {p["id"]: 0 for p in catalogue}
for s in sales:
    units[s["product_id"]] += s["units"]

rows = [{"id": p["id"], "name": p["name"], "target": targets[p["id"]], "actual": units[p["id"]]} for p in catalogue]
for r in rows:
    r["gap"] = r["actual"] - r["target"]
missed = sorted((r for r in rows if r["gap"] < 0), key=lambda r: r["gap"])

print(f"{len(sales)} sales records; {len(missed)} of {len(rows)} lines missed their target:")
for r in missed:
    print(f"  {r['name']:<14} {r['actual']:>4} of {r['target']:>4} units  {r['gap']:+d} ({r['gap'] / r['target']:+.1%})")`,
      },
      {
        text: 'Writing the report to /out/q1.md, with a small chart beside it.',
        code: `import os

lines = [
    f"# {config['quarter']}: product lines that missed their target",
    "",
    "| Product | Target | Actual | Gap |",
    "|---|---:|---:|---:|",
]
lines += [f"| {r['name']} | {r['target']} | {r['actual']} | {r['gap']:+d} ({r['gap'] / r['target']:+.1%}) |" for r in missed]
lines += ["", f"{len(rows) - len(missed)} of {len(rows)} lines met their target. Chart: q1_chart.svg", ""]
os.makedirs("/out", exist_ok=True)
with open("/out/q1.md", "w") as f:
    f.write("\\n".join(lines))

# One bar per product: grey = target, blue (met) or red (missed) = actual.
width, bar = 480, 22
top = max(max(r["target"], r["actual"]) for r in rows)
scale = (width - 130) / top
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{len(rows) * (bar + 8) + 10}" font-family="sans-serif" font-size="12">']
for i, r in enumerate(rows):
    y = 5 + i * (bar + 8)
    colour = "#c0392b" if r["gap"] < 0 else "#2f6fde"
    svg.append(f'<text x="0" y="{y + 15}">{r["name"]}</text>')
    svg.append(f'<rect x="120" y="{y}" width="{r["target"] * scale:.0f}" height="{bar}" fill="#dde1e6"/>')
    svg.append(f'<rect x="120" y="{y + 5}" width="{r["actual"] * scale:.0f}" height="{bar - 10}" fill="{colour}"/>')
svg.append("</svg>")
with open("/out/q1_chart.svg", "w") as f:
    f.write("\\n".join(svg))

for path in ["/out/q1.md", "/out/q1_chart.svg"]:
    print(path, os.path.getsize(path), "bytes")`,
      },
      (state) => {
        const error = failed(state);
        if (error) return `The code failed (${firstLine(error.content)}), so I could not finish the report. Edit the step's code and run it again, or reset the context and ask again.`;
        const gaps = [...(state.results[1]?.content ?? '').matchAll(/^\s+(.+?)\s+(\d+) of\s+(\d+) units\s+([+-]\d+) \(([+-][\d.]+%)\)$/gm)];
        if (gaps.length === 0) return 'Every product line met its Q1 target. The report is in `/out/q1.md`.';
        const list = gaps.map((m) => `- **${m[1]}**: ${m[2]} of ${m[3]} units, ${-Number(m[4])} short (${m[5]!.replace('-', '−')})`);
        return [`**${gaps.length} product lines missed their Q1 target:**`, '', ...list, '', 'The report is in `/out/q1.md`, with a chart in `/out/q1_chart.svg`.'].join('\n');
      },
    ],
  },
  {
    id: 'trend',
    label: 'Jan → Mar trend',
    prompt: 'Which of the lines that missed improved from January to March?',
    matches: /improv|trend|january|from jan/i,
    turns: [
      {
        text: '`missed` and `sales` are still in this context from the Q1 task, so no new tool calls are needed.',
        code: `by_month = {}
for s in sales:
    by_month.setdefault(s["product_id"], {})[s["month"]] = s["units"]
first, last = config["months"][0], config["months"][-1]
for r in missed:
    m = by_month[r["id"]]
    print(f"{r['name']:<14} {first}: {m[first]:>3}  {last}: {m[last]:>3}  {m[last] - m[first]:+d}")`,
      },
      (state) => {
        const error = failed(state);
        if (error) {
          return /NameError/.test(error.content)
            ? "This context doesn't have the Q1 data (`missed` is not defined): ask the Q1 question first, in the same context."
            : `The code failed: ${firstLine(error.content)}`;
        }
        const lines = [...(state.results[0]?.content ?? '').matchAll(/^(.+?)\s+\S+: +(\d+)\s+\S+: +(\d+)\s+([+-]\d+)$/gm)];
        const better = lines.filter((m) => Number(m[4]) > 0).map((m) => `**${m[1]}** (${m[2]} → ${m[3]})`);
        const worse = lines.filter((m) => Number(m[4]) <= 0).map((m) => `**${m[1]}** (${m[2]} → ${m[3]})`);
        return [
          better.length ? `Improved from January to March: ${better.join(', ')}.` : 'None of them improved from January to March.',
          worse.length ? `Not improving: ${worse.join(', ')}.` : '',
        ]
          .filter(Boolean)
          .join(' ');
      },
    ],
  },
  {
    id: 'revenue',
    label: 'Revenue',
    prompt: 'Which product earned the most revenue in Q1, and how did each month go?',
    matches: /revenue|best[- ]sell|earned|most money/i,
    turns: [
      {
        text: "I'll fetch the catalogue and every month's sales at once, then rank the products by revenue.",
        code: `import asyncio, json

config = json.load(open("/data/config.json"))
groups = await asyncio.gather(*(list_products(c) for c in config["categories"]))
products = {p["id"]: p for group in groups for p in group}
sales = await asyncio.gather(*(get_sales(pid, m) for pid in products for m in config["months"]))

revenue = {}
for s in sales:
    revenue.setdefault(s["product_id"], []).append(s["revenue"])
ranking = sorted(revenue.items(), key=lambda kv: -sum(kv[1]))
print(f"{'product':<15} {'Q1':>10}  " + "  ".join(f"{m:>9}" for m in config["months"]))
for pid, months in ranking:
    print(f"{products[pid]['name']:<15} {sum(months):>10,.2f}  " + "  ".join(f"{v:>9,.2f}" for v in months))`,
      },
      (state) => {
        const error = failed(state);
        if (error) return `The code failed: ${firstLine(error.content)}`;
        // The ranking starts after its header line (stderr noise, if any, comes before it).
        const lines = (state.results[0]?.content ?? '').split('\n');
        const rows = lines.slice(lines.findIndex((l) => l.startsWith('product ')) + 1);
        const top = /^(.+?)\s{2,}([\d,.]+)\s+(.*)$/.exec(rows[0] ?? '');
        if (!top) return 'I could not read the ranking the code printed.';
        return `**${top[1]}** earned the most in Q1: ${top[2]}, by month ${top[3]!.trim().split(/\s+/).join(', ')}. The full ranking is in the step's output above.`;
      },
    ],
  },
  {
    id: 'forecast',
    label: 'Forecast (slow tool)',
    prompt: "Forecast next month's demand for the coffee line.",
    matches: /forecast|next month|demand/i,
    turns: [
      {
        text: 'The forecasting service is slow (about 2 s a call), so I ask for all coffee products at once.',
        code: `import asyncio

coffee = await list_products("coffee")
forecasts = await asyncio.gather(*(forecast_demand(p["id"]) for p in coffee))
for p, f in zip(coffee, forecasts):
    print(f"{p['name']:<15} {f['month']}: {f['units']} units")`,
      },
      (state) => {
        const error = failed(state);
        if (error) return `The code failed: ${firstLine(error.content)}`;
        const lines = [...(state.results[0]?.content ?? '').matchAll(/^(.+?)\s+(\d{4}-\d{2}): (\d+) units$/gm)];
        return `Expected demand for ${lines[0]?.[2] ?? 'next month'}: ${lines.map((m) => `**${m[1]}** ${m[3]} units`).join(', ')}.`;
      },
    ],
  },
  {
    id: 'send',
    label: 'Send the report',
    prompt: 'Send the Q1 report to the team.',
    matches: /send|e-?mail|share/i,
    turns: [
      {
        text: "I'll send /out/q1.md as it is.",
        code: `report = open("/out/q1.md").read()
receipt = await send_report(title=report.splitlines()[0].lstrip("# "), body=report)
print(receipt)`,
      },
      (state) => {
        const error = failed(state);
        if (error) {
          return /FileNotFoundError/.test(error.content)
            ? 'There is no `/out/q1.md` yet: ask the Q1 question first, and I will send the report it writes.'
            : `The code failed: ${firstLine(error.content)}`;
        }
        return 'Sent: the report went to the team (see the `send_report` call and its receipt above).';
      },
    ],
  },
];

/**
 * The answer to a task the offline agent has no script for.
 *
 * @example
 * ```ts
 * if (result.text === UNKNOWN_TASK_ANSWER) suggestEndpoints()
 * ```
 */
export const UNKNOWN_TASK_ANSWER = [
  "I'm the offline demo agent: I replay prepared turns for a few tasks, so I can't take on this one. Try one of these:",
  '',
  ...OFFLINE_TASKS.map((t) => `- ${t.prompt}`),
  '',
  'Or pick **Anthropic** or **OpenAI-compatible** above and give your own key: a real model will write the code.',
].join('\n');

/**
 * The offline model. Each request is answered from the task in the
 * conversation's last user message and the number of turns since it, so
 * follow-up tasks in the same conversation work. It "thinks" for `thinkMs`
 * and streams its words, the way a real model would.
 *
 * @example
 * ```ts
 * const result = await runAgent({ context, model: offlineAgent(), task: OFFLINE_TASKS[0].prompt })
 * ```
 */
export function offlineAgent(options: { thinkMs?: number } = {}): Model {
  const thinkMs = options.thinkMs ?? 350;
  return {
    name: 'offline',
    async generate(request, call = {}) {
      const { task, state, turnIndex } = readConversation(request);
      // The first line is the task; notes the page adds (a step re-run by hand) follow it.
      const asked = task.split('\n')[0]!.trim();
      const script = OFFLINE_TASKS.find((t) => t.prompt === asked) ?? OFFLINE_TASKS.find((t) => t.matches.test(asked));
      let turn: string | { text: string; code: string };
      if (!script) turn = UNKNOWN_TASK_ANSWER;
      else {
        const prepared = script.turns[Math.min(turnIndex, script.turns.length - 1)]!;
        turn = typeof prepared === 'function' ? prepared(state) : prepared;
      }
      await sleep(thinkMs, call.signal);
      const text = typeof turn === 'string' ? turn : turn.text;
      // Streamed word by word; the scripted model gets no onText so that the words arrive once.
      for (const word of text.match(/\S+\s*/g) ?? []) {
        await sleep(12, call.signal);
        call.onText?.(word);
      }
      const id = `offline_${request.messages.length}`;
      const replay: ScriptedTurn = typeof turn === 'string' ? turn : { text: turn.text, toolCalls: [{ id, name: 'run_python', arguments: { code: turn.code } }] };
      const response = await scripted([replay], { name: 'offline' }).generate(request, { ...(call.signal ? { signal: call.signal } : {}) });
      return response;
    },
  };
}

/** The conversation's last task, the results of its code runs, and how many model turns it has had. */
function readConversation(request: ModelRequest): { task: string; state: TaskState; turnIndex: number } {
  const messages: ModelMessage[] = request.messages;
  let start = messages.length - 1;
  while (start >= 0 && messages[start]!.role !== 'user') start--;
  const since = messages.slice(start + 1);
  const task = start >= 0 ? (messages[start] as { content: string }).content : '';
  const results = since.flatMap((m) => (m.role === 'tool' ? m.results.map((r) => ({ content: r.content, isError: r.isError })) : []));
  return { task, state: { results }, turnIndex: since.filter((m) => m.role === 'assistant').length };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortedError('the agent run was aborted'));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new AbortedError('the agent run was aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
