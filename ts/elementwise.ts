// The TS side of the elementwise driver: validates the operands, streams them through a
// bounded scratch area in wasm memory (so inputs of any length run in constant wasm memory),
// calls the kernel per chunk, reduces, and records the autograd node. Operands that live in
// wasm memory (ts/wasm_tensor.ts) are read in place: the same chunks, no copies.

import { broadcastPlan, isIdentity, reduceBroadcast, stageBroadcast, type Plan } from './broadcast.js';
import type { ElementwiseBackward, ElementwiseForward, Exports } from './wasm/abi.js';
import { check, floatArray, floatBytes, heapOf, kernel, scratch, views, wasm } from './wasm/runtime.js';
import { gradScale, reduceSum, Sum, type Reduction } from './reduction.js';
import { scalarTensor, Tensor, type FloatArray, type FloatDType, type GradFn } from './tensor.js';
import { checkFloatTensor, checkSameDType, checkSameShape } from './validate.js';
import { fingerprinting, markCovered, modifiedError, stagedPrints } from './fingerprint.js';
import { wasmAddressOf } from './wasm_tensor.js';
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

/** Every operand read from wasm memory in place: none (see `addr` in {@link elementwise}). */
const STAGE_ALL: readonly number[] = [-1, -1, -1, -1];

/**
 * Stages elements [off, off + len) of x, t and the present aux and weight operands at element
 * `at` of their slots (byte addresses `slots`), skipping operands the kernel reads in place
 * (`addr[k] ≥ 0`, zero-copy tensors): the one staging step of the serial and the split passes.
 */
function stageOperands(
  heap: FloatArray, slots: readonly number[], bytes: number, at: number,
  x: Tensor<FloatDType>, t: Tensor<FloatDType>, aux: Planned | undefined, weight: Planned | undefined,
  off: number, len: number, addr: readonly number[] = STAGE_ALL,
): void {
  if (addr[0] < 0) stage(heap, slots[0] / bytes + at, x.data, off, len);
  if (addr[1] < 0) stage(heap, slots[1] / bytes + at, t.data, off, len);
  if (aux && addr[2] < 0) stageOperand(heap, slots[2] / bytes + at, aux, off, len);
  if (weight && addr[3] < 0) stageOperand(heap, slots[3] / bytes + at, weight, off, len);
}

/**
 * Bytes of whole-operand copies one call may stage (one-copy staging): operands that are not
 * in wasm memory are copied in with one `set` each, instead of one per 64 KiB chunk, while
 * their total stays within this bound; 0 turns it off. The kernel still runs chunk by chunk,
 * so results are the same bit for bit either way. Off: measured slower than chunks
 * (README "Zero-copy tensors").
 */
export const ONE_COPY_BYTES = 0;
let oneCopyBytes: number = ONE_COPY_BYTES;

/** For benchmarks and tests: the one-copy staging bound; no argument restores the default. */
export function setOneCopyBytes(bytes: number = ONE_COPY_BYTES): void {
  oneCopyBytes = bytes;
}

/**
 * The byte addresses of x, t, a and w where they live in wasm memory and are read in place
 * (zero-copy tensors; a broadcast operand never is), else -1: staged chunk by chunk.
 */
function residentAddresses(x: Tensor, t: Tensor, aux: Planned | undefined, weight: Planned | undefined): number[] {
  return [
    wasmAddressOf(x), wasmAddressOf(t),
    aux?.identity ? wasmAddressOf(aux.op.tensor) : -1, weight?.identity ? wasmAddressOf(weight.op.tensor) : -1,
  ];
}

/** The address of chunk `off` of an operand for the kernel: in place, or its (staged) slot. */
const chunkAt = (addr: number, slot: number, off: number, bytes: number): number => (addr >= 0 ? addr + off * bytes : slot);

const align16 = (b: number): number => Math.ceil(b / 16) * 16;

/**
 * The scratch area of a call under one-copy staging: SLOTS chunk slots, plus a whole copy of
 * each operand `ops[i]` not read in place (`addr[i] < 0`; null: absent, or broadcast and
 * staged through its plan) when their total fits the bound; `addr[i]` then becomes the copy's
 * address. Returns the slots' base. Called after the residency checks: growing the arena
 * detaches views, not addresses. (A separate function, not a closure in the drivers: captured
 * operands would slow every access to them in a small call.)
 */
