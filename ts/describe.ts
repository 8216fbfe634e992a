// What an error message shows of a value a user passed. One helper for every message (the loss
// table's option errors, argument checks, tensor(), backward()): it must never throw and never
// run user code, whatever it is given (BigInt, symbols, NaN, cyclic objects, revoked proxies,
// typed arrays from another realm, tensors from another copy of lossfn).

// The %TypedArray%.prototype[Symbol.toStringTag] getter reads the internal slot, so it names
// typed arrays of any realm without calling anything the user can override.
const typedArrayTag = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Int8Array.prototype), Symbol.toStringTag)!
  .get as (this: unknown) => string | undefined;

/** The element type name of a typed array of any realm ('Float32Array'), or undefined. */
export function typedArrayName(v: unknown): string | undefined {
  return typeof v === 'object' && v !== null ? typedArrayTag.call(v) : undefined;
}

/** Whether `v` is a typed array of another realm (an iframe, a vm context, a worker's copy). */
export function isForeignTypedArray(v: unknown): boolean {
  const name = typedArrayName(v);
  if (name === undefined) return false;
  const own = (globalThis as Record<string, unknown>)[name];
  return typeof own !== 'function' || !(v instanceof (own as new () => unknown));
}

/** lossfn's own Tensor class (registered by ts/tensor.ts, which imports this module). */
let ownTensor: unknown = null;
export function registerTensorClass(c: unknown): void {
  ownTensor = c;
}

/** A string value, cut to a readable length. */
const quote = (s: string): string => JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);

/**
 * The type of `v`, and for a primitive its value: `number 1`, `NaN`, `string "x"`,
 * `bigint 3n`, `symbol s`, `null`, `an array`, `Float32Array`, `Float32Array from another realm`,
 * `a Tensor from another copy of lossfn`, `a revoked Proxy`, or the constructor's name.
 */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'bigint':
      return `bigint ${v}n`;
    case 'number':
      return Number.isNaN(v) ? 'NaN' : `number ${Object.is(v, -0) ? '-0' : v}`;
    case 'string':
      return `string ${quote(v)}`;
    case 'boolean':
      return `boolean ${v}`;
    case 'symbol':
      return `symbol ${quote(v.description ?? '')}`;
    case 'undefined':
      return 'undefined';
    case 'function':
      return 'a function';
  }
  try {
    // Array.isArray throws on a revoked proxy; getters (constructor) may throw too.
    if (Array.isArray(v)) return 'an array';
    const typed = typedArrayName(v);
    if (typed !== undefined) return isForeignTypedArray(v) ? `${typed} from another realm` : typed;
    const proto: unknown = Object.getPrototypeOf(v);
    const ctor = proto === null ? undefined : Object.getOwnPropertyDescriptor(proto, 'constructor')?.value;
    const name = typeof ctor === 'function' && typeof ctor.name === 'string' && ctor.name !== '' ? ctor.name : 'an object';
    // A Tensor of another copy of lossfn (two bundles, two versions): it looks like ours but is not.
    if (name === 'Tensor' && ctor !== ownTensor) return 'a Tensor from another copy of lossfn (or realm)';
    return name;
  } catch {
    return 'a revoked Proxy (or an object that cannot be inspected)';
  }
}
