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
import { checkRequest, type Api } from './request-checks.js';

export type { Api } from './request-checks.js';

/** A tool call the server makes the model emit. `code` is shorthand for a run_python call. */
export type ServerCall = { code: string } | { name: string; arguments: string | object };

/** One scripted answer. */
export type ServerTurn =
  | { text?: string; calls?: ServerCall[]; usage?: { input: number; output: number }; delayMs?: number; stall?: boolean; plainJson?: boolean }
  | { status: number; body?: unknown; headers?: Record<string, string> }
  | { drop: 'before-headers' | 'mid-stream' }
  | { malformed: true };

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
