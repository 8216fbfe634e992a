// `metrics`: streaming, mergeable loss metrics (torchmetrics-style update/compute/reset, plus
// exact merges and plain-JSON states). Runs wherever lossfn runs: no runtime-specific imports.

export { loss, fromState, LossMetric, STATE_FORMAT, STATE_VERSION, type MetricState, type JSONValue } from './metric.js';
export { ExactSum, type ExactSumJSON } from './exact.js';
export type { StreamReduction, BatchStats, Accumulated, StreamingLoss } from './table.js';
import { STREAMING } from './table.js';

/** The losses `metrics.loss` accepts, with their streamable reductions and 'mean' denominator. */
export function available(): { name: string; args: readonly string[]; reductions: readonly string[]; mean: string }[] {
  return Object.values(STREAMING).map((e) => ({ name: e.name, args: e.args, reductions: e.reductions, mean: e.mean }));
}
