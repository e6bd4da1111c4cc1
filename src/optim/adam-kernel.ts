// Adam / AdamW update over flat typed arrays: one call updates `n` elements of parameters and their
// state. Adam calls it once per tensor, or once over a single flat buffer of all
// parameters (Adam.useFlatBuffers, llm.c style). Typed-array code plus the WASM kernel below.
//
// Formula (torch/optim/adam.py `_single_tensor_adam`, 1.13; step is the already incremented count):
//   g  = maximize ? −grad : grad
//   Adam:  g += wd·p                    (L2 into the gradient)    AdamW: p *= 1 − lr·wd (decoupled)
//   m  = β1·m + (1−β1)·g                exp_avg.mul_(β1).add_(g, alpha=1−β1)
//   v  = β2·v + (1−β2)·g·g              exp_avg_sq.mul_(β2).addcmul_(g, g, value=1−β2)
//   vmax = max(vmax, v)                 (amsgrad: max of the *uncorrected* v)
//   denom = sqrt(v or vmax) / sqrt(1−β2^step) + eps      (eps after bias correction)
//   p  = p + (−lr/(1−β1^step))·m / denom                 param.addcdiv_(m, denom, value=−step_size)
//
// float32 arrays: every tensor op of the PyTorch sequence is rounded to float32 where PyTorch
// rounds it, with its Python-float scalars (β1, 1−β1, eps, −step_size, …) first cast to float32,
// and the `add_(x, alpha)` / `addcmul_` steps fused (fma32.ts). Bias corrections and step size are
// computed in double, as Python does. float64 arrays: plain double arithmetic (PyTorch's AVX2
// kernels fuse the same steps in double; the difference is at the last-ulp level).
//
// float32 without amsgrad runs as the WASM SIMD kernel `adam` where it is available (the same
// operations, four elements at a time; bit-identical, test/optim-adam.test.ts): in place for the
// arrays that already live in WASM memory (flat buffers a caller keeps there), the others copied
// into a staging area and back, which still costs less than the scalar loop's float32 emulation.
// A large update shares its elements with the second thread when that is running (adam-tasks.ts):
// the same bits, the update being elementwise.

import { fma32 } from './fma32.js';
import { allocF32, inWasmMemory, release, wasmAdam } from '../kernels/gemm-wasm.js';
import { setF32 } from '../runtime/wasm/copy.js';
import { runningHelper } from '../runtime/threads/pool.js';
import { TASK_ADAM, adamArgs } from './adam-tasks.js';

export type FloatArray = Float32Array | Float64Array;

export interface AdamHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** The step number after incrementing (1 for the first update). */
  step: number;
  amsgrad: boolean;
  maximize: boolean;
  /** true: AdamW's decoupled weight decay; false: Adam's L2 term added to the gradient. */
  decoupled: boolean;
}

/** The scalars of one update, computed in double as torch/optim/adam.py does in Python. */
function scalars(h: AdamHyper): { stepSize: number; bc2Sqrt: number } {
  const bc1 = 1 - h.beta1 ** h.step;
  const bc2 = 1 - h.beta2 ** h.step;
  return { stepSize: h.lr / bc1, bc2Sqrt: Math.sqrt(bc2) };
}

/**
 * Fused Adam/AdamW update of `param[0..n)` in place, with state `m`, `v` (and `vmax` when
 * amsgrad). All arrays must have the same element type and at least `n` elements.
 */
export function adamUpdate(
  param: FloatArray, grad: FloatArray, m: FloatArray, v: FloatArray, vmax: FloatArray | null, n: number, h: AdamHyper,
): void {
  if (h.amsgrad && vmax === null) throw new Error('adamUpdate: amsgrad needs a max_exp_avg_sq buffer');
  if (param instanceof Float32Array) adamF32(param, grad as Float32Array, m as Float32Array, v as Float32Array, vmax as Float32Array | null, n, h);
  else adamF64(param, grad as Float64Array, m as Float64Array, v as Float64Array, vmax as Float64Array | null, n, h);
}

/**
 * Elements from which an update shares its span with the worker when the worker is running (the
 * layers started it): half of 8,192 staged elements is 12–15 µs of kernel here (2.8–3.7 ns an
 * element), about what a hand-off costs.
 */
const ADAM_SHARE_MIN = 8192;

const scalarArgs = new Float32Array(9);
let stage: Float32Array = new Float32Array(0); // [4, n rounded down to 4]: p, g, m, v in WASM memory

