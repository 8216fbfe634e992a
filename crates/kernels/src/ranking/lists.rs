//! Padded lists of the learning-to-rank losses (allRank's conventions): `B` lists of `L`
//! scores with their true relevance; a relevance equal to [`PAD`] marks a padded slot, which
//! takes no part in the loss and gets no gradient.

use crate::driver::Upstream;
use crate::simd::Element;

/// allRank's `PADDED_Y_VALUE`.
pub const PAD: f64 = -1.0;

/// The upstream gradient of list (or row) `r`: the scalar, or the row's value times the scale.
#[inline]
pub fn upstream_at<E: Element>(g: &Upstream<'_, E>, r: usize) -> f64 {
    match g {
        Upstream::Scalar(s) => s.to_f64(),
        Upstream::PerElement(gs, k) => gs[r].to_f64() * k.to_f64(),
    }
}

/// Whether slot `j` of a list is a real document (its relevance is not [`PAD`]).
#[inline]
pub fn real<E: Element>(y: &[E], j: usize) -> bool {
    y[j].to_f64() != PAD
}
