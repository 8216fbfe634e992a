// The TS side of the elementwise driver: validates the operands, streams them through a
// bounded scratch area in wasm memory (so inputs of any length run in constant wasm memory),
// calls the kernel per chunk, reduces, and records the autograd node.

import { broadcastPlan, isIdentity, reduceBroadcast, stageBroadcast, type Plan } from './broadcast.js';
import type { ElementwiseBackward, ElementwiseForward, Exports } from './wasm/abi.js';
import { check, floatArray, floatBytes, heapOf, kernel, scratch, views, wasm } from './wasm/runtime.js';
import { gradScale, reduceSum, Sum, type Reduction } from './reduction.js';
import { Tensor, type FloatArray, type FloatDType, type GradFn } from './tensor.js';
import { checkFloatTensor, checkSameDType, checkSameShape } from './validate.js';
import { parallel, runJob, WINDOW_CHUNKS } from './threads.js';

/** Bytes per operand slot of the scratch area: one chunk of one operand. */
export const CHUNK_BYTES = 64 * 1024;
/** Operand slots: x, t, a, w, g (or out), gx, gt, ga, plus one slot for the f64 sum. */
const SLOTS = 9;

/**
 * A broadcast operand: the third operand `a` (GaussianNLL's var, pos_weight) or the weights
 * `w`. `shape` is the shape it broadcasts from (default: the tensor's own), against the input.
 */
export interface Operand {
  name: string;
  tensor: Tensor<FloatDType>;
  shape?: number[];
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
  aux?: Operand;
  weight?: Operand;
  reduction: Reduction;
  /** The 'mean' denominator, when not the number of elements. */
  denominator?: number;
}

export const NO_PARAMS = [0, 0, 0] as const;

/**
 * The `run` of a plain elementwise loss of `(input, target)` (its descriptor's): the kernel
 * `stem` with the parameters `params(o)` (none by default), reduced as `o.reduction` says.
 */
export function elementwiseRun<C extends { reduction: Reduction }>(
  stem: string,
  params: (o: C) => readonly [number, number, number] = () => NO_PARAMS,
): (fn: string, args: readonly [Tensor, Tensor], o: C) => Tensor {
  return (fn, [input, target], o) => elementwise({ fn, stem, params: params(o), input, target, reduction: o.reduction });
}

/** Validates `input` and `target` as float tensors of one dtype and one shape. */
export function checkPair(fn: string, input: unknown, target: unknown): [Tensor<FloatDType>, Tensor<FloatDType>] {
  const x = checkFloatTensor(fn, 'input', input);
  const t = checkFloatTensor(fn, 'target', target);
  checkSameDType(fn, ['input', x], ['target', t]);
  checkSameShape(fn, ['input', x], ['target', t]);
  return [x, t];
}

/** Copies `src[off .. off+len)` into the typed view at element `at`. */
function stage(heap: FloatArray, at: number, src: FloatArray, off: number, len: number): void {
  // A whole small array needs no subarray view (an allocation per operand per call).
  heap.set(off === 0 && len === src.length ? src : src.subarray(off, off + len), at);
}

interface Planned {
  op: Operand;
  plan: Plan;
  identity: boolean;
}

function planOperand(fn: string, op: Operand | undefined, x: Tensor<FloatDType>): Planned | undefined {
  if (!op) return undefined;
  checkSameDType(fn, ['input', x], [op.name, op.tensor]);
  const plan = broadcastPlan(fn, op.name, op.shape ?? op.tensor.shape, x.shape);
  return { op, plan, identity: isIdentity(plan, x.numel()) };
}

function stageOperand(heap: FloatArray, at: number, p: Planned, off: number, len: number): void {
  if (p.identity) stage(heap, at, p.op.tensor.data, off, len);
  else stageBroadcast(heap, at, p.op.tensor.data, p.plan, off, len);
}


