//! lossfn's kernels: loss functions and their analytic gradients on plain slices.
//!
//! Safe Rust, no dependencies, runs natively (for `cargo test`) and on wasm32 + simd128 (the
//! shipped module, through the `lossfn-wasm` shim crate). Layout:
//! - [`simd`]: the lane abstraction (portable arrays or wasm `v128`);
//! - [`math`]: vectorised exp/log/log1p/softplus… with stated error bounds;
//! - [`driver`]: the one elementwise driver and the one summation;
//! - [`loss`]: one module per loss, named as the `torch.nn.functional` function.

// The constant barrier of `simd::wasm128` is an empty `asm!`, unstable on wasm32 (the build
// already runs with RUSTC_BOOTSTRAP=1 for -Zbuild-std: scripts/build-wasm.sh).
#![cfg_attr(
    all(target_arch = "wasm32", target_feature = "simd128"),
    feature(asm_experimental_arch)
)]

pub mod boxes;
pub mod class_rows;
pub mod driver;
pub mod fingerprint;
pub mod loss;
pub mod math;
pub mod ranking;
pub mod row_driver;
pub mod rows;
pub mod simd;