/** adamF32 by the WASM kernel; false (nothing done) where it cannot run. */
function adamF32Wasm(param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, n: number, h: AdamHyper): boolean {
  const kernel = wasmAdam();
  if (kernel === null || n < 64) return false; // a handful of elements: the copies would cost more
  // adamUpdate's float32 dispatch goes by the parameter's type only
  if (!(grad instanceof Float32Array) || !(m instanceof Float32Array) || !(v instanceof Float32Array)) return false;
  const { stepSize, bc2Sqrt } = scalars(h);
  const flags = (h.decoupled ? 1 : h.weightDecay !== 0 ? 2 : 0) | (h.maximize ? 4 : 0);
  const sc = scalarArgs; // the kernel's float32 arguments
  sc[0] = h.beta1; sc[1] = 1 - h.beta1; sc[2] = h.beta2; sc[3] = 1 - h.beta2; sc[4] = -stepSize;
  sc[5] = bc2Sqrt; sc[6] = h.eps; sc[7] = 1 - h.lr * h.weightDecay; sc[8] = h.weightDecay;
  const run = (p: number, g: number, mm: number, vv: number, count: number): void =>
    kernel(p, g, mm, vv, count, sc[0], sc[1], sc[2], sc[3], sc[4], sc[5], sc[6], sc[7], sc[8], flags);
  // In place where an operand lives in WASM memory already (flat buffers a caller keeps there);
  // the others are copied into a staging area and back. Whole groups of four
  // go to the kernel, the last n mod 4 elements to the scalar loop: the same operations either way.
  const ops = [param, grad, m, v];
  const n4 = n - (n % 4);
  const ptr = [0, 0, 0, 0];
  const back: Array<[Float32Array, Float32Array]> = []; // [operand, its staged copy] to copy back
  for (let k = 0, slot = 0; k < 4; k++) {
    const a = ops[k];
    if (inWasmMemory(a)) {
      ptr[k] = a.byteOffset;
      continue;
    }
    if (stage.length < 4 * n4) {
      const next = allocF32(4 * n4);
      if (!inWasmMemory(next)) return false; // the WASM memory is full: the JS loop
      release(stage);
      stage = next;
    }
    const sa = stage.subarray(slot * n4, (slot + 1) * n4);
    setF32(sa, a.subarray(0, n4));
    ptr[k] = sa.byteOffset;
    if (k !== 1) back.push([a, sa]); // the gradient is only read
    slot++;
  }
  // Shared only when p, m and v are all staged copies: the update is in place, so a share the worker
  // failed partway through is redone here from the originals, which stay untouched until the copy
  // back below.
  const helper = n4 >= ADAM_SHARE_MIN && back.length === 3 ? runningHelper() : null;
  if (helper === null) {
    run(ptr[0], ptr[1], ptr[2], ptr[3], n4);
  } else {
    // This thread's share first, the rest on the worker (a multiple of 4: whole quads either side).
    const mine = Math.min(n4, 4 * Math.round((helper.share * n4) / 4));
    const at = 4 * mine;
    helper.post(TASK_ADAM, adamArgs(ptr[0] + at, ptr[1] + at, ptr[2] + at, ptr[3] + at, n4 - mine, sc, flags));
    run(ptr[0], ptr[1], ptr[2], ptr[3], mine);
    if (!helper.join()) { // not started (taken back), or failed: the worker's range here, from the originals
      for (const [a, sa] of back) setF32(sa, a.subarray(mine, n4), mine);
      run(ptr[0] + at, ptr[1] + at, ptr[2] + at, ptr[3] + at, n4 - mine);
    }
  }
  for (const [a, sa] of back) setF32(a, sa);
  if (n4 < n) adamF32Loop(param.subarray(n4), grad.subarray(n4), m.subarray(n4), v.subarray(n4), null, n - n4, h);
  return true;
}

function adamF32(
  param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, vmax: Float32Array | null, n: number, h: AdamHyper,
): void {
  if (!h.amsgrad && adamF32Wasm(param, grad, m, v, n, h)) return;
  adamF32Loop(param, grad, m, v, vmax, n, h);
}

/** The scalar float32 loop (adamF32's naive twin, and the WASM kernel's tail). */
function adamF32Loop(
  param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, vmax: Float32Array | null, n: number, h: AdamHyper,
): void {
  const fr = Math.fround;
  const { stepSize, bc2Sqrt } = scalars(h);
  const b1 = fr(h.beta1), omb1 = fr(1 - h.beta1), b2 = fr(h.beta2), omb2 = fr(1 - h.beta2);
  const negStep = fr(-stepSize), bc2s = fr(bc2Sqrt), eps = fr(h.eps), wd = fr(h.weightDecay);
  const decay = fr(1 - h.lr * h.weightDecay);
  const l2 = !h.decoupled && h.weightDecay !== 0;
  const { decoupled, maximize, amsgrad } = h;
  for (let i = 0; i < n; i++) {
    let p = param[i];
    let g = maximize ? -grad[i] : grad[i];
    if (decoupled) p = fr(p * decay);
    else if (l2) g = fma32(p, wd, g);
    const mi = fma32(g, omb1, fr(m[i] * b1));
    const vi = fma32(fr(omb2 * g), g, fr(v[i] * b2));
    m[i] = mi;
    v[i] = vi;
    let s = vi;
    if (amsgrad) {
      s = Math.max(vmax![i], vi); // NaN-propagating, like torch.maximum
      vmax![i] = s;
    }
    const denom = fr(fr(fr(Math.sqrt(s)) / bc2s) + eps);
    param[i] = fr(p + fr(fr(negStep * mi) / denom));
  }
}

