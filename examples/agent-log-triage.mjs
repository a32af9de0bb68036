// Log triage: the agent reads three service logs from the box's filesystem (/data/logs),
// groups the errors in Python, looks up each failing service's owner (gathered), and writes
// a Markdown report to /out/report.md, which the host then reads. The logs (thousands of
// lines) never reach the model.
//
//   node examples/agent-log-triage.mjs                       (scripted turns, offline)
//   OPENAI_API_KEY=... node examples/agent-log-triage.mjs    (a real model)
import { PyBox } from '@pybox/node';
import { runAgent } from '@pybox/agent';
import { isMain, lastOutput, modelFromEnv, printEvents } from './agent-model.mjs';

const OWNERS = {
  api: { team: 'platform', oncall: 'ada@example.com' },
  worker: { team: 'jobs', oncall: 'grace@example.com' },
  db: { team: 'storage', oncall: 'edsger@example.com' },
};

/** 1,000 deterministic lines per service: mostly INFO, some WARN, a few ERROR codes. */
function logOf(service) {
  const errors = { api: ['E502 upstream timeout', 'E429 rate limited'], worker: ['E137 out of memory'], db: ['E040 deadlock detected', 'E041 replica lag'] }[service];
  const lines = [];
  for (let i = 0; i < 1000; i++) {
    const ts = `2026-11-01T${String(Math.floor(i / 60) % 24).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00Z`;
    if (i % 97 === 13) lines.push(`${ts} ERROR ${service} ${errors[i % errors.length]} request_id=r${i}`);
    else if (i % 31 === 7) lines.push(`${ts} WARN ${service} slow response ${200 + (i % 800)}ms`);
    else lines.push(`${ts} INFO ${service} handled request_id=r${i} in ${5 + (i % 40)}ms`);
  }
  return `${lines.join('\n')}\n`;
}

const files = Object.fromEntries(Object.keys(OWNERS).map((s) => [`/data/logs/${s}.log`, logOf(s)]));

const tools = [
  {
    name: 'lookup_owner',
    description: 'The team that owns a service, and who is on call.',
    parameters: { type: 'object', properties: { service: { type: 'string', minLength: 1 } }, required: ['service'] },
    outputSchema: { type: 'object', title: 'Owner', properties: { team: { type: 'string' }, oncall: { type: 'string' } }, required: ['team', 'oncall'] },
    handler: async ({ service }) => {
      const owner = OWNERS[service];
      if (!owner) throw Object.assign(new Error(`no service named ${service}`), { name: 'KeyError' });
      return owner;
    },
  },
];

export const turns = [
  {
    text: 'First, what is in the logs.',
    code: `import os, re
from collections import Counter
logs = {f[:-4]: open(f"/data/logs/{f}").read().splitlines() for f in sorted(os.listdir("/data/logs"))}
levels = {s: Counter(l.split()[1] for l in lines) for s, lines in logs.items()}
for s, c in levels.items():
    print(s, dict(c))`,
  },
  {
    code: `import asyncio
errors = Counter()
first_seen = {}
for s, lines in logs.items():
    for l in lines:
        m = re.match(r"(\\S+) ERROR (\\S+) (E\\d+) (.*?) request_id", l)
        if m:
            key = (m[2], m[3], m[4])
            errors[key] += 1
            first_seen.setdefault(key, m[1])
services = sorted({k[0] for k in errors})
owners = dict(zip(services, await asyncio.gather(*[lookup_owner(s) for s in services])))

rows = ["| service | code | error | count | first seen | owner | on call |", "|---|---|---|---|---|---|---|"]
for (s, code, text), n in errors.most_common():
    rows.append(f"| {s} | {code} | {text} | {n} | {first_seen[(s, code, text)]} | {owners[s]['team']} | {owners[s]['oncall']} |")
os.makedirs("/out", exist_ok=True)
with open("/out/report.md", "w") as f:
    f.write("# Error triage, 2026-11-01\\n\\n" + "\\n".join(rows) + "\\n")
worst = errors.most_common(1)[0]
print(f"{sum(errors.values())} errors of {len(errors)} kinds in {len(services)} services; report in /out/report.md")
print(f"most frequent: {worst[0][0]} {worst[0][1]} ({worst[1]}x), owner {owners[worst[0][0]]['team']}")`,
  },
  (request) => `Triage done. ${lastOutput(request)}`,
];

export const task = 'Triage the errors in /data/logs: group them by service and error code, find who owns each failing service, and write a Markdown report to /out/report.md.';

/** Runs the example; returns the agent's result and the report it wrote. */
export async function main({ model = modelFromEnv(turns), onEvent } = {}) {
  const box = await PyBox.create({ tools, files });
  try {
    const result = await runAgent({ box, model, task, onEvent, maxSteps: 8 });
    const report = (await box.fs.stat('/out/report.md')) ? await box.fs.readText('/out/report.md') : null;
    return { ...result, report };
  } finally {
    await box.close();
  }
}

if (isMain(import.meta.url)) {
  const result = await main({ onEvent: printEvents });
  console.log(`\n=== answer (${result.stopReason}, ${result.steps.length} steps)\n${result.text}\n\n=== /out/report.md\n${result.report ?? '(not written)'}`);
}
