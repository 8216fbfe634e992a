// The ranking kernels re-check what the TS layer validates: a bad parameter, pointer or length
// product is a status with a message, never a trap, and the module stays usable.
import { beforeAll, expect, it } from 'vitest';
import { init } from '../../ts/index.js';
import * as abi from '../../ts/wasm/abi.js';
import { wasm } from '../../ts/wasm/runtime.js';

beforeAll(() => init());

type K = (...a: number[]) => number;
const k = (name: string) => wasm('kernel_checks')[name] as K;

it('parameters out of their domains are STATUS_BAD_PARAM', () => {
  const ex = wasm('kernel_checks');
  const p = ex.lossfn_alloc(256);
  const [a, b, c, out, sum] = [p, p + 32, p + 64, p + 96, p + 128];
  // Two triplets of four: p < 1, a non-finite eps, swap not 0/1, then a valid call.
  expect(k('lossfn_triplet_margin_loss_forward_f32')(a, b, c, 2, 4, 1, 0.5, 1e-6, 0, out, sum)).toBe(abi.STATUS_BAD_PARAM);
  expect(k('lossfn_triplet_margin_loss_forward_f32')(a, b, c, 2, 4, 1, 2, Number.NaN, 0, out, sum)).toBe(abi.STATUS_BAD_PARAM);
  expect(k('lossfn_triplet_margin_loss_forward_f32')(a, b, c, 2, 4, 1, 2, 1e-6, 2, out, sum)).toBe(abi.STATUS_BAD_PARAM);
  expect(k('lossfn_triplet_margin_with_distance_loss_forward_f32')(a, b, c, 2, 4, 0, 0, 0, out, sum)).toBe(abi.STATUS_BAD_PARAM);
  expect(k('lossfn_triplet_margin_with_distance_loss_forward_f32')(a, b, c, 2, 4, 7, 1, 0, out, sum)).toBe(abi.STATUS_BAD_PARAM);
  expect(k('lossfn_nt_xent_loss_forward_f32')(a, b, 2, 4, 0, 0, p + 160, sum, 0, 0)).toBe(abi.STATUS_BAD_PARAM);
  expect(k('lossfn_list_net_loss_forward_f32')(a, b, 2, 4, 0, 0, sum, 0)).toBe(abi.STATUS_BAD_PARAM);
  expect(k('lossfn_approx_ndcg_loss_forward_f32')(a, b, 2, 4, -1, 0, sum, 0)).toBe(abi.STATUS_BAD_PARAM);
  expect(k('lossfn_rank_net_loss_forward_f32')(a, b, 2, 4, 3, 0, sum, 0)).toBe(abi.STATUS_BAD_PARAM);
  // SupCon class ids must lie in 0..batch.
  const i32 = new Int32Array(ex.memory.buffer, p + 192, 2);
  i32.set([0, 5]);
  expect(k('lossfn_sup_con_loss_forward_f32')(a, p + 192, 2, 1, 4, 0.1, 0.1, 0, 0, p + 200, sum, 0)).toBe(abi.STATUS_BAD_PARAM);
  expect(ex.lossfn_last_error_len()).toBeGreaterThan(0);
  expect(k('lossfn_triplet_margin_loss_forward_f32')(a, b, c, 2, 4, 1, 2, 1e-6, 1, out, sum)).toBe(abi.STATUS_OK);
  ex.lossfn_free(p, 256);
});

it('pointers outside memory and overflowing length products are STATUS_BAD_POINTER', () => {
  const ex = wasm('kernel_checks');
  const beyond = ex.memory.buffer.byteLength;
  const p = ex.lossfn_alloc(64);
  expect(k('lossfn_cosine_embedding_loss_forward_f64')(beyond, p, p, 1, 2, 0, 0, p + 32)).toBe(abi.STATUS_BAD_POINTER);
  expect(k('lossfn_pairwise_distance_forward_f32')(p, p, 0x10000, 0x10000, 2, 0, p)).toBe(abi.STATUS_BAD_POINTER);
  expect(k('lossfn_cosine_similarity_forward_f32')(p, p, 0x1000, 0x1000, 0x1000, 1e-8, p)).toBe(abi.STATUS_BAD_POINTER);
  expect(k('lossfn_margin_ranking_loss_forward_f32')(p, p, 0, 0, 4, 0, 0, 0, 0, p + 32)).toBe(abi.STATUS_BAD_PARAM); // target required
  ex.lossfn_free(p, 64);
});