/** Runs an elementwise loss forward and returns its (reduced) result with its autograd node. */
export function elementwise(call: ElementwiseCall): Tensor {
  const { fn, stem, params, reduction } = call;
  const ex = wasm(fn);
  const [x, t] = checkPair(fn, call.input, call.target);
  const aux = planOperand(fn, call.aux, x);
  const weight = planOperand(fn, call.weight, x);
  // Checked before any kernel runs, as every argument is.
  if (weight?.op.tensor.requiresGrad) {
    throw new Error(`${fn}: option '${weight.op.name}' does not support requiresGrad (no gradient flows to it)`);
  }
  const dtype = x.dtype;
  const n = x.numel();
  const fwd = kernel<ElementwiseForward>(ex, stem, 'forward', dtype);
  const bytes = floatBytes(dtype);
  const chunk = CHUNK_BYTES / bytes;
  const base = scratch(ex, SLOTS * CHUNK_BYTES);
  const [px, pt, pa, pw, pout, psum] = [0, 1, 2, 3, 4, 8].map((s) => base + s * CHUNK_BYTES);
  const out = reduction === 'none' ? new (floatArray(dtype))(n) : null;
  const total = new Sum();
  if (parallel(n * bytes)) forwardParallel(call, x, t, aux, weight, out, total);
  else for (let off = 0; off < n; off += chunk) {
    const len = Math.min(chunk, n - off);
    const heap = heapOf(ex, dtype);
    stage(heap, px / bytes, x.data, off, len);
    stage(heap, pt / bytes, t.data, off, len);
    if (aux) stageOperand(heap, pa / bytes, aux, off, len);
    if (weight) stageOperand(heap, pw / bytes, weight, off, len);
    const status = fwd(px, pt, aux ? pa : 0, weight ? pw : 0, len, params[0], params[1], params[2], out ? pout : 0, psum);
    check(ex, fn, status);
    const v = views(ex);
    if (out) out.set(heapOf(ex, dtype).subarray(pout / bytes, pout / bytes + len), off);
    total.add(v.f64[psum / 8]);
  }
  const operands: Tensor[] = aux ? [x, t, aux.op.tensor] : [x, t];
  const requiresGrad = operands.some((o) => o.requiresGrad);
  let result: Tensor;
  if (out) {
    result = new Tensor(out, x.shape.slice(), dtype, requiresGrad);
  } else {
    const v = new (floatArray(dtype))(1);
    v[0] = reduceSum(reduction as 'mean' | 'sum', total.value(), call.denominator ?? n);
    result = new Tensor(v, [], dtype, requiresGrad);
  }
  if (requiresGrad) result.gradFn = elementwiseGradFn(call, x, t, operands, aux, weight);
  return result;
}

function elementwiseGradFn(
  call: ElementwiseCall, x: Tensor<FloatDType>, t: Tensor<FloatDType>, inputs: Tensor[], aux?: Planned, weight?: Planned,
): GradFn {
  const { fn, stem, params, reduction } = call;
  const name = `${fn[0].toUpperCase()}${fn.slice(1)}Backward`;
  return {
    name,
    inputs,
    backward(g: Tensor): (Tensor | null)[] {
      const ex = wasm(fn);
      const dtype = x.dtype;
      const n = x.numel();
      const bwd = kernel<ElementwiseBackward>(ex, stem, 'backward', dtype);
      const bytes = floatBytes(dtype);
      const chunk = CHUNK_BYTES / bytes;
      const Ctor = floatArray(dtype);
      const want = inputs.map((o) => o.requiresGrad);
      const grads = inputs.map((o, i) => (want[i] ? new Ctor(o.numel()) : null));
      const perElement = reduction === 'none';
      const scale = perElement ? 1 : gradScale(reduction, Number(g.data[0]), call.denominator ?? n);
      const base = scratch(ex, SLOTS * CHUNK_BYTES);
      const [px, pt, pa, pw, pg, pgx, pgt, pga] = [0, 1, 2, 3, 4, 5, 6, 7].map((s) => base + s * CHUNK_BYTES);
      const outPtrs = [pgx, pgt, pga];
      if (parallel(n * bytes)) backwardParallel(call, x, t, aux, weight, perElement ? (g.data as FloatArray) : null, scale, grads);
      else for (let off = 0; off < n; off += chunk) {
        const len = Math.min(chunk, n - off);
        const heap = heapOf(ex, dtype);
        stage(heap, px / bytes, x.data, off, len);
        stage(heap, pt / bytes, t.data, off, len);
        if (aux) stageOperand(heap, pa / bytes, aux, off, len);
        if (weight) stageOperand(heap, pw / bytes, weight, off, len);
        if (perElement) stage(heap, pg / bytes, g.data as FloatArray, off, len);
        const status = bwd(
          px, pt, aux ? pa : 0, weight ? pw : 0, len, params[0], params[1], params[2],
          perElement ? pg : 0, scale,
          want[0] ? pgx : 0, want[1] ? pgt : 0, want[2] ? pga : 0,
        );
        check(ex, fn, status);
        const h = heapOf(ex, dtype);
        for (let k = 0; k < grads.length; k++) {
          const gk = grads[k];
          if (gk === null) continue;
          const src = h.subarray(outPtrs[k] / bytes, outPtrs[k] / bytes + len);
          if (k === 2 && aux && !aux.identity) {
            // The broadcast operand's gradient sums over the elements that read it.
            reduceBroadcast(gk, src, aux.plan, off, len);
          } else {
            gk.set(src, off);
          }
        }
      }
      return grads.map((gk, i) => (gk === null ? null : new Tensor(gk, inputs[i].shape.slice(), dtype)));
    },
  };
}

// ------------------------------------------------------------------------------------------
// The same loops on the thread pool (ts/threads.ts, init({ threads })): the same chunks, each
// its own kernel call writing its own sum slot, combined in chunk order as above, so the result
// is the one-thread result bit for bit. A window of up to WINDOW_CHUNKS chunks is staged at a
// time (its operands whole, so the workers read them from shared memory).

const suffix = (d: FloatDType): string => (d === 'float32' ? 'f32' : 'f64');

