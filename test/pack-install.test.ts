// The package as a user gets it: `npm pack`, `npm install` of the tarball into a new ESM project
// (no @types/node), a TypeScript script with a custom model type-checks under strict (library
// .d.ts files checked too: skipLibCheck false) and runs: it trains, saves and loads.
// Needs dist/ (npm test builds it first) and npm's cache or registry for the dependencies.
import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';

const root = resolve(import.meta.dirname, '..');

const script = `import { Module, Embedding, GRU, Linear, Adam, Tensor, PackedSequence, crossEntropy, packPaddedSequence, padPackedSequence, tensor, manualSeed } from 'recur';
import { save, load } from 'recur/node';

manualSeed(0);

class Tagger extends Module {
  embed = new Embedding(10, 6, { paddingIdx: 0 });
  gru = new GRU(6, 12, { batchFirst: true });
  fc = new Linear(12, 4);
  forward(x: Tensor, lengths: number[]): Tensor {
    const packed = packPaddedSequence(this.embed.forward(x), lengths, { batchFirst: true, enforceSorted: false });
    const [out]: [PackedSequence, Tensor] = this.gru.forward(packed);
    const [padded] = padPackedSequence(out, { batchFirst: true });
    return this.fc.forward(padded);
  }
}

const model = new Tagger();
const x = tensor([[1, 2, 3], [4, 5, 0]]);
const y = tensor([1, 2, 3, 0, 1, 2]);
const opt = new Adam(model.parameters(), 0.05);
const losses: number[] = [];
for (let step = 0; step < 30; step++) {
  opt.zeroGrad();
  const loss = crossEntropy(model.forward(x, [3, 2]).reshape(-1, 4), y);
  loss.backward();
  opt.step();
  losses.push(loss.item());
}
save(model.stateDict(), 'tagger.safetensors');
const again = new Tagger();
again.loadStateDict(load('tagger.safetensors'));
const same = again.fc.weight.toArray().flat().every((v: number, i: number) => v === model.fc.weight.data[i]);
console.log(JSON.stringify({ first: losses[0], last: losses[losses.length - 1], repr: model.toString(), same }));
`;

describe('npm pack → npm install → a custom model in a fresh TypeScript project', () => {
  it('type-checks without @types/node and runs', () => {
    expect(existsSync(join(root, 'dist/index.d.ts')), 'run npm run build first').toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'recur-pack-'));
    try {
      execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: root, stdio: 'pipe' });
      const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
      const proj = join(dir, 'proj');
      execFileSync('mkdir', [proj]);
      writeFileSync(join(proj, 'package.json'), JSON.stringify({ name: 'try-recur', version: '1.0.0', private: true, type: 'module' }));
      execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(dir, tgz)], { cwd: proj, stdio: 'pipe' });
      expect(existsSync(join(proj, 'node_modules/@types/node'))).toBe(false);
      writeFileSync(join(proj, 'main.ts'), script);
      writeFileSync(join(proj, 'tsconfig.json'), JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: false, types: [], outDir: 'out' },
        include: ['main.ts'],
      }));
      let tscOut = '';
      try {
        execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], { cwd: proj, stdio: 'pipe' });
      } catch (e) {
        tscOut = String((e as { stdout?: Buffer }).stdout ?? e);
      }
      expect(tscOut).toBe('');
      const out = JSON.parse(execFileSync('node', ['out/main.js'], { cwd: proj, encoding: 'utf8' })) as { first: number; last: number; repr: string; same: boolean };
      expect(out.last).toBeLessThan(out.first / 4);
      expect(out.same).toBe(true);
      expect(out.repr).toBe('Tagger(\n  (embed): Embedding(10, 6, padding_idx=0)\n  (gru): GRU(6, 12, batch_first=True)\n  (fc): Linear(in_features=12, out_features=4, bias=True)\n)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
