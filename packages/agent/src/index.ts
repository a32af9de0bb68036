/**
 * `@pybox/agent`: agents that write Python. One tool, `run_python`, for every
 * model API; providers over `fetch` (browsers and Node alike); and an agent
 * loop over a PyBox context.
 *
 * @example
 * ```ts
 * import { PyBox } from '@pybox/node'
 * import { anthropic, runAgent } from '@pybox/agent'
 * const box = await PyBox.create({ tools })
 * const model = anthropic({ apiKey: process.env.ANTHROPIC_API_KEY, model: 'claude-sonnet-4-5' })
 * const { text, steps } = await runAgent({ box, model, task: 'Summarise the open orders by country.' })
 * ```
 */
export { runAgent, type RunAgentOptions, type AgentResult, type AgentStep, type AgentEvent, type AgentUsage, type StopReason } from './loop.js';
export {
  codeTool,
  CODE_TOOL_NAME,
  type CodeTool,
  type CodeToolOptions,
  type CodeRunOptions,
  type AiSdkCodeTool,
  type StandardJsonSchemaOf,
} from './code-tool.js';
export { formatResult, cut, NO_OUTPUT, type CodeRunResult, type ResultParts } from './result.js';
export { DEFAULT_SYSTEM_PROMPT, codeToolDescription } from './prompt.js';
export { anthropic, type AnthropicOptions } from './providers/anthropic.js';
export { openai, type OpenAIOptions } from './providers/openai.js';
export { scripted, type ScriptedTurn, type ScriptedModel } from './providers/scripted.js';
export type { HttpOptions, RetryOptions } from './providers/http.js';
export type {
  Model,
  ModelRequest,
  ModelResponse,
  ModelMessage,
  ModelTool,
  ModelToolCall,
  ModelToolResult,
  ModelUsage,
  ModelCallOptions,
} from './model.js';
export * from './errors.js';