/** Windows of `chunk`-element chunks over `n` elements: calls `body(off0, len0, chunks)`. */
function windows(n: number, chunk: number, body: (off0: number, len0: number, chunks: number) => void): void {
  for (let off0 = 0; off0 < n; off0 += WINDOW_CHUNKS * chunk) {
    const len0 = Math.min(n - off0, WINDOW_CHUNKS * chunk);
    body(off0, len0, Math.ceil(len0 / chunk));
  }
}

function forwardParallel(
  call: ElementwiseCall, x: Tensor<FloatDType>, t: Tensor<FloatDType>, aux: Planned | undefined, weight: Planned | undefined,
  out: FloatArray | null, total: Sum,
): void {
  const { fn, params } = call;
  const ex = wasm(fn);
  const dtype = x.dtype;
  const bytes = floatBytes(dtype);
  const chunk = CHUNK_BYTES / bytes;
  const kernelName = `lossfn_${call.stem}_forward_${suffix(dtype)}`;
  windows(x.numel(), chunk, (off0, len0, chunks) => {
    const slot = chunks * CHUNK_BYTES;
    const base = scratch(ex, 5 * slot + chunks * 8 + chunks * 4);
    const [px, pt, pa, pw, pout, psum] = [0, 1, 2, 3, 4, 5].map((k) => base + k * slot);
    const calls: number[][] = [];
    for (let c = 0, o = 0; c < chunks; c++, o += chunk) {
      const at = o * bytes;
      calls.push([px + at, pt + at, aux ? pa + at : 0, weight ? pw + at : 0, Math.min(chunk, len0 - o),
        params[0], params[1], params[2], out ? pout + at : 0, psum + 8 * c]);
    }
    runJob(ex, {
      fn, kernel: kernelName, calls, status: psum + 8 * chunks,
      stage(c0, c1) {
        const heap = heapOf(ex, dtype);
        const o = c0 * chunk;
        const len = Math.min(c1 * chunk, len0) - o;
        stage(heap, px / bytes + o, x.data, off0 + o, len);
        stage(heap, pt / bytes + o, t.data, off0 + o, len);
        if (aux) stageOperand(heap, pa / bytes + o, aux, off0 + o, len);
        if (weight) stageOperand(heap, pw / bytes + o, weight, off0 + o, len);
      },
    }, (status) => check(ex, fn, status));
    const f64 = views(ex).f64;
    for (let c = 0; c < chunks; c++) total.add(f64[psum / 8 + c]);
    if (out) out.set(heapOf(ex, dtype).subarray(pout / bytes, pout / bytes + len0), off0);
  });
}

function backwardParallel(
  call: ElementwiseCall, x: Tensor<FloatDType>, t: Tensor<FloatDType>, aux: Planned | undefined, weight: Planned | undefined,
  g: FloatArray | null, scale: number, grads: (FloatArray | null)[],
): void {
  const { fn, params } = call;
  const ex = wasm(fn);
  const dtype = x.dtype;
  const bytes = floatBytes(dtype);
  const chunk = CHUNK_BYTES / bytes;
  const kernelName = `lossfn_${call.stem}_backward_${suffix(dtype)}`;
  windows(x.numel(), chunk, (off0, len0, chunks) => {
    const slot = chunks * CHUNK_BYTES;
    const base = scratch(ex, 8 * slot + chunks * 4);
    const [px, pt, pa, pw, pg, pgx, pgt, pga, pstatus] = [0, 1, 2, 3, 4, 5, 6, 7, 8].map((k) => base + k * slot);
    const outPtrs = [pgx, pgt, pga];
    const calls: number[][] = [];
    for (let c = 0, o = 0; c < chunks; c++, o += chunk) {
      const at = o * bytes;
      calls.push([px + at, pt + at, aux ? pa + at : 0, weight ? pw + at : 0, Math.min(chunk, len0 - o),
        params[0], params[1], params[2], g ? pg + at : 0, scale,
        grads[0] ? pgx + at : 0, grads[1] ? pgt + at : 0, grads[2] ? pga + at : 0]);
    }
    runJob(ex, {
      fn, kernel: kernelName, calls, status: pstatus,
      stage(c0, c1) {
        const heap = heapOf(ex, dtype);
        const o = c0 * chunk;
        const len = Math.min(c1 * chunk, len0) - o;
        stage(heap, px / bytes + o, x.data, off0 + o, len);
        stage(heap, pt / bytes + o, t.data, off0 + o, len);
        if (aux) stageOperand(heap, pa / bytes + o, aux, off0 + o, len);
        if (weight) stageOperand(heap, pw / bytes + o, weight, off0 + o, len);
        if (g) stage(heap, pg / bytes + o, g, off0 + o, len);
      },
    }, (status) => check(ex, fn, status));
    const h = heapOf(ex, dtype);
    for (let k = 0; k < grads.length; k++) {
      const gk = grads[k];
      if (gk === null) continue;
      const src = h.subarray(outPtrs[k] / bytes, outPtrs[k] / bytes + len0);
      // The broadcast operand's gradient: the same element order as the one-thread loop.
      if (k === 2 && aux && !aux.identity) reduceBroadcast(gk, src, aux.plan, off0, len0);
      else gk.set(src, off0);
    }
  });
}
