// The loss table's machinery: each loss is one descriptor (`defineLoss`): its names in every
// layer, its family and reference, its positional tensor arguments, its options (defaults,
// domains, the reference's messages) and its 'mean' denominator, plus the function that runs it
// on validated options. From the descriptor come the option validation, the `F` function (which
// carries the descriptor as `.spec`), the `nn` class (`lossModule`), the derived error tests
// (test/table.test.ts) and the README's loss table (scripts/gen-readme.mjs).

import type { Tensor } from './tensor.js';
import { Tensor as TensorClass, isTensor, named, namedError } from './tensor.js';
import { describe } from './describe.js';
import { guardInputs } from './fingerprint.js';

export type Family = 'regression' | 'classification' | 'localization' | 'segmentation' | 'ranking' | 'sequence';

/**
 * One option: its default, how a given value is checked (`parse` throws the error naming the
 * function and the option), a one-line description of its domain for the README, and sample
 * values it must reject (the derived error tests feed them in).
 */
export interface OptionSpec<In, Out = In> {
  readonly default: Out;
  readonly domain: string;
  readonly bad: readonly unknown[];
  parse(fn: string, name: string, value: unknown): Out;
  /** Phantom: the type users pass. */
  readonly _in?: In;
}

// What a message shows of a value a user passed: one helper for every message.
export { describe };

/** A number option: NaN is refused as "must be a number"; `ok` is its domain, worded `says`. */
function number(dflt: number, ok?: (v: number) => boolean, says = '', bad: number[] = []): OptionSpec<number> {
  return {
    default: dflt,
    domain: says.replace(/^must be /, '') || 'any number',
    bad: ['1', true, Number.NaN, ...bad],
    parse(fn, name, v) {
      if (typeof v !== 'number' || Number.isNaN(v)) {
        throw new TypeError(`${fn}: option '${name}' must be a number, got ${describe(v)}`);
      }
      if (ok && !ok(v)) throw new RangeError(`${fn}: option '${name}' ${says}, got ${v}`);
      return v;
    },
  };
}

/** An integer option that reaches wasm as an i32 (ignoreIndex): a safe integer in the i32 range. */
function int32(dflt: number): OptionSpec<number> {
  return {
    default: dflt,
    domain: 'an integer in the int32 range',
    bad: [1.5, '1', 2 ** 31, -(2 ** 31) - 1, Number.NaN],
    parse(fn, name, v) {
      if (typeof v !== 'number' || !Number.isInteger(v)) {
        throw new TypeError(`${fn}: option '${name}' must be an integer, got ${describe(v)}`);
      }
      if (v < -(2 ** 31) || v > 2 ** 31 - 1) {
        throw new RangeError(`${fn}: option '${name}' must fit in 32 bits (${-(2 ** 31)} to ${2 ** 31 - 1}), got ${v}`);
      }
      return v;
    },
  };
}

function bool(dflt: boolean): OptionSpec<boolean> {
  return {
    default: dflt,
    domain: 'true or false',
    bad: [1, 'true', null],
    parse(fn, name, v) {
      if (typeof v !== 'boolean') throw new TypeError(`${fn}: option '${name}' must be a boolean, got ${describe(v)}`);
      return v;
    },
  };
}

/** One of fixed strings. For `reduction`, PyTorch's wording ("… is not a valid value for reduction"). */
function choice<const T extends string>(values: readonly T[], dflt: T): OptionSpec<T> {
  const quoted = values.map((r) => `'${r}'`);
  const list = quoted.join(', ');
  const either = quoted.length === 2 ? `${quoted[0]} or ${quoted[1]}` : `one of ${list}`;
  return {
    default: dflt,
    domain: values.map((r) => `'${r}'`).join(' | '),
    bad: ['avg', 1, null],
    parse(fn, name, v) {
      if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
        const shown = typeof v === 'string' ? JSON.stringify(v) : describe(v);
        throw new RangeError(
          name === 'reduction'
            ? `${fn}: ${shown} is not a valid value for reduction (expected ${list})`
            : `${fn}: option '${name}' must be ${either}, got ${shown}`,
        );
      }
      return v as T;
    },
  };
}

