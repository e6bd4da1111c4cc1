// Sweep planning: --grid / --seeds / spec parsing, trial ids and configs, reproduce's experiments.
import { describe, it, expect } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  gridSettings,
  invalidTrials,
  parseGridArg,
  parseSeeds,
  parseSpecObject,
  planTrials,
  trialId,
} from '../src/sweep/plan.js';
import { ARTICLE_EXPERIMENTS, DEFAULT_CONFIG, PRESETS } from '../src/train/config.js';
import { reproduceSeeds, reproduceSettings } from '../src/cli/reproduce.js';
import { defaultSweepName } from '../src/cli/sweep.js';
import { sanitizeRunName } from '../src/track/store.js';
import { seedRanges, specCommand } from '../src/sweep/runner-node.js';

describe('--seeds', () => {
  it('takes ranges, lists and both, sorted and without repeats', () => {
    expect(parseSeeds('0-9')).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(parseSeeds('3,1,7')).toEqual([1, 3, 7]);
    expect(parseSeeds('0-2,10-11,1')).toEqual([0, 1, 2, 10, 11]);
    expect(parseSeeds('4')).toEqual([4]);
    expect(parseSeeds([2, 0])).toEqual([0, 2]);
    expect(parseSeeds('5..6')).toEqual([5, 6]);
  });
  it('are written back as the shortest ranges, which parse to the same list (summary.md\'s command)', () => {
    expect(seedRanges([12, 13, 7, 0, 1, 2, 3, 9])).toBe('0-3,7,9,12-13');
    expect(seedRanges([5])).toBe('5');
    for (const list of ['0-19', '2,6,12,13', '0-3,7,9-10']) expect(parseSeeds(seedRanges(parseSeeds(list)))).toEqual(parseSeeds(list));
    expect(specCommand('sweep', 'r', { preset: 'robust', base: { state_noise: 0.4 }, grid: {}, seeds: parseSeeds('0-19') })).toBe(
      'recur sweep --preset robust --state_noise 0.4 --seeds 0-19 --name r',
    );
    // Values a shell would split or expand are quoted; the grid word always is.
    expect(specCommand('sweep', 'q', { base: { run_name: "it's mine", save_dir: '' }, grid: { lr: [0.001, 0.01] }, seeds: [1] })).toBe(
      "recur sweep --run_name 'it'\\''s mine' --save_dir '' --grid 'lr=0.001,0.01' --seeds 1 --name q",
    );
    expect(specCommand('reproduce', 'x', { experiments: ['sota'], seeds: [0, 1, 2], steps: 500 })).toBe('recur reproduce --experiments sota --seeds 0-2 --steps 500 --name x');
    const six = ['baseline', 'large_batch', 'large_batch_lr5e-3', 'deeper_rnn', 'sota', 'sota_warmup'];
    expect(specCommand('reproduce', 'y', { experiments: six, seeds: [0, 1, 2], steps: 20000 }, { samples: 500, seed: 1234, lengths: [10, 20, 50], perLength: 1000, threshold: 0.9, reach: 0.9 })).toBe(
      'recur reproduce --seeds 0-2 --steps 20000 --test_samples 500 --threshold 0.9 --name y',
    );
  });
  it('refuses what is not a seed list', () => {
    expect(() => parseSeeds('9-0')).toThrow(/bad range '9-0'/);
    expect(() => parseSeeds('a')).toThrow(/--seeds expects/);
    expect(() => parseSeeds('-1')).toThrow(/--seeds expects/);
    expect(() => parseSeeds('1,,2')).toThrow(/--seeds expects/);
  });
  it('reproduce: a count means seeds 0..n-1, a list or range means those seeds', () => {
    expect(reproduceSeeds('5')).toEqual([0, 1, 2, 3, 4]);
    expect(reproduceSeeds('5-7')).toEqual([5, 6, 7]);
    expect(reproduceSeeds('0,9')).toEqual([0, 9]);
    expect(() => reproduceSeeds('0')).toThrow(/count ≥ 1/);
  });
});

