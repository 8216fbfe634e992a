// The TS side of the call protocol documented in crates/wasm/src/lib.rs. The constants and every
// kernel's signature are generated from the built module (scripts/gen-abi.mjs →
// ts/wasm/exports.ts); this file adds the module's fixed exports.

import type { KernelExports } from './exports.js';

export { ABI_VERSION, ALLOC_ALIGN, KERNEL_STEMS, STATUS_BAD_PARAM, STATUS_BAD_POINTER, STATUS_OK } from './exports.js';
export type { KernelExports } from './exports.js';

/** `lossfn_<stem>_forward_<t>(x, t, a, w, n, p0, p1, p2, out, sumOut) -> status` */
export type ElementwiseForward = KernelExports['lossfn_mse_loss_forward_f32'];
/** `lossfn_<stem>_backward_<t>(x, t, a, w, n, p0, p1, p2, g, gScale, gx, gt, ga) -> status` */
export type ElementwiseBackward = KernelExports['lossfn_mse_loss_backward_f32'];

/** The row losses' exports (crates/wasm/src/rows.rs): one signature for every row loss. */
export type RowForward = KernelExports['lossfn_cross_entropy_forward_f32'];
export type RowBackward = KernelExports['lossfn_cross_entropy_backward_f32'];
export type RowPiece = KernelExports['lossfn_cross_entropy_piece_f32'];

/** The module's exports, as the TS layer uses them. */
export interface Exports extends KernelExports {
  memory: WebAssembly.Memory;
  lossfn_abi_version(): number;
  lossfn_status_bad_pointer(): number;
  lossfn_status_bad_param(): number;
  lossfn_alloc_align(): number;
  /** 1 in the relaxed-SIMD module, 0 in the baseline one. */
  lossfn_relaxed_simd(): number;
  lossfn_alloc(bytes: number): number;
  lossfn_free(ptr: number, bytes: number): void;
  lossfn_last_error_ptr(): number;
  lossfn_last_error_len(): number;
}
