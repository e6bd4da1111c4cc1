// Which parameters keep the float64-accumulated numerics for float32 tensors (the layers' float64
// kernels and the plain ops) instead of the float32 SIMD path: the article's model (RnnClsNet),
// whose fused training kernels, recorded runs and PyTorch trace tests are validated bit for bit
// against those numerics, and any module that must reproduce its bits (the play page's per-layer
// copies). Every other float32 model computes in float32.
const marked = new WeakSet<object>();

/** Marks every parameter of `module` (and its submodules) as computed with the float64 numerics. */
export function keepFloat64Numerics(module: { parameters(): object[] }): void {
  for (const p of module.parameters()) marked.add(p);
}

/** Whether `param` was marked by keepFloat64Numerics. */
export function keepsFloat64Numerics(param: object): boolean {
  return marked.has(param);
}
