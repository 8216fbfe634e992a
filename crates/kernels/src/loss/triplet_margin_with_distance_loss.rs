//! `F.triplet_margin_with_distance_loss(a, p, n, distance_function, margin, swap)` for the two
//! distances lossfn offers in place of a Python callable: `'euclidean'` (PyTorch's default
//! `pairwise_distance`, p = 2, eps = 1e-6) and `'cosine'` (`1 − cosine_similarity`, eps 1e-8,
//! over the last dimension). The kernel is [`TripletMarginLoss`] with that [`Distance`].

use super::triplet_margin_loss::{Distance, TripletMarginLoss};
use crate::ranking::distance::{CosineSim, PNorm};

/// The distance of `'euclidean'` (0) or `'cosine'` (1).
pub fn distance(which: u32) -> Option<Distance> {
    match which {
        0 => Some(Distance::PNorm(PNorm { p: 2.0, eps: 1e-6 })),
        1 => Some(Distance::Cosine(CosineSim { eps: 1e-8 })),
        _ => None,
    }
}

/// The kernel for `rows` rows of `dim`.
pub fn kernel(
    rows: usize,
    dim: usize,
    which: u32,
    margin: f64,
    swap: bool,
) -> Option<TripletMarginLoss> {
    Some(TripletMarginLoss {
        rows,
        dim,
        margin,
        swap,
        distance: distance(which)?,
    })
}
