//! The Lovász extension of the Jaccard loss (Berman, Rannen Triki & Blaschko, 2018), on one
//! group of errors: the errors sorted in decreasing order (stably: ties in pixel order), dotted
//! with the gradient of the Jaccard loss along that order.
//!
//! With `gts = Σ g` and, after the k-th sorted element (0-based), `c1_k` positives and `c0_k`
//! negatives seen, Berman's `J_k = 1 − (gts − c1_k)/(gts + c0_k)` is `(k + 1)/(gts + c0_k)`
//! (numerator and denominator differ by `c0_k + c1_k`), and its increments are computed in
//! closed form, without cancellation: `J_0 = 1/U_0`, and for k ≥ 1 with `U = gts + c0_{k−1}`:
//! `1/U` when element k is positive, `(gts − c1_{k−1})/(U·(U + 1))` when it is negative.

use super::sort::{desc_key, radix_sort};
use crate::driver::Sum;

/// Scratch of the sort, grown as needed and reused across groups.
#[derive(Default)]
pub struct Workspace {
    keys: Vec<u64>,
    vals: Vec<u32>,
    tk: Vec<u64>,
    tv: Vec<u32>,
}

impl Workspace {
    /// `Σ_k f(e_(k))·ΔJ_k` over the group's `errors` with positives `fg` (same length, at
    /// most 2³¹ elements); `f` is ReLU (`relu`, the hinge) or the identity. With `coef`, writes
    /// `∂loss/∂e_i` there (`ΔJ` at the element's sorted position, 0 where the ReLU is flat;
    /// at e = 0 the ReLU's gradient is 0, as PyTorch's).
    pub fn extension(
        &mut self,
        errors: &[f64],
        fg: &[bool],
        relu: bool,
        coef: Option<&mut [f64]>,
    ) -> f64 {
        let n = errors.len();
        assert!(fg.len() == n && n < (1 << 31));
        if n == 0 {
            return 0.0;
        }
        self.keys.clear();
        self.vals.clear();
        let mut gts = 0.0;
        for i in 0..n {
            self.keys.push(desc_key(errors[i]));
            self.vals.push(i as u32 | ((fg[i] as u32) << 31));
            gts += fg[i] as u32 as f64;
        }
        self.tk.resize(n, 0);
        self.tv.resize(n, 0);
        radix_sort(&mut self.keys, &mut self.vals, &mut self.tk, &mut self.tv);
        let mut loss = Sum::default();
        let (mut c0, mut c1) = (0.0f64, 0.0f64);
        let mut coef = coef;
        for k in 0..n {
            let v = self.vals[k];
            let i = (v & 0x7fff_ffff) as usize;
            let pos = v >> 31 == 1;
            let u = gts + c0;
            let dj = if k == 0 {
                if pos {
                    1.0 / u
                } else {
                    1.0 / (u + 1.0)
                }
            } else if pos {
                1.0 / u
            } else {
                (gts - c1) / (u * (u + 1.0))
            };
            if pos {
                c1 += 1.0;
            } else {
                c0 += 1.0;
            }
            let e = errors[i];
            let (f, df) = if relu {
                if e > 0.0 {
                    (e, dj)
                } else {
                    (0.0, 0.0)
                }
            } else {
                (e, dj)
            };
            loss.add(f * dj);
            if let Some(c) = coef.as_deref_mut() {
                c[i] = df;
            }
        }
        loss.value()
    }
}

#[cfg(any(test, feature = "wasm-tests"))]
mod tests {
    use super::*;

    /// Berman's lovasz_grad, literally: J_k = 1 − I_k/U_k, then differences.
    fn berman(errors: &[f64], fg: &[bool], relu: bool) -> f64 {
        let mut idx: Vec<usize> = (0..errors.len()).collect();
        idx.sort_by(|&a, &b| errors[b].partial_cmp(&errors[a]).unwrap());
        let gts = fg.iter().filter(|&&g| g).count() as f64;
        let (mut c1, mut c0, mut prev, mut loss) = (0.0, 0.0, 0.0, 0.0);
        for &i in &idx {
            if fg[i] {
                c1 += 1.0
            } else {
                c0 += 1.0
            }
            let j = 1.0 - (gts - c1) / (gts + c0);
            let e = if relu { errors[i].max(0.0) } else { errors[i] };
            loss += e * (j - prev);
            prev = j;
        }
        loss
    }

    #[lossfn_test_macro::kernel_test]
    fn matches_bermans_formula() {
        let errors = [0.3, 1.7, -0.2, 0.9, 0.9, 2.5, 0.05];
        let fg = [true, false, true, true, false, false, true];
        let mut ws = Workspace::default();
        for relu in [false, true] {
            let got = ws.extension(&errors, &fg, relu, None);
            assert!((got - berman(&errors, &fg, relu)).abs() < 1e-14, "{relu}");
        }
        let none = [false; 7];
        assert!(
            (ws.extension(&errors, &none, true, None) - berman(&errors, &none, true)).abs() < 1e-14
        );
        assert_eq!(ws.extension(&[], &[], true, None), 0.0);
    }
}
