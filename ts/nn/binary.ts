// nn classes of the elementwise classification losses (BCE family, margins, KL, focal); each
// validates its options in the constructor and forwards to F.

import {
  binaryCrossEntropy, binaryCrossEntropyOptions, type BinaryCrossEntropyConfig, type BinaryCrossEntropyOptions,
} from '../functional/binary_cross_entropy.js';
import {
  binaryCrossEntropyWithLogits, binaryCrossEntropyWithLogitsOptions,
  type BinaryCrossEntropyWithLogitsConfig, type BinaryCrossEntropyWithLogitsOptions,
} from '../functional/binary_cross_entropy_with_logits.js';
import { hinge, hingeOptions, type HingeOptions } from '../functional/hinge.js';
import { klDiv, klDivOptions, type KlDivOptions } from '../functional/kl_div.js';
import {
  multilabelSoftMarginLoss, multilabelSoftMarginLossOptions,
  type MultilabelSoftMarginLossConfig, type MultilabelSoftMarginLossOptions,
} from '../functional/multilabel_soft_margin_loss.js';
import { sigmoidFocalLoss, sigmoidFocalLossOptions, type SigmoidFocalLossOptions } from '../functional/sigmoid_focal_loss.js';
import { softMarginLoss, softMarginLossOptions, type SoftMarginLossOptions } from '../functional/soft_margin_loss.js';
import { squaredHinge, squaredHingeOptions, type SquaredHingeOptions } from '../functional/squared_hinge.js';
import type { Tensor } from '../tensor.js';
import { Loss } from './loss.js';

/** `torch.nn.BCELoss`; see {@link binaryCrossEntropy}. */
export class BCELoss extends Loss<BinaryCrossEntropyOptions, BinaryCrossEntropyConfig> {
  constructor(options?: BinaryCrossEntropyOptions) { super(options, binaryCrossEntropyOptions); }
  forward(input: Tensor, target: Tensor): Tensor { return binaryCrossEntropy(input, target, this.options); }
}

/** `torch.nn.BCEWithLogitsLoss`; see {@link binaryCrossEntropyWithLogits}. */
export class BCEWithLogitsLoss extends Loss<BinaryCrossEntropyWithLogitsOptions, BinaryCrossEntropyWithLogitsConfig> {
  constructor(options?: BinaryCrossEntropyWithLogitsOptions) { super(options, binaryCrossEntropyWithLogitsOptions); }
  forward(input: Tensor, target: Tensor): Tensor { return binaryCrossEntropyWithLogits(input, target, this.options); }
}

/** `torch.nn.SoftMarginLoss`; see {@link softMarginLoss}. */
export class SoftMarginLoss extends Loss<SoftMarginLossOptions> {
  constructor(options?: SoftMarginLossOptions) { super(options, softMarginLossOptions); }
  forward(input: Tensor, target: Tensor): Tensor { return softMarginLoss(input, target, this.options); }
}

/** `torch.nn.MultiLabelSoftMarginLoss`; see {@link multilabelSoftMarginLoss}. */
export class MultiLabelSoftMarginLoss extends Loss<MultilabelSoftMarginLossOptions, MultilabelSoftMarginLossConfig> {
  constructor(options?: MultilabelSoftMarginLossOptions) { super(options, multilabelSoftMarginLossOptions); }
  forward(input: Tensor, target: Tensor): Tensor { return multilabelSoftMarginLoss(input, target, this.options); }
}

/** `torch.nn.KLDivLoss`; see {@link klDiv}. */
export class KLDivLoss extends Loss<KlDivOptions> {
  constructor(options?: KlDivOptions) { super(options, klDivOptions); }
  forward(input: Tensor, target: Tensor): Tensor { return klDiv(input, target, this.options); }
}

/** Keras `Hinge` with PyTorch conventions; see {@link hinge}. */
export class Hinge extends Loss<HingeOptions> {
  constructor(options?: HingeOptions) { super(options, hingeOptions); }
  forward(input: Tensor, target: Tensor): Tensor { return hinge(input, target, this.options); }
}

/** Keras `SquaredHinge` with PyTorch conventions; see {@link squaredHinge}. */
export class SquaredHinge extends Loss<SquaredHingeOptions> {
  constructor(options?: SquaredHingeOptions) { super(options, squaredHingeOptions); }
  forward(input: Tensor, target: Tensor): Tensor { return squaredHinge(input, target, this.options); }
}

/**
 * `torchvision.ops.sigmoid_focal_loss` as a module (lossfn's addition: torchvision has only the
 * function); defaults α = 0.25, γ = 2, reduction 'none'. See {@link sigmoidFocalLoss}.
 */
export class SigmoidFocalLoss extends Loss<SigmoidFocalLossOptions> {
  constructor(options?: SigmoidFocalLossOptions) { super(options, sigmoidFocalLossOptions); }
  forward(input: Tensor, target: Tensor): Tensor { return sigmoidFocalLoss(input, target, this.options); }
}
