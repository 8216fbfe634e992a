// The TS side of the elementwise driver: validates the operands, streams them through a
// bounded scratch area in wasm memory (so inputs of any length run in constant wasm memory),
// calls the kernel per chunk, reduces, and records the autograd node.

import { broadcastPlan, isIdentity, reduceBroadcast, stageBroadcast, type Plan } from './broadcast.js';
import type { ElementwiseBackward, ElementwiseForward, Exports } from './wasm/abi.js';
import { check, floatArray, floatBytes, heapOf, kernel, scratch, views, wasm } from './wasm/runtime.js';
import { gradScale, reduceSum, Sum, type Reduction } from './reduction.js';
import { Tensor, type FloatArray, type FloatDType, type GradFn } from './tensor.js';
import { checkFloatTensor, checkSameDType, checkSameShape } from './validate.js';

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
  // Slots 0–4 and 8 (x, t, a, w, out; the f64 sum), written out: small calls feel every
  // allocation.
  const px = base;
  const pt = base + CHUNK_BYTES;
  const pa = base + 2 * CHUNK_BYTES;
  const pw = base + 3 * CHUNK_BYTES;
  const pout = base + 4 * CHUNK_BYTES;
  const psum = base + 8 * CHUNK_BYTES;
  const out = reduction === 'none' ? new (floatArray(dtype))(n) : null;
  // One chunk (n ≤ 16384 float32): its sum is the total; more: combined exactly.
  let single = 0;
  let total: Sum | null = null;
  for (let off = 0; off < n; off += chunk) {
    const len = Math.min(chunk, n - off);
    const heap = heapOf(ex, dtype);
    stage(heap, px / bytes, x.data, off, len);
    stage(heap, pt / bytes, t.data, off, len);
    if (aux) stageOperand(heap, pa / bytes, aux, off, len);
    if (weight) stageOperand(heap, pw / bytes, weight, off, len);
    const status = fwd(px, pt, aux ? pa : 0, weight ? pw : 0, len, params[0], params[1], params[2], out ? pout : 0, psum);
    check(ex, fn, status);
    const v = views(ex);
    if (out) out.set((dtype === 'float32' ? v.f32 : v.f64).subarray(pout / bytes, pout / bytes + len), off);
    if (off === 0 && len === n) {
      single = 0 + v.f64[psum / 8]; // as Sum would: −0 → +0
    } else {
      total ??= new Sum();
      total.add(v.f64[psum / 8]);
    }
  }
  const operands: Tensor[] = aux ? [x, t, aux.op.tensor] : [x, t];
  const requiresGrad = operands.some((o) => o.requiresGrad);
  let result: Tensor;
  if (out) {
    result = new Tensor(out, x.shape.slice(), dtype, requiresGrad);
  } else {
    const v = new (floatArray(dtype))(1);
    v[0] = reduceSum(reduction as 'mean' | 'sum', total === null ? single : total.value(), call.denominator ?? n);
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
      for (let off = 0; off < n; off += chunk) {
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