describe('--grid', () => {
  it('parses values with the train flag types, kebab-case keys included', () => {
    expect(parseGridArg('lr=0.001,0.005')).toEqual({ key: 'lr', values: [0.001, 0.005] });
    expect(parseGridArg('warmup-step=0,2000')).toEqual({ key: 'warmup_step', values: [0, 2000] });
    expect(parseGridArg('cell=rnn,gru,lstm')).toEqual({ key: 'cell', values: ['rnn', 'gru', 'lstm'] });
    expect(parseGridArg('bidirectional=true,false')).toEqual({ key: 'bidirectional', values: [true, false] });
    expect(parseGridArg('init_from=none,a.safetensors')).toEqual({ key: 'init_from', values: [null, 'a.safetensors'] });
  });
  it('covers the flags a robustness search needs', () => {
    for (const g of ['cell=gru', 'clip_grad_norm=0,1.5', 'warmup_step=0', 'lr=0.01', 'hidden_dim=32,64', 'num_layers=1,3', 'min_seq_len=1,2', 'max_seq_len=5,10']) {
      expect(() => parseGridArg(g)).not.toThrow();
    }
  });
  it('refuses bad values, unknown flags and flags the sweep sets itself, naming them', () => {
    expect(() => parseGridArg('lr=fast')).toThrow(/--lr expects a number, got 'fast'/);
    expect(() => parseGridArg('hidden_dim=8.5')).toThrow(/--hidden_dim expects an integer/);
    expect(() => parseGridArg('cell=transformer')).toThrow(/--cell must be one of rnn, lstm, gru/);
    expect(() => parseGridArg('hiden_dim=8')).toThrow(/unknown flag 'hiden_dim'/);
    expect(() => parseGridArg('seed=1,2')).toThrow(/use --seeds/);
    expect(() => parseGridArg('save_dir=a')).toThrow(/cannot be swept/);
    expect(() => parseGridArg('lr')).toThrow(/key=v1,v2/);
    expect(() => parseGridArg('lr=0.1,,0.2')).toThrow(/empty value/);
    expect(() => parseGridArg('lr=0.1,0.1')).toThrow(/given twice/);
  });
});

describe('spec files', () => {
  it('reads base, grid (a scalar is a one-value axis), seeds, name and preset from YAML', () => {
    const s = parseSpecObject(
      parseYaml(`
name: robust
preset: sota
base: { total_steps: 5000, clip_grad_norm: 1 }
grid:
  cell: [gru, lstm]
  warmup_step: 500
seeds: 0-3
`),
    );
    expect(s.name).toBe('robust');
    expect(s.preset).toBe('sota');
    expect(s.base).toEqual({ total_steps: 5000, clip_grad_norm: 1 });
    expect(s.grid).toEqual([
      { key: 'cell', values: ['gru', 'lstm'] },
      { key: 'warmup_step', values: [500] },
    ]);
    expect(s.seeds).toEqual([0, 1, 2, 3]);
  });
  it('reads the same from JSON, seeds as a list', () => {
    const s = parseSpecObject(JSON.parse('{"grid": {"lr": [0.001, 0.005]}, "seeds": [1, 2]}'));
    expect(s.grid).toEqual([{ key: 'lr', values: [0.001, 0.005] }]);
    expect(s.seeds).toEqual([1, 2]);
    expect(s.base).toEqual({});
  });
  it('names the file and the problem', () => {
    expect(() => parseSpecObject({ grid: { lr: ['x'] } }, 'my.yaml')).toThrow(/my.yaml: grid.lr: --lr expects a number/);
    expect(() => parseSpecObject({ gird: {} }, 'my.yaml')).toThrow(/my.yaml: unknown key 'gird'/);
    expect(() => parseSpecObject({ preset: 'nope' }, 'my.yaml')).toThrow(/unknown preset "nope"/);
    expect(() => parseSpecObject({ base: { seed: 3 } }, 'my.yaml')).toThrow(/'seed' cannot be swept/);
    expect(() => parseSpecObject([1], 'my.yaml')).toThrow(/expected a mapping/);
  });
});

