// Every TypeScript code block in README.md and docs/*.md, and the type-level checks in
// test/types/*.ts, compiles under `strict` against the package's sources ('recur' → src/index.ts,
// 'recur/node' → src/node.ts). A block whose info string is `ts no-check` is skipped (none should be).
import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import ts from 'typescript';

const root = resolve(import.meta.dirname, '..');

/** ```ts / ```typescript blocks of a markdown file, with their starting line. */
export function codeBlocks(markdown: string): Array<{ line: number; code: string }> {
  const out: Array<{ line: number; code: string }> = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)```(ts|typescript)(\s+no-check)?\s*$/.exec(lines[i]);
    if (!m) continue;
    const start = i + 1;
    let j = start;
    while (j < lines.length && !/^\s*```\s*$/.test(lines[j])) j++;
    if (!m[3]) out.push({ line: start + 1, code: lines.slice(start, j).map((l) => l.slice(m[1].length)).join('\n') });
    i = j;
  }
  return out;
}

function compile(files: Record<string, string>): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'recur-docs-'));
  try {
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    const names: string[] = [];
    for (const [name, code] of Object.entries(files)) {
      const f = join(dir, name);
      // A block is a module of its own (top-level await, no global name clashes).
      writeFileSync(f, /\b(import|export)\b/.test(code) ? code : `${code}\nexport {};\n`);
      names.push(f);
    }
    const program = ts.createProgram(names, {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
      types: ['node'],
      typeRoots: [join(root, 'node_modules/@types')],
      skipLibCheck: true,
      baseUrl: root,
      paths: { recur: ['src/index.ts'], 'recur/node': ['src/node.ts'], 'recur/browser': ['src/index.ts'] },
    });
    return ts.getPreEmitDiagnostics(program)
      .filter((d) => d.file === undefined || d.file.fileName.startsWith(dir))
      .map((d) => {
        const msg = ts.flattenDiagnosticMessageText(d.messageText, '\n');
        if (!d.file || d.start === undefined) return msg;
        const { line } = d.file.getLineAndCharacterOfPosition(d.start);
        return `${d.file.fileName.slice(dir.length + 1)}:${line + 1}: ${msg}`;
      });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const docs = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

describe('TypeScript in the docs type-checks (strict)', () => {
  it('README.md and docs/*.md code blocks, and test/types/*.ts', () => {
    const files: Record<string, string> = {};
    let blocks = 0;
    for (const doc of docs) {
      for (const b of codeBlocks(readFileSync(join(root, doc), 'utf8'))) {
        // The browser guide imports the bundle by path; it is the same module as 'recur'.
        const code = b.code.replace(/from '\.\/recur\.js'/g, "from 'recur'");
        files[`${doc.replace(/[/.]/g, '_')}_L${b.line}.ts`] = code;
        blocks++;
      }
    }
    for (const f of readdirSync(join(root, 'test/types')).filter((x) => x.endsWith('.ts'))) {
      files[`types_${f}`] = readFileSync(join(root, 'test/types', f), 'utf8').replace(/from '\.\.\/\.\.\/src\/index\.js'/g, "from 'recur'");
    }
    expect(blocks).toBeGreaterThanOrEqual(8);
    // One program for all (a compile takes seconds); a deliberately wrong file shows the check can fail.
    files['zz_must_fail.ts'] = "import { LSTM, randn } from 'recur';\nconst [o] = new LSTM(2, 3).forward(randn([4, 2]));\nconst n: number = o;\n";
    const errors = compile(files);
    expect(errors.filter((e) => !e.startsWith('zz_must_fail.ts'))).toEqual([]);
    expect(errors.join('\n')).toMatch(/zz_must_fail\.ts:3: Type 'Tensor' is not assignable to type 'number'/);
  });
});
