// The TS side of the elementwise driver: validates the operands, streams them through a
// bounded scratch area in wasm memory (so inputs of any length run in constant wasm memory),
// calls the kernel per chunk, reduces, and records the autograd node.

import type { ElementwiseBackward, ElementwiseForward, Exports } from './wasm/abi.js';
import { check, scratch, views, wasm, type Views } from './wasm/runtime.js';
import { gradScale, reduceSum, Sum, type Reduction } from './reduction.js';
import { Tensor, type FloatArray, type FloatDType, type GradFn } from './tensor.js';
import { checkFloatTensor, checkSameDType, checkSameShape } from './validate.js';

/** Bytes per operand slot of the scratch area: one chunk of one operand. */
export const CHUNK_BYTES = 64 * 1024;
/** Operand slots: x, t, a, g (or out), gx, gt, ga, plus one slot for the f64 sum. */
const SLOTS = 8;

/** A third operand read with broadcasting along the last dimension: element i reads `tensor.data[⌊i / repeat⌋]`. */
export interface Aux {
  name: string;
  tensor: Tensor<FloatDType>;
  repeat: number;
}

export interface ElementwiseCall {
  /** Public function name, for messages ('mseLoss'). */
  fn: string;
  /** Kernel stem ('mse_loss'): `lossfn_<stem>_{forward,backward}_{f32,f64}`. */
  stem: string;
  /** The kernel's p0..p2 (see crates/wasm/src/lib.rs). */
  params: readonly [number, number, number];
  input: Tensor;
  target: Tensor;
  aux?: Aux;
  reduction: Reduction;
}

export const NO_PARAMS = [0, 0, 0] as const;

/** Validates `input` and `target` as float tensors of one dtype and one shape. */
export function checkPair(fn: string, input: unknown, target: unknown): [Tensor<FloatDType>, Tensor<FloatDType>] {
  const x = checkFloatTensor(fn, 'input', input);
  const t = checkFloatTensor(fn, 'target', target);
  checkSameDType(fn, ['input', x], ['target', t]);
  checkSameShape(fn, ['input', x], ['target', t]);
  return [x, t];
}

const suffix = (d: FloatDType): string => (d === 'float32' ? 'f32' : 'f64');

function kernel<K>(ex: Exports, stem: string, dir: 'forward' | 'backward', dtype: FloatDType): K {
  const f = ex[`lossfn_${stem}_${dir}_${suffix(dtype)}`];
  if (typeof f !== 'function') throw new Error(`lossfn: the wasm module has no kernel ${stem} (${dir}, ${dtype})`);
  return f as K;
}

/** Copies `src[off .. off+len)` (with the aux broadcast) into the typed view at element `at`. */
function stage(heap: FloatArray, at: number, src: FloatArray, off: number, len: number, repeat = 1): void {
  if (repeat === 1) {
    heap.set(src.subarray(off, off + len), at);
    return;
  }
  for (let j = 0; j < len; ) {
    const i = off + j;
    const v = src[Math.floor(i / repeat)];
    const run = Math.min(len - j, repeat - (i % repeat));
    heap.fill(v, at + j, at + j + run);
    j += run;
  }
}

const heapOf = (v: Views, d: FloatDType): FloatArray => (d === 'float32' ? v.f32 : v.f64);

