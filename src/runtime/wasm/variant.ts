// Which kernels this process computes with, recorded in each run's summary so a result can be
// traced to its arithmetic. Both variants give the same bits (every WASM kernel has a JS twin with
// the same per-element order); the WASM ones use SIMD 1.0 only: separate multiply and add, no
// relaxed-SIMD fused multiply-add.
import { wasmGemmEnabled } from '../../kernels/gemm-wasm.js';
import { gemm32Kernel } from './gemm32.js';
import { cells32Kernels } from './cells32.js';

/** 'wasm-simd128' (f32x4/f64x2 multiply then add, no FMA), or 'js' where WASM SIMD is unavailable. */
export function kernelVariant(): 'wasm-simd128' | 'js' {
  return wasmGemmEnabled() && gemm32Kernel() !== null && cells32Kernels() !== null ? 'wasm-simd128' : 'js';
}