/** A tensor option (class weights, pos_weight): a Tensor or null; checked against the input
 * by the loss itself. */
function tensorOption(): OptionSpec<Tensor | null> {
  return {
    default: null,
    domain: 'a Tensor',
    bad: [[1, 2], 1, 'w'],
    parse(fn, name, v) {
      if (v === null) return null;
      if (!isTensor(v)) throw new TypeError(`${fn}: argument '${name}' must be a Tensor, got ${describe(v)}`);
      return v;
    },
  };
}

/** An option with its own check (`parse` throws the error naming the function and option). */
function custom<T>(dflt: T, domain: string, bad: readonly unknown[], parse: (fn: string, name: string, v: unknown) => T): OptionSpec<T> {
  return { default: dflt, domain, bad, parse };
}

/** The option kinds a descriptor is written with. */
export const opt = {
  custom,
  number,
  int32,
  bool,
  choice,
  tensor: tensorOption,
  /** PyTorch's `'none' | 'mean' | 'sum'`, default `'mean'` (or `dflt`). */
  reduction(dflt: 'none' | 'mean' | 'sum' = 'mean'): OptionSpec<'none' | 'mean' | 'sum'> {
    return choice(['none', 'mean', 'sum'] as const, dflt);
  },
  /** A loss's own list of reductions (with 'batchmean', say). */
  reductions: choice,
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Specs = Record<string, OptionSpec<any, any>>;
/** The options object users pass. */
export type OptionsOf<S extends Specs> = { [K in keyof S]?: S[K] extends OptionSpec<infer I, unknown> ? I : never };
/** The validated options, defaults filled in. */
export type ConfigOf<S extends Specs> = { [K in keyof S]: S[K] extends OptionSpec<unknown, infer O> ? O : never };

type Tensors<A extends readonly string[]> = { [K in keyof A]: Tensor };

/** One loss's descriptor. `X` types its positional arguments: tensors unless `run` says
 * otherwise (ctcLoss's lengths may be number arrays). */
export interface LossSpec<
  A extends readonly string[] = readonly string[],
  S extends Specs = Specs,
  N extends string = string,
  X extends readonly unknown[] = Tensors<A>,
> {
  /** `F` name (camelCase of the stem). */
  name: string;
  /** snake_case stem: kernels `lossfn_<stem>_*`, fixtures test/golden/<stem>.json. */
  stem: string;
  /** `nn` class name, as the reference spells it. */
  nn: N;
  /** Further `nn` names for the same loss (PyTorch's deprecated aliases). */
  aliases?: readonly string[];
  family: Family;
  /** The reference this loss matches, e.g. `torch.nn.functional.mse_loss`. */
  reference: string;
  /** The positional tensor arguments, in order. */
  args: A;
  options: S;
  /** The 'mean' denominator, in words (LOSS-SEMANTICS §2.22). */
  mean: string;
  /** One line for the README's loss table: what to know beyond the options. */
  notes?: string;
  /** The kernel exports `lossfn_<stem>_<kind>_{f32,f64}` the loss runs on, when not
   * `forward` and `backward` (test/table.test.ts checks they exist). */
  exports?: readonly string[];
  /** How many trailing positional arguments may be left out (`supConLoss(features,
   * options)` without labels); `run` then gets `undefined` for them. */
  optional?: number;
  /** Runs the loss; `fn` is the name errors carry (the F name, or the nn class's). */
  run(fn: string, args: X, o: ConfigOf<S>): Tensor;
}

/** An `F` function: the loss on tensors and an options object, carrying its descriptor. */
export type LossFn<
  A extends readonly string[] = readonly string[],
  S extends Specs = Specs,
  N extends string = string,
  X extends readonly unknown[] = Tensors<A>,
> = ((...args: [...X, OptionsOf<S>?]) => Tensor) & { readonly spec: LossSpec<A, S, N, X> };

/** The options object of a loss's `F` function. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type LossOptions<F> = F extends LossFn<any, infer S, any, any> ? OptionsOf<S> : never;

/** A specs object's entries and its all-defaults config, computed once per specs object:
 * listing them on every call was a fifth of a small call's time (mseLoss on 100 elements). */
interface PreparedSpecs {
  keys: string[];
  specs: OptionSpec<unknown>[];
  /** Frozen: shared by every call without options (a run that wrote to it would throw). */
  defaults: Readonly<Record<string, unknown>>;
}
const prepared = new WeakMap<Specs, PreparedSpecs>();

function prepare(specs: Specs): PreparedSpecs {
  let p = prepared.get(specs);
  if (p === undefined) {
    const keys = Object.keys(specs);
    const list = keys.map((k) => specs[k] as OptionSpec<unknown>);
    const defaults: Record<string, unknown> = {};
    keys.forEach((k, i) => (defaults[k] = list[i].default));
    p = { keys, specs: list, defaults: Object.freeze(defaults) };
    prepared.set(specs, p);
  }
  return p;
}

/** Validates an options object against the specs: an object, known keys, each value parsed.
 * The object is read once, as a copy (readOptions): a getter or proxy runs once. */
export function parseOptions<S extends Specs>(fn: string, specs: S, options: unknown): ConfigOf<S> {
  const p = prepare(specs);
  if (options === undefined) return p.defaults as ConfigOf<S>;
  const given = readOptions(fn, options, p.keys);
  const out: Record<string, unknown> = {};
  for (let i = 0; i < p.keys.length; i++) {
    const k = p.keys[i];
    const v = given[k];
    out[k] = v === undefined ? p.specs[i].default : p.specs[i].parse(fn, k, v);
  }
  return out as ConfigOf<S>;
}

/** A plain options object (not a tensor, array or typed array). */
function isOptionsObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v) && !isTensor(v);
}

