// nn classes of the sequence losses; each validates in its constructor and forwards to F.

import { ctcLossOptions, ctcLossWith, type CtcLossConfig, type CtcLossOptions } from '../functional/ctc_loss.js';
import { rnntLossOptions, rnntLossWith, type RnntLossConfig, type RnntLossOptions } from '../functional/rnnt_loss.js';
import type { Lengths } from '../sequence.js';
import type { Tensor } from '../tensor.js';
import { Loss } from './loss.js';

/** `torch.nn.CTCLoss`; see {@link ctcLoss}. */
export class CTCLoss extends Loss<CtcLossOptions, CtcLossConfig> {
  constructor(options?: CtcLossOptions) { super(options, ctcLossOptions); }
  forward(logProbs: Tensor, targets: Tensor, inputLengths: Lengths, targetLengths: Lengths): Tensor {
    return ctcLossWith('CTCLoss', logProbs, targets, inputLengths, targetLengths, this.options);
  }
}

/** `torchaudio.transforms.RNNTLoss`; see {@link rnntLoss}. */
export class RNNTLoss extends Loss<RnntLossOptions, RnntLossConfig> {
  constructor(options?: RnntLossOptions) { super(options, rnntLossOptions); }
  forward(logits: Tensor, targets: Tensor, logitLengths: Lengths, targetLengths: Lengths): Tensor {
    return rnntLossWith('RNNTLoss', logits, targets, logitLengths, targetLengths, this.options);
  }
}
