//! The stable sort of the Lovász losses: an LSD radix sort of `(key, payload)` pairs.
//!
//! Why radix: the Lovász extension sorts every error of a group (a whole batch with
//! `per_image = false`: millions of pixels, once per class for Lovász-softmax); keys are
//! floats, which map to integers of the same order, so a radix sort is O(n) with 8 passes at
//! most (fewer: a pass whose byte is the same for every key is skipped, e.g. the sign and
//! exponent bytes of errors in [0, 2]), where a comparison sort costs O(n log n) compares.
//! LSD radix is stable by construction (each pass keeps the order of equal digits), so
//! ties keep pixel order — the order autograd sees on the reference with a stable sort.
//!
//! Only the top 32 bits of the 64-bit keys are radix-sorted (4 passes of 8 bits instead of 8);
//! runs of keys that agree in those bits — rare, a few elements, unless the values tie — are
//! then put in full-key order by a stable insertion sort, so the result is exactly the stable
//! order of the full keys.

/// The key of `e` for a descending sort: larger errors get smaller keys; −0 and +0 differ
/// (as the bit patterns), NaN sorts before +inf.
#[inline]
pub fn desc_key(e: f64) -> u64 {
    let b = e.to_bits();
    let asc = if b >> 63 == 1 { !b } else { b | (1 << 63) };
    !asc
}

/// Sorts `keys` ascending, moving `vals` along, stably. `tk`, `tv` are scratch of the same
/// length (their contents are overwritten).
pub fn radix_sort(keys: &mut [u64], vals: &mut [u32], tk: &mut [u64], tv: &mut [u32]) {
    let n = keys.len();
    assert!(vals.len() == n && tk.len() == n && tv.len() == n);
    if n < 2 {
        return;
    }
    let mut hist = [[0u32; 256]; 8];
    for &k in keys.iter() {
        for (b, h) in hist.iter_mut().enumerate().skip(4) {
            h[((k >> (8 * b)) & 0xff) as usize] += 1;
        }
    }
    // Ping-pong between (keys, vals) and (tk, tv); `in_scratch` says where the data is.
    let mut in_scratch = false;
    for (b, h) in hist.iter().enumerate().skip(4) {
        if h.iter().any(|&c| c as usize == n) {
            continue;
        }
        let mut off = [0u32; 256];
        let mut at = 0u32;
        for d in 0..256 {
            off[d] = at;
            at += h[d];
        }
        let shift = 8 * b;
        let (sk, sv, dk, dv): (&[u64], &[u32], &mut [u64], &mut [u32]) = if in_scratch {
            (tk, tv, keys, vals)
        } else {
            (keys, vals, tk, tv)
        };
        for i in 0..n {
            let k = sk[i];
            let d = ((k >> shift) & 0xff) as usize;
            let o = off[d] as usize;
            dk[o] = k;
            dv[o] = sv[i];
            off[d] += 1;
        }
        in_scratch = !in_scratch;
    }
    if in_scratch {
        keys.copy_from_slice(tk);
        vals.copy_from_slice(tv);
    }
    // Runs equal in the top 32 bits: stable insertion sort on the full keys.
    let mut a = 0;
    while a < n {
        let top = keys[a] >> 32;
        let mut b = a + 1;
        while b < n && keys[b] >> 32 == top {
            b += 1;
        }
        for j in a + 1..b {
            let (kj, vj) = (keys[j], vals[j]);
            let mut p = j;
            while p > a && keys[p - 1] > kj {
                keys[p] = keys[p - 1];
                vals[p] = vals[p - 1];
                p -= 1;
            }
            keys[p] = kj;
            vals[p] = vj;
        }
        a = b;
    }
}

#[cfg(any(test, feature = "wasm-tests"))]
mod tests {
    use super::*;

    #[lossfn_test_macro::kernel_test]
    fn sorts_descending_and_stably() {
        let errs = [0.5, 2.0, -1.0, 0.5, 0.0, -0.0, 2.0, 1e-300, -3.5, 0.5];
        let mut keys: Vec<u64> = errs.iter().map(|&e| desc_key(e)).collect();
        let mut vals: Vec<u32> = (0..errs.len() as u32).collect();
        let (mut tk, mut tv) = (vec![0; errs.len()], vec![0; errs.len()]);
        radix_sort(&mut keys, &mut vals, &mut tk, &mut tv);
        assert_eq!(vals, vec![1, 6, 0, 3, 9, 7, 4, 5, 2, 8]);
    }

    #[lossfn_test_macro::kernel_test]
    fn keys_equal_in_their_top_bits_are_ordered_by_the_rest() {
        // Errors one ulp apart share the top 32 bits of their keys.
        let base = 0.7f64;
        let errs: Vec<f64> = [3u64, 0, 5, 1, 5, 2, 0]
            .iter()
            .map(|&d| f64::from_bits(base.to_bits() + d))
            .collect();
        let mut keys: Vec<u64> = errs.iter().map(|&e| desc_key(e)).collect();
        let mut vals: Vec<u32> = (0..errs.len() as u32).collect();
        let (mut tk, mut tv) = (vec![0; errs.len()], vec![0; errs.len()]);
        radix_sort(&mut keys, &mut vals, &mut tk, &mut tv);
        assert_eq!(vals, vec![2, 4, 0, 5, 3, 1, 6]);
    }

    #[lossfn_test_macro::kernel_test]
    fn matches_a_stable_comparison_sort() {
        let mut s = 12345u64;
        let mut errs = Vec::new();
        for _ in 0..5000 {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            // Few distinct values: many ties.
            errs.push(((s >> 40) % 37) as f64 * 0.25 - 3.0);
        }
        let mut keys: Vec<u64> = errs.iter().map(|&e| desc_key(e)).collect();
        let mut vals: Vec<u32> = (0..errs.len() as u32).collect();
        let (mut tk, mut tv) = (vec![0; errs.len()], vec![0; errs.len()]);
        radix_sort(&mut keys, &mut vals, &mut tk, &mut tv);
        let mut want: Vec<u32> = (0..errs.len() as u32).collect();
        want.sort_by(|&a, &b| errs[b as usize].partial_cmp(&errs[a as usize]).unwrap());
        assert_eq!(vals, want);
    }
}