/** The positional arguments (padded to the descriptor's count) and the options object. */
function splitArgs(spec: { readonly args: readonly string[]; readonly optional?: number }, args: unknown[]): [unknown[], unknown] {
  const n = spec.args.length;
  // The usual call: the rest array is already fresh (runs read only the first n).
  if (spec.optional === undefined) return [args, args[n]];
  if (args.length <= n && (spec.optional ?? 0) > 0 && args.length > n - (spec.optional ?? 0) && isOptionsObject(args[args.length - 1])) {
    // An optional argument left out: the last one given is the options object.
    const given = args.slice(0, -1);
    return [[...given, ...Array(n - given.length).fill(undefined)], args[args.length - 1]];
  }
  return [args.slice(0, n), args[n]];
}

/**
 * An options object read once, as a plain copy of its own enumerable keys (each of `allowed`):
 * a getter or a proxy trap runs once, so the value checked is the value used, and one that
 * throws (a revoked proxy, a throwing getter) becomes an error naming `fn`.
 */
export function readOptions(fn: string, options: unknown, allowed: readonly string[]): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  if (options === undefined) return copy;
  const notObject = (): TypeError => new TypeError(`${fn}: argument 'options' must be an object, got ${describe(options)}`);
  let keys: string[];
  try {
    if (typeof options !== 'object' || options === null || Array.isArray(options) || options instanceof TensorClass) throw notObject();
    keys = Object.keys(options);
  } catch (e) {
    throw e instanceof TypeError && e.message.startsWith(`${fn}: `) ? e : notObject();
  }
  for (const k of keys) {
    if (!allowed.includes(k)) {
      throw new TypeError(`${fn}: unknown option '${k}' (expected ${allowed.map((a) => `'${a}'`).join(', ')})`);
    }
    try {
      copy[k] = (options as Record<string, unknown>)[k];
    } catch (e) {
      throw new TypeError(`${fn}: option '${k}' could not be read (${e instanceof Error ? e.message : describe(e)})`);
    }
  }
  return copy;
}

/** The option keys of a spec that hold tensors (class weights, posWeight), found once. */
const tensorOptionKeys = new WeakMap<object, string[]>();

/** Runs a loss; when its result records a graph, backward first checks that no tensor argument
 * or tensor option changed since (ts/fingerprint.ts). */
