// nn classes of the regression losses; each validates in its constructor and forwards to F.

import { gaussianNllLoss, gaussianNllLossOptions, type GaussianNllLossOptions } from '../functional/gaussian_nll_loss.js';
import { huberLoss, huberLossOptions, type HuberLossOptions } from '../functional/huber_loss.js';
import { l1Loss, l1LossOptions, type L1LossOptions } from '../functional/l1_loss.js';
import { logCosh, logCoshOptions, type LogCoshOptions } from '../functional/log_cosh.js';
import {
  meanAbsolutePercentageError, meanAbsolutePercentageErrorOptions, type MeanAbsolutePercentageErrorOptions,
} from '../functional/mean_absolute_percentage_error.js';
import {
  meanSquaredLogarithmicError, meanSquaredLogarithmicErrorOptions, type MeanSquaredLogarithmicErrorOptions,
} from '../functional/mean_squared_logarithmic_error.js';
import { mseLoss, mseLossOptions, type MseLossOptions } from '../functional/mse_loss.js';
import { poissonNllLoss, poissonNllLossOptions, type PoissonNllLossOptions } from '../functional/poisson_nll_loss.js';
import { smoothL1Loss, smoothL1LossOptions, type SmoothL1LossOptions } from '../functional/smooth_l1_loss.js';
import type { Tensor } from '../tensor.js';
import { Loss } from './loss.js';

/** `torch.nn.L1Loss`; see {@link l1Loss}. */
export class L1Loss extends Loss<L1LossOptions> {
  constructor(options?: L1LossOptions) { super(options, l1LossOptions); }
  forward(input: Tensor, target: Tensor): Tensor { return l1Loss(input, target, this.options); }
}

/** `torch.nn.MSELoss`; see {@link mseLoss}. */
export class MSELoss extends Loss<MseLossOptions> {
  constructor(options?: MseLossOptions) { super(options, mseLossOptions); }
  forward(input: Tensor, target: Tensor): Tensor { return mseLoss(input, target, this.options); }
}

/** `torch.nn.SmoothL1Loss`; see {@link smoothL1Loss}. */
export class SmoothL1Loss extends Loss<SmoothL1LossOptions> {
  constructor(options?: SmoothL1LossOptions) { super(options, smoothL1LossOptions); }
  forward(input: Tensor, target: Tensor): Tensor { return smoothL1Loss(input, target, this.options); }
}

/** `torch.nn.HuberLoss`; see {@link huberLoss}. */
export class HuberLoss extends Loss<HuberLossOptions> {
  constructor(options?: HuberLossOptions) { super(options, huberLossOptions); }
  forward(input: Tensor, target: Tensor): Tensor { return huberLoss(input, target, this.options); }
}

/** `torch.nn.PoissonNLLLoss`; see {@link poissonNllLoss}. */
export class PoissonNLLLoss extends Loss<PoissonNllLossOptions> {
  constructor(options?: PoissonNllLossOptions) { super(options, poissonNllLossOptions); }
  forward(input: Tensor, target: Tensor): Tensor { return poissonNllLoss(input, target, this.options); }
}

/** `torch.nn.GaussianNLLLoss`; see {@link gaussianNllLoss}. */
export class GaussianNLLLoss extends Loss<GaussianNllLossOptions> {
  constructor(options?: GaussianNllLossOptions) { super(options, gaussianNllLossOptions); }
  forward(input: Tensor, target: Tensor, variance: Tensor): Tensor { return gaussianNllLoss(input, target, variance, this.options); }
}

/** Keras `MeanAbsolutePercentageError`; see {@link meanAbsolutePercentageError}. */
export class MeanAbsolutePercentageError extends Loss<MeanAbsolutePercentageErrorOptions> {
  constructor(options?: MeanAbsolutePercentageErrorOptions) { super(options, meanAbsolutePercentageErrorOptions); }
  forward(input: Tensor, target: Tensor): Tensor { return meanAbsolutePercentageError(input, target, this.options); }
}

/** Keras `MeanSquaredLogarithmicError`; see {@link meanSquaredLogarithmicError}. */
export class MeanSquaredLogarithmicError extends Loss<MeanSquaredLogarithmicErrorOptions> {
  constructor(options?: MeanSquaredLogarithmicErrorOptions) { super(options, meanSquaredLogarithmicErrorOptions); }
  forward(input: Tensor, target: Tensor): Tensor { return meanSquaredLogarithmicError(input, target, this.options); }
}

/** Keras `LogCosh`; see {@link logCosh}. */
export class LogCosh extends Loss<LogCoshOptions> {
  constructor(options?: LogCoshOptions) { super(options, logCoshOptions); }
  forward(input: Tensor, target: Tensor): Tensor { return logCosh(input, target, this.options); }
}
