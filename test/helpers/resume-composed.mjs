// A user-composed char model (Embedding → 2-layer batch-first LSTM → Linear, float32) trained with
// Adam, a warm-up-then-cosine LR schedule and gradient clipping on seeded data; its checkpoint
// (model weights as safetensors bytes, optimizer and scheduler state as JSON text) and its restore.
// Plain JS over a `recur` module object, so test/resume-composed.test.ts runs the same code on
// src/ in its own process and on dist/ in child processes.

const V = 13, E = 8, H = 16, B = 4, T = 9;

/** A fresh model, optimizer and scheduler (the initial weights come from manualSeed). */
export function build(recur) {
  recur.manualSeed(11);
  class CharModel extends recur.Module {
    constructor() {
      super();
      this.emb = new recur.Embedding(V, E);
      this.rnn = new recur.LSTM(E, H, 2, { batchFirst: true });
      this.fc = new recur.Linear(H, V);
    }
    forward(x) {
      const [out] = this.rnn.forward(this.emb.forward(x));
      return this.fc.forward(out);
    }
  }
  const net = new CharModel();
  const opt = new recur.Adam(net.parameters(), { lr: 0.02 });
  const sched = new recur.SequentialLR(opt, {
    schedulers: [new recur.LinearLR(opt, { startFactor: 0.1, totalIters: 3 }), new recur.CosineAnnealingLR(opt, { TMax: 12, etaMin: 0.001 })],
    milestones: [3],
  });
  return { net, opt, sched };
}

/** Training step `s` (its batch depends only on s): next-token loss, clip to 0.5, Adam, schedule. */
export function step(recur, { net, opt, sched }, s) {
  const gen = new recur.Generator(1000 + s);
  const seq = Array.from({ length: B }, () => Array.from({ length: T + 1 }, () => gen.randint(0, V - 1)));
  const x = recur.tensor(seq.map((r) => r.slice(0, T)));
  const y = recur.tensor(seq.map((r) => r.slice(1)));
  const logits = net.forward(x);
  const loss = recur.crossEntropy(logits.reshape([B * T, V]), y.reshape([B * T]));
  opt.zeroGrad();
  loss.backward();
  recur.clipGradNorm(net.parameters(), 0.5);
  opt.step();
  sched.step();
  return loss.item();
}

export function train(recur, parts, from, to) {
  const losses = [];
  for (let s = from; s < to; s++) losses.push(step(recur, parts, s));
  return losses;
}

/** The checkpoint: what a user would write to disk. */
export function save(recur, { net, opt, sched }) {
  return {
    model: recur.saveBytes(net.stateDict()),
    optimizer: JSON.stringify(opt.stateDict()),
    scheduler: JSON.stringify(sched.stateDict()),
  };
}

/** Fresh objects restored from a checkpoint (PyTorch's order: build, then load each state dict). */
export function restore(recur, ckpt) {
  const parts = build(recur);
  parts.net.loadStateDict(recur.loadBytes(ckpt.model));
  parts.opt.loadStateDict(JSON.parse(ckpt.optimizer));
  parts.sched.loadStateDict(JSON.parse(ckpt.scheduler));
  return parts;
}

/** Every weight's float32 bit pattern, by name; and the learning rate the next step will use. */
export function fingerprint({ net, opt }) {
  const weights = {};
  for (const [k, t] of Object.entries(net.stateDict())) weights[k] = Array.from(new Uint32Array(Float32Array.from(t.data).buffer));
  return { weights, lr: opt.paramGroups[0].lr };
}
