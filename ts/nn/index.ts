// `nn`: one class per loss, named as torch.nn (or the reference library), generated from the
// loss table: options validated once in the constructor, `forward` runs the loss with them;
// errors name the class. `new nn.CrossEntropyLoss({ labelSmoothing: 0.1 }).forward(x, y)`.

import * as F from '../functional/index.js';
import { isLoss, lossModule, type AnyLoss, type LossFn, type LossModuleClass } from '../table.js';

type Fs = typeof F;
type LossKeys = { [K in keyof Fs]: Fs[K] extends AnyLoss ? K : never }[keyof Fs];
type ModuleOf<L> = L extends LossFn<readonly string[], infer S, string, infer X> ? LossModuleClass<S, X> : never;
type Names<L> = L extends { spec: { nn: infer N; aliases?: readonly (infer M)[] } } ? (N & string) | (M & string) : never;

/** The `nn` classes, by name. */
export type NN = { [K in LossKeys as Names<Fs[K]>]: ModuleOf<Fs[K]> };

const classes: Record<string, unknown> = {};
for (const f of Object.values(F)) {
  if (!isLoss(f)) continue;
  for (const name of [f.spec.nn, ...(f.spec.aliases ?? [])]) classes[name] = lossModule(f as LossFn, name);
}

/** `nn.<Class>`: the loss classes (generated from the loss table). */
export const nn = Object.freeze(classes) as NN;