/** Runs an elementwise loss forward and returns its (reduced) result with its autograd node. */
export function elementwise(call: ElementwiseCall): Tensor {
  const { fn, stem, params, reduction, aux } = call;
  const ex = wasm(fn);
  const [x, t] = checkPair(fn, call.input, call.target);
  const dtype = x.dtype;
  const n = x.numel();
  const fwd = kernel<ElementwiseForward>(ex, stem, 'forward', dtype);
  const bytes = dtype === 'float32' ? 4 : 8;
  const chunk = CHUNK_BYTES / bytes;
  const base = scratch(ex, SLOTS * CHUNK_BYTES);
  const [px, pt, pa, pout, psum] = [0, 1, 2, 3, 7].map((s) => base + s * CHUNK_BYTES);
  const out = reduction === 'none' ? new (dtype === 'float32' ? Float32Array : Float64Array)(n) : null;
  const total = new Sum();
  for (let off = 0; off < n; off += chunk) {
    const len = Math.min(chunk, n - off);
    const heap = heapOf(views(ex), dtype);
    stage(heap, px / bytes, x.data, off, len);
    stage(heap, pt / bytes, t.data, off, len);
    if (aux) stage(heap, pa / bytes, aux.tensor.data, off, len, aux.repeat);
    const status = fwd(px, pt, aux ? pa : 0, len, params[0], params[1], params[2], out ? pout : 0, psum);
    check(ex, fn, status);
    const v = views(ex);
    if (out) out.set(heapOf(v, dtype).subarray(pout / bytes, pout / bytes + len), off);
    total.add(v.f64[psum / 8]);
  }
  const operands: Tensor[] = aux ? [x, t, aux.tensor] : [x, t];
  const requiresGrad = operands.some((o) => o.requiresGrad);
  let result: Tensor;
  if (out) {
    result = new Tensor(out, x.shape.slice(), dtype, requiresGrad);
  } else {
    const v = new (dtype === 'float32' ? Float32Array : Float64Array)(1);
    v[0] = reduceSum(reduction as 'mean' | 'sum', total.value(), n);
    result = new Tensor(v, [], dtype, requiresGrad);
  }
  if (requiresGrad) result.gradFn = elementwiseGradFn(call, x, t, operands);
  return result;
}

function elementwiseGradFn(call: ElementwiseCall, x: Tensor<FloatDType>, t: Tensor<FloatDType>, inputs: Tensor[]): GradFn {
  const { fn, stem, params, reduction, aux } = call;
  const name = `${fn[0].toUpperCase()}${fn.slice(1)}Backward`;
  return {
    name,
    inputs,
    backward(g: Tensor): (Tensor | null)[] {
      const ex = wasm(fn);
      const dtype = x.dtype;
      const n = x.numel();
      const bwd = kernel<ElementwiseBackward>(ex, stem, 'backward', dtype);
      const bytes = dtype === 'float32' ? 4 : 8;
      const chunk = CHUNK_BYTES / bytes;
      const Ctor = dtype === 'float32' ? Float32Array : Float64Array;
      const want = inputs.map((o) => o.requiresGrad);
      const grads = inputs.map((o, i) => (want[i] ? new Ctor(o.numel()) : null));
      const perElement = reduction === 'none';
      const scale = perElement ? 1 : gradScale(reduction, Number(g.data[0]), n);
      const base = scratch(ex, SLOTS * CHUNK_BYTES);
      const [px, pt, pa, pg, pgx, pgt, pga] = [0, 1, 2, 3, 4, 5, 6].map((s) => base + s * CHUNK_BYTES);
      const outPtrs = [pgx, pgt, pga];
      for (let off = 0; off < n; off += chunk) {
        const len = Math.min(chunk, n - off);
        const heap = heapOf(views(ex), dtype);
        stage(heap, px / bytes, x.data, off, len);
        stage(heap, pt / bytes, t.data, off, len);
        if (aux) stage(heap, pa / bytes, aux.tensor.data, off, len, aux.repeat);
        if (perElement) stage(heap, pg / bytes, g.data as FloatArray, off, len);
        const status = bwd(
          px, pt, aux ? pa : 0, len, params[0], params[1], params[2],
          perElement ? pg : 0, scale,
          want[0] ? pgx : 0, want[1] ? pgt : 0, want[2] ? pga : 0,
        );
        check(ex, fn, status);
        const h = heapOf(views(ex), dtype);
        for (let k = 0; k < grads.length; k++) {
          const gk = grads[k];
          if (gk === null) continue;
          const src = h.subarray(outPtrs[k] / bytes, outPtrs[k] / bytes + len);
          if (k === 2 && aux && aux.repeat !== 1) {
            // The broadcast operand's gradient sums over the elements that read it.
            for (let j = 0; j < len; j++) gk[Math.floor((off + j) / aux.repeat)] += src[j];
          } else {
            gk.set(src, off);
          }
        }
      }
      return grads.map((gk, i) => (gk === null ? null : new Tensor(gk, inputs[i].shape.slice(), dtype)));
    },
  };
}
