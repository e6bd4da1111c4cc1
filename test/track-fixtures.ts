// Synthetic runs roots for the tracker and dashboard tests (and tools/screenshot-dashboard.mjs
// demos): curves shaped like the article's experiments, from a seeded PRNG.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileStore } from '../src/track/file-store.js';
import type { MetricRow, RunMeta, RunStatus } from '../src/track/types.js';

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FixtureRun {
  name: string;
  config: Record<string, unknown>;
  seed: number;
  status?: RunStatus;
  steps?: number; // total steps (default 2000)
  logEvery?: number; // loss/current_lr every (default 100)
  evalEvery?: number; // accuracy every (default 500)
  finalAccuracy?: number;
  aha?: number; // fraction of training where accuracy jumps
}

export const BASE_CONFIG = {
  min_seq_len: 2, max_seq_len: 5, max_number: 9, embed_dim: 10, hidden_dim: 16, num_layers: 1,
  total_steps: 2000, batch_size: 16, lr: 0.001, min_lr: 0.0001, warmup_step: 0,
};

export function metricRows(r: FixtureRun, startMs: number): MetricRow[] {
  const rand = mulberry32(r.seed * 7919 + r.name.length);
  const steps = r.steps ?? 2000;
  const logEvery = r.logEvery ?? 100;
  const evalEvery = r.evalEvery ?? 500;
  const acc = r.finalAccuracy ?? 0.75;
  const aha = r.aha ?? 0.3;
  const lr0 = Number(r.config.lr ?? 0.001);
  const rows: MetricRow[] = [{ step: 0, t: startMs, 'Model Params': 746 + Number(r.config.hidden_dim ?? 16) }];
  for (let s = logEvery; s <= steps; s += logEvery) {
    const p = s / steps;
    const sig = 1 / (1 + Math.exp(-(p - aha) * 14));
    const loss = 2.3 * (1 - sig) + (1 - acc) * 2 * sig + (rand() - 0.5) * 0.3;
    const lr = 0.0001 + 0.5 * (lr0 - 0.0001) * (1 + Math.cos(Math.PI * p));
    const row: MetricRow = { step: s, t: startMs + s * 5, loss: Math.max(0.01, loss), current_lr: lr };
    if (s % evalEvery === 0) row.accuracy = Math.min(1, Math.max(0, 0.1 + (acc - 0.1) * sig + (rand() - 0.5) * 0.05));
    rows.push(row);
  }
  return rows;
}

export async function writeFixtureRun(root: string, r: FixtureRun, startMs: number): Promise<RunMeta> {
  const store = new FileStore(root);
  const started = new Date(startMs).toISOString();
  const rows = metricRows(r, startMs);
  const status = r.status ?? 'finished';
  const end = new Date(rows[rows.length - 1].t).toISOString();
  const meta = await store.createRun({
    name: r.name,
    project: 'recur',
    status,
    config: { ...r.config, run_name: r.name, seed: r.seed },
    seed: r.seed,
    recurVersion: '0.1.0',
    git: { commit: '0123456789abcdef0123456789abcdef01234567', dirty: false },
    argv: ['bin/recur.js', 'train', '--run_name', r.name],
    node: process.version,
    host: os.hostname(),
    pid: status === 'running' ? process.pid : 999_999_999,
    startedAt: started,
    endedAt: status === 'running' ? null : end,
    heartbeatAt: status === 'running' ? new Date().toISOString() : end,
    summary: {},
  });
  store.appendMetrics(meta.id, rows);
  store.closeRun(meta.id);
  return meta;
}

// The article's six experiments (sota_warmup with three seeds), as synthetic curves.
export function articleRuns(steps = 2000): FixtureRun[] {
  const c = (patch: Record<string, unknown>) => ({ ...BASE_CONFIG, total_steps: steps, ...patch });
  return [
    { name: 'baseline', config: c({}), seed: 0, finalAccuracy: 0.5, aha: 0.3, steps },
    { name: 'large_batch', config: c({ batch_size: 64 }), seed: 0, finalAccuracy: 0.77, aha: 0.4, steps },
    { name: 'large_batch_lr5e-3', config: c({ batch_size: 64, lr: 0.005 }), seed: 0, finalAccuracy: 0.6, aha: 0.25, steps },
    { name: 'deeper_rnn', config: c({ hidden_dim: 32, num_layers: 3 }), seed: 0, finalAccuracy: 0.987, aha: 0.35, steps },
    { name: 'sota', config: c({ hidden_dim: 32, num_layers: 3, batch_size: 64, lr: 0.005 }), seed: 0, finalAccuracy: 0.989, aha: 0.2, steps },
    { name: 'sota_warmup', config: c({ hidden_dim: 32, num_layers: 3, batch_size: 64, lr: 0.005, warmup_step: 200 }), seed: 0, finalAccuracy: 1, aha: 0.15, steps },
    { name: 'sota_warmup', config: c({ hidden_dim: 32, num_layers: 3, batch_size: 64, lr: 0.005, warmup_step: 200 }), seed: 1, finalAccuracy: 0.78, aha: 0.45, steps },
    { name: 'sota_warmup', config: c({ hidden_dim: 32, num_layers: 3, batch_size: 64, lr: 0.005, warmup_step: 200 }), seed: 2, finalAccuracy: 0.53, aha: 0.6, steps },
  ];
}

export async function writeArticleFixture(root: string, steps = 2000): Promise<RunMeta[]> {
  fs.mkdirSync(root, { recursive: true });
  const metas: RunMeta[] = [];
  let start = Date.parse('2024-05-01T10:00:00Z');
  for (const r of articleRuns(steps)) {
    metas.push(await writeFixtureRun(root, r, start));
    start += 3_600_000;
  }
  return metas;
}

export function tmpRoot(prefix = 'recur-track-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
