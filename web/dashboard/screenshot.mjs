#!/usr/bin/env node
// Takes docs/img/dashboard.png: writes a sweep-sized runs root (500 runs: 50 configs of the
// seq-sum-mod task × 10 seeds, 15-key configs, training-shaped curves from a seeded PRNG, one run
// failed with its reason) through the tracker's file store, then screenshots the dashboard over
// it with tools/screenshot-dashboard.mjs (seed groups are automatic at this size).
//   node web/dashboard/screenshot.mjs [out.png] [--runs N] [--keep DIR]
// Needs `npm run build` (dist/track).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : def;
};
const runs = Number(opt('--runs', '500'));
const keep = opt('--keep', null);
const out = path.resolve(args[0] ?? path.join(ROOT, 'docs', 'img', 'dashboard.png'));

const { FileStore } = await import(pathToFileURL(path.join(ROOT, 'dist', 'track', 'file-store.js')).href);

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CELLS = ['rnn', 'gru', 'lstm'];
const LRS = [0.001, 0.002, 0.005, 0.01, 0.02];
const HIDDEN = [16, 32, 64, 128];
const SEEDS = 10;
const root = keep ? path.resolve(keep) : fs.mkdtempSync(path.join(os.tmpdir(), 'recur-dash-shot-'));
fs.mkdirSync(root, { recursive: true });
const store = new FileStore(root);
const t0 = Date.parse('2026-11-20T09:00:00Z');
for (let i = 0; i < runs; i++) {
  const g = Math.floor(i / SEEDS);
  const seed = i % SEEDS;
  const cell = CELLS[g % 3];
  const lr = LRS[Math.floor(g / 3) % 5];
  const hidden = HIDDEN[Math.floor(g / 15) % 4];
  const total = hidden <= 32 ? 10_000 : 20_000;
  const gates = cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
  const params = gates * hidden * (hidden + 10 + 1) + gates * hidden + 10 * 10 + 10 * hidden + 10;
  const rand = mulberry32(i * 7919 + 17);
  // How fast this config learns, and where its accuracy jump ("aha") falls for this seed.
  const skill = Math.min(0.98, 0.35 + 0.12 * gates + 0.1 * Math.log2(hidden / 16) - Math.abs(Math.log10(lr / 0.005)) * 0.25);
  const aha = 0.15 + 0.5 * rand();
  const name = `${cell}-h${hidden}-lr${lr}`;
  const start = t0 + i * 47_000;
  const failed = i === 137;
  const config = {
    task: 'seq-sum-mod', cell, hidden_dim: hidden, num_layers: 1, embed_dim: 10, bidirectional: false, dropout: 0,
    total_steps: total, batch_size: 64, lr, min_lr: lr / 10, warmup_step: 0, clip_grad_norm: 1, min_seq_len: 2, max_seq_len: 5, seed,
  };
  const meta = await store.createRun({
    name, project: 'sweep', status: failed ? 'failed' : 'finished', config, seed, recurVersion: '0.1.0', git: null,
    argv: ['bin/recur.js', 'sweep'], node: process.version, host: 'demo', pid: 999_999_999,
    startedAt: new Date(start).toISOString(), endedAt: null, heartbeatAt: new Date(start).toISOString(), summary: {},
    ...(failed ? { error: 'loss became NaN at step 6' } : {}),
  });
  const rows = [{ step: 0, t: start, 'Model Params': params }];
  const last = failed ? 5 : total;
  const every = failed ? 1 : 50;
  for (let s = every; s <= last; s += every) {
    const p = s / total;
    const sig = 1 / (1 + Math.exp(-(p - aha) * 16));
    const acc = 0.1 + (skill - 0.1) * sig;
    const row = {
      step: s, t: start + s * 4,
      loss: Math.max(0.005, 2.3 * (1 - sig) + (1 - skill) * 2.2 * sig + (rand() - 0.5) * 0.25 * (1 - 0.7 * sig)),
      current_lr: config.min_lr + 0.5 * (lr - config.min_lr) * (1 + Math.cos(Math.PI * p)),
      grad_norm: Math.max(0.01, 0.4 + 2.5 * Math.exp(-((p - aha) ** 2) / 0.004) * rand() + 0.3 * rand()),
    };
    if (s % 500 === 0) row.accuracy = Math.min(1, Math.max(0, acc + (rand() - 0.5) * 0.04));
    rows.push(row);
  }
  store.appendMetrics(meta.id, rows);
  store.writeMeta({ ...meta, endedAt: new Date(rows[rows.length - 1].t).toISOString(), heartbeatAt: new Date(rows[rows.length - 1].t).toISOString() });
  store.closeRun?.(meta.id);
}
console.log(`wrote ${runs} runs in ${root}`);
const r = spawnSync(process.execPath, [path.join(ROOT, 'tools', 'screenshot-dashboard.mjs'), root, out, '--width', '1600', '--height', '1150'], { stdio: 'inherit' });
if (!keep) fs.rmSync(root, { recursive: true, force: true });
process.exit(r.status ?? 1);
