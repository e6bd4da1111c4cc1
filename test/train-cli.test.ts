// `recur train` / `predict` / `eval` driven as a user would: through the built CLI.
import { describe, it, expect, beforeAll } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { recur, tmpDir, isOneLineError } from './helpers/cli.js';
import { decodeModel } from '../src/train/checkpoint.js';

const TINY = ['--hidden_dim', '8', '--embed_dim', '4', '--total_steps', '40', '--save_every', '20', '--eval_every', '20', '--log_every', '10'];

function modelAt(runDir: string, step: number) {
  const f = path.join(runDir, 'checkpoints', `step-${String(step).padStart(6, '0')}`, 'model.safetensors');
  return decodeModel(fs.readFileSync(f)).state;
}

function expectSameWeights(a: ReturnType<typeof modelAt>, b: ReturnType<typeof modelAt>) {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  for (const k of Object.keys(a)) expect(Array.from(a[k].data)).toEqual(Array.from(b[k].data));
}

describe('recur train --help', () => {
  const line = (help: string, flag: string) => help.replace(/\n {10,}/g, ' ').split('\n').find((l) => l.trimStart().startsWith(`--${flag} `)) ?? '';
  it('shows the article\'s defaults, or with --preset (before or after --help) that preset\'s values', () => {
    const plain = recur(['train', '--help']);
    expect(plain.code).toBe(0);
    expect(line(plain.stdout, 'hidden_dim')).toMatch(/\(default: 16\)/);
    expect(line(plain.stdout, 'cell')).toMatch(/\(default: rnn\)/);
    for (const args of [['train', '--preset', 'robust', '--help'], ['train', '--help', '--preset', 'robust']]) {
      const r = recur(args);
      expect(r.code).toBe(0);
      expect(line(r.stdout, 'hidden_dim')).toMatch(/\(default: 256, from --preset robust\)/);
      expect(line(r.stdout, 'cell')).toMatch(/\(default: gru, from --preset robust\)/);
      expect(line(r.stdout, 'state_noise')).toMatch(/\(default: 0\.4, from --preset robust\)/);
      expect(line(r.stdout, 'min_lr')).toMatch(/\(default: 0\.0001\)$/); // not set by the preset
    }
  });
});

