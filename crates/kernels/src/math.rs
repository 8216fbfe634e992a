//! Vectorised elementary functions shared by every kernel (PLACEHOLDER signatures: being
//! implemented; see the brief in the commit that fills this in).

use crate::simd::Vector;

/// e^x.
pub fn exp<V: Vector>(_x: V) -> V {
    todo!()
}
/// e^x − 1, accurate near 0.
pub fn expm1<V: Vector>(_x: V) -> V {
    todo!()
}
/// Natural logarithm.
pub fn ln<V: Vector>(_x: V) -> V {
    todo!()
}
/// ln(1 + x), accurate near 0.
pub fn log1p<V: Vector>(_x: V) -> V {
    todo!()
}
/// ln(1 + e^x), overflow-free.
pub fn softplus<V: Vector>(_x: V) -> V {
    todo!()
}
/// 1 / (1 + e^−x).
pub fn sigmoid<V: Vector>(_x: V) -> V {
    todo!()
}
/// tanh(x).
pub fn tanh<V: Vector>(_x: V) -> V {
    todo!()
}
