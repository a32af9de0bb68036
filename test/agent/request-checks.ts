/**
 * Why a real model API would refuse a request: the checks the local model
 * server (model-server.ts) makes of every request before it answers, per API —
 * headers, tool shapes, roles, and the pairing of tool calls with their
 * results by id. The messages follow the real APIs' own wording where it is known.
 */

/** The three APIs. */
export type Api = 'anthropic' | 'chat' | 'responses';

/** Why the real API would refuse this request (empty when it would accept it). */
export function checkRequest(api: Api, headers: Record<string, string>, body: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const need = (cond: unknown, problem: string) => {
    if (!cond) problems.push(problem);
  };
  need(String(headers['content-type'] ?? '').includes('application/json'), 'content-type must be application/json');
  need(typeof body.model === 'string' && body.model, 'model: a string is required');
  if (api === 'anthropic') checkAnthropic(headers, body, need);
  else if (api === 'chat') checkChat(headers, body, need);
  else checkResponses(headers, body, need);
  return problems;
}

type Need = (cond: unknown, problem: string) => void;
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

function checkSchema(schema: unknown, where: string, need: Need): void {
  need(typeof schema === 'object' && schema !== null && (schema as { type?: unknown }).type === 'object', `${where}: a JSON Schema with type "object" is required`);
}

function checkAnthropic(headers: Record<string, string>, body: Record<string, unknown>, need: Need): void {
  need(headers['x-api-key'], 'x-api-key header is required');
  need(headers['anthropic-version'], 'anthropic-version header is required');
  need(Number.isInteger(body.max_tokens) && (body.max_tokens as number) > 0, 'max_tokens: a positive integer is required');
  need(body.system === undefined || typeof body.system === 'string' || Array.isArray(body.system), 'system: must be a string or an array of blocks');
  const tools = (body.tools ?? []) as Record<string, unknown>[];
  need(Array.isArray(tools), 'tools: must be an array');
  tools.forEach((t, i) => {
    need(typeof t.name === 'string' && TOOL_NAME.test(t.name), `tools.${i}.name: must match ${TOOL_NAME}`);
    need(t.description === undefined || typeof t.description === 'string', `tools.${i}.description: must be a string`);
    checkSchema(t.input_schema, `tools.${i}.input_schema`, need);
    need(!('parameters' in t) && !('function' in t), `tools.${i}: Extra inputs are not permitted (an OpenAI-shaped tool?)`);
  });
  const messages = body.messages as Record<string, unknown>[];
  need(Array.isArray(messages) && messages.length > 0, 'messages: at least one message is required');
  if (!Array.isArray(messages)) return;
  need(messages[0]?.role === 'user', 'messages.0.role: the first message must use the "user" role');
  messages.forEach((m, i) => {
    need(m.role === 'user' || m.role === 'assistant', `messages.${i}.role: must be "user" or "assistant"`);
    if (i > 0) need(m.role !== messages[i - 1]!.role, `messages.${i}: roles must alternate between "user" and "assistant"`);
    need(typeof m.content === 'string' || Array.isArray(m.content), `messages.${i}.content: must be a string or an array`);
    const blocks = Array.isArray(m.content) ? (m.content as Record<string, unknown>[]) : [];
    const uses = blocks.filter((b) => b.type === 'tool_use');
    uses.forEach((b) => {
      need(typeof b.id === 'string' && b.id, `messages.${i}: tool_use.id is required`);
      need(typeof b.input === 'object' && b.input !== null && !Array.isArray(b.input), `messages.${i}: tool_use.input must be an object`);
    });
    const results = blocks.filter((b) => b.type === 'tool_result');
    if (results.length) {
      need(m.role === 'user', `messages.${i}: tool_result blocks must be in a user message`);
      const prev = messages[i - 1];
      const prevUses = Array.isArray(prev?.content) ? (prev!.content as Record<string, unknown>[]).filter((b) => b.type === 'tool_use').map((b) => b.id) : [];
      for (const r of results) {
        need(prevUses.includes(r.tool_use_id), `messages.${i}: unexpected tool_use_id found in tool_result blocks: ${String(r.tool_use_id)}. Each tool_result block must have a corresponding tool_use block in the previous message.`);
        need(typeof r.content === 'string' || Array.isArray(r.content), `messages.${i}: tool_result.content must be a string or blocks`);
        need(r.is_error === undefined || typeof r.is_error === 'boolean', `messages.${i}: tool_result.is_error must be a boolean`);
      }
      need(new Set(results.map((r) => r.tool_use_id)).size === results.length, `messages.${i}: each tool_use_id may be answered once`);
    }
    if (uses.length && i + 1 < messages.length) {
      const next = messages[i + 1]!;
      const nextBlocks = Array.isArray(next.content) ? (next.content as Record<string, unknown>[]) : [];
      const answered = nextBlocks.filter((b) => b.type === 'tool_result').map((b) => b.tool_use_id);
      for (const u of uses) {
        need(answered.includes(u.id), `messages.${i + 1}: tool_use ids were found without tool_result blocks immediately after: ${String(u.id)}. Each tool_use block must have a corresponding tool_result block in the next message.`);
      }
      need(nextBlocks.every((b) => b.type === 'tool_result'), `messages.${i + 1}: a message answering tool_use must hold only tool_result blocks here`);
    }
  });
}

