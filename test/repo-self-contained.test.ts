// The repository stands on its own: no absolute paths of the machine it was written on, no
// references to documents that are not in it, every fixture read by a test and listed in
// tools/README.md with the command that writes it, and comments that explain the code rather than
// the history of a ticket.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve('.');
const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter((f) => f !== '' && fs.existsSync(path.join(ROOT, f)));
const isText = (f: string) => /\.(ts|mts|mjs|js|json|md|py|sh|html|css|yaml|yml|txt)$|^\.ci\/|^bin\//.test(f) && !f.startsWith('test/fixtures/');
const read = (f: string) => fs.readFileSync(path.join(ROOT, f), 'utf8');

// Built from parts so that this file does not match itself.
const ABSOLUTE = new RegExp('/' + 'work/|/' + 'root/');
// The specification, peer-test survey and scripts the project was started from (not part of it).
const OUTSIDE_DOCS = new RegExp(['FEAT' + 'URES', 'PEER' + 'TESTS', 'check_' + 'golden', 'capture_' + 'errors'].map((s) => `\\b${s}\\b`).join('|'));

describe('repository', () => {
  it('has no absolute paths of a particular machine (package-lock.json aside)', () => {
    const hits = tracked.filter((f) => isText(f) && f !== 'package-lock.json').flatMap((f) =>
      read(f).split('\n').flatMap((l, i) => (ABSOLUTE.test(l) ? [`${f}:${i + 1}: ${l.trim()}`] : [])));
    expect(hits).toEqual([]);
  });

  it('refers to no document that is not in it', () => {
    const hits = tracked.filter(isText).flatMap((f) =>
      read(f).split('\n').flatMap((l, i) => (OUTSIDE_DOCS.test(l) ? [`${f}:${i + 1}: ${l.trim()}`] : [])));
    expect(hits).toEqual([]);
  });

  it('every fixture is read by a test and listed in tools/README.md', () => {
    const tests = tracked.filter((f) => f.startsWith('test/') && f.endsWith('.ts')).map(read);
    const toolsReadme = read('tools/README.md');
    const fixtures = tracked.filter((f) => f.startsWith('test/fixtures/') && !f.endsWith('README.md'));
    expect(fixtures.length).toBeGreaterThan(0);
    for (const f of fixtures) {
      const rel = f.slice('test/fixtures/'.length);
      const base = path.basename(f);
      // A family of fixtures read through one template (`${name}.init.safetensors`) counts when a
      // test reads that template and another names the member ('pos-tagger').
      const stem = base.slice(0, base.indexOf('.'));
      const suffix = base.slice(stem.length);
      const byTemplate = tests.some((t) => t.includes(`}${suffix}\``)) && tests.some((t) => t.includes(`'${stem}'`));
      const used = byTemplate || tests.some((t) => t.includes(`fixtures/${rel}'`) || ((t.includes("'fixtures'") || t.includes('fixtures/')) && t.includes(`'${base}'`)));
      expect(used, `${f} is read by no test`).toBe(true);
      const listed = [rel, base, path.join(path.dirname(rel), `<name>${suffix}`)].some((r) => toolsReadme.includes(`\`${r}\``));
      expect(listed, `${f} is not in tools/README.md`).toBe(true);
    }
  });

  it('has no comments that narrate tickets or sessions in src/, web/ and test/', () => {
    const history = /(\/\/|\*).*\b(issue|session) [0-9]+/;
    const hits = tracked.filter((f) => /^(src|web|test)\//.test(f) && /\.(ts|mts|mjs|js)$/.test(f)).flatMap((f) =>
      read(f).split('\n').flatMap((l, i) => (history.test(l) ? [`${f}:${i + 1}: ${l.trim()}`] : [])));
    expect(hits).toEqual([]);
  });
});
