//! Content fingerprints of the operands a backward pass re-reads (issue 8: inputs changed
//! between forward and backward are refused, as PyTorch's version counter does). The TS layer
//! (ts/fingerprint.ts) computes the same sums in JS for small arrays.

/// Adds the fingerprint of `words` (32-bit words at global positions `start..`) to `acc`:
/// `acc[0] += Σ w_i·(2i + 1)` and `acc[1] += Σ (w_i ⊕ i)·φ`, wrapping mod 2^32. Additive over
/// consecutive pieces, so an array staged in chunks gives the whole array's fingerprint. A
/// change of one word always changes `acc[0]` (2i + 1 is odd, so invertible mod 2^32).
pub fn fingerprint(words: &[u32], start: u32, acc: &mut [u32; 2]) {
    const PHI: u32 = 0x9e37_79b1;
    let (mut h1, mut h2) = (0u32, 0u32);
    for (k, &w) in words.iter().enumerate() {
        let i = start.wrapping_add(k as u32);
        h1 = h1.wrapping_add(w.wrapping_mul(i.wrapping_mul(2).wrapping_add(1)));
        h2 = h2.wrapping_add((w ^ i).wrapping_mul(PHI));
    }
    acc[0] = acc[0].wrapping_add(h1);
    acc[1] = acc[1].wrapping_add(h2);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_add_up_and_one_word_always_shows() {
        let words: Vec<u32> = (0..1000u32)
            .map(|i| i.wrapping_mul(2_654_435_761))
            .collect();
        let mut whole = [0u32; 2];
        fingerprint(&words, 0, &mut whole);
        let mut parts = [0u32; 2];
        fingerprint(&words[..333], 0, &mut parts);
        fingerprint(&words[333..], 333, &mut parts);
        assert_eq!(whole, parts);
        for (i, delta) in [(0usize, 1u32), (999, 0x8000_0000), (500, 12345)] {
            let mut changed = words.clone();
            changed[i] = changed[i].wrapping_add(delta);
            let mut h = [0u32; 2];
            fingerprint(&changed, 0, &mut h);
            assert_ne!(h[0], whole[0], "word {i}");
        }
    }
}
