// Streaming, mergeable loss metrics: `metrics.loss(name, options)` accumulates batches and
// computes the value the loss gives on their concatenation; states are plain JSON, merge
// exactly and in any order (ExactSum), and refuse to merge when their configurations differ.

import { Tensor, tensor, type DType } from '../tensor.js';
import { ExactSum, type ExactSumJSON } from './exact.js';
import { REFUSED, STREAMING, lossOf, parseLossOptions, type Config, type StreamReduction, type StreamingLoss } from './table.js';

/** The `format` field of every metric state. */
export const STATE_FORMAT = 'lossfn.metric';
/** The state layout version; states of another version are refused. */
export const STATE_VERSION = 1;

/** A JSON value (options in a state). */
export type JSONValue = null | boolean | number | string | JSONValue[] | { [k: string]: JSONValue };

/** The plain-JSON state of a metric (`metric.state()`, `metrics.fromState`). */
export interface MetricState {
  format: typeof STATE_FORMAT;
  version: typeof STATE_VERSION;
  /** The F name of the loss. */
  loss: string;
  /** Every option of the loss, defaults filled in, tensors as { dtype, shape, data }. */
  options: Record<string, JSONValue>;
  /** dtype of the batches seen (null before the first). */
  dtype: DType | null;
  /** Number of `update` calls that went into the state (merges add them). */
  batches: number;
  /** Σ l, exactly. */
  sum: ExactSumJSON;
  /** Σ of the per-batch 'mean' denominators, exactly. */
  denominator: ExactSumJSON;
  /** Sufficient statistics (per-class sums, flags), exactly; [] for most losses. */
  stats: ExactSumJSON[];
}

const FN = 'metrics.loss';

/** Options → JSON: tensors as { dtype, shape, data }, non-finite numbers as strings. */
function encodeOption(v: unknown, what: string): JSONValue {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : { number: String(v) };
  // Class lists (the segmentation losses' `classes`).
  if (Array.isArray(v)) return v.map((x) => encodeOption(x, what));
  if (v instanceof Tensor) {
    return { dtype: v.dtype, shape: v.shape.slice(), data: Array.from(v.data as ArrayLike<number | bigint>, (x) => encodeOption(Number(x), what)) };
  }
  throw new TypeError(`${FN}: option '${what}' cannot be stored in a metric state (got ${typeof v})`);
}

/** JSON → an options value (the inverse of {@link encodeOption}). */
function decodeOption(v: unknown, what: string): unknown {
  if (v === null || typeof v === 'boolean' || typeof v === 'string' || typeof v === 'number') return v;
  if (Array.isArray(v)) return v.map((x) => decodeOption(x, what));
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    if (typeof o.number === 'string' && Object.keys(o).length === 1) return Number(o.number);
    if (Array.isArray(o.shape) && Array.isArray(o.data) && typeof o.dtype === 'string') {
      return tensor(o.data.map((x) => decodeOption(x, what) as number), o.shape as number[], { dtype: o.dtype as DType });
    }
  }
  throw new TypeError(`metrics.fromState: option '${what}' has an unreadable value ${JSON.stringify(v)}`);
}

/** A canonical string of (loss, options) for comparing configurations: keys sorted. */
function configKey(loss: string, options: Record<string, JSONValue>): string {
  const sort = (v: JSONValue): JSONValue =>
    Array.isArray(v) ? v.map(sort) : v !== null && typeof v === 'object'
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort(v[k])])) : v;
  return JSON.stringify([loss, sort(options)]);
}

/** A streaming metric of one loss (see {@link loss}). */
export class LossMetric {
  /** The F name of the loss. */
  readonly name: string;
  /** The reduction the metric computes ('mean', 'sum' or 'batchmean'). */
  readonly reduction: StreamReduction;
  private readonly entry: StreamingLoss;
  private readonly cfg: Config;
  /** The options passed to F per batch (validated, nulls dropped). */
  private readonly callOptions: Config;
  private readonly encoded: Record<string, JSONValue>;
  private readonly key: string;
  private dtype: DType | null = null;
  private batches = 0;
  private sum = new ExactSum();
  private denominator = new ExactSum();
  private stats: ExactSum[] = [];

  /** Use {@link loss}. */
  constructor(name: string, entry: StreamingLoss, cfg: Config, reduction: StreamReduction) {
    this.name = name;
    this.entry = entry;
    this.cfg = cfg;
    this.reduction = reduction;
    this.callOptions = Object.fromEntries(Object.entries(cfg).filter(([, v]) => v !== null && v !== undefined));
    this.encoded = Object.fromEntries(Object.keys(cfg).sort().map((k) => [k, encodeOption(cfg[k], k)]));
    this.key = configKey(name, this.encoded);
  }

