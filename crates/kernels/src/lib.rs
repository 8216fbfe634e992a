//! lossfn's kernels: loss functions and their analytic gradients on plain slices.
//!
//! Safe Rust, no dependencies, runs natively (for `cargo test`) and on wasm32 + simd128 (the
//! shipped module, through the `lossfn-wasm` shim crate). Layout:
//! - [`simd`]: the lane abstraction (portable arrays or wasm `v128`);
//! - [`math`]: vectorised exp/log/log1p/softplus… with stated error bounds;
//! - [`driver`]: the one elementwise driver and the one summation;
//! - [`loss`]: one module per loss, named as the `torch.nn.functional` function.

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
