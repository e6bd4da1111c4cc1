// One direction of one recurrent layer over a packed batch as ONE autograd node: the forward and
// backward are the kernels in src/kernels/packed-layer.ts. The node's flat result is
// [y (Ttot×Hout) | h_n (B×Hout) | c_n (B×H, LSTM)], split into three tensors that share it.
import { Tensor, gradOf, isGradEnabled, makeResult, splitResult } from '../tensor/tensor.js';
import type { FloatArray } from '../tensor/dtype.js';
import { allocate } from '../tensor/dtype.js';
import {
  allocTape, gateCount, packedLayerBackward, packedLayerForward,
} from '../kernels/packed-layer.js';
import type { LayerGrads, LayerShape } from '../kernels/packed-layer.js';
import { Layer32 } from '../kernels/packed-layer32.js';
import { kernelCounts } from '../runtime/wasm/gemm32.js';

export type { CellMode, LayerShape } from '../kernels/packed-layer.js';

/** Tensors of one layer-direction: wIh [GH, In], wHh [GH, Hout], bIh/bHh [GH], wHr [P, H]. */
export interface LayerWeights {
  wIh: Tensor;
  wHh: Tensor;
  bIh: Tensor | null;
  bHh: Tensor | null;
  wHr: Tensor | null;
}

export interface LayerResult {
  y: Tensor; // [Ttot, Hout]
  hN: Tensor; // [B, Hout]
  cN: Tensor | null; // [B, H] (LSTM)
}

function addInto(t: Tensor | null, g: Float64Array | null): void {
  if (t === null || g === null) return;
  const dst = gradOf(t);
  if (dst === null) return;
  for (let k = 0; k < g.length; k++) dst[k] += g[k];
}

/**
 * x [Ttot, In] packed rows, batchSizes [T] (padded input: all B), h0 [B, Hout], c0 [B, H] (LSTM).
 * Shapes are checked by the caller (the module); this only runs the layer. An Int32Array
 * batchSizes is kept, not copied, until the backward: the caller must not change it. `noise` ([rows, Hout]
 * from `noiseOff`, optional): additive state noise, see packedLayerForward.
 */
export function recurrentLayer(
  shape: LayerShape, w: LayerWeights, x: Tensor, batchSizes: ArrayLike<number>, reverse: boolean,
  h0: Tensor, c0: Tensor | null, noise: ArrayLike<number> | null = null, noiseOff = 0,
): LayerResult {
  const H = shape.hiddenSize;
  const Hout = shape.projSize > 0 ? shape.projSize : H;
  const GH = gateCount(shape.mode) * H;
  const lstm = shape.mode === 'LSTM';
  const rows = x.shape[0];
  const B = h0.shape[0];
  const dtype = x.dtype;
  const nY = rows * Hout;
  const nH = B * Hout;
  const nC = lstm ? B * H : 0;
  const flat = allocate(dtype, nY + nH + nC) as FloatArray;
  const y = flat.subarray(0, nY);
  const hN = flat.subarray(nY, nY + nH);
  const cN = lstm ? flat.subarray(nY + nH) : null;

  const tensors = [x, h0, c0, w.wIh, w.wHh, w.bIh, w.bHh, w.wHr];
  const parents = tensors.filter((t): t is Tensor => t !== null);
  const needGrad = isGradEnabled() && parents.some((t) => t.requiresGrad);
  const bs = batchSizes instanceof Int32Array ? batchSizes : Int32Array.from(batchSizes);
  if (dtype === 'float32' && shape.projSize === 0 && rows > 0) {
    return recurrentLayer32(shape, w, x, bs, reverse, h0, c0, needGrad, parents, flat, [rows, Hout], [B, Hout], lstm ? [B, H] : null, noise, noiseOff);
  }
  const params = {
    wIh: w.wIh.data as FloatArray, wHh: w.wHh.data as FloatArray,
    bIh: w.bIh ? (w.bIh.data as FloatArray) : null, bHh: w.bHh ? (w.bHh.data as FloatArray) : null,
    wHr: w.wHr ? (w.wHr.data as FloatArray) : null,
  };
  const tape = needGrad ? allocTape(shape, rows) : null;
  packedLayerForward(
    shape, params, x.data as FloatArray, bs, reverse, h0.data as FloatArray,
    c0 ? (c0.data as FloatArray) : null, y, hN, cN, tape, noise, noiseOff,
  );

  const whole = makeResult(flat, [flat.length], dtype, parents, (g) => {
    const grads: LayerGrads = {
      dX: x.requiresGrad ? new Float64Array(rows * shape.inputSize) : null,
      dh0: new Float64Array(nH),
      dc0: lstm ? new Float64Array(nC) : null,
      dWih: new Float64Array(GH * shape.inputSize),
      dWhh: new Float64Array(GH * Hout),
      dBih: w.bIh ? new Float64Array(GH) : null,
      dBhh: w.bHh ? new Float64Array(GH) : null,
      dWhr: w.wHr ? new Float64Array(w.wHr.data.length) : null,
    };
    packedLayerBackward(
      shape, params, x.data as FloatArray, bs, reverse, tape!,
      g.subarray(0, nY), g.subarray(nY, nY + nH), lstm ? g.subarray(nY + nH) : null, grads,
    );
    addInto(x, grads.dX);
    addInto(h0, grads.dh0);
    addInto(c0, grads.dc0);
    addInto(w.wIh, grads.dWih);
    addInto(w.wHh, grads.dWhh);
    addInto(w.bIh, grads.dBih);
    addInto(w.bHh, grads.dBhh);
    addInto(w.wHr, grads.dWhr);
  });
  if (!whole.requiresGrad) {
    return {
      y: new Tensor(y, [rows, Hout], dtype),
      hN: new Tensor(hN, [B, Hout], dtype),
      cN: cN ? new Tensor(cN, [B, H], dtype) : null,
    };
  }
  const parts = [{ offset: 0, shape: [rows, Hout] }, { offset: nY, shape: [B, Hout] }];
  if (lstm) parts.push({ offset: nY + nH, shape: [B, H] });
  const [ty, th, tc] = splitResult(whole, parts);
  return { y: ty, hN: th, cN: tc ?? null };
}