function adamF64(
  param: Float64Array, grad: Float64Array, m: Float64Array, v: Float64Array, vmax: Float64Array | null, n: number, h: AdamHyper,
): void {
  const { stepSize, bc2Sqrt } = scalars(h);
  const b1 = h.beta1, omb1 = 1 - h.beta1, b2 = h.beta2, omb2 = 1 - h.beta2;
  const negStep = -stepSize, eps = h.eps, wd = h.weightDecay;
  const decay = 1 - h.lr * h.weightDecay;
  const l2 = !h.decoupled && h.weightDecay !== 0;
  const { decoupled, maximize, amsgrad } = h;
  for (let i = 0; i < n; i++) {
    let p = param[i];
    let g = maximize ? -grad[i] : grad[i];
    if (decoupled) p = p * decay;
    else if (l2) g = g + p * wd;
    const mi = m[i] * b1 + g * omb1;
    const vi = v[i] * b2 + omb2 * g * g;
    m[i] = mi;
    v[i] = vi;
    let s = vi;
    if (amsgrad) {
      s = Math.max(vmax![i], vi);
      vmax![i] = s;
    }
    const denom = Math.sqrt(s) / bc2Sqrt + eps;
    param[i] = p + (negStep * mi) / denom;
  }
}

/**
 * Naive twin of adamUpdate: a literal transcription of `_single_tensor_adam(w)`, one full pass
 * (and one temporary array) per tensor op, each result rounded to the array's precision. The
 * tests require adamUpdate to match it bit for bit.
 */
export function adamUpdateNaive(
  param: FloatArray, grad: FloatArray, m: FloatArray, v: FloatArray, vmax: FloatArray | null, n: number, h: AdamHyper,
): void {
  const f32 = param instanceof Float32Array;
  const rd = f32 ? Math.fround : (x: number) => x;
  const sc = rd; // Python float scalar → tensor dtype
  const addAlpha = f32 ? fma32 : (x: number, alpha: number, self: number) => self + x * alpha; // self + alpha·x
  const make = () => (f32 ? new Float32Array(n) : new Float64Array(n));
  // grad = grads[i] if not maximize else -grads[i]
  let g = make();
  for (let i = 0; i < n; i++) g[i] = h.maximize ? -grad[i] : grad[i];
  if (h.decoupled) {
    // param.mul_(1 - lr * weight_decay)
    for (let i = 0; i < n; i++) param[i] = rd(param[i] * sc(1 - h.lr * h.weightDecay));
  } else if (h.weightDecay !== 0) {
    // grad = grad.add(param, alpha=weight_decay)
    const g2 = make();
    for (let i = 0; i < n; i++) g2[i] = addAlpha(param[i], sc(h.weightDecay), g[i]);
    g = g2;
  }
  // exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
  for (let i = 0; i < n; i++) m[i] = rd(m[i] * sc(h.beta1));
  for (let i = 0; i < n; i++) m[i] = addAlpha(g[i], sc(1 - h.beta1), m[i]);
  // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)   (value·t1 first, then ·t2, fused add)
  for (let i = 0; i < n; i++) v[i] = rd(v[i] * sc(h.beta2));
  for (let i = 0; i < n; i++) v[i] = addAlpha(rd(sc(1 - h.beta2) * g[i]), g[i], v[i]);
  const bias_correction1 = 1 - h.beta1 ** h.step;
  const bias_correction2 = 1 - h.beta2 ** h.step;
  const step_size = h.lr / bias_correction1;
  const bias_correction2_sqrt = Math.sqrt(bias_correction2);
  let src: FloatArray = v;
  if (h.amsgrad) {
    // torch.maximum(max_exp_avg_sqs[i], exp_avg_sq, out=max_exp_avg_sqs[i])
    for (let i = 0; i < n; i++) vmax![i] = Math.max(vmax![i], v[i]);
    src = vmax!;
  }
  // denom = (src.sqrt() / bias_correction2_sqrt).add_(eps)
  const denom = make();
  for (let i = 0; i < n; i++) denom[i] = rd(Math.sqrt(src[i]));
  for (let i = 0; i < n; i++) denom[i] = rd(denom[i] / sc(bias_correction2_sqrt));
  for (let i = 0; i < n; i++) denom[i] = rd(denom[i] + sc(h.eps));
  // param.addcdiv_(exp_avg, denom, value=-step_size)   (self + value·t1 / t2)
  for (let i = 0; i < n; i++) param[i] = rd(param[i] + rd(rd(sc(-step_size) * m[i]) / denom[i]));
}
