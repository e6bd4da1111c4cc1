// The play page: a form from FLAGS/PRESETS → a training Web Worker → live charts; prediction,
// checkpoint load/download and the packing / hidden-state explanation on the page thread.
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { describeModel, loadModelBytes, answer, parseDigits } from './model.js';
import type { PageModel } from './model.js';
import { buildForm } from './form.js';
import { LiveCharts } from './charts.js';
import type { ChartRun } from './charts.js';
import { exampleBatch, hiddenTrajectory, packLayout } from './explain.js';
import { drawPacking, drawTrajectory } from './draw.js';
import type { FromWorker, ToWorker } from './protocol.js';
import type { TrainConfig } from 'recur';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

const ui = {
  train: $<HTMLButtonElement>('train'),
  stop: $<HTMLButtonElement>('stop'),
  clear: $<HTMLButtonElement>('clear'),
  formError: $('form-error'),
  runState: $('run-state'),
  progress: $('progress-bar'),
  status: $('status-line'),
  step: $('stat-step'),
  rate: $('stat-rate'),
  loss: $('stat-loss'),
  acc: $('stat-acc'),
  modelInfo: $('model-info'),
  file: $<HTMLInputElement>('ckpt-file'),
  download: $<HTMLButtonElement>('download'),
  digits: $<HTMLInputElement>('digits'),
  predict: $<HTMLButtonElement>('predict'),
  answer: $('answer'),
  predDigit: $('pred-digit'),
  predProb: $('pred-prob'),
  predTruth: $('pred-truth'),
  predSum: $('pred-sum'),
  verdict: $('pred-verdict'),
  predSeq: $('pred-seq'),
  probs: $('probs'),
  packing: $('packing'),
  trajectory: $('trajectory'),
  hover: $('hm-hover'),
};

const form = buildForm($('flags'), $<HTMLSelectElement>('preset'), new URLSearchParams(location.search).get('preset') ?? 'baseline');
const charts = new LiveCharts($('charts'), $('chart-legend'));

let worker: Worker | null = null;
let run: { config: TrainConfig; chart: ChartRun; stopClicked: number | null } | null = null;
let current: PageModel | null = null;

const fmtInt = (n: number) => n.toLocaleString('en-US');

function setState(state: 'idle' | 'training' | 'stopping' | 'stopped' | 'finished' | 'failed', text: string): void {
  ui.runState.dataset.state = state;
  ui.status.textContent = text;
  const busy = state === 'training' || state === 'stopping';
  ui.train.disabled = busy;
  ui.stop.disabled = state !== 'training';
  form.setEnabled(!busy);
}

function newWorker(): Worker {
  const w = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  w.onmessage = (e: MessageEvent<FromWorker>) => onWorker(e.data);
  w.onerror = (e) => {
    setState('failed', `worker error: ${e.message}`);
    run = null;
    worker = null; // a fresh worker next time
    w.terminate();
  };
  return w;
}

function send(msg: ToWorker): void {
  worker!.postMessage(msg);
}

ui.train.addEventListener('click', () => {
  const r = form.read();
  if (r.error !== null) {
    ui.formError.textContent = r.error;
    ($('flags-box') as HTMLDetailsElement).open = true;
    return;
  }
  ui.formError.textContent = '';
  const config = r.config;
  worker ??= newWorker();
  const changed = form.changes(config);
  const chart = charts.startRun([config.run_name, ...changed, `seed ${config.seed}`].join(' · '));
  run = { config, chart, stopClicked: null };
  stats.latest = { step: '0', rate: '–', loss: '–', acc: '–', progress: 0 };
  ui.step.title = `of ${fmtInt(config.total_steps)} steps`;
  showStats(true);
  setState('training', `training ${config.run_name} (seed ${config.seed})…`);
  send({ type: 'train', config });
});

ui.stop.addEventListener('click', () => {
  if (!run) return;
  run.stopClicked = performance.now();
  setState('stopping', 'stopping…');
  send({ type: 'stop' });
});

ui.clear.addEventListener('click', () => charts.clear(run?.chart));

// The numbers under the Train button: written at most every STATS_MS (each write relayouts and
// repaints; the worker posts every ~50 ms).
const STATS_MS = 200;
const stats = { latest: { step: '', rate: '', loss: '–', acc: '–', progress: 0 }, timer: 0, last: -Infinity };
function showStats(now = false): void {
  const write = () => {
    stats.timer = 0;
    stats.last = performance.now();
    const v = stats.latest;
    ui.step.textContent = v.step;
    ui.rate.textContent = v.rate;
    ui.loss.textContent = v.loss;
    ui.acc.textContent = v.acc;
    ui.progress.style.transform = `scaleX(${v.progress})`;
  };
  if (now) {
    clearTimeout(stats.timer);
    write();
  } else if (!stats.timer) {
    stats.timer = window.setTimeout(write, Math.max(0, stats.last + STATS_MS - performance.now()));
  }
}