/**
 * The float32 path (packed-layer32.ts): SIMD float32 products, float32 cells, the workspace and
 * tape in WASM memory — released after backward, or when the graph is collected (a second backward
 * through the same graph is an error, as in PyTorch without retain_graph). Without WASM, or with its
 * memory full, the same code runs on plain arrays and the kernels' JS twins: the same bits.
 */
function recurrentLayer32(
  shape: LayerShape, w: LayerWeights, x: Tensor, bs: Int32Array, reverse: boolean, h0: Tensor, c0: Tensor | null,
  needGrad: boolean, parents: Tensor[], flat: FloatArray, yShape: number[], hShape: number[], cShape: number[] | null,
  noise: ArrayLike<number> | null, noiseOff: number,
): LayerResult {
  const H = shape.hiddenSize;
  const B = hShape[0];
  const layer = new Layer32(shape.mode, shape.inputSize, H, bs, B, reverse, needGrad, noise !== null);
  const f32 = (t: Tensor | null) => (t === null ? null : (t.data as Float32Array));
  const params = { wIh: f32(w.wIh)!, wHh: f32(w.wHh)!, bIh: f32(w.bIh), bHh: f32(w.bHh) };
  const nY = yShape[0] * yShape[1];
  const nH = B * H;
  const f = flat as Float32Array;
  const y = f.subarray(0, nY);
  const hN = f.subarray(nY, nY + nH);
  const cN = cShape ? f.subarray(nY + nH) : null;
  kernelCounts.layer32Forward++;
  layer.forward(params, x.data as Float32Array, h0.data as Float32Array, f32(c0), y, hN, cN, noise, noiseOff);
  if (!needGrad) {
    layer.release();
    return {
      y: new Tensor(y, yShape, 'float32'), hN: new Tensor(hN, hShape, 'float32'), cN: cN ? new Tensor(cN, cShape!, 'float32') : null,
    };
  }
  const grad = (t: Tensor | null) => (t === null ? null : (gradOf(t) as Float32Array | null));
  const whole = makeResult(flat, [flat.length], 'float32', parents, (g) => {
    kernelCounts.layer32Backward++;
    const g32 = g as Float32Array;
    try {
      layer.backward(params, g32.subarray(0, nY), g32.subarray(nY, nY + nH), cN ? g32.subarray(nY + nH) : null, {
        dX: grad(x), dh0: grad(h0), dc0: grad(c0), dWih: grad(w.wIh), dWhh: grad(w.wHh), dBih: grad(w.bIh), dBhh: grad(w.bHh),
      });
    } finally {
      layer.release(); // the tape is used once, as PyTorch frees a graph's saved tensors after backward
    }
  });
  layer.attach(whole);
  const parts = [{ offset: 0, shape: yShape }, { offset: nY, shape: hShape }];
  if (cShape) parts.push({ offset: nY + nH, shape: cShape });
  const [ty, th, tc] = splitResult(whole, parts);
  return { y: ty, hN: th, cN: tc ?? null };
}
