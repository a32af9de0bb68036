/**
 * The model picker's settings: which model, its endpoint, and the user's
 * key. Everything is kept in this browser's localStorage only; the key is
 * sent to the endpoint the user typed, straight from this page, and nowhere
 * else.
 */
import { anthropic, openai, type Model } from '@pybox/agent';
import { offlineAgent } from './offline.js';

/** The kinds of model the page offers. */
export type ModelKind = 'offline' | 'anthropic' | 'openai-chat' | 'openai-responses';

/** An endpoint's settings. */
export interface EndpointSettings {
  baseURL: string;
  model: string;
  apiKey: string;
}

/** Everything the picker remembers. */
export interface ModelSettings {
  kind: ModelKind;
  endpoints: Record<Exclude<ModelKind, 'offline'>, EndpointSettings>;
}

/**
 * What each kind is called in the picker, and its defaults (as in the official SDKs).
 *
 * @example
 * ```ts
 * MODEL_KINDS.anthropic.defaults?.baseURL // 'https://api.anthropic.com'
 * ```
 */
export const MODEL_KINDS: Record<ModelKind, { label: string; defaults?: Omit<EndpointSettings, 'apiKey'> }> = {
  offline: { label: 'Offline agent (no key)' },
  anthropic: { label: 'Anthropic (Messages)', defaults: { baseURL: 'https://api.anthropic.com', model: 'claude-sonnet-4-5' } },
  'openai-chat': { label: 'OpenAI-compatible (Chat)', defaults: { baseURL: 'https://api.openai.com/v1', model: 'gpt-4.1' } },
  'openai-responses': { label: 'OpenAI (Responses)', defaults: { baseURL: 'https://api.openai.com/v1', model: 'gpt-4.1' } },
};

const STORAGE_KEY = 'pybox-playground:model';

/**
 * The saved settings, or the defaults (the offline agent).
 *
 * @example
 * ```ts
 * const settings = loadModelSettings()
 * settings.kind // 'offline' on a first visit
 * ```
 */
export function loadModelSettings(): ModelSettings {
  const fallback: ModelSettings = {
    kind: 'offline',
    endpoints: {
      anthropic: { ...MODEL_KINDS.anthropic.defaults!, apiKey: '' },
      'openai-chat': { ...MODEL_KINDS['openai-chat'].defaults!, apiKey: '' },
      'openai-responses': { ...MODEL_KINDS['openai-responses'].defaults!, apiKey: '' },
    },
  };
  try {
    const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null') as Partial<ModelSettings> | null;
    if (!saved || !(saved.kind && saved.kind in MODEL_KINDS)) return fallback;
    const endpoints = { ...fallback.endpoints };
    for (const kind of Object.keys(endpoints) as (keyof typeof endpoints)[]) endpoints[kind] = { ...endpoints[kind], ...saved.endpoints?.[kind] };
    return { kind: saved.kind, endpoints };
  } catch {
    return fallback; // unreadable (or storage blocked): start over
  }
}

/**
 * Saves the settings, key included, in this browser's localStorage.
 *
 * @example
 * ```ts
 * saveModelSettings({ ...settings, kind: 'anthropic' })
 * ```
 */
export function saveModelSettings(settings: ModelSettings): void {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(settings));
  } catch {
    // Storage blocked (private mode): the settings last for this page only.
  }
}

/**
 * The model the settings describe.
 * @throws Error when an endpoint lacks what it needs (a message for the page)
 *
 * @example
 * ```ts
 * const model = modelFor(loadModelSettings())
 * ```
 */
export function modelFor(settings: ModelSettings): Model {
  if (settings.kind === 'offline') return offlineAgent();
  const e = settings.endpoints[settings.kind];
  if (!e.baseURL.trim()) throw new Error('Give the endpoint\'s base URL.');
  if (!e.model.trim()) throw new Error('Give the model id.');
  const common = { baseURL: e.baseURL.trim(), model: e.model.trim(), ...(e.apiKey ? { apiKey: e.apiKey } : {}) };
  if (settings.kind === 'anthropic') return anthropic(common);
  // Local servers (Ollama, LM Studio, vLLM) take any key; OpenAI's needs yours.
  return openai({ ...common, apiKey: e.apiKey || 'none', api: settings.kind === 'openai-chat' ? 'chat' : 'responses' });
}