function onWorker(msg: FromWorker): void {
  if (msg.type === 'error') {
    setState('failed', msg.message);
    run = null;
    return;
  }
  if (!run) return;
  const c = run.config;
  switch (msg.type) {
    case 'started':
      ui.status.textContent = `training ${c.run_name} (seed ${c.seed}) for ${fmtInt(c.total_steps)} steps · ${describeModel(c)} · ${fmtInt(msg.params)} parameters`;
      break;
    case 'metrics': {
      charts.add(run.chart, msg.points);
      const v = stats.latest;
      v.step = fmtInt(msg.step);
      v.rate = msg.stepsPerSec.toFixed(0);
      v.progress = msg.step / c.total_steps;
      for (const p of msg.points) {
        if (p.loss !== undefined) v.loss = p.loss.toFixed(4);
        if (p.accuracy !== undefined) v.acc = `${(p.accuracy * 100).toFixed(1)}%`;
      }
      showStats();
      break;
    }
    case 'snapshot':
      queueSnapshot(msg.model, msg.step);
      break;
    case 'done': {
      charts.flush();
      clearTimeout(snapshot.timer);
      snapshot.pending = null;
      useModel(loadModelBytes(msg.model, `trained here: ${c.run_name}, seed ${c.seed}`));
      const took = `${(msg.elapsedMs / 1000).toFixed(1)} s, ${msg.stepsPerSec.toFixed(0)} steps/s${msg.threads === 2 ? ' on 2 threads' : ''}`;
      ui.runState.dataset.threads = String(msg.threads);
      ui.runState.dataset.simdCalls = String(msg.simdCalls);
      if (msg.status === 'stopped') {
        const latency = run.stopClicked === null ? '' : ` (${(performance.now() - run.stopClicked).toFixed(0)} ms after the click)`;
        setState('stopped', `stopped at step ${fmtInt(msg.step)}${latency} · ${took}`);
      } else if (msg.status === 'failed') {
        setState('failed', msg.message ?? 'failed');
      } else {
        setState('finished', `finished ${fmtInt(msg.step)} steps in ${took}`);
      }
      stats.latest.rate = msg.stepsPerSec.toFixed(0);
      showStats(true);
      run = null;
      break;
    }
  }
}

// Mid-run snapshots refresh the prediction and the heat maps at most once a second, off the
// message handler, so a burst of evaluations never stacks work on the page thread.
const snapshot = { pending: null as { bytes: Uint8Array; step: number } | null, timer: 0, last: 0 };
function queueSnapshot(bytes: Uint8Array, step: number): void {
  snapshot.pending = { bytes, step };
  if (snapshot.timer) return;
  snapshot.timer = window.setTimeout(() => {
    snapshot.timer = 0;
    const s = snapshot.pending;
    snapshot.pending = null;
    if (!s || !run) return;
    snapshot.last = performance.now();
    useModel(loadModelBytes(s.bytes, `trained here (step ${fmtInt(s.step)}, training…)`), true);
  }, Math.max(0, snapshot.last + 1000 - performance.now()));
}

// ---- model: load, download, predict, explain ----

function useModel(m: PageModel, live = false): void {
  current = m;
  const c = m.config;
  const params = m.model.numParameters();
  ui.modelInfo.innerHTML = '';
  const strong = document.createElement('strong');
  strong.textContent = describeModel(c);
  const meta = document.createElement('span');
  meta.textContent = ` · ${fmtInt(params)} params${m.step !== null ? ` · step ${fmtInt(m.step)}` : ''} · trained on lengths ${c.min_seq_len}..${c.max_seq_len} · ${m.source}${m.inferred ? ' (architecture read from tensor shapes)' : ''}`;
  ui.modelInfo.append(strong, meta);
  ui.modelInfo.dataset.step = String(m.step ?? '');
  ui.download.disabled = false;
  void refresh(live);
}

ui.file.addEventListener('change', async () => {
  const f = ui.file.files?.[0];
  if (!f) return;
  try {
    useModel(loadModelBytes(new Uint8Array(await f.arrayBuffer()), `loaded from ${f.name}`));
  } catch (e) {
    ui.modelInfo.textContent = `could not load ${f.name}: ${(e as Error).message}`;
    ui.modelInfo.classList.add('error');
    return;
  } finally {
    ui.file.value = '';
  }
  ui.modelInfo.classList.remove('error');
});

