// The TS side of the elementwise driver: validates the operands, streams them through a
// bounded scratch area in wasm memory (so inputs of any length run in constant wasm memory),
// calls the kernel per chunk, reduces, and records the autograd node. Operands that live in
// wasm memory (ts/wasm_tensor.ts) are read in place: the same chunks, no copies.

import { broadcastPlan, isIdentity, reduceBroadcast, stageBroadcast, type Plan } from './broadcast.js';
import type { ElementwiseBackward, ElementwiseForward, Exports } from './wasm/abi.js';
import { check, floatArray, floatBytes, heapOf, kernel, scratch, views, wasm, wasmAddress } from './wasm/runtime.js';
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


/**
 * Bytes of whole-operand copies one call may stage (one-copy staging): operands that are not
 * in wasm memory are copied in with one `set` each, instead of one per 64 KiB chunk, while
 * their total stays within this bound; 0 turns it off. The kernel still runs chunk by chunk,
 * so results are the same bit for bit either way.
 */
export const ONE_COPY_BYTES = 0;
let oneCopyBytes: number = ONE_COPY_BYTES;

/** For benchmarks and tests: the one-copy staging bound; no argument restores the default. */
export function setOneCopyBytes(bytes: number = ONE_COPY_BYTES): void {
  oneCopyBytes = bytes;
}

/**
 * One operand of a call: where the kernel reads chunk `off .. off+len` of it. `addr` is the
 * byte address of its element 0 when it can be read in place (a wasm tensor's storage, or its
 * whole copy), else -1 and each chunk is staged into `slot`.
 */
interface Feed {
  data: () => FloatArray;
  /** A broadcast operand (staged through its plan unless it is the identity). */
  planned: Planned | null;
  slot: number;
  addr: number;
}

const feedOf = (data: () => FloatArray, planned: Planned | null = null): Feed => ({ data, planned, slot: 0, addr: -1 });
const align16 = (b: number): number => Math.ceil(b / 16) * 16;

/**
 * Places a call's operands: the ones in wasm memory are read where they are; the others get
 * the slots `slots` (offsets into the scratch area) or, when their whole copies fit the
 * one-copy bound, one copy each after the slots. Returns the scratch area's base address.
 */
function placeFeeds(ex: Exports, feeds: Feed[], slots: number[], chunkSlots: number, n: number, bytes: number): number {
  let whole = 0;
  const staged: Feed[] = [];
  for (const f of feeds) {
    const flat = f.planned === null || f.planned.identity;
    const at = flat ? wasmAddress(ex, f.data()) : -1;
    f.addr = at;
    if (at < 0 && flat) staged.push(f);
  }
  const wholeBytes = staged.length * align16(n * bytes);
  const oneCopy = n * bytes > CHUNK_BYTES && wholeBytes <= oneCopyBytes;
  // Taken after the residency checks and before any copy: growing the arena detaches views,
  // but not addresses.
  const base = scratch(ex, chunkSlots * CHUNK_BYTES + (oneCopy ? wholeBytes : 0));
  feeds.forEach((f, i) => {
    f.slot = base + slots[i] * CHUNK_BYTES;
  });
  if (oneCopy) {
    let at = base + chunkSlots * CHUNK_BYTES;
    for (const f of staged) {
      heapOf(ex, bytes === 4 ? 'float32' : 'float64').set(f.data(), at / bytes);
      f.addr = at;
      at += align16(n * bytes);
    }
  }
  return base;
}

/** The byte address of chunk `off .. off+len` of `f` for the kernel, staging it if needed. */
function feed(f: Feed, heap: FloatArray, off: number, len: number, bytes: number): number {
  if (f.addr >= 0) return f.addr + off * bytes;
  const p = f.planned;
  if (p !== null && !p.identity) stageBroadcast(heap, f.slot / bytes, p.op.tensor.data, p.plan, off, len);
  else stage(heap, f.slot / bytes, f.data(), off, len);
  return f.slot;
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
  const fx = feedOf(() => x.data);
  const ft = feedOf(() => t.data);
  const fa = aux ? feedOf(() => aux.op.tensor.data, aux) : null;
  const fw = weight ? feedOf(() => weight.op.tensor.data, weight) : null;
  const present = ([[fx, 0], [ft, 1], [fa, 2], [fw, 3]] as [Feed | null, number][]).filter((e): e is [Feed, number] => e[0] !== null);
  const base = placeFeeds(ex, present.map((e) => e[0]), present.map((e) => e[1]), SLOTS, n, bytes);
  const [pout, psum] = [4, 8].map((s) => base + s * CHUNK_BYTES);
  const out = reduction === 'none' ? new (floatArray(dtype))(n) : null;
  const total = new Sum();
  for (let off = 0; off < n; off += chunk) {
    const len = Math.min(chunk, n - off);
    const heap = heapOf(ex, dtype);
    const px = feed(fx, heap, off, len, bytes);
    const pt = feed(ft, heap, off, len, bytes);
    const pa = fa ? feed(fa, heap, off, len, bytes) : 0;
    const pw = fw ? feed(fw, heap, off, len, bytes) : 0;
    const status = fwd(px, pt, pa, pw, len, params[0], params[1], params[2], out ? pout : 0, psum);
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
      const fx = feedOf(() => x.data);
      const ft = feedOf(() => t.data);
      const fa = aux ? feedOf(() => aux.op.tensor.data, aux) : null;
      const fw = weight ? feedOf(() => weight.op.tensor.data, weight) : null;
      const fg = perElement ? feedOf(() => g.data as FloatArray) : null;
      const present = ([[fx, 0], [ft, 1], [fa, 2], [fw, 3], [fg, 4]] as [Feed | null, number][])
        .filter((e): e is [Feed, number] => e[0] !== null);
      const base = placeFeeds(ex, present.map((e) => e[0]), present.map((e) => e[1]), SLOTS, n, bytes);
      const [pgx, pgt, pga] = [5, 6, 7].map((s) => base + s * CHUNK_BYTES);
      const outPtrs = [pgx, pgt, pga];
      for (let off = 0; off < n; off += chunk) {
        const len = Math.min(chunk, n - off);
        const heap = heapOf(ex, dtype);
        const px = feed(fx, heap, off, len, bytes);
        const pt = feed(ft, heap, off, len, bytes);
        const pa = fa ? feed(fa, heap, off, len, bytes) : 0;
        const pw = fw ? feed(fw, heap, off, len, bytes) : 0;
        const pg = fg ? feed(fg, heap, off, len, bytes) : 0;
        const status = bwd(
          px, pt, pa, pw, len, params[0], params[1], params[2],
          pg, scale,
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
