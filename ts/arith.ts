// Loss arithmetic: elementwise add/sub/mul/div between a tensor and a number or a tensor of
// the same shape (or a 0-d one, broadcast), and full sum/mean, each with its analytic
// gradient, so compound losses (`ce.add(dice.mul(0.5))`) and sample-weighted 'none' losses
// (`F.mseLoss(x, t, { reduction: 'none' }).mul(w).mean()`) train as in PyTorch. Exposed as
// Tensor methods (ts/tensor.ts). Float tensors only; no dtype promotion (an Error, as the losses).

import { describe } from './describe.js';
import { guardInputs } from './fingerprint.js';
import { Tensor, isFloatDType, isTensor, type FloatArray, type FloatDType } from './tensor.js';

/** The right-hand side of an arithmetic method. */
export type Operand = Tensor | number;
export type ArithOp = 'add' | 'sub' | 'mul' | 'div';

const shapeStr = (s: readonly number[]): string => `[${s.join(', ')}]`;
const newArray = (dtype: FloatDType, n: number): FloatArray => (dtype === 'float32' ? new Float32Array(n) : new Float64Array(n));

function checkFloat(fn: string, name: string, t: Tensor): void {
  if (!isFloatDType(t.dtype)) throw new TypeError(`${fn}: argument '${name}' must be a floating point tensor (float32 or float64), got ${t.dtype}`);
}

/** `a <op> b` with broadcasting of a number or a 0-d tensor; records the autograd node. */
export function arith(op: ArithOp, a: Tensor, b: Operand): Tensor {
  const fn = op;
  checkFloat(fn, 'self', a);
  const dtype = a.dtype as FloatDType;
  let bt: Tensor | null = null;
  if (isTensor(b)) {
    checkFloat(fn, 'other', b);
    if (b.dtype !== dtype) throw new TypeError(`${fn}: argument 'other' has dtype ${b.dtype} but the tensor has dtype ${dtype} (mixing dtypes is an error)`);
    const same = b.shape.length === a.shape.length && b.shape.every((s, i) => s === a.shape[i]);
    if (!same && b.ndim !== 0 && a.ndim !== 0) {
      throw new Error(`${fn}: argument 'other' has shape ${shapeStr(b.shape)} but the tensor has shape ${shapeStr(a.shape)}; they must be equal (or one of them 0-d)`);
    }
    bt = b;
  } else if (typeof b !== 'number') {
    throw new TypeError(`${fn}: argument 'other' must be a Tensor or a number, got ${describe(b)}`);
  }
  // The result has the larger shape (a 0-d operand broadcasts).
  const outShape = bt !== null && a.ndim === 0 ? bt.shape.slice() : a.shape.slice();
  const n = outShape.reduce((x, y) => x * y, 1);
  const ad = a.data as FloatArray;
  const bd = bt === null ? null : (bt.data as FloatArray);
  const aStep = ad.length === n ? 1 : 0;
  const bStep = bd !== null && bd.length === n ? 1 : 0;
  const bs = typeof b === 'number' ? b : 0;
  const out = newArray(dtype, n);
  for (let i = 0, ia = 0, ib = 0; i < n; i++, ia += aStep, ib += bStep) {
    const x = ad[ia];
    const y = bd === null ? bs : bd[ib];
    out[i] = op === 'add' ? x + y : op === 'sub' ? x - y : op === 'mul' ? x * y : x / y;
  }
  const inputs = bt === null ? [a] : [a, bt];
  const requiresGrad = inputs.some((t) => t.requiresGrad);
  const result = new Tensor(out, outShape, dtype, requiresGrad);
  if (!requiresGrad) return result;
  result.gradFn = {
    name: `${op[0].toUpperCase()}${op.slice(1)}Backward`,
    inputs,
    backward(g: Tensor): (Tensor | null)[] {
      const gd = g.data as FloatArray;
      /** The gradient for operand `t` (step 1: per element; 0: a broadcast scalar, summed). */
      const grad = (t: Tensor, step: number, local: (i: number) => number): Tensor => {
        if (step === 1) {
          const r = newArray(dtype, n);
          for (let i = 0; i < n; i++) r[i] = gd[i] * local(i);
          return new Tensor(r, t.shape.slice(), dtype);
        }
        let s = 0;
        for (let i = 0; i < n; i++) s += gd[i] * local(i);
        const r = newArray(dtype, 1);
        r[0] = s;
        return new Tensor(r, t.shape.slice(), dtype);
      };
      const av = (i: number): number => ad[i * aStep];
      const bv = (i: number): number => (bd === null ? bs : bd[i * bStep]);
      const ga = a.requiresGrad
        ? grad(a, aStep, op === 'mul' ? bv : op === 'div' ? (i) => 1 / bv(i) : () => 1)
        : null;
      const gb = bt !== null && bt.requiresGrad
        ? grad(bt, bStep, op === 'add' ? () => 1 : op === 'sub' ? () => -1 : op === 'mul' ? av : (i) => -av(i) / (bv(i) * bv(i)))
        : null;
      return bt === null ? [ga] : [ga, gb];
    },
  };
  // mul and div re-read their operands in backward: changing one after the forward pass is
  // refused, as by the losses (ts/fingerprint.ts); add and sub read neither.
  if (op === 'mul' || op === 'div') guardInputs(fn, result, bt === null ? [['self', a]] : [['self', a], ['other', bt]]);
  return result;
}

/** sum() / mean() over every element, 0-d, with gradients (summed in float64). */
export function reduceAll(op: 'sum' | 'mean', a: Tensor): Tensor {
  checkFloat(op, 'self', a);
  const dtype = a.dtype as FloatDType;
  const d = a.data as FloatArray;
  const n = d.length;
  // Neumaier: a long 'none' result keeps its digits.
  let s = 0;
  let c = 0;
  for (let i = 0; i < n; i++) {
    const v = d[i];
    const t = s + v;
    c += Math.abs(s) >= Math.abs(v) ? s - t + v : v - t + s;
    s = t;
  }
  const total = Number.isFinite(s) ? s + c : s;
  const out = newArray(dtype, 1);
  out[0] = op === 'sum' ? total : total / n;
  const result = new Tensor(out, [], dtype, a.requiresGrad);
  if (!a.requiresGrad) return result;
  result.gradFn = {
    name: op === 'sum' ? 'SumBackward' : 'MeanBackward',
    inputs: [a],
    backward(g: Tensor): (Tensor | null)[] {
      const v = Number(g.data[0]) / (op === 'sum' ? 1 : n);
      return [new Tensor(newArray(dtype, n).fill(v), a.shape.slice(), dtype)];
    },
  };
  return result;
}