ui.download.addEventListener('click', () => {
  if (!current) return;
  const url = URL.createObjectURL(new Blob([current.bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = 'model.safetensors';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
});

let pending = 0;
ui.digits.addEventListener('input', () => {
  clearTimeout(pending);
  pending = window.setTimeout(() => void refresh(), 120);
});
ui.digits.addEventListener('keydown', (e) => { if (e.key === 'Enter') void refresh(); });
ui.predict.addEventListener('click', () => void refresh());

/** Yields to the event loop between the pieces of a refresh (keeps each task short). */
const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));
let generation = 0;
let explainedAt = -Infinity;

/** Empties the prediction boxes, the probability bars and the explanation. */
function clearAnswer(): void {
  ui.answer.dataset.ready = '0';
  delete ui.answer.dataset.probs;
  for (const e of [ui.predDigit, ui.predTruth]) e.textContent = '–';
  for (const e of [ui.predProb, ui.predSum]) e.innerHTML = '&nbsp;';
  delete ui.predDigit.dataset.prediction;
  delete ui.predDigit.dataset.probability;
  delete ui.predTruth.dataset.truth;
  ui.verdict.textContent = '';
  ui.verdict.className = 'verdict';
  ui.probs.replaceChildren();
}

/**
 * Prediction, then (in later tasks) the packing and the heat maps. `live` (a mid-training
 * snapshot): the explanation is redrawn at most every 3 s, to leave the page thread idle.
 */
async function refresh(live = false): Promise<void> {
  clearTimeout(pending);
  const gen = ++generation;
  if (!current) {
    // No model yet: the packing does not need one.
    ui.answer.dataset.ready = '0';
    const seq = parseDigits(ui.digits.value, 9);
    if (typeof seq !== 'string') drawPacking(ui.packing, packLayout(exampleBatch(seq, 9), 10));
    ui.trajectory.innerHTML = '<p class="hint">Train a model (or load one) to see its hidden states here.</p>';
    return;
  }
  const m = current;
  const parsed = parseDigits(ui.digits.value, m.config.max_number);
  if (typeof parsed === 'string') {
    // The previous answer belongs to another input: it must not stand beside this error.
    clearAnswer();
    ui.packing.replaceChildren();
    ui.trajectory.innerHTML = '<p class="hint">Correct the sequence to see how it is packed and what the RNN remembers.</p>';
    delete ui.trajectory.dataset.seq;
    ui.predSeq.textContent = parsed;
    ui.predSeq.classList.add('error');
    return;
  }
  ui.predSeq.classList.remove('error');
  const a = answer(m, parsed);
  const n = parsed.length;
  const sum = parsed.reduce((s, v) => s + v, 0);
  ui.predDigit.textContent = String(a.prediction);
  ui.predDigit.dataset.prediction = String(a.prediction);
  ui.predDigit.dataset.probability = String(a.probability);
  ui.predProb.textContent = `probability ${(a.probability * 100).toFixed(1)}%`;
  ui.predTruth.textContent = String(a.truth);
  ui.predTruth.dataset.truth = String(a.truth);
  ui.predSum.textContent = `${sum} mod ${m.config.max_number + 1}`;
  ui.verdict.textContent = a.correct ? '✓' : '✗';
  ui.verdict.className = `verdict ${a.correct ? 'ok' : 'bad'}`;
  const beyond = n > m.config.max_seq_len ? ` — longer than any training sequence (${m.config.min_seq_len}..${m.config.max_seq_len})` : '';
  ui.predSeq.textContent = `sequence [${parsed.join(', ')}], length ${n}${beyond}`;
  ui.probs.replaceChildren(
    ...a.probs.map((p, k) => {
      const col = document.createElement('div');
      col.className = `prob${k === a.prediction ? ' top' : ''}${k === a.truth ? ' truth' : ''}`;
      col.title = `P(${k}) = ${(p * 100).toFixed(2)}%`;
      const bar = document.createElement('div');
      bar.className = 'prob-bar';
      bar.style.height = `${Math.max(1, p * 100)}%`;
      const lab = document.createElement('span');
      lab.textContent = String(k);
      col.append(bar, lab);
      return col;
    }),
  );
  ui.answer.dataset.ready = '1';
  ui.answer.dataset.probs = JSON.stringify(a.probs);
  if (live && performance.now() - explainedAt < 3000) return;
  explainedAt = performance.now();
  await nextTask();
  if (gen !== generation) return;
  const batch = exampleBatch(parsed, m.config.max_number);
  drawPacking(ui.packing, packLayout(batch, m.task.padIndex(m.config)));
  await nextTask();
  if (gen !== generation) return;
  explain(m, parsed, batch);
}

function explain(m: PageModel, seq: number[], batch: number[][]): void {
  try {
    const tr = hiddenTrajectory(m.model, m.task, m.config, batch, 0);
    drawTrajectory(ui.trajectory, tr, seq, ui.hover);
    ui.trajectory.dataset.maxDiff = String(tr.maxDiff);
  } catch (e) {
    ui.trajectory.textContent = `cannot draw: ${(e as Error).message}`;
  }
  ui.trajectory.dataset.seq = seq.join(' ');
}

void refresh();

// Test hook: lets the browser tests ask for the numbers behind the drawing.
(window as unknown as { recurPlay: unknown }).recurPlay = {
  model: () => current,
  hiddenTrajectory: (seqs: number[][]) => (current ? hiddenTrajectory(current.model, current.task, current.config, seqs, 0) : null),
};
