// Benchmark entries of the sequence losses (issue 13), in bench/entries.mjs's format. Each is
// one fixed configuration whatever the bench size N (the N column then counts its logits):
// forward + backward, float32, copies included, against a plain-JS α–β implementation and
// PyTorch 1.13 F.ctc_loss / torchaudio 0.13 rnnt_loss at one thread.

/** Plain-JS CTC forward + backward of one batch (log space, float64): returns the 'mean' loss. */
function naiveCtc({ T, N, C, lp, tg, S, il, tl }) {
  const lse = (a, b) => (a === -Infinity ? b : b === -Infinity ? a : Math.max(a, b) + Math.log1p(Math.exp(-Math.abs(a - b))));
  const grad = new Float64Array(T * N * C);
  let total = 0;
  for (let b = 0; b < N; b++) {
    const L = tl[b];
    const St = 2 * L + 1;
    const lab = (s) => (s % 2 === 0 ? 0 : tg[b * S + (s - 1) / 2]);
    const y = (t, s) => lp[(t * N + b) * C + lab(s)];
    const skip = (s) => s > 1 && s % 2 === 1 && lab(s) !== lab(s - 2);
    const A = new Float64Array(il[b] * St).fill(-Infinity);
    const B = new Float64Array(il[b] * St).fill(-Infinity);
    A[0] = y(0, 0);
    if (St > 1) A[1] = y(0, 1);
    for (let t = 1; t < il[b]; t++) {
      for (let s = 0; s < St; s++) {
        let v = A[(t - 1) * St + s];
        if (s > 0) v = lse(v, A[(t - 1) * St + s - 1]);
        if (skip(s)) v = lse(v, A[(t - 1) * St + s - 2]);
        A[t * St + s] = v + y(t, s);
      }
    }
    const last = (il[b] - 1) * St;
    const nll = -(St > 1 ? lse(A[last + St - 1], A[last + St - 2]) : A[last]);
    total += nll / Math.max(L, 1);
    B[last + St - 1] = y(il[b] - 1, St - 1);
    if (St > 1) B[last + St - 2] = y(il[b] - 1, St - 2);
    for (let t = il[b] - 2; t >= 0; t--) {
      for (let s = 0; s < St; s++) {
        let v = B[(t + 1) * St + s];
        if (s + 1 < St) v = lse(v, B[(t + 1) * St + s + 1]);
        if (s + 2 < St && skip(s + 2)) v = lse(v, B[(t + 1) * St + s + 2]);
        B[t * St + s] = v + y(t, s);
      }
    }
    const g = 1 / (N * Math.max(L, 1));
    for (let t = 0; t < il[b]; t++) {
      const row = (t * N + b) * C;
      for (let c = 0; c < C; c++) grad[row + c] = g * Math.exp(lp[row + c]);
      for (let s = 0; s < St; s++) {
        const post = Math.exp(A[t * St + s] + B[t * St + s] - y(t, s) + nll);
        grad[row + lab(s)] -= g * post;
      }
    }
  }
  return total / N;
}

/** Plain-JS RNN-T forward + backward (float64): returns the 'mean' loss. */
function naiveRnnt({ N, T, U, V, x, tg, blank }) {
  const W = U + 1;
  const lse = (a, b) => (a === -Infinity ? b : b === -Infinity ? a : Math.max(a, b) + Math.log1p(Math.exp(-Math.abs(a - b))));
  const grad = new Float64Array(N * T * W * V);
  let total = 0;
  for (let b = 0; b < N; b++) {
    const den = new Float64Array(T * W);
    for (let r = 0; r < T * W; r++) {
      const o = (b * T * W + r) * V;
      let m = -Infinity;
      for (let v = 0; v < V; v++) m = Math.max(m, x[o + v]);
      let s = 0;
      for (let v = 0; v < V; v++) s += Math.exp(x[o + v] - m);
      den[r] = m + Math.log(s);
    }
    const sk = (t, u) => x[(b * T * W + t * W + u) * V + blank] - den[t * W + u];
    const em = (t, u) => x[(b * T * W + t * W + u) * V + tg[b * U + u]] - den[t * W + u];
    const A = new Float64Array(T * W).fill(-Infinity);
    const B = new Float64Array(T * W).fill(-Infinity);
    A[0] = 0;
    for (let t = 0; t < T; t++) {
      for (let u = 0; u < W; u++) {
        if (t === 0 && u === 0) continue;
        A[t * W + u] = lse(t > 0 ? A[(t - 1) * W + u] + sk(t - 1, u) : -Infinity, u > 0 ? A[t * W + u - 1] + em(t, u - 1) : -Infinity);
      }
    }
    B[T * W - 1] = sk(T - 1, U);
    for (let t = T - 1; t >= 0; t--) {
      for (let u = W - 1; u >= 0; u--) {
        if (t === T - 1 && u === U) continue;
        B[t * W + u] = lse(t + 1 < T ? B[(t + 1) * W + u] + sk(t, u) : -Infinity, u < U ? B[t * W + u + 1] + em(t, u) : -Infinity);
      }
    }
    const cost = -B[0];
    total += cost;
    for (let t = 0; t < T; t++) {
      for (let u = 0; u < W; u++) {
        const o = (b * T * W + t * W + u) * V;
        const occ = A[t * W + u] + B[t * W + u] + cost;
        for (let v = 0; v < V; v++) grad[o + v] = Math.exp(x[o + v] - den[t * W + u] + occ) / N;
        const cb = t + 1 < T ? B[(t + 1) * W + u] : u === U ? 0 : -Infinity;
        grad[o + blank] -= Math.exp(A[t * W + u] + sk(t, u) + cb + cost) / N;
        if (u < U) grad[o + tg[b * U + u]] -= Math.exp(A[t * W + u] + em(t, u) + B[t * W + u + 1] + cost) / N;
      }
    }
  }
  return total / N;
}

