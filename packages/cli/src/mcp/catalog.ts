/**
 * The functions a session's Python can call, as a catalog: what the
 * `run_python` description lists, and what `search_tools` and
 * `describe_tool` look through when there are too many to list in full.
 */
import type { CliBox } from '../setup.js';

/** One function Python can call. */
export interface CatalogEntry {
  /** As Python calls it: `get_price` or `github.search_issues`. */
  name: string;
  /** The first line of its description. */
  summary: string;
  /** Its full stub (with the TypedDicts it uses). */
  stub(): string;
  /** Words to search: name and description, lower case. */
  haystack: string;
}

/**
 * The catalog of a box: host tools first, then each server's tools.
 *
 * @example
 * ```ts
 * buildCatalog(cli).map((e) => e.name) // ['get_price', 'github.search_issues']
 * ```
 */
export function buildCatalog(cli: CliBox): CatalogEntry[] {
  const host = cli.hostToolNames.map((name) => {
    const stub = () => cli.box.describeTools([name]);
    return entry(name, descriptionOf(stub()), stub);
  });
  const upstream = cli.source.upstreams.servers.flatMap((s) =>
    s.tools.map((t) => entry(`${s.namespace}.${t.pythonName}`, t.tool.description ?? '', () => cli.source.upstreams.describe(cli.box, [t.flatName]))),
  );
  return [...host, ...upstream];
}

function entry(name: string, description: string, stub: () => string): CatalogEntry {
  const summary = oneLine(description);
  return { name, summary, stub, haystack: `${name.replace(/[._]/g, ' ')} ${name} ${description}`.toLowerCase() };
}

/** The docstring's text of a rendered stub (host tools carry their description there). */
function descriptionOf(stub: string): string {
  const m = /"""([\s\S]*?)"""/.exec(stub);
  return m ? m[1]!.trim() : '';
}

function oneLine(text: string): string {
  const line = text.trim().split('\n')[0]?.trim() ?? '';
  return line.length > 100 ? `${line.slice(0, 97)}...` : line;
}

/**
 * Entries that match a query, best first: every word of the query that
 * appears in the name counts three, in the description one.
 *
 * @example
 * ```ts
 * searchCatalog(entries, 'issue search', 5)[0].name // 'github.search_issues'
 * ```
 */
export function searchCatalog(entries: CatalogEntry[], query: string, limit: number): CatalogEntry[] {
  const words = query.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
  if (words.length === 0) return entries.slice(0, limit);
  const scored = entries.map((e, index) => {
    const name = e.name.toLowerCase();
    const score = words.reduce((sum, w) => sum + (name.includes(w) ? 3 : 0) + (e.haystack.includes(w) ? 1 : 0), 0);
    return { e, score, index };
  });
  return scored
    .filter((s) => s.score > 0)
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, limit)
    .map((s) => s.e);
}

/**
 * The entry for a name as Python writes it (`github.search_issues`), or
 * with `__` for the dot (`github__search_issues`).
 *
 * @example
 * ```ts
 * findEntry(entries, 'github__search_issues')?.name // 'github.search_issues'
 * ```
 */
export function findEntry(entries: CatalogEntry[], name: string): CatalogEntry | undefined {
  const wanted = name.trim().replace(/^await\s+/, '').replace(/\(.*$/, '');
  return entries.find((e) => e.name === wanted || e.name.replace('.', '__') === wanted);
}

/**
 * The compact listing the description shows in discovery mode: one line per function.
 *
 * @example
 * ```ts
 * listCatalog(entries) // '- github.search_issues: Search issues in a repository.\n...'
 * ```
 */
export function listCatalog(entries: CatalogEntry[]): string {
  return entries.map((e) => `- ${e.name}${e.summary ? `: ${e.summary}` : ''}`).join('\n');
}