describe('trials', () => {
  const grid = [parseGridArg('lr=0.001,0.005'), parseGridArg('warmup_step=0,2000')];

  it('are every setting × seed, first axis slowest, layered default < preset < base < setting < seed', () => {
    const trials = planTrials(gridSettings(grid, 'sota'), { total_steps: 5000, lr: 0.1 }, [0, 3]);
    expect(trials.map((t) => t.id)).toEqual([
      'lr-0.001_warmup_step-0_seed-0',
      'lr-0.001_warmup_step-0_seed-3',
      'lr-0.001_warmup_step-2000_seed-0',
      'lr-0.001_warmup_step-2000_seed-3',
      'lr-0.005_warmup_step-0_seed-0',
      'lr-0.005_warmup_step-0_seed-3',
      'lr-0.005_warmup_step-2000_seed-0',
      'lr-0.005_warmup_step-2000_seed-3',
    ]);
    const t = trials[3];
    expect(t.setting).toBe('lr=0.001 warmup_step=2000');
    expect(t.seed).toBe(3);
    expect(t.config).toEqual({
      ...DEFAULT_CONFIG,
      ...PRESETS.sota,
      total_steps: 5000,
      lr: 0.001, // the grid beats the base
      warmup_step: 2000,
      seed: 3,
      run_name: t.id,
    });
  });

  it('ids are valid run names the tracker keeps as they are, and short', () => {
    const long = gridSettings(
      ['cell=gru', 'clip_grad_norm=1.5', 'warmup_step=2000', 'lr=0.005', 'hidden_dim=32', 'num_layers=3', 'min_seq_len=2', 'max_seq_len=10', 'init_from=/some/where/model.safetensors'].map(parseGridArg),
    );
    const id = trialId(long[0], 19);
    expect(id.length).toBeLessThanOrEqual(96);
    expect(id).toMatch(/_[0-9a-f]{8}_seed-19$/);
    expect(sanitizeRunName(id)).toBe(id);
    for (const t of planTrials(gridSettings(grid), {}, [0])) expect(sanitizeRunName(t.id)).toBe(t.id);
    // No grid: trials are named by seed alone.
    expect(planTrials(gridSettings([]), {}, [2]).map((t) => t.id)).toEqual(['seed-2']);
  });

  it('a combination training refuses is reported up front but still planned (it becomes a failed trial)', () => {
    const trials = planTrials(gridSettings([parseGridArg('warmup_step=0,500')]), { total_steps: 100 }, [0]);
    expect(trials).toHaveLength(2);
    expect(invalidTrials(trials)).toEqual([{ id: 'warmup_step-500_seed-0', reason: '--warmup_step (500) must be smaller than --total_steps (100)' }]);
  });

  it('default sweep names come from the preset and the grid keys', () => {
    expect(defaultSweepName(undefined, grid)).toBe('sweep-lr-warmup_step');
    expect(defaultSweepName('sota', [])).toBe('sweep-sota');
    expect(defaultSweepName(undefined, [])).toBe('sweep-seeds');
  });
});

describe('reproduce', () => {
  it("plans the article's six experiments with their flags", () => {
    const trials = planTrials(reproduceSettings([...ARTICLE_EXPERIMENTS], 20000), {}, [0, 1]);
    expect(trials).toHaveLength(12);
    const byId = Object.fromEntries(trials.map((t) => [t.id, t.config]));
    expect(byId['baseline_seed-0']).toMatchObject({ hidden_dim: 16, num_layers: 1, batch_size: 16, lr: 0.001, warmup_step: 0, total_steps: 20000, seed: 0 });
    expect(byId['large_batch_lr5e-3_seed-1']).toMatchObject({ batch_size: 64, lr: 0.005, seed: 1 });
    expect(byId['sota_warmup_seed-1']).toMatchObject({ hidden_dim: 32, num_layers: 3, batch_size: 64, lr: 0.005, warmup_step: 2000 });
  });
  it('shorter runs keep the warm-up at a tenth of training', () => {
    const s = reproduceSettings(['sota', 'sota_warmup'], 1000);
    expect(s[0].overrides).toEqual({ total_steps: 1000 });
    expect(s[1].overrides).toEqual({ total_steps: 1000, warmup_step: 100 });
    expect(() => reproduceSettings(['sotta'], 1000)).toThrow(/unknown experiment 'sotta'/);
  });
});
