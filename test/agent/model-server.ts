/**
 * A local model server for tests, on 127.0.0.1: it speaks the Anthropic
 * Messages, OpenAI Chat Completions and OpenAI Responses wire formats (JSON
 * and SSE), checks each request the way the real APIs do (tool shapes, the
 * pairing of tool calls and results, ids) and refuses an invalid one with
 * the API's own 400 error body, records what it received, and answers with
 * scripted turns — or with the failures a real server has (HTTP errors,
 * `retry-after`, malformed bodies, dropped connections).
 *
 * Sessions keep tests apart: every path starts with `/s/<session>`, which is
 * also how the tests check that a `baseURL`'s path prefix is kept. Browser
 * tests drive it over HTTP (`/control/<session>/...`); Node tests may call
 * the session object directly.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A tool call the server makes the model emit. `code` is shorthand for a run_python call. */
export type ServerCall = { code: string } | { name: string; arguments: string | object };

/** One scripted answer. */
export type ServerTurn =
  | { text?: string; calls?: ServerCall[]; usage?: { input: number; output: number }; delayMs?: number; stall?: boolean; plainJson?: boolean }
  | { status: number; body?: unknown; headers?: Record<string, string> }
  | { drop: 'before-headers' | 'mid-stream' }
  | { malformed: true };

/** The three APIs. */
export type Api = 'anthropic' | 'chat' | 'responses';

/** What the server received. */
export interface RecordedRequest {
  api: Api;
  path: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
  /** Why a real server would refuse it (empty when valid). */
  problems: string[];
}

/** One test's script and records. */
export class Session {
  readonly requests: RecordedRequest[] = [];
  private turns: ServerTurn[] = [];
  private ids = 0;

  script(turns: ServerTurn[]): void {
    this.turns = [...turns];
    this.requests.length = 0;
  }

  next(): ServerTurn | undefined {
    return this.turns.shift();
  }

  id(prefix: string): string {
    return `${prefix}${String(++this.ids).padStart(4, '0')}`;
  }
}

/** A running server. */
export interface ModelServer {
  url: string;
  session(name: string): Session;
  close(): Promise<void>;
}

/** Starts the server on 127.0.0.1 (a free port). */
export async function startModelServer(): Promise<ModelServer> {
  const sessions = new Map<string, Session>();
  const session = (name: string) => {
    let s = sessions.get(name);
    if (!s) sessions.set(name, (s = new Session()));
    return s;
  };
  const server: Server = createServer((req, res) => {
    handle(req, res, session).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, { error: { message: String(e) } });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    session,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, session: (name: string) => Session): Promise<void> {
  // CORS, as the real APIs answer browser pages.
  res.setHeader('access-control-allow-origin', '*');
  res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
  res.setHeader('access-control-allow-headers', req.headers['access-control-request-headers'] ?? '*');
  res.setHeader('access-control-expose-headers', 'retry-after, retry-after-ms');
  if (req.method === 'OPTIONS') {
    res.writeHead(204).end();
    return;
  }
  const url = new URL(req.url ?? '/', 'http://x');
  const text = await readBody(req);
  const control = /^\/control\/([^/]+)\/(script|requests)$/.exec(url.pathname);
  if (control) {
    const s = session(control[1]!);
    if (control[2] === 'script') s.script((JSON.parse(text) as { turns: ServerTurn[] }).turns);
    send(res, 200, control[2] === 'requests' ? { requests: s.requests } : { ok: true });
    return;
  }
  const route = /^\/s\/([^/]+)(\/.*)$/.exec(url.pathname);
  const api: Api | null = !route
    ? null
    : route[2]!.endsWith('/v1/messages')
      ? 'anthropic'
      : route[2]!.endsWith('/chat/completions')
        ? 'chat'
        : route[2]!.endsWith('/responses')
          ? 'responses'
          : null;
  if (!route || !api || req.method !== 'POST') {
    send(res, 404, { error: { message: `no route ${req.method} ${url.pathname}` } });
    return;
  }
  const s = session(route[1]!);
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    sendError(res, api, 400, 'invalid_request_error', 'the body is not JSON');
    return;
  }
  const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
  const problems = checkRequest(api, headers, body);
  s.requests.push({ api, path: url.pathname, headers, body, problems });
  if (problems.length) {
    sendError(res, api, 400, 'invalid_request_error', problems.join('; '));
    return;
  }
  const turn = s.next();
  if (!turn) {
    sendError(res, api, 500, 'api_error', 'the test scripted no turn for this request');
    return;
  }
  if ('status' in turn) {
    res.writeHead(turn.status, { 'content-type': 'application/json', ...turn.headers });
    res.end(JSON.stringify(turn.body ?? errorBody(api, turn.status === 429 ? 'rate_limit_error' : 'api_error', `scripted ${turn.status}`)));
    return;
  }
  if ('drop' in turn && turn.drop === 'before-headers') {
    req.socket.destroy();
    return;
  }
  // `plainJson`: answer a streaming request with JSON, as some compatible servers do.
  const stream = body.stream === true && !(turn as { plainJson?: boolean }).plainJson;
  if ('malformed' in turn) {
    res.writeHead(200, { 'content-type': stream ? 'text/event-stream' : 'application/json' });
    res.end(stream ? 'data: {this is not json\n\n' : '<html>502 Bad Gateway</html>');
    return;
  }
  const answer = turn as Extract<ServerTurn, { calls?: ServerCall[] }> & { drop?: 'mid-stream' };
  if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
  if (req.socket.destroyed) return;
  const usage = answer.usage ?? { input: Math.ceil(text.length / 4), output: 7 };
  const calls = (answer.calls ?? []).map((c) =>
    'code' in c ? { name: 'run_python', arguments: JSON.stringify({ code: c.code }) } : { name: c.name, arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments) },
  );
  const reply = { text: answer.text ?? '', calls, usage };
  if (answer.stall) stalled.add(res); // the stream stops halfway and the connection stays open
  const dropMidStream = 'drop' in turn && turn.drop === 'mid-stream';
  if (dropMidStream) {
    // Half an answer, then the connection goes.
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(sse(api, { type: api === 'anthropic' ? 'message_start' : 'response.created', message: { id: 'msg_x', content: [], usage: { input_tokens: 1, output_tokens: 0 } }, response: { id: 'resp_x' } }, api === 'chat'));
    setTimeout(() => req.socket.destroy(), 20);
    return;
  }
  if (api === 'anthropic') return stream ? streamAnthropic(res, s, reply, body) : send(res, 200, anthropicMessage(s, reply, body));
  if (api === 'chat') return stream ? streamChat(res, s, reply, body) : send(res, 200, chatCompletion(s, reply, body));
  return stream ? streamResponses(res, s, reply, body) : send(res, 200, responsesObject(s, reply, body));
}