function runGuarded<X extends readonly unknown[]>(spec: LossSpec<readonly string[], Specs, string, X>, fn: string, args: X, o: ConfigOf<Specs>): Tensor {
  const result = spec.run(fn, args, o);
  if (result.gradFn === null) return result;
  let keys = tensorOptionKeys.get(spec);
  if (keys === undefined) {
    keys = Object.keys(spec.options).filter((k) => spec.options[k].domain === 'a Tensor');
    tensorOptionKeys.set(spec, keys);
  }
  const saved: [string, Tensor][] = [];
  for (let i = 0; i < spec.args.length; i++) if (isTensor(args[i])) saved.push([spec.args[i], args[i] as Tensor]);
  for (const k of keys) {
    const v = (o as Record<string, unknown>)[k];
    if (isTensor(v)) saved.push([k, v]);
  }
  guardInputs(fn, result, saved);
  return result;
}

/** Defines a loss: returns its `F` function, which carries the descriptor as `.spec`. */
export function defineLoss<const A extends readonly string[], S extends Specs, const N extends string, X extends readonly unknown[] = Tensors<A>>(
  spec: LossSpec<A, S, N, X>,
): LossFn<A, S, N, X> {
  const n = spec.args.length;
  // The all-defaults config, for calls without options (prepared on first use: a WeakMap
  // lookup per call is a measurable part of a small call).
  let defaults: ConfigOf<S> | null = null;
  const f = (...args: unknown[]): Tensor => {
    if (args.length > n + 1) {
      throw new TypeError(`${spec.name}: takes ${n} tensor argument${n === 1 ? '' : 's'} (${spec.args.join(', ')}) and an options object, got ${args.length} arguments`);
    }
    try {
      const [positional, options] = splitArgs(spec, args);
      const o = options === undefined ? (defaults ??= parseOptions(spec.name, spec.options, undefined)) : parseOptions(spec.name, spec.options, options);
      return runGuarded(spec, spec.name, positional as unknown as X, o);
    } catch (e) {
      throw namedError(spec.name, e);
    }
  };
  Object.defineProperty(f, 'name', { value: spec.name });
  Object.defineProperty(f, 'spec', { value: spec, enumerable: false });
  return f as unknown as LossFn<A, S, N, X>;
}

/** An `nn` loss module: options validated once in the constructor (errors name the class),
 * `forward` runs the loss with them (its errors name the class too). */
export interface LossModule<S extends Specs, X extends readonly unknown[]> {
  readonly options: Readonly<ConfigOf<S>>;
  forward(...args: X): Tensor;
}
export type LossModuleClass<S extends Specs, X extends readonly unknown[]> = new (options?: OptionsOf<S>) => LossModule<S, X>;

/** The `nn` class of a loss, named (`.name`) as its descriptor says: minifiers cannot rename it. */
export function lossModule<A extends readonly string[], S extends Specs, X extends readonly unknown[]>(
  f: LossFn<A, S, string, X>,
  name: string = f.spec.nn,
): LossModuleClass<S, X> {
  const spec = f.spec;
  const cls = class {
    readonly options: Readonly<ConfigOf<S>>;
    constructor(options?: OptionsOf<S>) {
      this.options = Object.freeze(named(name, () => parseOptions(name, spec.options, options)));
    }
    forward(...args: X): Tensor {
      const n = spec.args.length;
      if (args.length > n || args.length < n - (spec.optional ?? 0)) {
        throw new TypeError(`${name}.forward: takes ${n} tensor arguments (${spec.args.join(', ')}), got ${args.length}`);
      }
      try {
        return runGuarded(spec, name, [...args, ...Array(n - args.length).fill(undefined)] as unknown as X, this.options);
      } catch (e) {
        throw namedError(name, e);
      }
    }
  };
  Object.defineProperty(cls, 'name', { value: name });
  return cls;
}

/** Any loss's `F` function (the table's element type). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyLoss = LossFn<any, any, string, any>;

/** Every `F` function that is a loss (carries a descriptor). */
export function isLoss(v: unknown): v is AnyLoss {
  return typeof v === 'function' && 'spec' in v;
}
