//! Links the kernel crate with its `wasm-tests` feature into a module whose exports are its
//! tests (see crates/test-macro). Nothing else lives here.

pub use lossfn_kernels;