function checkChat(headers: Record<string, string>, body: Record<string, unknown>, need: Need): void {
  need(String(headers.authorization ?? '').startsWith('Bearer '), 'authorization: a Bearer key is required');
  const tools = (body.tools ?? []) as Record<string, unknown>[];
  tools.forEach((t, i) => {
    need(t.type === 'function', `tools[${i}].type: must be "function"`);
    const fn = (t.function ?? {}) as Record<string, unknown>;
    need(typeof fn.name === 'string' && TOOL_NAME.test(fn.name), `tools[${i}].function.name: must match ${TOOL_NAME}`);
    checkSchema(fn.parameters, `tools[${i}].function.parameters`, need);
  });
  if (body.stream_options !== undefined) need(body.stream === true, 'stream_options: only allowed when stream is true');
  const messages = body.messages as Record<string, unknown>[];
  need(Array.isArray(messages) && messages.length > 0, 'messages: at least one message is required');
  if (!Array.isArray(messages)) return;
  let pending: string[] = [];
  messages.forEach((m, i) => {
    need(['system', 'developer', 'user', 'assistant', 'tool'].includes(String(m.role)), `messages[${i}].role: invalid role`);
    if (m.role === 'tool') {
      need(pending.includes(String(m.tool_call_id)), `messages[${i}]: messages with role 'tool' must be a response to a preceding message with 'tool_calls' (tool_call_id ${String(m.tool_call_id)})`);
      need(typeof m.content === 'string', `messages[${i}].content: must be a string`);
      pending = pending.filter((id) => id !== m.tool_call_id);
      return;
    }
    need(pending.length === 0, `messages[${i}]: an assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. Missing: ${pending.join(', ')}`);
    pending = [];
    if (m.role === 'assistant' && Array.isArray(m.tool_calls)) {
      for (const c of m.tool_calls as Record<string, unknown>[]) {
        const fn = (c.function ?? {}) as Record<string, unknown>;
        need(c.type === 'function' && typeof c.id === 'string', `messages[${i}].tool_calls: each needs an id and type "function"`);
        need(typeof fn.arguments === 'string', `messages[${i}].tool_calls: function.arguments must be a string`);
        pending.push(String(c.id));
      }
      need(m.tool_calls.length > 0, `messages[${i}].tool_calls: an empty array is not allowed`);
    } else {
      need(typeof m.content === 'string', `messages[${i}].content: must be a string`);
    }
  });
  need(pending.length === 0, `the last assistant message's tool_calls have no tool messages: ${pending.join(', ')}`);
}

function checkResponses(headers: Record<string, string>, body: Record<string, unknown>, need: Need): void {
  need(String(headers.authorization ?? '').startsWith('Bearer '), 'authorization: a Bearer key is required');
  const tools = (body.tools ?? []) as Record<string, unknown>[];
  tools.forEach((t, i) => {
    need(t.type === 'function', `tools[${i}].type: must be "function"`);
    need(!('function' in t), `tools[${i}]: Responses tools are flat (name, parameters), not {function: ...}`);
    need(typeof t.name === 'string' && TOOL_NAME.test(t.name), `tools[${i}].name: must match ${TOOL_NAME}`);
    checkSchema(t.parameters, `tools[${i}].parameters`, need);
  });
  need(body.instructions === undefined || typeof body.instructions === 'string', 'instructions: must be a string');
  const input = body.input as Record<string, unknown>[];
  need(typeof input === 'string' || Array.isArray(input), 'input: a string or an array of items is required');
  if (!Array.isArray(input)) return;
  const calls = new Set<string>();
  const answered = new Set<string>();
  input.forEach((item, i) => {
    if (item.type === 'function_call') {
      need(typeof item.call_id === 'string' && typeof item.name === 'string' && typeof item.arguments === 'string', `input[${i}]: function_call needs call_id, name and arguments (a string)`);
      calls.add(String(item.call_id));
    } else if (item.type === 'function_call_output') {
      need(calls.has(String(item.call_id)), `input[${i}]: No tool call found for function call output with call_id ${String(item.call_id)}.`);
      need(typeof item.output === 'string' || Array.isArray(item.output), `input[${i}].output: must be a string`);
      answered.add(String(item.call_id));
    } else if (item.type === 'message' || item.role !== undefined) {
      need(['user', 'assistant', 'system', 'developer'].includes(String(item.role)), `input[${i}].role: invalid role`);
      need(typeof item.content === 'string' || Array.isArray(item.content), `input[${i}].content: must be a string or an array`);
    } else if (item.type !== 'reasoning') {
      need(false, `input[${i}]: unknown item type ${String(item.type)}`);
    }
  });
  for (const id of calls) need(answered.has(id), `No tool output found for function call ${id}.`);
}
