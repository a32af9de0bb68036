// Drives a session of the local model server over HTTP, for tests that run in a browser.
import type { RecordedRequest, ServerTurn } from './model-server.js';

export function remoteSession(serverUrl: string, name: string) {
  return {
    /** The base of this session's API paths: `${base}/v1/messages`, `${base}/v1/chat/completions`... */
    base: `${serverUrl}/s/${name}`,
    async script(turns: ServerTurn[]): Promise<void> {
      const r = await fetch(`${serverUrl}/control/${name}/script`, { method: 'POST', body: JSON.stringify({ turns }) });
      if (!r.ok) throw new Error(`scripting the model server failed: ${r.status}`);
    },
    async requests(): Promise<RecordedRequest[]> {
      const r = await fetch(`${serverUrl}/control/${name}/requests`);
      return ((await r.json()) as { requests: RecordedRequest[] }).requests;
    },
  };
}
