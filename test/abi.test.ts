// The constants the wasm module exports equal their TS mirror (ts/wasm/abi.ts).
import { beforeAll, expect, it } from 'vitest';
import { init } from '../ts/index.js';
import * as abi from '../ts/wasm/abi.js';
import { wasm } from '../ts/wasm/runtime.js';

beforeAll(() => init());

it('ABI constants match the wasm exports', () => {
  const ex = wasm('abi.test');
  expect(ex.lossfn_abi_version()).toBe(abi.ABI_VERSION);
  expect(ex.lossfn_status_bad_pointer()).toBe(abi.STATUS_BAD_POINTER);
  expect(ex.lossfn_status_bad_param()).toBe(abi.STATUS_BAD_PARAM);
  expect(ex.lossfn_alloc_align()).toBe(abi.ALLOC_ALIGN);
});

it('a bad pointer is a status with a message, not a trap, and the module stays usable', () => {
  const ex = wasm('abi.test');
  const fwd = ex.lossfn_mse_loss_forward_f32 as abi.ElementwiseForward;
  const beyond = ex.memory.buffer.byteLength; // one past the end of memory
  expect(fwd(beyond, beyond, 0, 0, 4, 0, 0, 0, 0, 16)).toBe(abi.STATUS_BAD_POINTER);
  expect(ex.lossfn_last_error_len()).toBeGreaterThan(0);
  const p = ex.lossfn_alloc(64);
  expect(p % abi.ALLOC_ALIGN).toBe(0);
  expect(fwd(p + 2, p, 0, 0, 4, 0, 0, 0, 0, p + 48)).toBe(abi.STATUS_BAD_POINTER); // misaligned
  expect(fwd(p, p + 16, 0, 0, 4, 0, 0, 0, 0, p + 32)).toBe(abi.STATUS_OK);
  ex.lossfn_free(p, 64);
});

it('a parameter out of its domain is STATUS_BAD_PARAM', () => {
  const ex = wasm('abi.test');
  const fwd = ex.lossfn_huber_loss_forward_f64 as abi.ElementwiseForward;
  const p = ex.lossfn_alloc(64);
  expect(fwd(p, p + 16, 0, 0, 2, -1, 0, 0, 0, p + 32)).toBe(abi.STATUS_BAD_PARAM);
  ex.lossfn_free(p, 64);
});