type Reply = { text: string; calls: { name: string; arguments: string }[]; usage: { input: number; output: number } };

// ---- Anthropic Messages -------------------------------------------------------

function anthropicBlocks(s: Session, reply: Reply): Record<string, unknown>[] {
  return [
    ...(reply.text ? [{ type: 'text', text: reply.text }] : []),
    ...reply.calls.map((c) => ({ type: 'tool_use', id: s.id('toolu_'), name: c.name, input: tryJson(c.arguments) ?? c.arguments })),
  ];
}

function anthropicMessage(s: Session, reply: Reply, body: Record<string, unknown>): Record<string, unknown> {
  return {
    id: s.id('msg_'),
    type: 'message',
    role: 'assistant',
    model: body.model,
    content: anthropicBlocks(s, reply),
    stop_reason: reply.calls.length ? 'tool_use' : 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: reply.usage.input, output_tokens: reply.usage.output, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
  };
}

function streamAnthropic(res: ServerResponse, s: Session, reply: Reply, body: Record<string, unknown>): void {
  const message = anthropicMessage(s, reply, body);
  const blocks = message.content as Record<string, unknown>[];
  const events: Record<string, unknown>[] = [
    { type: 'message_start', message: { ...message, content: [], stop_reason: null, usage: { input_tokens: reply.usage.input, output_tokens: 1 } } },
    { type: 'ping' },
  ];
  blocks.forEach((block, index) => {
    if (block.type === 'text') {
      events.push({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
      for (const piece of pieces(String(block.text))) events.push({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } });
    } else {
      events.push({ type: 'content_block_start', index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } });
      const json = typeof block.input === 'string' ? block.input : JSON.stringify(block.input);
      for (const piece of pieces(json)) events.push({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: piece } });
    }
    events.push({ type: 'content_block_stop', index });
  });
  events.push({ type: 'message_delta', delta: { stop_reason: message.stop_reason, stop_sequence: null }, usage: { output_tokens: reply.usage.output } });
  events.push({ type: 'message_stop' });
  writeStream(res, events.map((e) => sse('anthropic', e)));
}

// ---- OpenAI Chat Completions ------------------------------------------------------

function chatCompletion(s: Session, reply: Reply, body: Record<string, unknown>): Record<string, unknown> {
  const toolCalls = reply.calls.map((c) => ({ id: s.id('call_'), type: 'function', function: { name: c.name, arguments: c.arguments } }));
  return {
    id: s.id('chatcmpl-'),
    object: 'chat.completion',
    created: 1_700_000_000,
    model: body.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: reply.text || null, ...(toolCalls.length ? { tool_calls: toolCalls } : {}), refusal: null },
        finish_reason: toolCalls.length ? 'tool_calls' : 'stop',
        logprobs: null,
      },
    ],
    usage: { prompt_tokens: reply.usage.input, completion_tokens: reply.usage.output, total_tokens: reply.usage.input + reply.usage.output },
  };
}

