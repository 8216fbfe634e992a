// nn classes of the classification losses; each validates in its constructor and forwards to F.

import { crossEntropyOptions, crossEntropyWith, type CrossEntropyConfig, type CrossEntropyOptions } from '../functional/cross_entropy.js';
import type { Tensor } from '../tensor.js';
import { Loss } from './loss.js';

/** `torch.nn.CrossEntropyLoss`; see {@link crossEntropy}. */
export class CrossEntropyLoss extends Loss<CrossEntropyOptions, CrossEntropyConfig> {
  constructor(options?: CrossEntropyOptions) { super(options, crossEntropyOptions); }
  forward(input: Tensor, target: Tensor): Tensor { return crossEntropyWith('CrossEntropyLoss', input, target, this.options); }
}
