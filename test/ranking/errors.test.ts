// Bad input to the ranking family: an Error naming the function and the argument (PyTorch's or
// the reference implementation's wording where it has one), thrown before any kernel runs;
// the module stays usable.
import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, nn, ops, tensor } from '../../ts/index.js';

beforeAll(() => init());

const v = (d: number[], s?: number[]) => tensor(d, s);
const i64 = (d: number[], s?: number[]) => tensor(d, s, { dtype: 'int64' });
const m = (rows: number, cols: number, k = 0) => tensor(Array.from({ length: rows * cols }, (_, i) => Math.sin(i + k)), [rows, cols]);

describe('marginRankingLoss', () => {
  it("mismatched dimensions: PyTorch's message naming every argument", () => {
    expect(() => F.marginRankingLoss(v([1, 2]), m(2, 1), v([1, -1]))).toThrow(
      /^marginRankingLoss: All input tensors should have same dimension but got sizes: input1: \[2\], input2: \[2, 1\], target: \[2\]/,
    );
  });
  it('mismatched shapes, dtypes, non-tensors, bad options', () => {
    expect(() => F.marginRankingLoss(v([1, 2]), v([1, 2, 3]), v([1, -1]))).toThrow(/^marginRankingLoss: argument 'input2' has shape \[3\] but 'input1' has shape \[2\]/);
    expect(() => F.marginRankingLoss(v([1, 2]), v([1, 2]), v([1]))).toThrow(/^marginRankingLoss: argument 'target' has shape \[1\]/);
    expect(() => F.marginRankingLoss(v([1, 2]), tensor([1, 2], undefined, { dtype: 'float64' }), v([1, -1]))).toThrow(
      /^marginRankingLoss: expected argument 'input2' to have dtype float32 like 'input1', got float64/,
    );
    expect(() => F.marginRankingLoss(v([1, 2]), v([1, 2]), [1, -1] as never)).toThrow(/^marginRankingLoss: argument 'target' must be a Tensor, got an array/);
    expect(() => F.marginRankingLoss(v([1]), v([1]), v([1]), { margin: Number.POSITIVE_INFINITY })).toThrow(/^marginRankingLoss: option 'margin' must be finite, got Infinity/);
    expect(() => new nn.MarginRankingLoss({ reduction: 'avg' as never })).toThrow(/^MarginRankingLoss: "avg" is not a valid value for reduction/);
  });
});

describe('hingeEmbeddingLoss and cosineEmbeddingLoss', () => {
  it('hinge: shapes, a target that requires grad, options', () => {
    expect(() => F.hingeEmbeddingLoss(v([1, 2]), v([1]))).toThrow(/^hingeEmbeddingLoss: argument 'target' has shape \[1\] but 'input' has shape \[2\]/);
    expect(() => F.hingeEmbeddingLoss(v([1, 2]), tensor([1, -1], undefined, { requiresGrad: true }))).toThrow(
      /^hingeEmbeddingLoss: the function is not differentiable with respect to argument 'target'/,
    );
    expect(() => F.hingeEmbeddingLoss(v([1]), v([1]), { marg: 1 } as never)).toThrow(/^hingeEmbeddingLoss: unknown option 'marg'/);
  });
  it("cosine: PyTorch's target and input rank messages", () => {
    expect(() => F.cosineEmbeddingLoss(m(2, 3), m(2, 3), m(2, 1))).toThrow(
      /^cosineEmbeddingLoss: argument 'target': 0D or 1D target tensor expected, multi-target not supported/,
    );
    expect(() => F.cosineEmbeddingLoss(v([1, 2, 3]), v([1, 2, 3]), v([1]))).toThrow(
      /^cosineEmbeddingLoss: 1D target tensor expects 2D input tensors, but found inputs with sizes \[3\] and \[3\]\./,
    );
    expect(() => F.cosineEmbeddingLoss(m(2, 3), m(2, 3), tensor([1], []))).toThrow(
      /^cosineEmbeddingLoss: 0D target tensor expects 1D input tensors, but found inputs with sizes \[2, 3\] and \[2, 3\]\./,
    );
    expect(() => F.cosineEmbeddingLoss(m(2, 3), m(2, 3), v([1, -1, 1]))).toThrow(/^cosineEmbeddingLoss: argument 'target' has shape \[3\] but the inputs hold 2 pairs/);
    expect(() => F.cosineEmbeddingLoss(m(2, 3), m(3, 3), v([1, -1]))).toThrow(/^cosineEmbeddingLoss: argument 'input2' has shape \[3, 3\]/);
    expect(() => F.cosineEmbeddingLoss(m(2, 3), m(2, 3), tensor([1, -1], undefined, { dtype: 'float64' }))).toThrow(
      /^cosineEmbeddingLoss: expected argument 'target' to have dtype float32 like the input, got float64/,
    );
  });
});

