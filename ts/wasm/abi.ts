// The TS mirror of the call protocol documented in crates/wasm/src/lib.rs.
// test/abi.test.ts reads the constants the module exports and compares them with these.

/** Bumped with the Rust `ABI_VERSION` on any change to an export's signature or meaning. */
export const ABI_VERSION = 2;
export const STATUS_OK = 0;
export const STATUS_BAD_POINTER = 1;
export const STATUS_BAD_PARAM = 2;
/** Alignment of every block `lossfn_alloc` returns. */
export const ALLOC_ALIGN = 16;

/** `lossfn_<stem>_forward_<t>(x, t, a, w, n, p0, p1, p2, out, sumOut) -> status` */
export type ElementwiseForward = (
  x: number, t: number, a: number, w: number, n: number,
  p0: number, p1: number, p2: number, out: number, sumOut: number,
) => number;

/** `lossfn_<stem>_backward_<t>(x, t, a, w, n, p0, p1, p2, g, gScale, gx, gt, ga) -> status` */
export type ElementwiseBackward = (
  x: number, t: number, a: number, w: number, n: number,
  p0: number, p1: number, p2: number, g: number, gScale: number,
  gx: number, gt: number, ga: number,
) => number;

/** The module's exports, as the TS layer uses them. Kernels are looked up by name. */
export interface Exports {
  memory: WebAssembly.Memory;
  lossfn_abi_version(): number;
  lossfn_status_bad_pointer(): number;
  lossfn_status_bad_param(): number;
  lossfn_alloc_align(): number;
  lossfn_alloc(bytes: number): number;
  lossfn_free(ptr: number, bytes: number): void;
  lossfn_last_error_ptr(): number;
  lossfn_last_error_len(): number;
  [kernel: string]: unknown;
}