function oneCopyScratch(ex: Exports, addr: number[], ops: (FloatArray | null)[], n: number, bytes: number): number {
  if (n * bytes <= CHUNK_BYTES) return scratch(ex, SLOTS * CHUNK_BYTES);
  const size = align16(n * bytes);
  const staged = ops.map((a, i) => a !== null && addr[i] < 0);
  const count = staged.filter(Boolean).length;
  if (count === 0 || count * size > oneCopyBytes) return scratch(ex, SLOTS * CHUNK_BYTES);
  const base = scratch(ex, SLOTS * CHUNK_BYTES + count * size);
  const heap = bytes === 4 ? views(ex).f32 : views(ex).f64;
  let at = base + SLOTS * CHUNK_BYTES;
  ops.forEach((a, i) => {
    if (!staged[i]) return;
    heap.set(a as FloatArray, at / bytes);
    addr[i] = at;
    at += size;
  });
  return base;
}

/** Runs an elementwise loss forward and returns its (reduced) result with its autograd node. */
export function elementwise(call: ElementwiseCall): Tensor {
  const { fn, stem, params, reduction } = call;
  const ex = wasm(fn);
  const [x, t] = checkPair(fn, call.input, call.target);
  if (call.aux === undefined && call.weight === undefined && reduction !== 'none' && !x.requiresGrad && !t.requiresGrad) {
    const v = oneChunkSum(ex, call, x, t);
    if (v !== null) return v;
  }
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
  const addr = residentAddresses(x, t, aux, weight);
  const base = oneCopyBytes === 0 ? scratch(ex, SLOTS * CHUNK_BYTES) : oneCopyScratch(ex, addr, [
    x.data, t.data, aux?.identity ? aux.op.tensor.data : null, weight?.identity ? weight.op.tensor.data : null,
  ], n, bytes);
  // Slots 0–4 and 8 (x, t, a, w, out; the f64 sum), written out: small calls feel every
  // allocation.
  const px = base;
  const pt = base + CHUNK_BYTES;
  const pa = base + 2 * CHUNK_BYTES;
  const pw = base + 3 * CHUNK_BYTES;
  const pout = base + 4 * CHUNK_BYTES;
  const psum = base + 8 * CHUNK_BYTES;
  const slots = [px, pt, pa, pw];
  const out = reduction === 'none' ? new (floatArray(dtype))(n) : null;
  // One chunk (n ≤ 16384 float32): its sum is the total; more: combined exactly.
  let single = 0;
  let total: Sum | null = null;
  const operands: Tensor[] = aux ? [x, t, aux.op.tensor] : [x, t];
  const requiresGrad = operands.some((o) => o.requiresGrad);
  // Large calls split across the worker pool (init({ threads }), ts/threads.ts).
  const split = parallel(n * bytes);
  // With a graph, the staged chunks are fingerprinted as they pass (backward compares: inputs
  // changed in between are refused, ts/fingerprint.ts); the slot after the f64 sum holds them.
  // Below 1 KiB, the generic guard's JS fingerprint is cheaper than the wasm calls; a split call
  // leaves it to the generic guard too.
  const prints = !split && requiresGrad && fingerprinting() && n * bytes >= 1024 ? stagedPrints(ex, psum + 16, 4, bytes) : null;
  if (split) forwardParallel(call, x, t, aux, weight, out, (total = new Sum()));
  else for (let off = 0; off < n; off += chunk) {
    const len = Math.min(chunk, n - off);
    const heap = heapOf(ex, dtype);
    stageOperands(heap, slots, bytes, 0, x, t, aux, weight, off, len, addr);
    // Where the kernel reads each operand: its staged chunk, or the wasm tensor in place.
    const ptrs = [
      chunkAt(addr[0], px, off, bytes), chunkAt(addr[1], pt, off, bytes),
      aux ? chunkAt(addr[2], pa, off, bytes) : 0, weight ? chunkAt(addr[3], pw, off, bytes) : 0,
    ];
    if (prints) stagedAdd(prints, ptrs, len, off);
    const status = fwd(ptrs[0], ptrs[1], ptrs[2], ptrs[3], len, params[0], params[1], params[2], out ? pout : 0, psum);
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
  let result: Tensor;
  if (out) {
    result = new Tensor(out, x.shape, dtype, requiresGrad);
  } else {
    const v = new (floatArray(dtype))(1);
    v[0] = reduceSum(reduction as 'mean' | 'sum', total === null ? single : total.value(), call.denominator ?? n);
    result = new Tensor(v, [], dtype, requiresGrad);
  }
  if (requiresGrad) {
    result.gradFn = elementwiseGradFn(call, x, t, operands, aux, weight, prints?.values() ?? null);
    if (prints) markCovered(result, [x, t, ...(aux ? [aux.op.tensor] : []), ...(weight ? [weight.op.tensor] : [])]);
  }
  return result;
}

/**
 * A reduced call of one chunk without a graph, aux or weight operands: the loop's one kernel
 * call on the same slots, without the loop's bookkeeping (operand plans, pointer arrays, the
 * split and fingerprint decisions), which is most of a small call's time (mseLoss on 100
 * elements). Null when the call is larger.
 */
function oneChunkSum(ex: Exports, call: ElementwiseCall, x: Tensor<FloatDType>, t: Tensor<FloatDType>): Tensor | null {
  const dtype = x.dtype;
  const bytes = floatBytes(dtype);
  const n = x.numel();
  if (n === 0 || n * bytes > CHUNK_BYTES) return null;
  const fwd = kernel<ElementwiseForward>(ex, call.stem, 'forward', dtype);
  const ax = wasmAddressOf(x);
  const at = wasmAddressOf(t);
  const base = scratch(ex, SLOTS * CHUNK_BYTES);
  const heap = heapOf(ex, dtype);
  if (ax < 0) heap.set(x.data, base / bytes);
  if (at < 0) heap.set(t.data, (base + CHUNK_BYTES) / bytes);
  const psum = base + 8 * CHUNK_BYTES;
  const p = call.params;
  check(ex, call.fn, fwd(ax < 0 ? base : ax, at < 0 ? base + CHUNK_BYTES : at, 0, 0, n, p[0], p[1], p[2], 0, psum));
  return scalarTensor(reduceSum(call.reduction as 'mean' | 'sum', 0 + views(ex).f64[psum / 8], call.denominator ?? n), dtype);
}

/** Adds the staged chunk of each present operand (pointer ≠ 0) to its fingerprint. */
function stagedAdd(prints: ReturnType<typeof stagedPrints>, ptrs: number[], len: number, off: number): void {
  for (let k = 0; k < ptrs.length; k++) if (ptrs[k] !== 0) prints.add(k, ptrs[k], len, off);
}

function elementwiseGradFn(
  call: ElementwiseCall, x: Tensor<FloatDType>, t: Tensor<FloatDType>, inputs: Tensor[], aux: Planned | undefined, weight: Planned | undefined,
  forwardPrints: number[] | null,
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
      const addr = [...residentAddresses(x, t, aux, weight), perElement ? wasmAddressOf(g) : -1];
      const base = oneCopyBytes === 0 ? scratch(ex, SLOTS * CHUNK_BYTES) : oneCopyScratch(ex, addr, [
        x.data, t.data, aux?.identity ? aux.op.tensor.data : null, weight?.identity ? weight.op.tensor.data : null,
        perElement ? (g.data as FloatArray) : null,
      ], n, bytes);
      const [px, pt, pa, pw, pg, pgx, pgt, pga, pacc] = [0, 1, 2, 3, 4, 5, 6, 7, 8].map((s) => base + s * CHUNK_BYTES);
      const outPtrs = [pgx, pgt, pga];
      const slots = [px, pt, pa, pw];
      const operand = (k: number): [string, Tensor] =>
        k === 0 ? ['input', x] : k === 1 ? ['target', t] : k === 2 ? [aux!.op.name, aux!.op.tensor] : [weight!.op.name, weight!.op.tensor];
      for (let k = 0; k < 4; k++) {
        if ((k === 2 && !aux) || (k === 3 && !weight)) continue;
        const [name, o] = operand(k);
        if (o.data.length !== o.numel()) throw modifiedError(fn, name, o);
      }
      const prints = forwardPrints ? stagedPrints(ex, pacc + 16, 4, bytes) : null;
      if (parallel(n * bytes)) backwardParallel(call, x, t, aux, weight, perElement ? (g.data as FloatArray) : null, scale, grads);
      else for (let off = 0; off < n; off += chunk) {
        const len = Math.min(chunk, n - off);
        const heap = heapOf(ex, dtype);
        stageOperands(heap, slots, bytes, 0, x, t, aux, weight, off, len, addr);
        if (perElement && addr[4] < 0) stage(heap, pg / bytes, g.data as FloatArray, off, len);
        if (prints) {
          const ptrs = [
            chunkAt(addr[0], px, off, bytes), chunkAt(addr[1], pt, off, bytes),
            aux ? chunkAt(addr[2], pa, off, bytes) : 0, weight ? chunkAt(addr[3], pw, off, bytes) : 0,
          ];
          stagedAdd(prints, ptrs, len, off);
        }
        const status = bwd(
          chunkAt(addr[0], px, off, bytes), chunkAt(addr[1], pt, off, bytes),
          aux ? chunkAt(addr[2], pa, off, bytes) : 0, weight ? chunkAt(addr[3], pw, off, bytes) : 0,
          len, params[0], params[1], params[2],
          perElement ? chunkAt(addr[4], pg, off, bytes) : 0, scale,
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
      // The operands staged now must be the forward's: otherwise these gradients are of changed data.
      const now = prints?.values() ?? [];
      for (let k = 0; k < now.length; k++) if (now[k] !== forwardPrints![k]) throw modifiedError(fn, ...operand(k));
      return grads.map((gk, i) => (gk === null ? null : new Tensor(gk, inputs[i].shape, dtype)));
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
  // Operands in (shared) wasm memory are read in place by every thread, as on one thread.
  const addr = residentAddresses(x, t, aux, weight);
  windows(x.numel(), chunk, (off0, len0, chunks) => {
    const slot = chunks * CHUNK_BYTES;
    const base = scratch(ex, 5 * slot + chunks * 8 + chunks * 4);
    const [px, pt, pa, pw, pout, psum] = [0, 1, 2, 3, 4, 5].map((k) => base + k * slot);
    const calls: number[][] = [];
    for (let c = 0, o = 0; c < chunks; c++, o += chunk) {
      const at = o * bytes;
      const ptr = (k: number, p: number): number => chunkAt(addr[k], p + at, off0 + o, bytes);
      calls.push([ptr(0, px), ptr(1, pt), aux ? ptr(2, pa) : 0, weight ? ptr(3, pw) : 0, Math.min(chunk, len0 - o),
        params[0], params[1], params[2], out ? pout + at : 0, psum + 8 * c]);
    }
    runJob(ex, {
      fn, kernel: kernelName, calls, status: psum + 8 * chunks,
      stage(c0, c1) {
        const heap = heapOf(ex, dtype);
        const o = c0 * chunk;
        const len = Math.min(c1 * chunk, len0) - o;
        stageOperands(heap, [px, pt, pa, pw], bytes, o, x, t, aux, weight, off0 + o, len, addr);
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
  const addr = residentAddresses(x, t, aux, weight);
  windows(x.numel(), chunk, (off0, len0, chunks) => {
    const slot = chunks * CHUNK_BYTES;
    const base = scratch(ex, 8 * slot + chunks * 4);
    const [px, pt, pa, pw, pg, pgx, pgt, pga, pstatus] = [0, 1, 2, 3, 4, 5, 6, 7, 8].map((k) => base + k * slot);
    const outPtrs = [pgx, pgt, pga];
    const calls: number[][] = [];
    for (let c = 0, o = 0; c < chunks; c++, o += chunk) {
      const at = o * bytes;
      const ptr = (k: number, p: number): number => chunkAt(addr[k], p + at, off0 + o, bytes);
      calls.push([ptr(0, px), ptr(1, pt), aux ? ptr(2, pa) : 0, weight ? ptr(3, pw) : 0, Math.min(chunk, len0 - o),
        params[0], params[1], params[2], g ? pg + at : 0, scale,
        grads[0] ? pgx + at : 0, grads[1] ? pgt + at : 0, grads[2] ? pga + at : 0]);
    }
    runJob(ex, {
      fn, kernel: kernelName, calls, status: pstatus,
      stage(c0, c1) {
        const heap = heapOf(ex, dtype);
        const o = c0 * chunk;
        const len = Math.min(c1 * chunk, len0) - o;
        stageOperands(heap, [px, pt, pa, pw], bytes, o, x, t, aux, weight, off0 + o, len, addr);
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