function streamChat(res: ServerResponse, s: Session, reply: Reply, body: Record<string, unknown>): void {
  const base = { id: s.id('chatcmpl-'), object: 'chat.completion.chunk', created: 1_700_000_000, model: body.model };
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({ ...base, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] });
  const events: Record<string, unknown>[] = [chunk({ role: 'assistant', content: '' })];
  for (const piece of pieces(reply.text)) events.push(chunk({ content: piece }));
  reply.calls.forEach((c, index) => {
    events.push(chunk({ tool_calls: [{ index, id: s.id('call_'), type: 'function', function: { name: c.name, arguments: '' } }] }));
    for (const piece of pieces(c.arguments)) events.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
  });
  events.push(chunk({}, reply.calls.length ? 'tool_calls' : 'stop'));
  const wantsUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
  if (wantsUsage) {
    events.push({ ...base, choices: [], usage: { prompt_tokens: reply.usage.input, completion_tokens: reply.usage.output, total_tokens: reply.usage.input + reply.usage.output } });
  }
  writeStream(res, [...events.map((e) => sse('chat', e, true)), 'data: [DONE]\n\n']);
}

// ---- OpenAI Responses ----------------------------------------------------------

function responseItems(s: Session, reply: Reply): Record<string, unknown>[] {
  return [
    ...(reply.text
      ? [{ type: 'message', id: s.id('msg_'), status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: reply.text, annotations: [] }] }]
      : []),
    ...reply.calls.map((c) => ({ type: 'function_call', id: s.id('fc_'), call_id: s.id('call_'), name: c.name, arguments: c.arguments, status: 'completed' })),
  ];
}

function responsesObject(s: Session, reply: Reply, body: Record<string, unknown>, items = responseItems(s, reply)): Record<string, unknown> {
  return {
    id: s.id('resp_'),
    object: 'response',
    created_at: 1_700_000_000,
    status: 'completed',
    model: body.model,
    output: items,
    usage: { input_tokens: reply.usage.input, output_tokens: reply.usage.output, total_tokens: reply.usage.input + reply.usage.output },
    error: null,
    incomplete_details: null,
  };
}

function streamResponses(res: ServerResponse, s: Session, reply: Reply, body: Record<string, unknown>): void {
  const items = responseItems(s, reply);
  const final = responsesObject(s, reply, body, items);
  let seq = 0;
  const ev = (e: Record<string, unknown>) => ({ ...e, sequence_number: seq++ });
  const events: Record<string, unknown>[] = [
    ev({ type: 'response.created', response: { ...final, status: 'in_progress', output: [], usage: null } }),
    ev({ type: 'response.in_progress', response: { ...final, status: 'in_progress', output: [], usage: null } }),
  ];
  items.forEach((item, output_index) => {
    if (item.type === 'message') {
      const textOf = (item.content as { text: string }[])[0]!.text;
      events.push(ev({ type: 'response.output_item.added', output_index, item: { ...item, status: 'in_progress', content: [] } }));
      events.push(ev({ type: 'response.content_part.added', item_id: item.id, output_index, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } }));
      for (const piece of pieces(textOf)) events.push(ev({ type: 'response.output_text.delta', item_id: item.id, output_index, content_index: 0, delta: piece }));
      events.push(ev({ type: 'response.output_text.done', item_id: item.id, output_index, content_index: 0, text: textOf }));
      events.push(ev({ type: 'response.content_part.done', item_id: item.id, output_index, content_index: 0, part: { type: 'output_text', text: textOf, annotations: [] } }));
    } else {
      events.push(ev({ type: 'response.output_item.added', output_index, item: { ...item, arguments: '', status: 'in_progress' } }));
      for (const piece of pieces(String(item.arguments))) {
        events.push(ev({ type: 'response.function_call_arguments.delta', item_id: item.id, output_index, delta: piece }));
      }
      events.push(ev({ type: 'response.function_call_arguments.done', item_id: item.id, output_index, arguments: item.arguments }));
    }
    events.push(ev({ type: 'response.output_item.done', output_index, item }));
  });
  events.push(ev({ type: 'response.completed', response: final }));
  writeStream(res, events.map((e) => sse('responses', e)));
}

// ---- request checks, as the real APIs make them ------------------------------------

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

// ---- wire helpers -------------------------------------------------------------------

function errorBody(api: Api, type: string, message: string): unknown {
  return api === 'anthropic' ? { type: 'error', error: { type, message } } : { error: { message, type, param: null, code: null } };
}

function sendError(res: ServerResponse, api: Api, status: number, type: string, message: string): void {
  send(res, status, errorBody(api, type, message));
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** One SSE event: Anthropic and Responses name the event; Chat Completions sends data only. */
function sse(api: Api, data: Record<string, unknown>, dataOnly = api === 'chat'): string {
  return `${dataOnly ? '' : `event: ${String(data.type)}\n`}data: ${JSON.stringify(data)}\n\n`;
}

const stalled = new WeakSet<ServerResponse>();

/** Writes the events in a few network chunks, some of them splitting an event in two. */
function writeStream(res: ServerResponse, events: string[]): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const all = events.join('');
  const size = Math.max(64, Math.ceil(all.length / 5));
  let i = 0;
  const tick = () => {
    if (stalled.has(res) && i >= all.length / 2) return;
    if (i >= all.length) return void res.end();
    res.write(all.slice(i, (i += size)));
    setImmediate(tick);
  };
  tick();
}

/** Text in small pieces, the way models stream it. */
function pieces(text: string, size = 7): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
