// nn classes of the classification losses; each validates in its constructor and forwards to F.

import { crossEntropyOptions, crossEntropyWith, type CrossEntropyConfig, type CrossEntropyOptions } from '../functional/cross_entropy.js';
import { arcFaceLossOptions, arcFaceLossWith, type ArcFaceLossOptions } from '../functional/arc_face_loss.js';
import { categoricalHingeOptions, categoricalHingeWith, type CategoricalHingeConfig, type CategoricalHingeOptions } from '../functional/categorical_hinge.js';
import { cosFaceLossOptions, cosFaceLossWith, type CosFaceLossOptions } from '../functional/cos_face_loss.js';
import { distillationLossOptions, distillationLossWith, type DistillationLossConfig, type DistillationLossOptions } from '../functional/distillation_loss.js';
import { multiMarginLossOptions, multiMarginLossWith, type MultiMarginLossConfig, type MultiMarginLossOptions } from '../functional/multi_margin_loss.js';
import {
  multilabelMarginLossOptions, multilabelMarginLossWith, type MultilabelMarginLossConfig, type MultilabelMarginLossOptions,
} from '../functional/multilabel_margin_loss.js';
import { nllLossOptions, nllLossWith, type NllLossConfig, type NllLossOptions } from '../functional/nll_loss.js';
import { polyLossOptions, polyLossWith, type PolyLossConfig, type PolyLossOptions } from '../functional/poly_loss.js';
import { softmaxFocalLossOptions, softmaxFocalLossWith, type SoftmaxFocalLossConfig, type SoftmaxFocalLossOptions } from '../functional/softmax_focal_loss.js';
import { sphereFaceLossOptions, sphereFaceLossWith, type SphereFaceLossOptions } from '../functional/sphere_face_loss.js';
import { zeroOneLossOptions, zeroOneLossWith, type ZeroOneLossConfig, type ZeroOneLossOptions } from '../functional/zero_one_loss.js';
import type { MarginConfig } from '../rowloss.js';
import type { Tensor } from '../tensor.js';
import { Loss } from './loss.js';

/** `torch.nn.CrossEntropyLoss`; see {@link crossEntropy}. */
export class CrossEntropyLoss extends Loss<CrossEntropyOptions, CrossEntropyConfig> {
  constructor(options?: CrossEntropyOptions) { super(options, crossEntropyOptions); }
  forward(input: Tensor, target: Tensor): Tensor { return crossEntropyWith('CrossEntropyLoss', input, target, this.options); }
}

// ---- NLL, focal, poly, distillation, hinge/margin, 0-1 and the large-margin softmax losses.

/** `torch.nn.NLLLoss`; see {@link nllLoss}. */
export class NLLLoss extends Loss<NllLossOptions, NllLossConfig> {
  constructor(options?: NllLossOptions) { super(options, nllLossOptions); }
  forward(input: Tensor, target: Tensor): Tensor { return nllLossWith(this.constructor.name, input, target, this.options); }
}

/** `torch.nn.NLLLoss2d`, PyTorch's deprecated alias of {@link NLLLoss} for (N, C, H, W) input: the same loss. */
export class NLLLoss2d extends NLLLoss {}

/** The softmax (multi-class) focal loss; see {@link softmaxFocalLoss}. */
export class SoftmaxFocalLoss extends Loss<SoftmaxFocalLossOptions, SoftmaxFocalLossConfig> {
  constructor(options?: SoftmaxFocalLossOptions) { super(options, softmaxFocalLossOptions); }
  forward(input: Tensor, target: Tensor): Tensor { return softmaxFocalLossWith('SoftmaxFocalLoss', input, target, this.options); }
}

/** The Poly-1 loss; see {@link polyLoss}. */
export class PolyLoss extends Loss<PolyLossOptions, PolyLossConfig> {
  constructor(options?: PolyLossOptions) { super(options, polyLossOptions); }
  forward(input: Tensor, target: Tensor): Tensor { return polyLossWith('PolyLoss', input, target, this.options); }
}

/** The knowledge-distillation loss; see {@link distillationLoss}. */
export class DistillationLoss extends Loss<DistillationLossOptions, DistillationLossConfig> {
  constructor(options?: DistillationLossOptions) { super(options, distillationLossOptions); }
  forward(student: Tensor, teacher: Tensor): Tensor { return distillationLossWith('DistillationLoss', student, teacher, this.options); }
}

/** Keras' `CategoricalHinge`; see {@link categoricalHinge}. */
export class CategoricalHinge extends Loss<CategoricalHingeOptions, CategoricalHingeConfig> {
  constructor(options?: CategoricalHingeOptions) { super(options, categoricalHingeOptions); }
  forward(input: Tensor, target: Tensor): Tensor { return categoricalHingeWith('CategoricalHinge', input, target, this.options); }
}

/** `torch.nn.MultiMarginLoss`; see {@link multiMarginLoss}. */
export class MultiMarginLoss extends Loss<MultiMarginLossOptions, MultiMarginLossConfig> {
  constructor(options?: MultiMarginLossOptions) { super(options, multiMarginLossOptions); }
  forward(input: Tensor, target: Tensor): Tensor { return multiMarginLossWith('MultiMarginLoss', input, target, this.options); }
}

/** `torch.nn.MultiLabelMarginLoss`; see {@link multilabelMarginLoss}. */
export class MultiLabelMarginLoss extends Loss<MultilabelMarginLossOptions, MultilabelMarginLossConfig> {
  constructor(options?: MultilabelMarginLossOptions) { super(options, multilabelMarginLossOptions); }
  forward(input: Tensor, target: Tensor): Tensor { return multilabelMarginLossWith('MultiLabelMarginLoss', input, target, this.options); }
}

/** The 0-1 loss (sklearn's `zero_one_loss`); not differentiable; see {@link zeroOneLoss}. */
export class ZeroOneLoss extends Loss<ZeroOneLossOptions, ZeroOneLossConfig> {
  constructor(options?: ZeroOneLossOptions) { super(options, zeroOneLossOptions); }
  forward(input: Tensor, target: Tensor): Tensor { return zeroOneLossWith('ZeroOneLoss', input, target, this.options); }
}

/** ArcFace on cosine logits (pytorch-metric-learning's `ArcFaceLoss` head); see {@link arcFaceLoss}. */
export class ArcFaceLoss extends Loss<ArcFaceLossOptions, MarginConfig> {
  constructor(options?: ArcFaceLossOptions) { super(options, arcFaceLossOptions); }
  forward(input: Tensor, target: Tensor): Tensor { return arcFaceLossWith('ArcFaceLoss', input, target, this.options); }
}

/** CosFace on cosine logits (pytorch-metric-learning's `CosFaceLoss` head); see {@link cosFaceLoss}. */
export class CosFaceLoss extends Loss<CosFaceLossOptions, MarginConfig> {
  constructor(options?: CosFaceLossOptions) { super(options, cosFaceLossOptions); }
  forward(input: Tensor, target: Tensor): Tensor { return cosFaceLossWith('CosFaceLoss', input, target, this.options); }
}

/** SphereFace on cosine logits (pytorch-metric-learning's `SphereFaceLoss` head); see {@link sphereFaceLoss}. */
export class SphereFaceLoss extends Loss<SphereFaceLossOptions, MarginConfig> {
  constructor(options?: SphereFaceLossOptions) { super(options, sphereFaceLossOptions); }
  forward(input: Tensor, target: Tensor): Tensor { return sphereFaceLossWith('SphereFaceLoss', input, target, this.options); }
}
