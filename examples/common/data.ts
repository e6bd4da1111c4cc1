// Paths of the data files shipped in examples/data, and the names data set of the two char-RNN
// tutorials (a subset of their data/names/*.txt: 50 names per language, already ASCII).
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** examples/data, found from this file (examples/common/data.ts) or from the bundle in node_modules/.cache. */
export function dataDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const dir of [join(here, '..', 'data'), join(here, '..', '..', '..', 'examples', 'data')]) {
    try {
      readdirSync(dir);
      return dir;
    } catch {
      // try the next candidate
    }
  }
  throw new Error(`examples/data not found near ${here}`);
}

export const allLetters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ .,;'";
export const nLetters = allLetters.length;

/** Strips accents and drops characters outside allLetters (the tutorials' unicodeToAscii). */
export function unicodeToAscii(s: string): string {
  return [...s.normalize('NFD')].filter((c) => !/\p{Mn}/u.test(c) && allLetters.includes(c)).join('');
}

/** `{ categoryLines, allCategories }` read from examples/data/names, languages in file-name order. */
export function readNames(): { categoryLines: Record<string, string[]>; allCategories: string[] } {
  const dir = join(dataDir(), 'names');
  const categoryLines: Record<string, string[]> = {};
  const allCategories: string[] = [];
  for (const fn of readdirSync(dir).filter((f) => f.endsWith('.txt')).sort()) {
    const category = fn.slice(0, -4);
    allCategories.push(category);
    categoryLines[category] = readFileSync(join(dir, fn), 'utf8').trim().split('\n').map(unicodeToAscii);
  }
  return { categoryLines, allCategories };
}
