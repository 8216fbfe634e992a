// The loss table's machinery: each loss is one descriptor (`defineLoss`): its names in every
// layer, its family and reference, its positional tensor arguments, its options (defaults,
// domains, the reference's messages) and its 'mean' denominator, plus the function that runs it
// on validated options. From the descriptor come the option validation, the `F` function (which
// carries the descriptor as `.spec`), the `nn` class (`lossModule`), the derived error tests
// (test/table.test.ts) and the README's loss table (scripts/gen-readme.mjs).

import type { Tensor } from './tensor.js';
import { Tensor as TensorClass } from './tensor.js';

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

/** What an error message shows of a value a user passed: its type, and for a primitive its
 * value (`number 1`, `string "x"`, `bigint 3n`; `NaN`); safe for BigInt, symbols, objects. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  switch (typeof v) {
    case 'bigint':
      return `bigint ${v}n`;
    case 'number':
      return Number.isNaN(v) ? 'NaN' : `number ${v}`;
    case 'string':
      return `string ${JSON.stringify(v)}`;
    case 'boolean':
      return `boolean ${v}`;
    case 'symbol':
      return `symbol ${v.description ?? ''}`;
    case 'undefined':
      return 'undefined';
    case 'function':
      return 'a function';
    default:
      return (v as object).constructor?.name ?? 'an object';
  }
}

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
      if (!(v instanceof TensorClass)) throw new TypeError(`${fn}: argument '${name}' must be a Tensor, got ${describe(v)}`);
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

/** Validates an options object against the specs: an object, known keys, each value parsed. */
export function parseOptions<S extends Specs>(fn: string, specs: S, options: unknown): ConfigOf<S> {
  const p = prepare(specs);
  if (options === undefined) return p.defaults as ConfigOf<S>;
  if (typeof options !== 'object' || options === null || Array.isArray(options) || options instanceof TensorClass) {
    throw new TypeError(`${fn}: argument 'options' must be an object, got ${describe(options)}`);
  }
  for (const k in options) {
    if (Object.hasOwn(options, k) && !Object.hasOwn(specs, k)) {
      throw new TypeError(`${fn}: unknown option '${k}' (expected ${p.keys.map((a) => `'${a}'`).join(', ')})`);
    }
  }
  const given = options as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (let i = 0; i < p.keys.length; i++) {
    const k = p.keys[i];
    const v = given[k];
    out[k] = v === undefined ? p.specs[i].default : p.specs[i].parse(fn, k, v);
  }
  return out as ConfigOf<S>;
}

/** Defines a loss: returns its `F` function, which carries the descriptor as `.spec`. */
export function defineLoss<const A extends readonly string[], S extends Specs, const N extends string, X extends readonly unknown[] = Tensors<A>>(
  spec: LossSpec<A, S, N, X>,
): LossFn<A, S, N, X> {
  const n = spec.args.length;
  const f = (...args: unknown[]): Tensor => {
    if (args.length > n + 1) {
      throw new TypeError(`${spec.name}: takes ${n} tensor argument${n === 1 ? '' : 's'} (${spec.args.join(', ')}) and an options object, got ${args.length} arguments`);
    }
    const o = parseOptions(spec.name, spec.options, args[n]);
    return spec.run(spec.name, args.slice(0, n) as unknown as X, o);
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
      this.options = Object.freeze(parseOptions(name, spec.options, options));
    }
    forward(...args: X): Tensor {
      if (args.length !== spec.args.length) {
        throw new TypeError(`${name}.forward: takes ${spec.args.length} tensor arguments (${spec.args.join(', ')}), got ${args.length}`);
      }
      return spec.run(name, args, this.options);
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
