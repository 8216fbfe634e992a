// ops of the sequence family: ctcGreedyDecode.

import { intOption } from '../classdim.js';
import { lengthsArg, type Lengths } from '../sequence.js';
import type { Tensor } from '../tensor.js';
import { checkFloatTensor, checkOptions } from '../validate.js';

export interface CtcGreedyDecodeOptions {
  /** Index of the blank class (default 0). */
  blank?: number;
}

/** Validated options. */
export interface CtcGreedyDecodeConfig {
  blank: number;
}

/** Validates ctcGreedyDecode options. */
function ctcGreedyDecodeOptions(options?: CtcGreedyDecodeOptions, fn = 'ctcGreedyDecode'): CtcGreedyDecodeConfig {
  const o = checkOptions(fn, options, ['blank']);
  return { blank: intOption(fn, 'blank', o.blank, 0) };
}

/**
 * Best-path (greedy) CTC decoding: per sample, the most likely class at each frame before its
 * input length (the first maximum on ties; NaN counts as the maximum, as `torch.argmax`), then
 * repeats collapsed and blanks removed.
 *
 * `logProbs`: `(T, N, C)` or unbatched `(T, C)` scores (log-probabilities or logits: only
 * their order per frame matters); `inputLengths`: `(N)` as for {@link ctcLoss} (default: T for
 * every sample). Returns one label array per sample, or one array for unbatched input.
 *
 * @example
 * ops.ctcGreedyDecode(lp, [T, T - 3]); // [[3, 1, 4], [1, 5]]
 */
export function ctcGreedyDecode(logProbs: Tensor, inputLengths?: Lengths, options?: CtcGreedyDecodeOptions): number[][] | number[] {
  const fn = 'ctcGreedyDecode';
  const o = ctcGreedyDecodeOptions(options, fn);
  const x = checkFloatTensor(fn, 'logProbs', logProbs);
  if (x.ndim !== 2 && x.ndim !== 3) {
    throw new Error(`${fn}: argument 'logProbs' must be (T, N, C) or unbatched (T, C), got ${x.ndim}-dimensional tensor`);
  }
  const batched = x.ndim === 3;
  const [t, n, c] = batched ? x.shape : [x.shape[0], 1, x.shape[1]];
  if (!(o.blank >= 0 && o.blank < c)) throw new RangeError(`${fn}: option 'blank': blank must be in label range (got ${o.blank}, classes: ${c})`);
  const il = inputLengths === undefined ? new Int32Array(n).fill(t) : lengthsArg(fn, 'inputLengths', 'input_lengths', inputLengths).values;
  if (il.length !== n) throw new Error(`${fn}: argument 'inputLengths': input_lengths must be of size batch_size (got ${il.length} lengths, batch size ${n})`);
  for (const v of il) {
    if (v < 0 || v > t) throw new RangeError(`${fn}: argument 'inputLengths': Expected input_lengths to be in [0, ${t}], but got value ${v}`);
  }
  const d = x.data;
  const out: number[][] = [];
  for (let b = 0; b < n; b++) {
    const seq: number[] = [];
    let prev = -1;
    for (let f = 0; f < il[b]; f++) {
      const row = (f * n + b) * c;
      let best = 0;
      let bv = d[row];
      for (let k = 1; k < c && !Number.isNaN(bv); k++) {
        const v = d[row + k];
        if (v > bv || Number.isNaN(v)) {
          bv = v;
          best = k;
        }
      }
      if (best !== prev && best !== o.blank) seq.push(best);
      prev = best;
    }
    out.push(seq);
  }
  return batched ? out : out[0];
}
