// Finding runs by what a user types: an id, a run name (several runs may share one: baseline,
// baseline-2), or a glob with * and ?. Browser-safe.
import type { RunEntry } from './types.js';

function globToRegExp(glob: string): RegExp {
  const esc = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${esc}$`);
}

// Every run `query` designates: the run with that id; else the runs with that name; else, for a
// glob, the runs whose id or name matches. Empty when nothing matches.
export function matchRuns<T extends RunEntry>(entries: readonly T[], query: string): T[] {
  const byId = entries.find((e) => e.id === query);
  if (byId) return [byId];
  const byName = entries.filter((e) => e.meta?.name === query);
  if (byName.length) return byName;
  if (/[*?]/.test(query)) {
    const re = globToRegExp(query);
    return entries.filter((e) => re.test(e.id) || (e.meta !== null && re.test(e.meta.name)));
  }
  return [];
}

// Exactly one run for `query`, or an error message saying why not.
export function findOneRun<T extends RunEntry>(entries: readonly T[], query: string): T | string {
  const found = matchRuns(entries, query);
  if (found.length === 1) return found[0];
  if (found.length === 0) {
    const near = entries.filter((e) => e.id.includes(query)).map((e) => e.id).slice(0, 5);
    return `no run '${query}'${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}`;
  }
  return `'${query}' matches ${found.length} runs (${found.map((e) => e.id).join(', ')}); give the id`;
}
