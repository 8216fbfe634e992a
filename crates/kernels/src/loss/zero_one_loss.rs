//! `sklearn.metrics.zero_one_loss` over rows of `C` scores with a class-index target per row:
//! the prediction is the row's argmax, the **first** maximum on ties (`numpy.argmax`; a NaN
//! counts as the maximum, the first NaN wins, as numpy), and `l = [argmax ≠ y]`.
//! Not differentiable (piecewise constant): there is no backward.
//! The argmax is a data-dependent scan: a plain scalar loop.

use crate::simd::Element;

/// Index of the first maximum of `row` (of the first NaN, if any); 0 for an empty row.
pub fn argmax<E: Element>(row: &[E]) -> usize {
    let mut best = 0;
    for (i, v) in row.iter().enumerate() {
        let v = v.to_f64();
        if v.is_nan() {
            return i;
        }
        if v > row[best].to_f64() {
            best = i;
        }
    }
    best
}

pub struct ZeroOneLoss {
    pub classes: usize,
}

impl ZeroOneLoss {
    /// Writes `1` for a wrong and `0` for a right prediction into `out` when given; returns
    /// the number of wrong predictions. `x` holds `ys.len()` rows of `C ≥ 1` scores.
    pub fn forward<E: Element>(&self, x: &[E], ys: &[i32], mut out: Option<&mut [E]>) -> f64 {
        let c = self.classes;
        let mut wrong = 0usize;
        for (r, &y) in ys.iter().enumerate() {
            let miss = y < 0 || argmax(&x[r * c..(r + 1) * c]) != y as usize;
            wrong += miss as usize;
            if let Some(o) = out.as_deref_mut() {
                o[r] = E::from_f64(if miss { 1.0 } else { 0.0 });
            }
        }
        wrong as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_maximum_wins() {
        assert_eq!(argmax(&[1.0f32, 3.0, 3.0, 0.0]), 1);
        assert_eq!(argmax(&[2.0f64; 4]), 0);
        assert_eq!(argmax(&[0.0f64, f64::NAN, 5.0, f64::NAN]), 1);
        let z = ZeroOneLoss { classes: 2 };
        let mut out = [9.0f32; 3];
        assert_eq!(
            z.forward(
                &[1.0f32, 1.0, 0.0, 1.0, 2.0, 0.0],
                &[1, 1, 0],
                Some(&mut out)
            ),
            1.0
        );
        assert_eq!(out, [1.0, 0.0, 0.0]);
    }
}
