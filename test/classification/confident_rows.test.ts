// Confident rows: the target class holds the max logit by a wide gap, so the cross entropy
// is tiny, CE = −ln p_y = ln Σ_j e^(x_j − x_y) = log1p(Σ_{j≠y} e^(x_j − x_y)) (every term
// positive, so the float64 reference below has no cancellation). Summing the max's own
// e^0 = 1 with the small terms in the element type would round them away (float32
// [10, −10, −10, −10, −10] lost 25%); PyTorch's float32 log_softmax gives 0 or a rounding
// of it here. Compared with the usual tolerances against the float64 reference.
import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, tensor } from '../../ts/index.js';

beforeAll(() => init());

const TOL = { float32: 1e-5, float64: 1e-10 } as const;

/** R rows of C logits: row r has x_y = g/2 at y = r mod C and the others near −g/2. */
function rows(R: number, C: number, g: number): { x: number[]; y: number[] } {
  const x: number[] = [];
  const y: number[] = [];
  for (let r = 0; r < R; r++) {
    y.push(r % C);
    for (let j = 0; j < C; j++) x.push(j === r % C ? g / 2 : -g / 2 - 0.01 * ((j + r) % 7));
  }
  return { x, y };
}

/** log1p(Σ_{j≠y} e^(x_j − x_y)) per row, from the logits as stored in `xs`. */
function ceRef(xs: ArrayLike<number>, y: number[], C: number): number[] {
  return y.map((yr, r) => {
    let rest = 0;
    for (let j = 0; j < C; j++) if (j !== yr) rest += Math.exp(xs[r * C + j] - xs[r * C + yr]);
    return Math.log1p(rest);
  });
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe.each(['float32', 'float64'] as const)('%s', (dtype) => {
  describe.each([5, 17, 1000])('C = %i', (C) => {
    const R = 8;
    for (const g of [20, 40]) {
      const { x, y } = rows(R, C, g);
      const input = () => tensor(x, [R, C], { dtype });
      const target = () => tensor(Int32Array.from(y));

      it(`crossEntropy, gap ${g}: per row and mean`, () => {
        const xs = input().data;
        const want = ceRef(xs, y, C);
        const none = F.crossEntropy(input(), target(), { reduction: 'none' }).data;
        for (let r = 0; r < R; r++) expect(rel(none[r] as number, want[r])).toBeLessThan(TOL[dtype]);
        const mean = want.reduce((a, v) => a + v, 0) / R;
        expect(rel(F.crossEntropy(input(), target()).item(), mean)).toBeLessThan(TOL[dtype]);
      });

      it(`crossEntropy with one-hot probability targets, gap ${g}`, () => {
        const xs = input().data;
        const want = ceRef(xs, y, C);
        const q = new Array(R * C).fill(0);
        y.forEach((yr, r) => (q[r * C + yr] = 1));
        const none = F.crossEntropy(input(), tensor(q, [R, C], { dtype }), { reduction: 'none' }).data;
        for (let r = 0; r < R; r++) expect(rel(none[r] as number, want[r])).toBeLessThan(TOL[dtype]);
      });

      it(`softmaxFocalLoss (γ = 0 is cross entropy) and polyLoss (+ ε·(1 − p_y)), gap ${g}`, () => {
        const xs = input().data;
        const want = ceRef(xs, y, C);
        const focal = F.softmaxFocalLoss(input(), target(), { gamma: 0, reduction: 'none' }).data;
        // 1 − p_y = 1 − e^(−CE) = −expm1(−CE).
        const poly = F.polyLoss(input(), target(), { epsilon: 1, reduction: 'none' }).data;
        for (let r = 0; r < R; r++) {
          expect(rel(focal[r] as number, want[r])).toBeLessThan(TOL[dtype]);
          expect(rel(poly[r] as number, want[r] - Math.expm1(-want[r]))).toBeLessThan(TOL[dtype]);
        }
      });
    }
  });
});
