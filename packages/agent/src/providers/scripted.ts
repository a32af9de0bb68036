/**
 * `scripted(turns)`: a model that replays prepared turns. The offline
 * provider for tests, demos and examples: no network, no key.
 */
import { AbortedError, InvalidArgumentError } from '@pybox/core';
import { CODE_TOOL_NAME } from '../code-tool.js';
import type { Model, ModelCallOptions, ModelRequest, ModelResponse, ModelToolCall } from '../model.js';

/**
 * One prepared turn (see the example of {@link scripted}):
 * - a string: the final answer;
 * - `{ code }`: a `run_python` call (several with an array), with optional `text` before it;
 * - `{ toolCalls }`: raw calls, to test what the loop does with malformed ones;
 * - a function of the request (and the turn's index) returning one of these.
 */
export type ScriptedTurn =
  | string
  | { text?: string; code?: string | string[]; toolCalls?: { name: string; arguments: string | object; id?: string }[] }
  | ((request: ModelRequest, index: number) => ScriptedTurn | Promise<ScriptedTurn>);

/** A scripted model, with what it was asked. */
export interface ScriptedModel extends Model {
  /** Every request, in order. */
  readonly requests: ModelRequest[];
}

/**
 * A model that answers with `turns`, one per request. Token usage is an
 * estimate (4 characters a token); `requestChars` is exact.
 *
 * @example
 * ```ts
 * const model = scripted([
 *   { code: 'orders = await list_orders("open")\nprint(len(orders))' },
 *   'There are 3 open orders.',
 * ])
 * const { text, steps } = await runAgent({ box, model, task: 'How many open orders?' })
 * ```
 */
export function scripted(turns: ScriptedTurn[], options: { name?: string } = {}): ScriptedModel {
  if (!Array.isArray(turns)) throw new InvalidArgumentError('scripted(turns) needs an array of turns');
  const requests: ModelRequest[] = [];
  let ids = 0;
  return {
    name: options.name ?? 'scripted',
    requests,
    async generate(request: ModelRequest, call: ModelCallOptions = {}): Promise<ModelResponse> {
      if (call.signal?.aborted) throw new AbortedError('the agent run was aborted');
      const index = requests.length;
      requests.push(structuredClone(request));
      let turn = turns[index];
      if (turn === undefined) {
        throw new InvalidArgumentError(`scripted: the model was asked for turn ${index + 1}, but only ${turns.length} were prepared`);
      }
      while (typeof turn === 'function') turn = await turn(request, index);
      const { text, toolCalls } = expand(turn, () => `call_${++ids}`);
      if (text) call.onText?.(text);
      const requestChars = JSON.stringify(request).length;
      const outputChars = text.length + toolCalls.reduce((n, c) => n + c.arguments.length, 0);
      return {
        text,
        toolCalls,
        usage: { inputTokens: Math.ceil(requestChars / 4), outputTokens: Math.ceil(outputChars / 4) },
        stopReason: toolCalls.length ? 'tool_use' : 'end_turn',
        requestChars,
      };
    },
  };
}

function expand(turn: Exclude<ScriptedTurn, Function>, nextId: () => string): { text: string; toolCalls: ModelToolCall[] } {
  if (typeof turn === 'string') return { text: turn, toolCalls: [] };
  if (typeof turn !== 'object' || turn === null) throw new InvalidArgumentError(`scripted: a turn must be a string or an object, got ${typeof turn}`);
  const codes = turn.code === undefined ? [] : Array.isArray(turn.code) ? turn.code : [turn.code];
  const toolCalls: ModelToolCall[] = [
    ...codes.map((code) => ({ id: nextId(), name: CODE_TOOL_NAME, arguments: JSON.stringify({ code }) })),
    ...(turn.toolCalls ?? []).map((c) => ({
      id: c.id ?? nextId(),
      name: c.name,
      arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments),
    })),
  ];
  return { text: turn.text ?? '', toolCalls };
}