describe('triplet losses', () => {
  const a = () => m(3, 4, 1);
  it("different numbers of dimensions: PyTorch's message", () => {
    expect(() => F.tripletMarginLoss(a(), v([1, 2, 3, 4]), a())).toThrow(
      /^tripletMarginLoss: The anchor, positive, and negative tensors are expected to have the same number of dimensions, but got: anchor 2D, positive 1D, and negative 2D inputs/,
    );
    expect(() => F.tripletMarginLoss(a(), a(), m(2, 4))).toThrow(/^tripletMarginLoss: argument 'negative' has shape \[2, 4\] but 'anchor' has shape \[3, 4\]/);
  });
  it('p below 1 or not finite, margin not positive (PyTorch ≥ 2.1 wording), bad swap', () => {
    expect(() => F.tripletMarginLoss(a(), a(), a(), { p: 0.5 })).toThrow(/^tripletMarginLoss: option 'p' must be a finite real ≥ 1 \(a norm\), got 0.5/);
    expect(() => F.tripletMarginLoss(a(), a(), a(), { p: Number.POSITIVE_INFINITY })).toThrow(/^tripletMarginLoss: option 'p' must be a finite real ≥ 1/);
    expect(() => F.tripletMarginLoss(a(), a(), a(), { margin: 0 })).toThrow(
      /^tripletMarginLoss: option 'margin': TripletMarginLoss: expected margin to be greater than 0, got 0 instead/,
    );
    expect(() => new nn.TripletMarginLoss({ margin: -1 })).toThrow(/^TripletMarginLoss: option 'margin': TripletMarginLoss: expected margin to be greater than 0, got -1 instead/);
    expect(() => F.tripletMarginLoss(a(), a(), a(), { swap: 1 as never })).toThrow(/^tripletMarginLoss: option 'swap' must be a boolean/);
    expect(() => F.tripletMarginLoss(a(), a(), a(), { eps: Number.NaN })).toThrow(/^tripletMarginLoss: option 'eps' must be a number/);
  });
  it('with distance: the distance must be one of the two names; margin > 0', () => {
    expect(() => F.tripletMarginWithDistanceLoss(a(), a(), a(), { distanceFunction: 'manhattan' as never })).toThrow(
      /^tripletMarginWithDistanceLoss: option 'distanceFunction' must be 'euclidean' or 'cosine'.*got 'manhattan'/,
    );
    expect(() => F.tripletMarginWithDistanceLoss(a(), a(), a(), { distanceFunction: ((x: unknown) => x) as never })).toThrow(/got function/);
    expect(() => new nn.TripletMarginWithDistanceLoss({ margin: 0 })).toThrow(
      /^TripletMarginWithDistanceLoss: option 'margin': TripletMarginWithDistanceLoss: expected margin to be greater than 0, got 0 instead/,
    );
  });
});

describe('distance ops', () => {
  it('pairwiseDistance: shapes and p', () => {
    expect(() => ops.pairwiseDistance(m(2, 3), m(3, 3))).toThrow(/^pairwiseDistance: argument 'x2' has shape \[3, 3\] but 'x1' has shape \[2, 3\]/);
    expect(() => ops.pairwiseDistance(m(2, 3), m(2, 3), { p: 0 })).toThrow(/^pairwiseDistance: option 'p' must be a finite real ≥ 1/);
    expect(() => ops.pairwiseDistance(m(2, 3), m(2, 3), { keepdim: 'no' as never })).toThrow(/^pairwiseDistance: option 'keepdim' must be a boolean/);
  });
  it("cosineSimilarity: PyTorch's dimension message", () => {
    expect(() => ops.cosineSimilarity(v([1, 2]), v([1, 2]))).toThrow(
      /^cosineSimilarity: option 'dim': Dimension out of range \(expected to be in range of \[-1, 0\], but got 1\)/,
    );
    expect(() => ops.cosineSimilarity(m(2, 3), m(2, 3), { dim: -3 })).toThrow(/expected to be in range of \[-2, 1\], but got -3/);
    expect(() => ops.cosineSimilarity(m(2, 3), m(2, 3), { dim: 0.5 })).toThrow(/^cosineSimilarity: option 'dim' must be an integer/);
  });
});

