// The local model server's request checks can fail: each refuses the mistakes a real API refuses.
import { expect, it } from 'vitest';
import { checkRequest } from '../agent/request-checks.js';

const json = { 'content-type': 'application/json' };
const anthropicHeaders = { ...json, 'x-api-key': 'k', 'anthropic-version': '2023-06-01' };
const bearer = { ...json, authorization: 'Bearer k' };
const tool = { name: 'run_python', description: 'Run code.', input_schema: { type: 'object', properties: {} } };
const use = { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'run_python', input: { code: '1' } }] };

it('Anthropic: a valid conversation passes; unpaired ids, mixed blocks, missing headers and OpenAI-shaped tools do not', () => {
  const ok = { model: 'm', max_tokens: 10, tools: [tool], messages: [{ role: 'user', content: 'hi' }, use, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '1' }] }] };
  expect(checkRequest('anthropic', anthropicHeaders, ok)).toEqual([]);
  const wrongId = { ...ok, messages: [ok.messages[0], use, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_2', content: '1' }] }] };
  expect(checkRequest('anthropic', anthropicHeaders, wrongId).join()).toMatch(/unexpected tool_use_id.*toolu_2.*tool_use ids were found without tool_result blocks|tool_use ids were found without tool_result blocks.*toolu_1/s);
  const mixed = { ...ok, messages: [ok.messages[0], use, { role: 'user', content: [{ type: 'text', text: 'x' }, { type: 'tool_result', tool_use_id: 'toolu_1', content: '1' }] }] };
  expect(checkRequest('anthropic', anthropicHeaders, mixed).join()).toContain('must hold only tool_result blocks');
  expect(checkRequest('anthropic', json, ok)).toEqual(['x-api-key header is required', 'anthropic-version header is required']);
  const openaiTool = { ...ok, tools: [{ type: 'function', function: { name: 'run_python', parameters: { type: 'object' } } }] };
  expect(checkRequest('anthropic', anthropicHeaders, openaiTool).join()).toContain('Extra inputs are not permitted');
});

it('Chat Completions: every tool_call answered by a tool message with its id', () => {
  const call = { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'run_python', arguments: '{}' } }] };
  const ok = { model: 'm', messages: [{ role: 'user', content: 'hi' }, call, { role: 'tool', tool_call_id: 'call_1', content: '1' }] };
  expect(checkRequest('chat', bearer, ok)).toEqual([]);
  expect(checkRequest('chat', bearer, { ...ok, messages: [ok.messages[0], call] }).join()).toContain("the last assistant message's tool_calls have no tool messages: call_1");
  expect(checkRequest('chat', bearer, { ...ok, messages: [ok.messages[0], { role: 'tool', tool_call_id: 'call_9', content: '1' }] }).join()).toContain(
    "must be a response to a preceding message with 'tool_calls'",
  );
  expect(checkRequest('chat', bearer, { ...ok, tools: [{ type: 'function', name: 'flat' }] }).join()).toContain('tools[0].function.name');
});

it('Responses: every function_call has its function_call_output, tools are flat', () => {
  const ok = {
    model: 'm',
    input: [{ role: 'user', content: 'hi' }, { type: 'function_call', call_id: 'call_1', name: 'run_python', arguments: '{}' }, { type: 'function_call_output', call_id: 'call_1', output: '1' }],
    tools: [{ type: 'function', name: 'run_python', parameters: { type: 'object' } }],
  };
  expect(checkRequest('responses', bearer, ok)).toEqual([]);
  expect(checkRequest('responses', bearer, { ...ok, input: ok.input.slice(0, 2) })).toEqual(['No tool output found for function call call_1.']);
  expect(checkRequest('responses', bearer, { ...ok, input: [ok.input[0], ok.input[2]] }).join()).toContain('No tool call found for function call output with call_id call_1');
  expect(checkRequest('responses', bearer, { ...ok, tools: [{ type: 'function', function: { name: 'x', parameters: { type: 'object' } } }] }).join()).toContain(
    'Responses tools are flat',
  );
});
