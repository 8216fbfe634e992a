//! 4-component records (boxes `(x1, y1, x2, y2)`) between memory order and lanes.
//!
//! Boxes arrive as records, `LANES` of them in `4·LANES` consecutive elements; a box kernel
//! wants one vector per component, lane `i` holding box `i`. [`Transpose4::load4`] and
//! [`Transpose4::store4`] are that 4×LANES transpose and its inverse: 8 shuffles for f32x4 (the
//! classic two-stage unpack), 4 for f64x2; plain array moves in the portable build, which gives
//! the same lanes (the host tests run it).

use super::{Element, F32x4, F64x2};

/// An element type whose vectors can be filled from, and written back to, `LANES` records of
/// 4 components.
pub trait Transpose4: Element {
    /// `src[..4·LANES]` as records → `[c0, c1, c2, c3]`, lane `i` of `cj` = `src[4i + j]`.
    fn load4(src: &[Self]) -> [Self::V; 4];
    /// The inverse of [`Transpose4::load4`]: writes `dst[4i + j]` = lane `i` of `v[j]`.
    fn store4(v: [Self::V; 4], dst: &mut [Self]);
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod imp {
    use super::*;
    use crate::simd::Vector;
    use core::arch::wasm32::*;

    impl Transpose4 for f32 {
        #[inline(always)]
        fn load4(src: &[f32]) -> [F32x4; 4] {
            let s = &src[..16];
            let r = |i: usize| F32x4::load(&s[4 * i..]).0;
            let (r0, r1, r2, r3) = (r(0), r(1), r(2), r(3));
            // (a0 b0 a1 b1), (c0 d0 c1 d1), (a2 b2 a3 b3), (c2 d2 c3 d3)
            let t0 = u32x4_shuffle::<0, 4, 1, 5>(r0, r1);
            let t1 = u32x4_shuffle::<0, 4, 1, 5>(r2, r3);
            let t2 = u32x4_shuffle::<2, 6, 3, 7>(r0, r1);
            let t3 = u32x4_shuffle::<2, 6, 3, 7>(r2, r3);
            [
                F32x4(u32x4_shuffle::<0, 1, 4, 5>(t0, t1)),
                F32x4(u32x4_shuffle::<2, 3, 6, 7>(t0, t1)),
                F32x4(u32x4_shuffle::<0, 1, 4, 5>(t2, t3)),
                F32x4(u32x4_shuffle::<2, 3, 6, 7>(t2, t3)),
            ]
        }

        #[inline(always)]
        fn store4(v: [F32x4; 4], dst: &mut [f32]) {
            let d = &mut dst[..16];
            let [c0, c1, c2, c3] = v.map(|c| c.0);
            // The same two stages: a 4×4 transpose is its own inverse.
            let t0 = u32x4_shuffle::<0, 4, 1, 5>(c0, c1);
            let t1 = u32x4_shuffle::<0, 4, 1, 5>(c2, c3);
            let t2 = u32x4_shuffle::<2, 6, 3, 7>(c0, c1);
            let t3 = u32x4_shuffle::<2, 6, 3, 7>(c2, c3);
            F32x4(u32x4_shuffle::<0, 1, 4, 5>(t0, t1)).store(&mut d[0..]);
            F32x4(u32x4_shuffle::<2, 3, 6, 7>(t0, t1)).store(&mut d[4..]);
            F32x4(u32x4_shuffle::<0, 1, 4, 5>(t2, t3)).store(&mut d[8..]);
            F32x4(u32x4_shuffle::<2, 3, 6, 7>(t2, t3)).store(&mut d[12..]);
        }
    }

    impl Transpose4 for f64 {
        #[inline(always)]
        fn load4(src: &[f64]) -> [F64x2; 4] {
            let s = &src[..8];
            let r = |i: usize| F64x2::load(&s[2 * i..]).0;
            // Box a = (r0, r1), box b = (r2, r3).
            let (r0, r1, r2, r3) = (r(0), r(1), r(2), r(3));
            [
                F64x2(u64x2_shuffle::<0, 2>(r0, r2)),
                F64x2(u64x2_shuffle::<1, 3>(r0, r2)),
                F64x2(u64x2_shuffle::<0, 2>(r1, r3)),
                F64x2(u64x2_shuffle::<1, 3>(r1, r3)),
            ]
        }

        #[inline(always)]
        fn store4(v: [F64x2; 4], dst: &mut [f64]) {
            let d = &mut dst[..8];
            let [c0, c1, c2, c3] = v.map(|c| c.0);
            F64x2(u64x2_shuffle::<0, 2>(c0, c1)).store(&mut d[0..]);
            F64x2(u64x2_shuffle::<0, 2>(c2, c3)).store(&mut d[2..]);
            F64x2(u64x2_shuffle::<1, 3>(c0, c1)).store(&mut d[4..]);
            F64x2(u64x2_shuffle::<1, 3>(c2, c3)).store(&mut d[6..]);
        }
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod imp {
    use super::*;

    macro_rules! portable {
        ($t:ty, $v:ident, $n:expr) => {
            impl Transpose4 for $t {
                #[inline(always)]
                fn load4(src: &[$t]) -> [$v; 4] {
                    let s = &src[..4 * $n];
                    core::array::from_fn(|j| $v(core::array::from_fn(|i| s[4 * i + j])))
                }

                #[inline(always)]
                fn store4(v: [$v; 4], dst: &mut [$t]) {
                    let d = &mut dst[..4 * $n];
                    for (j, c) in v.iter().enumerate() {
                        for i in 0..$n {
                            d[4 * i + j] = c.0[i];
                        }
                    }
                }
            }
        };
    }
    portable!(f32, F32x4, 4);
    portable!(f64, F64x2, 2);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::Vector;

    fn round_trip<E: Transpose4>() {
        let lanes = E::V::LANES;
        let src: Vec<E> = (0..4 * lanes).map(|k| E::from_f64(k as f64)).collect();
        let v = E::load4(&src);
        for (j, c) in v.iter().enumerate() {
            let mut buf = [E::default(); 8];
            c.store(&mut buf);
            for (i, &x) in buf[..lanes].iter().enumerate() {
                assert_eq!(x.to_f64(), (4 * i + j) as f64, "component {j} lane {i}");
            }
        }
        let mut back = vec![E::default(); 4 * lanes];
        E::store4(v, &mut back);
        assert!(src.iter().zip(&back).all(|(a, b)| a.to_f64() == b.to_f64()));
    }

    #[test]
    fn load_then_store_is_the_identity() {
        round_trip::<f32>();
        round_trip::<f64>();
    }
}