/** One CTC configuration: log-softmax of U(−3, 3) logits (outside the timing). */
function ctcInputs(T, N, C, S, r) {
  const lp = r.uniform(T * N * C, -3, 3);
  for (let q = 0; q < T * N; q++) {
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, lp[q * C + c]);
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(lp[q * C + c] - m);
    const l = m + Math.log(s);
    for (let c = 0; c < C; c++) lp[q * C + c] -= l;
  }
  const tg = r.classes(N * S, C - 1).map((v) => v + 1);
  const il = Array.from({ length: N }, (_, b) => T - (b % 4) * Math.floor(T / 20));
  const tl = Array.from({ length: N }, (_, b) => S - (b % 3) * Math.floor(S / 10));
  return { n: T * N * C, T, N, C, S, lp, tg, il, tl };
}

export function sequenceEntries({ F, tensor }) {
  const ctc = (T, N, C, S) => ({
    name: `ctcLoss T=${T} N=${N} C=${C} S=${S}`,
    label: `ctcLoss fwd+bwd (T=${T}, N=${N}, C=${C}, S=${S}) §`,
    unit: 'logits',
    sizeNote: 'fixed configuration at every bench size (the N column counts its logits); forward + backward',
    make: (_n, r) => ctcInputs(T, N, C, S, r),
    lossfn: ({ lp, tg, il, tl }) => {
      const x = tensor(lp, [T, N, C], { requiresGrad: true });
      const l = F.ctcLoss(x, tensor(tg, [N, S]), il, tl);
      l.backward();
      return l.item();
    },
    naive: naiveCtc,
    torch: {
      setup: [
        `T, N, C, S = ${T}, ${N}, ${C}, ${S}`,
        'lp = U(T * N * C, -3, 3).view(T, N, C).log_softmax(2).requires_grad_()',
        'tg = classes(N * S, C - 1).view(N, S) + 1',
        'il = torch.tensor([T - (b % 4) * (T // 20) for b in range(N)])',
        'tl = torch.tensor([S - (b % 3) * (S // 10) for b in range(N)])',
        'def step():',
        '    with torch.enable_grad():',
        '        lp.grad = None',
        '        l = F.ctc_loss(lp, tg, il, tl)',
        '        l.backward()',
        '        return l.item()',
      ].join('\n'),
      call: 'step()',
      note: 'F.ctc_loss forward + backward (grad of the log-probabilities)',
    },
  });
  const rnnt = (N, T, U, V) => ({
    name: `rnntLoss N=${N} T=${T} U=${U} V=${V}`,
    label: `rnntLoss fwd+bwd (N=${N}, T=${T}, U=${U}, V=${V}) §`,
    unit: 'logits',
    sizeNote: 'fixed configuration at every bench size (the N column counts its logits); forward + backward',
    make: (_n, r) => ({ n: N * T * (U + 1) * V, N, T, U, V, blank: V - 1, x: r.uniform(N * T * (U + 1) * V, -3, 3), tg: r.classes(N * U, V - 1) }),
    lossfn: ({ x, tg }) => {
      const lg = tensor(x, [N, T, U + 1, V], { requiresGrad: true });
      const l = F.rnntLoss(lg, tensor(tg, [N, U]), new Array(N).fill(T), new Array(N).fill(U));
      l.backward();
      return l.item();
    },
    naive: naiveRnnt,
    torch: {
      setup: [
        'import torchaudio.functional as AF',
        // (U is torch_peer.py's uniform generator: the sizes get other names)
        `nb, tt, uu, vv = ${N}, ${T}, ${U}, ${V}`,
        'x = U(nb * tt * (uu + 1) * vv, -3, 3).view(nb, tt, uu + 1, vv).requires_grad_()',
        'tg = classes(nb * uu, vv - 1).view(nb, uu).int()',
        'll = torch.full((nb,), tt, dtype=torch.int32); tl = torch.full((nb,), uu, dtype=torch.int32)',
        'def step():',
        '    with torch.enable_grad():',
        '        x.grad = None',
        '        l = AF.rnnt_loss(x, tg, ll, tl)',
        '        l.backward()',
        '        return l.item()',
      ].join('\n'),
      call: 'step()',
      note: 'torchaudio.functional.rnnt_loss forward + backward (torchaudio computes the gradient in the forward)',
    },
  });
  return [ctc(200, 32, 40, 50), ctc(100, 8, 5000, 30), rnnt(4, 100, 30, 256)];
}