  /**
   * Adds one batch: the loss's tensor arguments in F's order (e.g. `input, target`), each a
   * Tensor or anything `tensor()` accepts. The batch is validated by the loss itself; a batch
   * that throws leaves the metric unchanged. Returns the metric.
   */
  update(...tensors: unknown[]): this {
    const args = (lossOf(this.name) as NonNullable<ReturnType<typeof lossOf>>).spec.args;
    const fn = `${this.name} metric update`;
    if (tensors.length !== args.length) {
      throw new TypeError(`${fn}: expected ${args.length} tensors (${args.join(', ')}), got ${tensors.length}`);
    }
    // Foreign tensors (onnxruntime, TF.js, ndarray) become tensors; plain numbers and number
    // arrays go to the loss as they are (ctcLoss's and rnntLoss's lengths).
    const ts = tensors.map((t) => (t instanceof Tensor || typeof t === 'number' || Array.isArray(t) ? t : tensor(t as never))) as Tensor[];
    const dtype = ts[0].dtype;
    if (this.dtype !== null && dtype !== this.dtype) {
      throw new TypeError(`${fn}: argument '${args[0]}' has dtype ${dtype} but earlier batches had ${this.dtype}; a metric's batches share one dtype`);
    }
    const b = this.entry.batch(ts, this.callOptions, this.reduction);
    const stats = b.stats ?? [];
    if (this.batches > 0 && stats.length !== this.stats.length) {
      throw new Error(`${fn}: this batch has ${stats.length} statistics but earlier batches had ${this.stats.length} (e.g. a different number of classes)`);
    }
    this.dtype = dtype;
    this.batches++;
    this.sum.add(b.sum);
    this.denominator.add(b.denominator);
    while (this.stats.length < stats.length) this.stats.push(new ExactSum());
    stats.forEach((v, i) => this.stats[i].add(v));
    return this;
  }

  /**
   * The loss on the concatenation of every batch seen: Σ l / Σ denominator ('mean',
   * 'batchmean'), Σ l ('sum'), or the loss's own function of its dataset-level statistics.
   * Before any batch: NaN for a mean (0/0, as the loss on empty input), 0 for a sum.
   */
  compute(): number {
    const acc = { sum: this.sum.value(), denominator: this.denominator.value(), stats: this.stats.map((s) => s.value()) };
    if (this.entry.finish) return this.entry.finish(acc, this.cfg, this.reduction);
    return this.reduction === 'sum' ? acc.sum : acc.sum / acc.denominator;
  }

  /** Forgets every batch (keeps the configuration). */
  reset(): void {
    this.dtype = null;
    this.batches = 0;
    this.sum = new ExactSum();
    this.denominator = new ExactSum();
    this.stats = [];
  }

  /** The loss's options as the metric passes them to F per batch (validated, defaults filled). */
  get options(): Record<string, unknown> {
    return { ...this.callOptions };
  }

  /** The options as stored in states (JSON: tensors as { dtype, shape, data }). */
  get optionsJSON(): Record<string, JSONValue> {
    return structuredCloneJSON(this.encoded);
  }

  /** Number of batches accumulated (including merged ones). */
  get count(): number {
    return this.batches;
  }

  /**
   * Adds another metric's batches (a LossMetric or a state), exactly: merging in any order
   * gives the same compute() bit for bit. Refused when the loss, its options, the state format
   * or the dtype differ. Returns this metric.
   */
  merge(other: LossMetric | MetricState): this {
    const o = other instanceof LossMetric ? other : fromState(other);
    if (o.key !== this.key) {
      throw new Error(
        `metrics: cannot merge a ${o.name} metric with options ${JSON.stringify(o.encoded)} into a ${this.name} metric ` +
          `with options ${JSON.stringify(this.encoded)}: the configurations differ`,
      );
    }
    if (o.dtype !== null && this.dtype !== null && o.dtype !== this.dtype) {
      throw new TypeError(`metrics: cannot merge a ${this.name} metric of ${o.dtype} batches into one of ${this.dtype} batches`);
    }
    if (o.batches > 0 && this.batches > 0 && o.stats.length !== this.stats.length) {
      throw new Error(`metrics: cannot merge ${this.name} states with ${o.stats.length} and ${this.stats.length} statistics`);
    }
    this.dtype ??= o.dtype;
    this.batches += o.batches;
    this.sum.merge(o.sum);
    this.denominator.merge(o.denominator);
    while (this.stats.length < o.stats.length) this.stats.push(new ExactSum());
    o.stats.forEach((s, i) => this.stats[i].merge(s));
    return this;
  }

