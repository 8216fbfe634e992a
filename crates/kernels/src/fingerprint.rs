//! Content fingerprints of the operands a backward pass re-reads (issue 8: inputs changed
//! between forward and backward are refused, as PyTorch's version counter does). The TS layer
//! (ts/fingerprint.ts) computes the same sums in JS for small arrays.

/// Adds the fingerprint of `words` (32-bit words at global positions `start..`) to `acc`:
/// `acc += Σ w_i·(2i + 1)`, wrapping mod 2^32. Additive over consecutive pieces, so an array
/// staged in chunks gives the whole array's fingerprint. A change of one word always changes
/// it (2i + 1 is odd, so invertible mod 2^32); several changes go unnoticed only when their
/// weighted sum cancels. One multiply-add per word: the price is paid twice per backward.
pub fn fingerprint(words: &[u32], start: u32, acc: &mut u32) {
    let mut blocks = words.chunks_exact(8);
    let mut h = lanes(&mut blocks, start);
    let at = start.wrapping_add((words.len() - blocks.remainder().len()) as u32);
    for (k, &w) in blocks.remainder().iter().enumerate() {
        let m = at.wrapping_add(k as u32).wrapping_mul(2).wrapping_add(1);
        h = h.wrapping_add(w.wrapping_mul(m));
    }
    *acc = acc.wrapping_add(h);
}

/// Σ w_i·(2i + 1) over the whole 8-word blocks, positions from `start`: two i32x4 lanes each
/// with its own multipliers, stepped by 16 (the portable loop is not vectorised by LLVM).
#[cfg(target_arch = "wasm32")]
fn lanes(blocks: &mut core::slice::ChunksExact<'_, u32>, start: u32) -> u32 {
    use core::arch::wasm32::*;
    let m0 = start.wrapping_mul(2).wrapping_add(1);
    let (mut ma, mut mb) = (
        u32x4(
            m0,
            m0.wrapping_add(2),
            m0.wrapping_add(4),
            m0.wrapping_add(6),
        ),
        u32x4(
            m0.wrapping_add(8),
            m0.wrapping_add(10),
            m0.wrapping_add(12),
            m0.wrapping_add(14),
        ),
    );
    let step = u32x4_splat(16);
    let (mut ha, mut hb) = (u32x4_splat(0), u32x4_splat(0));
    for q in blocks {
        // SAFETY: `q` has exactly 8 u32 (chunks_exact); unaligned v128 loads are allowed.
        let (a, b) = unsafe {
            (
                v128_load(q.as_ptr() as *const v128),
                v128_load(q.as_ptr().add(4) as *const v128),
            )
        };
        ha = i32x4_add(ha, i32x4_mul(a, ma));
        hb = i32x4_add(hb, i32x4_mul(b, mb));
        ma = i32x4_add(ma, step);
        mb = i32x4_add(mb, step);
    }
    let h = i32x4_add(ha, hb);
    (u32x4_extract_lane::<0>(h))
        .wrapping_add(u32x4_extract_lane::<1>(h))
        .wrapping_add(u32x4_extract_lane::<2>(h))
        .wrapping_add(u32x4_extract_lane::<3>(h))
}

#[cfg(not(target_arch = "wasm32"))]
fn lanes(blocks: &mut core::slice::ChunksExact<'_, u32>, start: u32) -> u32 {
    let mut h = 0u32;
    let mut m = start.wrapping_mul(2).wrapping_add(1);
    for q in blocks {
        for &w in q {
            h = h.wrapping_add(w.wrapping_mul(m));
            m = m.wrapping_add(2);
        }
    }
    h
}

#[cfg(any(test, feature = "wasm-tests"))]
mod tests {
    use super::*;

    #[lossfn_test_macro::kernel_test]
    fn pieces_add_up_and_one_word_always_shows() {
        let words: Vec<u32> = (0..1000u32)
            .map(|i| i.wrapping_mul(2_654_435_761))
            .collect();
        let mut whole = 0u32;
        fingerprint(&words, 0, &mut whole);
        let mut parts = 0u32;
        fingerprint(&words[..333], 0, &mut parts);
        fingerprint(&words[333..], 333, &mut parts);
        assert_eq!(whole, parts);
        // The lanes compute the plain sum.
        let plain = words.iter().enumerate().fold(0u32, |a, (i, &w)| {
            a.wrapping_add(w.wrapping_mul(2 * i as u32 + 1))
        });
        assert_eq!(whole, plain);
        for (i, delta) in [(0usize, 1u32), (999, 0x8000_0000), (500, 12345)] {
            let mut changed = words.clone();
            changed[i] = changed[i].wrapping_add(delta);
            let mut h = 0u32;
            fingerprint(&changed, 0, &mut h);
            assert_ne!(h, whole, "word {i}");
        }
    }
}