describe('recur train', () => {
  let root: string;
  let runDir: string;
  let lines: Array<Record<string, unknown>>;

  beforeAll(() => {
    root = tmpDir();
    const r = recur(['train', ...TINY, '--seed', '3', '--save_dir', root, '--run_name', 'tiny', '--json']);
    expect(r.code, r.stderr).toBe(0);
    lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    runDir = path.join(root, 'tiny');
  });

  it('--json prints a line per logged step with step, loss and lr, and a final line with accuracy, seconds, steps_per_s', () => {
    const steps = lines.filter((l) => typeof l.loss === 'number' && l.event === undefined);
    expect(steps.map((l) => l.step)).toEqual([10, 20, 30, 40]);
    for (const l of steps) expect(typeof l.lr).toBe('number');
    const end = lines[lines.length - 1];
    expect(end.event).toBe('end');
    expect(end.status).toBe('finished');
    expect(typeof end.accuracy).toBe('number');
    expect(end.seconds as number).toBeGreaterThan(0);
    expect(end.steps_per_s as number).toBeGreaterThan(0);
    expect(end.run_dir).toBe(runDir);
  });

  it('records the resolved config with seed and version, and checkpoints every save_every and at the end', () => {
    const cfg = JSON.parse(fs.readFileSync(path.join(runDir, 'config.json'), 'utf8'));
    expect(cfg.seed).toBe(3);
    expect(cfg.hidden_dim).toBe(8);
    expect(cfg.recur_version).toMatch(/^\d+\.\d+\.\d+/);
    expect(fs.readdirSync(path.join(runDir, 'checkpoints')).sort()).toEqual(['step-000020', 'step-000040']);
    const meta = JSON.parse(fs.readFileSync(path.join(runDir, 'meta.json'), 'utf8'));
    expect(meta.status).toBe('finished');
    expect(meta.seed).toBe(3);
  });

  it('checkpoints use PyTorch state-dict names', () => {
    expect(Object.keys(modelAt(runDir, 40)).sort()).toEqual(
      ['embedding.weight', 'fc.bias', 'fc.weight', 'rnn.bias_hh_l0', 'rnn.bias_ih_l0', 'rnn.weight_hh_l0', 'rnn.weight_ih_l0'],
    );
  });

  it('the same seed gives the same weights; a second run of the same name gets its own directory', () => {
    const r = recur(['train', ...TINY, '--seed', '3', '--save_dir', root, '--run_name', 'tiny', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.existsSync(path.join(root, 'tiny-2', 'config.json'))).toBe(true);
    expectSameWeights(modelAt(runDir, 40), modelAt(path.join(root, 'tiny-2'), 40));
  });

  it('without --seed a seed is drawn, recorded, and reproduces the run', () => {
    const r = recur(['train', ...TINY, '--save_dir', root, '--run_name', 'noseed', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const seed = JSON.parse(fs.readFileSync(path.join(root, 'noseed', 'config.json'), 'utf8')).seed;
    expect(Number.isInteger(seed)).toBe(true);
    const again = recur(['train', ...TINY, '--seed', String(seed), '--save_dir', root, '--run_name', 'noseed-again', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expectSameWeights(modelAt(path.join(root, 'noseed'), 40), modelAt(path.join(root, 'noseed-again'), 40));
  });

  it('--resume from step 20 ends with exactly the weights of the uninterrupted run', () => {
    const copy = path.join(root, 'resumed');
    fs.cpSync(runDir, copy, { recursive: true });
    fs.rmSync(path.join(copy, 'checkpoints', 'step-000040'), { recursive: true });
    const r = recur(['train', '--resume', copy]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('continuing from step 20 of 40');
    expectSameWeights(modelAt(runDir, 40), modelAt(copy, 40));
  });

  it('kebab-case flags work like snake_case', () => {
    const r = recur(['train', '--hidden-dim', '8', '--embed-dim=4', '--total-steps', '10', '--save_dir', root, '--run-name', 'kebab', '--seed', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const cfg = JSON.parse(fs.readFileSync(path.join(root, 'kebab', 'config.json'), 'utf8'));
    expect([cfg.hidden_dim, cfg.embed_dim, cfg.total_steps]).toEqual([8, 4, 10]);
  });

  it('warns when --state_noise_ramp is given without state noise, and not when there is noise', () => {
    const bare = recur(['train', ...TINY, '--total_steps', '5', '--state_noise_ramp', '100', '--seed', '1', '--save_dir', root, '--run_name', 'ramp0', '--json']);
    expect(bare.code, bare.stderr).toBe(0);
    expect(bare.stderr).toContain('warning: --state_noise_ramp 100 has no effect while --state_noise is 0');
    const noisy = recur(['train', ...TINY, '--total_steps', '5', '--state_noise', '0.1', '--state_noise_ramp', '100', '--seed', '1', '--save_dir', root, '--run_name', 'ramp1', '--json']);
    expect(noisy.code, noisy.stderr).toBe(0);
    expect(noisy.stderr).not.toContain('warning');
  });

  it('stops with a clear message when the loss becomes NaN/Inf and keeps the last good checkpoint', () => {
    // lr 1e19: Adam moves every weight by ~1e19 per step, so within a few steps the float32
    // products (~1e38 and more) overflow in the forward pass.
    const r = recur(['train', '--hidden_dim', '8', '--embed_dim', '4', '--total_steps', '2000', '--lr', '1e19', '--min_lr', '1e19',
      '--save_every', '1', '--eval_every', '1000', '--seed', '0', '--save_dir', root, '--run_name', 'nan']);
    expect(r.code).toBe(3);
    // The loss goes non-finite, or before that the checkpoint check finds weights whose output is.
    const m = /(?:loss became (?:NaN|Infinity|-Infinity)|the weights became unusable) at step (\d+)[^;]*; stopping \(the last good checkpoint \(step (\d+)\) is kept\)/.exec(r.stderr + r.stdout);
    expect(m, r.stderr + r.stdout).not.toBeNull();
    const bad = Number(m![1]);
    const kept = Number(m![2]);
    expect(kept).toBe(bad - 1);
    const dir = path.join(root, 'nan');
    const ck = fs.readdirSync(path.join(dir, 'checkpoints')).filter((n) => n.startsWith('step-')).sort();
    expect(ck[ck.length - 1]).toBe(`step-${String(kept).padStart(6, '0')}`);
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8'));
    expect(meta.status).toBe('failed');
    expect(r.stderr).toContain(`${meta.reason}; stopping`);
  });

  it('--init_from starts from PyTorch weights: the first loss equals PyTorch\'s', () => {
    const trace = JSON.parse(fs.readFileSync('test/fixtures/torch_trace_baseline.json', 'utf8'));
    const r = recur(['train', '--init_from', 'test/fixtures/torch_init_baseline.safetensors', '--data_rng', 'python', '--seed', String(trace.seed),
      '--total_steps', '5', '--log_every', '1', '--save_dir', root, '--run_name', 'fromtorch', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const first = r.stdout.split('\n').map((l) => (l ? JSON.parse(l) : null)).find((l) => l && l.step === 1);
    expect(Math.abs(first.loss - trace.losses[0])).toBeLessThan(1e-5);
  });
});

describe('recur train --threads', () => {
  it('2 threads and 1 give the same weights, and the run says how many it used', () => {
    const root = tmpDir();
    // hidden 128: each layer's forward is over threadTuning.minWork (700 K multiply-adds), so it is shared
    const args = ['train', '--preset', 'sota', '--hidden_dim', '128', '--total_steps', '40', '--save_every', '40', '--eval_every', '40', '--seed', '4', '--save_dir', root];
    const two = recur([...args, '--run_name', 'two', '--threads', '2']);
    const one = recur([...args, '--run_name', 'one', '--threads', '1']);
    expect(two.code, two.stderr).toBe(0);
    expect(one.code, one.stderr).toBe(0);
    expect(two.stdout).toMatch(/steps\/s, 2 threads\), saved in/);
    expect(one.stdout).not.toMatch(/threads/);
    expectSameWeights(modelAt(path.join(root, 'two'), 40), modelAt(path.join(root, 'one'), 40));
    const twoMeta = JSON.parse(fs.readFileSync(path.join(root, 'two', 'meta.json'), 'utf8'));
    expect(twoMeta.summary.threads).toBe(2);
    // the kernel variant is recorded (this machine has WASM SIMD; RECUR_NO_WASM=1 gives 'js')
    expect(twoMeta.summary.kernels).toBe('wasm-simd128');
    // a model too small to split stays on one thread, and says so
    const small = recur(['train', ...TINY, '--save_dir', root, '--run_name', 'small', '--threads', '2']);
    expect(small.code, small.stderr).toBe(0);
    expect(small.stdout).not.toMatch(/threads/);
    expect(JSON.parse(fs.readFileSync(path.join(root, 'small', 'meta.json'), 'utf8')).summary.threads).toBe(1);
  });
});

describe('CLI errors are one line and a non-zero exit', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['unknown flag', ['train', '--hidden_dimm', '8'], /unknown option '--hidden_dimm'/],
    ['bad integer', ['train', '--hidden_dim', 'abc'], /--hidden_dim expects an integer, got 'abc'/],
    ['bad number', ['train', '--lr', 'fast'], /--lr expects a number, got 'fast'/],
    ['bad choice', ['train', '--cell', 'transformer'], /--cell must be one of rnn, lstm, gru, got 'transformer'/],
    ['relation between flags', ['train', '--min_seq_len', '6'], /--max_seq_len \(5\) must be ≥ --min_seq_len \(6\)/],
    ['resume a missing run', ['train', '--resume', '/nonexistent/run'], /no run at \/nonexistent\/run/],
    ['predict with no runs', ['predict', '--save_dir', '/nonexistent/root', '1', '2'], /no trained run with a checkpoint under/],
    ['missing checkpoint file', ['predict', '--checkpoint', '/nonexistent/model.safetensors', '1'], /cannot read checkpoint .*no such file/],
    ['--threads out of range', ['train', '--threads', '3'], /--threads expects 1 or 2, got '3'/],
  ];
  for (const [name, args, msg] of cases) {
    it(name, () => {
      const r = recur(args);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(msg);
      expect(isOneLineError(r.stderr)).toBe(true);
    });
  }

  it('a corrupt checkpoint', () => {
    const dir = tmpDir();
    const f = path.join(dir, 'model.safetensors');
    fs.writeFileSync(f, Buffer.from('this is not a safetensors file at all'));
    const r = recur(['predict', '--checkpoint', f, '1']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/is corrupt or not safetensors/);
    expect(isOneLineError(r.stderr)).toBe(true);
  });

  it('--verbose shows the stack', () => {
    const r = recur(['--verbose', 'predict', '--checkpoint', '/nonexistent/model.safetensors', '1']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^\s+at /m);
  });
});

describe('recur predict and eval', () => {
  let root: string;
  beforeAll(() => {
    root = tmpDir();
    const r = recur(['train', ...TINY, '--seed', '5', '--save_dir', root, '--run_name', 'p']);
    expect(r.code, r.stderr).toBe(0);
  });

  it('answers typed sequences at >>> and handles bad input without leaving the prompt', () => {
    const r = recur(['predict', '--save_dir', root], { input: '1 2 3\n\nabc 1\n4 12\n3 7 1 9 8 8 8 1 2 3 4 5\nquit\n' });
    expect(r.code, r.stderr).toBe(0);
    const out = r.stdout;
    expect(out.startsWith('>>> ')).toBe(true);
    expect(out).toContain('sequence:    [1, 2, 3]');
    expect(out).toMatch(/true answer: 6 \(sum mod 10\)/);
    expect(out).toMatch(/enter digits separated by spaces/);
    expect(out).toMatch(/'abc' is not an integer/);
    expect(out).toMatch(/12 is out of range: digits must be in 0\.\.9/);
    // A sequence longer than training's 2..5 works: 3+7+1+9+8+8+8+1+2+3+4+5 = 59 → 9.
    expect(out).toMatch(/sequence: {4}\[3, 7, 1, 9, 8, 8, 8, 1, 2, 3, 4, 5\]\nprediction: {2}\d \(probability \d+\.\d%\)\ntrue answer: 9/);
    expect((out.match(/>>> /g) ?? []).length).toBe(6);
  });

  it('EOF ends the prompt', () => {
    const r = recur(['predict', '--save_dir', root], { input: '4 4\n' });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/true answer: 8/);
  });

  it('one-shot with --json', () => {
    const r = recur(['predict', '--save_dir', root, '--json', '9', '9', '9']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.sequence).toEqual([9, 9, 9]);
    expect(j.truth).toBe(7);
    expect(j.prediction).toBeGreaterThanOrEqual(0);
    expect(j.prediction).toBeLessThan(10);
    expect(j.probability).toBeGreaterThan(0);
    expect(j.probability).toBeLessThanOrEqual(1);
  });

  it('a digit out of range in one-shot mode is an error', () => {
    const r = recur(['predict', '--save_dir', root, '1', '10']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/10 is out of range/);
  });

  it('eval reports overall and per-length accuracy as JSON', () => {
    const r = recur(['eval', '--save_dir', root, '--samples', '50', '--per_length', '20', '--lengths', '2..4,10', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.samples).toBe(50);
    expect(j.byLength.map((x: { length: number }) => x.length)).toEqual([2, 3, 4, 10]);
    for (const x of j.byLength) expect(x.accuracy).toBeGreaterThanOrEqual(0);
  });
});

describe('Ctrl-C', () => {
  it('stops after writing a checkpoint, marks the run interrupted and keeps every logged metric', async () => {
    const { recurAsync } = await import('./helpers/cli.js');
    const root = tmpDir();
    const child = recurAsync(['train', '--hidden_dim', '8', '--embed_dim', '4', '--total_steps', '1000000', '--log_every', '50',
      '--save_every', '1000000', '--eval_every', '1000000', '--seed', '2', '--save_dir', root, '--run_name', 'int', '--json']);
    let out = '';
    await new Promise<void>((res) => child.stdout!.on('data', (d) => { out += d; if (/"step":50,"loss"/.test(out)) res(); }));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((res) => child.once('exit', (c) => res(c)));
    expect(code).toBe(130);
    const end = JSON.parse(out.trim().split('\n').pop()!);
    expect(end.status).toBe('interrupted');
    const dir = path.join(root, 'int');
    const steps = fs.readdirSync(path.join(dir, 'checkpoints')).filter((n) => n.startsWith('step-'));
    expect(steps).toEqual([`step-${String(end.step).padStart(6, '0')}`]);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8')).status).toBe('interrupted');
    // The metrics log has every logged step up to the stop.
    const logged = fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => 'loss' in r);
    expect(logged.map((r) => r.step)).toEqual(Array.from({ length: Math.floor(end.step / 50) }, (_, i) => 50 * (i + 1)));
  });
});