describe('contrastive losses', () => {
  it('ntXentLoss: 2-D embeddings of one shape, temperature > 0', () => {
    expect(() => F.ntXentLoss(v([1, 2]), v([1, 2]))).toThrow(/^ntXentLoss: argument 'z1' must be 2-D embeddings \(N, D\), got shape \[2\]/);
    expect(() => F.ntXentLoss(m(3, 2), m(2, 2))).toThrow(/^ntXentLoss: argument 'z2' has shape \[2, 2\] but 'z1' has shape \[3, 2\]/);
    expect(() => F.ntXentLoss(m(3, 2), m(3, 2), { temperature: 0 })).toThrow(/^ntXentLoss: option 'temperature' must be positive and finite, got 0/);
    expect(() => new nn.NTXentLoss({ temperature: -0.5 })).toThrow(/^NTXentLoss: option 'temperature' must be positive and finite, got -0.5/);
  });
  it("supConLoss: the reference's messages for features, labels and mode", () => {
    const f = tensor(Array.from({ length: 12 }, (_, i) => Math.cos(i)), [3, 2, 2]);
    expect(() => F.supConLoss(m(3, 2))).toThrow(/^supConLoss: argument 'features' needs to be \[bsz, n_views, \.\.\.\], at least 3 dimensions are required/);
    expect(() => F.supConLoss(f, i64([0, 1]))).toThrow(/^supConLoss: argument 'labels': Num of labels does not match num of features \(got shape \[2\] for 3 samples\)/);
    expect(() => F.supConLoss(f, v([0, 1, 0]))).toThrow(/^supConLoss: argument 'labels' must hold class indices \(int32 or int64\), got float32/);
    expect(() => F.supConLoss(f, i64([0, 1, 0]), { contrastMode: 'two' as never })).toThrow(/^supConLoss: option 'contrastMode': Unknown mode: two/);
    expect(() => F.supConLoss(f, null, { temperature: 0 })).toThrow(/^supConLoss: option 'temperature' must be positive and finite, got 0/);
    expect(() => F.supConLoss(f, [0, 1, 0] as never)).toThrow(/^supConLoss: argument 'labels' must be a Tensor, got an array/);
    expect(() => new nn.SupConLoss({ baseTemperature: 0 })).toThrow(/^SupConLoss: option 'baseTemperature' must be positive and finite/);
  });
});

describe('list losses', () => {
  const s = () => m(2, 3);
  const y = () => v([2, 0, 1, 1, -1, 0], [2, 3]);
  it('lists must be (B, L), relevance of the same shape without grad', () => {
    for (const [name, fn] of [['rankNetLoss', F.rankNetLoss], ['listNetLoss', F.listNetLoss], ['listMleLoss', F.listMleLoss], ['approxNdcgLoss', F.approxNdcgLoss]] as const) {
      expect(() => fn(v([1, 2, 3]), v([1, 0, 2]))).toThrow(new RegExp(`^${name}: argument 'scores' must be 2-D lists \\(B, L\\)`));
      expect(() => fn(s(), v([1, 0, 2], [1, 3]))).toThrow(new RegExp(`^${name}: argument 'relevance' has shape \\[1, 3\\] but 'scores' has shape \\[2, 3\\]`));
      expect(() => fn(s(), tensor([2, 0, 1, 1, -1, 0], [2, 3], { requiresGrad: true }))).toThrow(
        new RegExp(`^${name}: the function is not differentiable with respect to argument 'relevance'`),
      );
      expect(() => fn(i64([1, 2, 3, 4, 5, 6], [2, 3]), y())).toThrow(new RegExp(`^${name}: argument 'scores' must be a floating point tensor`));
    }
  });
  it('option domains', () => {
    expect(() => F.listNetLoss(s(), y(), { eps: 0 })).toThrow(/^listNetLoss: option 'eps' must be positive and finite, got 0/);
    expect(() => F.listMleLoss(s(), y(), { eps: -1 })).toThrow(/^listMleLoss: option 'eps' must be positive and finite, got -1/);
    expect(() => F.approxNdcgLoss(s(), y(), { alpha: 0 })).toThrow(/^approxNdcgLoss: option 'alpha' must be positive and finite, got 0/);
    expect(() => F.rankNetLoss(s(), y(), { weightByDiff: 1 as never })).toThrow(/^rankNetLoss: option 'weightByDiff' must be a boolean/);
    expect(() => new nn.ListMLELoss({ reduction: 'batchmean' as never })).toThrow(/^ListMLELoss: "batchmean" is not a valid value for reduction/);
  });
  it('the module is still usable after each error', () => {
    expect(() => F.rankNetLoss(v([1]), v([1]))).toThrow();
    expect(F.rankNetLoss(s(), y()).item()).toBeGreaterThan(0);
  });
});
