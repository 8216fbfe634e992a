// nn classes of the localization losses; each validates its options in the constructor and
// forwards to F. Names as the reference spells them: mmdetection's classes (IoULoss,
// SIoULoss, BalancedL1Loss, VarifocalLoss, QualityFocalLoss, DistributionFocalLoss),
// torchvision's function names as classes (torchvision has no modules for them), and
// EfficientIoULoss for Efficient-IoU (mmdetection's EIoULoss is Extended-IoU).

import { balancedL1LossOptions, balancedL1LossWith, type BalancedL1LossOptions } from '../functional/balanced_l1_loss.js';
import { boxIouLossOptions, boxIouLossWith, type BoxIouLossConfig, type BoxIouLossOptions } from '../functional/box_iou_loss.js';
import { completeBoxIouLossOptions, completeBoxIouLossWith, type CompleteBoxIouLossOptions } from '../functional/complete_box_iou_loss.js';
import { distanceBoxIouLossOptions, distanceBoxIouLossWith, type DistanceBoxIouLossOptions } from '../functional/distance_box_iou_loss.js';
import {
  distributionFocalLossOptions, distributionFocalLossWith, type DistributionFocalLossOptions,
} from '../functional/distribution_focal_loss.js';
import {
  efficientBoxIouLossOptions, efficientBoxIouLossWith, type EfficientBoxIouLossConfig, type EfficientBoxIouLossOptions,
} from '../functional/efficient_box_iou_loss.js';
import {
  generalizedBoxIouLossOptions, generalizedBoxIouLossWith, type GeneralizedBoxIouLossOptions,
} from '../functional/generalized_box_iou_loss.js';
import { qualityFocalLossOptions, qualityFocalLossWith, type QualityFocalLossOptions } from '../functional/quality_focal_loss.js';
import {
  scyllaBoxIouLossOptions, scyllaBoxIouLossWith, type ScyllaBoxIouLossConfig, type ScyllaBoxIouLossOptions,
} from '../functional/scylla_box_iou_loss.js';
import { varifocalLossOptions, varifocalLossWith, type VarifocalLossOptions } from '../functional/varifocal_loss.js';
import type { BoxLossConfig } from '../localization.js';
import type { Tensor } from '../tensor.js';
import { Loss } from './loss.js';

/** `torchvision.ops.generalized_box_iou_loss` as a module; see {@link generalizedBoxIouLoss}. */
export class GeneralizedBoxIoULoss extends Loss<GeneralizedBoxIouLossOptions, BoxLossConfig> {
  constructor(options?: GeneralizedBoxIouLossOptions) { super(options, generalizedBoxIouLossOptions); }
  forward(input: Tensor, target: Tensor): Tensor { return generalizedBoxIouLossWith('GeneralizedBoxIoULoss', input, target, this.options); }
}

/** `torchvision.ops.distance_box_iou_loss` as a module; see {@link distanceBoxIouLoss}. */
export class DistanceBoxIoULoss extends Loss<DistanceBoxIouLossOptions, BoxLossConfig> {
  constructor(options?: DistanceBoxIouLossOptions) { super(options, distanceBoxIouLossOptions); }
  forward(input: Tensor, target: Tensor): Tensor { return distanceBoxIouLossWith('DistanceBoxIoULoss', input, target, this.options); }
}

/** `torchvision.ops.complete_box_iou_loss` as a module; see {@link completeBoxIouLoss}. */
export class CompleteBoxIoULoss extends Loss<CompleteBoxIouLossOptions, BoxLossConfig> {
  constructor(options?: CompleteBoxIouLossOptions) { super(options, completeBoxIouLossOptions); }
  forward(input: Tensor, target: Tensor): Tensor { return completeBoxIouLossWith('CompleteBoxIoULoss', input, target, this.options); }
}

/** mmdetection's `IoULoss` (linear / square / log); see {@link boxIouLoss}. */
export class IoULoss extends Loss<BoxIouLossOptions, BoxIouLossConfig> {
  constructor(options?: BoxIouLossOptions) { super(options, boxIouLossOptions); }
  forward(input: Tensor, target: Tensor): Tensor { return boxIouLossWith('IoULoss', input, target, this.options); }
}

/** Efficient-IoU / Focal-EIoU (Zhang et al. 2021); see {@link efficientBoxIouLoss}. */
export class EfficientIoULoss extends Loss<EfficientBoxIouLossOptions, EfficientBoxIouLossConfig> {
  constructor(options?: EfficientBoxIouLossOptions) { super(options, efficientBoxIouLossOptions); }
  forward(input: Tensor, target: Tensor): Tensor { return efficientBoxIouLossWith('EfficientIoULoss', input, target, this.options); }
}

/** mmdetection's `SIoULoss`; see {@link scyllaBoxIouLoss}. */
export class SIoULoss extends Loss<ScyllaBoxIouLossOptions, ScyllaBoxIouLossConfig> {
  constructor(options?: ScyllaBoxIouLossOptions) { super(options, scyllaBoxIouLossOptions); }
  forward(input: Tensor, target: Tensor): Tensor { return scyllaBoxIouLossWith('SIoULoss', input, target, this.options); }
}

/** mmdetection's `BalancedL1Loss`; see {@link balancedL1Loss}. */
export class BalancedL1Loss extends Loss<BalancedL1LossOptions> {
  constructor(options?: BalancedL1LossOptions) { super(options, balancedL1LossOptions); }
  forward(input: Tensor, target: Tensor): Tensor { return balancedL1LossWith('BalancedL1Loss', input, target, this.options); }
}

/** mmdetection's `VarifocalLoss`; see {@link varifocalLoss}. */
export class VarifocalLoss extends Loss<VarifocalLossOptions> {
  constructor(options?: VarifocalLossOptions) { super(options, varifocalLossOptions); }
  forward(input: Tensor, target: Tensor): Tensor { return varifocalLossWith('VarifocalLoss', input, target, this.options); }
}

/** mmdetection's `QualityFocalLoss` (`forward(input, label, score)`); see {@link qualityFocalLoss}. */
export class QualityFocalLoss extends Loss<QualityFocalLossOptions> {
  constructor(options?: QualityFocalLossOptions) { super(options, qualityFocalLossOptions); }
  forward(input: Tensor, label: Tensor, score: Tensor): Tensor { return qualityFocalLossWith('QualityFocalLoss', input, label, score, this.options); }
}

/** mmdetection's `DistributionFocalLoss`; see {@link distributionFocalLoss}. */
export class DistributionFocalLoss extends Loss<DistributionFocalLossOptions> {
  constructor(options?: DistributionFocalLossOptions) { super(options, distributionFocalLossOptions); }
  forward(input: Tensor, label: Tensor): Tensor { return distributionFocalLossWith('DistributionFocalLoss', input, label, this.options); }
}
