// `metrics`: streaming, mergeable loss metrics (torchmetrics-style update/compute/reset, plus
// exact merges and plain-JSON states). Runs wherever lossfn runs: no runtime-specific imports.

export { loss, fromState, LossMetric, STATE_FORMAT, STATE_VERSION, type MetricState, type JSONValue } from './metric.js';
export { ExactSum, type ExactSumJSON } from './exact.js';
export type { StreamReduction, BatchStats, Accumulated, StreamingLoss } from './table.js';
import { loss, type JSONValue } from './metric.js';
import { STREAMING, lossOf } from './table.js';

/** One entry of {@link available}. */
export interface StreamingInfo {
  name: string;
  /** The tensor arguments `update` takes, in order. */
  args: readonly string[];
  /** Reductions a metric can compute. */
  reductions: readonly string[];
  /** What 'mean' divides by. */
  mean: string;
  /** Every option with its default (the metric's default reduction included). */
  options: Record<string, JSONValue>;
}

/** The losses `metrics.loss` accepts: arguments, options and defaults, reductions, 'mean' denominator. */
export function available(): StreamingInfo[] {
  return Object.values(STREAMING).filter((e) => lossOf(e.name)).map((e) => {
    const spec = (lossOf(e.name) as NonNullable<ReturnType<typeof lossOf>>).spec;
    return { name: e.name, args: spec.args, reductions: e.reductions, mean: spec.mean, options: loss(e.name, e.requires ?? {}).optionsJSON };
  });
}