  /** The state as plain JSON (JSON.stringify-able; {@link fromState} restores it). */
  state(): MetricState {
    return {
      format: STATE_FORMAT,
      version: STATE_VERSION,
      loss: this.name,
      options: structuredCloneJSON(this.encoded),
      dtype: this.dtype,
      batches: this.batches,
      sum: this.sum.toJSON(),
      denominator: this.denominator.toJSON(),
      stats: this.stats.map((s) => s.toJSON()),
    };
  }

  /** A copy with the same configuration and state. */
  clone(): LossMetric {
    return fromState(this.state());
  }

  /** @internal Restores the accumulated part of a state (used by fromState). */
  restore(s: MetricState): void {
    this.dtype = s.dtype;
    this.batches = s.batches;
    this.sum = ExactSum.fromJSON(s.sum, 'metrics.fromState: sum');
    this.denominator = ExactSum.fromJSON(s.denominator, 'metrics.fromState: denominator');
    this.stats = s.stats.map((x, i) => ExactSum.fromJSON(x, `metrics.fromState: stats[${i}]`));
  }
}

const structuredCloneJSON = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/**
 * A streaming metric for the loss `name` (an F name, e.g. 'crossEntropy') with the loss's own
 * options. `reduction` may be 'mean' (the default, or the loss's own default when it has a
 * scalar one, e.g. distillationLoss's 'batchmean'), 'sum', or 'batchmean' where the loss has
 * it; 'none' has no single value and is refused.
 *
 * @example
 * const m = metrics.loss('crossEntropy', { labelSmoothing: 0.1 });
 * for (const [logits, labels] of batches) m.update(logits, labels);
 * m.compute(); // = F.crossEntropy(cat(logits), cat(labels), { labelSmoothing: 0.1 }).item()
 */
export function loss(name: string, options: Record<string, unknown> = {}): LossMetric {
  if (typeof name !== 'string') throw new TypeError(`${FN}: argument 'name' must be a loss name (string), got ${typeof name}`);
  if (typeof options !== 'object' || options === null || Array.isArray(options) || options instanceof Tensor) {
    throw new TypeError(`${FN}: argument 'options' must be an object`);
  }
  const refused = REFUSED[name]?.(options);
  if (refused) throw new Error(`${FN}: ${name} ${refused}`);
  const entry = STREAMING[name];
  const f = lossOf(name);
  if (entry === undefined || f === undefined) {
    throw new Error(`${FN}: unknown loss '${name}'; losses with a streaming form: ${Object.keys(STREAMING).filter((n) => lossOf(n)).join(', ')}`);
  }
  if (f.spec.options.reduction === undefined) {
    // One value and no reduction option (mccLoss, the Lovász losses): its mean form.
    return new LossMetric(name, entry, parseLossOptions(name, options), entry.reductions[0]);
  }
  let reduction = options.reduction;
  if (reduction === undefined) {
    const own = f.spec.options.reduction?.default as string;
    reduction = (entry.reductions as readonly string[]).includes(own) ? own : entry.reductions[0];
  }
  if (reduction === 'none') {
    throw new Error(
      `${FN}: ${name} with reduction 'none' has no single value to stream; use ${entry.reductions.map((r) => `'${r}'`).join(' or ')} ` +
        '(per-sample values come from the loss itself)',
    );
  }
  const cfg = parseLossOptions(name, { ...options, reduction });
  return new LossMetric(name, entry, cfg, cfg.reduction as StreamReduction);
}

/** Restores a metric from {@link LossMetric.state}'s JSON (an object or its JSON string). */
export function fromState(state: MetricState | string): LossMetric {
  const fn = 'metrics.fromState';
  const s = (typeof state === 'string' ? JSON.parse(state) : state) as MetricState;
  if (typeof s !== 'object' || s === null || s.format !== STATE_FORMAT) {
    throw new TypeError(`${fn}: not a lossfn metric state (expected format '${STATE_FORMAT}')`);
  }
  if (s.version !== STATE_VERSION) {
    throw new Error(`${fn}: state version ${String(s.version)} is not supported by this lossfn (it reads version ${STATE_VERSION})`);
  }
  if (typeof s.options !== 'object' || s.options === null || !Array.isArray(s.stats) || !Number.isInteger(s.batches)) {
    throw new TypeError(`${fn}: malformed state (options, stats or batches missing)`);
  }
  const options = Object.fromEntries(Object.entries(s.options).map(([k, v]) => [k, decodeOption(v, k)]).filter(([, v]) => v !== null));
  const m = loss(s.loss, options);
  m.restore(s);
  return m;
}
