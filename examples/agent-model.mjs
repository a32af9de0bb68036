// The model the agent examples use: a real one when a key is in the environment, else the
// prepared turns (the scripted provider: offline, no key).
//
//   ANTHROPIC_API_KEY=... [ANTHROPIC_MODEL=claude-sonnet-4-5] node examples/agent-expenses.mjs
//   OPENAI_API_KEY=... [OPENAI_MODEL=gpt-5-mini] [OPENAI_API=responses|chat] [OPENAI_BASE_URL=...] node examples/agent-travel.mjs
import { pathToFileURL } from 'node:url';
import { anthropic, openai, scripted } from '@pybox/agent';

/** A real model from the environment, or `scripted(turns)`. */
export function modelFromEnv(turns) {
  const env = process.env;
  if (env.ANTHROPIC_API_KEY) {
    return anthropic({ apiKey: env.ANTHROPIC_API_KEY, model: env.ANTHROPIC_MODEL ?? 'claude-sonnet-4-5', baseURL: env.ANTHROPIC_BASE_URL });
  }
  if (env.OPENAI_API_KEY || env.OPENAI_BASE_URL) {
    return openai({
      apiKey: env.OPENAI_API_KEY,
      model: env.OPENAI_MODEL ?? 'gpt-5-mini',
      api: env.OPENAI_API ?? 'responses',
      baseURL: env.OPENAI_BASE_URL,
    });
  }
  return scripted(turns);
}

/** Prints what the agent does: its text, its code, each tool call, the output. */
export function printEvents(event) {
  const out = (s) => process.stdout.write(s);
  switch (event.type) {
    case 'text':
      out(event.delta);
      break;
    case 'model_end':
      if (event.text) out('\n');
      break;
    case 'code':
      out(`\n--- step ${event.step}: run_python\n${event.code}\n--- output\n`);
      break;
    case 'output':
      out(event.text);
      break;
    case 'step':
      out(`--- ${event.step.toolCalls.length} tool calls from code, ${event.step.durationMs.toFixed(0)} ms\n\n`);
      break;
  }
}

/** The last text the code printed, for scripted final answers built from it. */
export function lastOutput(request) {
  const last = request.messages.at(-1);
  return last?.role === 'tool' ? last.results.at(-1)?.content ?? '' : '';
}

/** True when this module is the program being run (`node examples/x.mjs`). */
export function isMain(importMetaUrl) {
  const argv1 = process.argv[1];
  return Boolean(argv1) && importMetaUrl === pathToFileURL(argv1).href;
}
