import { defineLoss, opt, type LossOptions } from '../table.js';
import { checkPair, elementwise } from '../elementwise.js';

/**
 * Sigmoid focal loss (Lin et al., 2017), as `torchvision.ops.sigmoid_focal_loss`: with
 * `p = σ(x)`, `ce = BCEWithLogits(x, t)`, `1 − p_t = p·(1 − t) + (1 − p)·t`,
 * `l = α_t·(1 − p_t)^γ·ce`, `α_t = α·t + (1 − α)·(1 − t)` (α_t = 1 when α < 0).
 *
 * `input` logits of any shape, `target` of the same shape and dtype (0/1 or soft labels).
 * Defaults as torchvision: α = 0.25, γ = 2, **reduction 'none'** (the input's shape); 'mean'
 * divides by the number of elements. `nn.SigmoidFocalLoss` is lossfn's class for it
 * (torchvision has only the function).
 *
 * Numerics: `ce` is the stable BCE-with-logits; `1 − p_t` is built from σ(x) and σ(−x), so it
 * keeps its digits for confident predictions, where torchvision's `1 − sigmoid` is exactly 0
 * (|x| ≳ 17 in float32): lossfn then returns the small true loss, torchvision 0. `0^0 = 1`
 * (γ = 0). Gradients to input and target are analytic; at γ = 0 the focusing term has none
 * (as torch's `pow`); for 0 < γ < 1 its derivative is infinite where `1 − p_t = 0`.
 *
 * @example
 * const loss = F.sigmoidFocalLoss(logits, targets, { reduction: 'mean' }); // α = 0.25, γ = 2
 */
export const sigmoidFocalLoss = defineLoss({
  name: 'sigmoidFocalLoss',
  stem: 'sigmoid_focal_loss',
  nn: 'SigmoidFocalLoss',
  family: 'classification',
  reference: 'torchvision.ops.sigmoid_focal_loss',
  args: ['input', 'target'],
  options: {
    alpha: opt.number(0.25, Number.isFinite, 'must be finite', [Infinity]),
    gamma: opt.number(2, (g) => g >= 0 && Number.isFinite(g), 'must be a finite number >= 0', [-2, Infinity]),
    reduction: opt.reduction('none'),
  },
  notes: '`alpha` (0.25; < 0 disables), `gamma` (2); default reduction `\'none\'`, as torchvision',
  mean: 'the number of elements',
  run(fn, [input, target], o) {
    const { alpha, gamma, reduction } = o;
    const [x, t] = checkPair(fn, input, target);
    return elementwise({ fn, stem: 'sigmoid_focal_loss', params: [alpha, gamma, 0], input: x, target: t, reduction });
  },
});

/** The options of {@link sigmoidFocalLoss}. */
export type SigmoidFocalLossOptions = LossOptions<typeof sigmoidFocalLoss>;
