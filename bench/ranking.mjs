// Benchmark entries of the ranking family (issue 12), in bench/entries.mjs's format. Each runs
// at the one size (`sizes`: bench.mjs runs these instead of BENCH_SIZES) and times
// forward + backward, copies included, against a naive JS loop (forward and gradient) and
// PyTorch (one thread, autograd) on the same formula. Target: lossfn ≥ PyTorch 1 thread,
// float32 (the issue's; listed in the notes, the table's target column is for N = 1e6).
//
//   lossfn:  F.xxx(tensor(x, shape, { requiresGrad: true }), …), .backward(), .item()
//   PyTorch: the same with torch tensors that require grad, under torch.enable_grad()

/** Triplets (N, D) = (4096, 512); NT-Xent (N, D) = (1024, 256); lists (B, L) = (1024, 64). */
const TRIPLET = [4096, 512];
const NTXENT = [1024, 256];
const LISTS = [1024, 64];

/** Graded relevance 0..4 with the last quarter of every other list padded (−1). */
function relevance(r, b, l) {
  const y = new Float32Array(b * l);
  for (let i = 0; i < b; i++) {
    for (let j = 0; j < l; j++) y[i * l + j] = i % 2 === 1 && j >= (3 * l) / 4 ? -1 : Math.floor(5 * r.next());
  }
  return y;
}

// The PyTorch peers' inputs, with the same sizes and padding pattern (their own seeded data).
const TORCH_LISTS = `B, L = ${LISTS[0]}, ${LISTS[1]}
S = U(B * L, -2, 2).view(B, L)
Y = torch.floor(U(B * L, 0, 5)).view(B, L)
Y[1::2, (3 * L) // 4:] = -1
def grad_step(loss):
    with torch.enable_grad():
        s = S.clone().requires_grad_(True)
        v = loss(s)
        v.backward()
    return v.item()`;

export function makeRankingEntries({ F, tensor }) {
  const grad = { requiresGrad: true };
  return [
    {
      name: 'tripletMarginLoss',
      label: `tripletMarginLoss (${TRIPLET[0]}×${TRIPLET[1]}, fwd+bwd)`,
      sizes: [TRIPLET[0] * TRIPLET[1]],
      sizeNote: `(N, D) = (${TRIPLET[0]}, ${TRIPLET[1]}), p = 2, forward + backward; target ≥ PyTorch 1 thread`,
      make: (n, r) => {
        const [rows, d] = TRIPLET;
        return { n: rows * d, rows, d, a: r.uniform(rows * d, -1, 1), p: r.uniform(rows * d, -1, 1), q: r.uniform(rows * d, -1, 1) };
      },
      lossfn: ({ rows, d, a, p, q }) => {
        const l = F.tripletMarginLoss(tensor(a, [rows, d], grad), tensor(p, [rows, d], grad), tensor(q, [rows, d], grad));
        l.backward();
        return l.item();
      },
      naive: ({ rows, d, a, p, q }) => {
        const ga = new Float32Array(rows * d);
        const gp = new Float32Array(rows * d);
        const gq = new Float32Array(rows * d);
        let s = 0;
        for (let r = 0; r < rows; r++) {
          let dp = 0;
          let dn = 0;
          for (let k = r * d; k < (r + 1) * d; k++) {
            const u = a[k] - p[k] + 1e-6;
            const v = a[k] - q[k] + 1e-6;
            dp += u * u;
            dn += v * v;
          }
          dp = Math.sqrt(dp);
          dn = Math.sqrt(dn);
          const z = 1 + dp - dn;
          if (z <= 0) continue;
          s += z;
          for (let k = r * d; k < (r + 1) * d; k++) {
            const u = (a[k] - p[k] + 1e-6) / dp / rows;
            const v = (a[k] - q[k] + 1e-6) / dn / rows;
            ga[k] = u - v;
            gp[k] = -u;
            gq[k] = v;
          }
        }
        return s / rows + ga[0] * 0;
      },
      torch: {
        setup: `A = U(${TRIPLET[0] * TRIPLET[1]}, -1, 1).view(${TRIPLET[0]}, ${TRIPLET[1]}); P = U(A.numel(), -1, 1).view_as(A); Q = U(A.numel(), -1, 1).view_as(A)
def step():
    with torch.enable_grad():
        a, p, q = (t.clone().requires_grad_(True) for t in (A, P, Q))
        v = F.triplet_margin_loss(a, p, q)
        v.backward()
    return v.item()`,
        call: 'step()',
        note: 'F.triplet_margin_loss forward + backward (autograd), inputs cloned each call',
      },
    },
    {
      name: 'ntXentLoss',
      label: `ntXentLoss (${NTXENT[0]}×${NTXENT[1]}, fwd+bwd)`,
      sizes: [NTXENT[0] * NTXENT[1]],
      sizeNote: `(N, D) = (${NTXENT[0]}, ${NTXENT[1]}) per view (2N = ${2 * NTXENT[0]} anchors), τ = 0.5, forward + backward; target ≥ PyTorch 1 thread`,
      make: (n, r) => {
        const [rows, d] = NTXENT;
        return { n: rows * d, rows, d, z1: r.uniform(rows * d, -1, 1), z2: r.uniform(rows * d, -1, 1) };
      },
      lossfn: ({ rows, d, z1, z2 }) => {
        const l = F.ntXentLoss(tensor(z1, [rows, d], grad), tensor(z2, [rows, d], grad));
        l.backward();
        return l.item();
      },
      naive: ({ rows, d, z1, z2 }) => {
        // Normalise, score every pair, cross entropy of the pair, and the gradient: dense loops.
        const m = 2 * rows;
        const z = new Float64Array(m * d);
        const norm = new Float64Array(m);
        for (let i = 0; i < m; i++) {
          const src = i < rows ? z1 : z2;
          const o = (i % rows) * d;
          let ss = 0;
          for (let k = 0; k < d; k++) ss += src[o + k] * src[o + k];
          norm[i] = Math.max(Math.sqrt(ss), 1e-12);
          for (let k = 0; k < d; k++) z[i * d + k] = src[o + k] / norm[i];
        }
        const s = new Float64Array(m * m);
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < m; j++) {
            let dot = 0;
            for (let k = 0; k < d; k++) dot += z[i * d + k] * z[j * d + k];
            s[i * m + j] = dot / 0.5;
          }
        }
        let loss = 0;
        const gz = new Float64Array(m * d);
        for (let i = 0; i < m; i++) {
          let mx = -Infinity;
          for (let j = 0; j < m; j++) if (j !== i && s[i * m + j] > mx) mx = s[i * m + j];
          let e = 0;
          for (let j = 0; j < m; j++) if (j !== i) e += Math.exp(s[i * m + j] - mx);
          const lse = mx + Math.log(e);
          const pair = (i + rows) % m;
          loss += lse - s[i * m + pair];
          for (let j = 0; j < m; j++) {
            if (j === i) continue;
            const gij = (Math.exp(s[i * m + j] - lse) - (j === pair ? 1 : 0)) / m / 0.5;
            for (let k = 0; k < d; k++) {
              gz[i * d + k] += gij * z[j * d + k];
              gz[j * d + k] += gij * z[i * d + k];
            }
          }
        }
        return loss / m + gz[0] * 0;
      },
      torch: {
        setup: `Z1 = U(${NTXENT[0] * NTXENT[1]}, -1, 1).view(${NTXENT[0]}, ${NTXENT[1]}); Z2 = U(Z1.numel(), -1, 1).view_as(Z1)
def step():
    with torch.enable_grad():
        a, b = Z1.clone().requires_grad_(True), Z2.clone().requires_grad_(True)
        n = a.shape[0]
        z = F.normalize(torch.cat([a, b]), dim=1)
        s = (z @ z.T / 0.5).masked_fill(torch.eye(2 * n, dtype=torch.bool), float('-inf'))
        v = F.cross_entropy(s, torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]))
        v.backward()
    return v.item()`,
        call: 'step()',
        note: 'NT-Xent as a PyTorch user writes it: normalise, one 2N×2N matmul, diagonal masked, cross_entropy; autograd',
      },
    },
    ...[
      ['rankNetLoss', 'RankNet (allRank semantics)', (s, y) => {
        // Pairwise logistic loss over pairs with y_i > y_j, mean over the pairs; gradient too.
        const [b, l] = LISTS;
        const g = new Float32Array(b * l);
        let sum = 0;
        let pairs = 0;
        for (let q = 0; q < b; q++) {
          for (let i = 0; i < l; i++) {
            const yi = y[q * l + i];
            if (yi === -1) continue;
            for (let j = 0; j < l; j++) {
              const yj = y[q * l + j];
              if (yj === -1 || !(yi > yj)) continue;
              const z = s[q * l + j] - s[q * l + i];
              sum += Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
              const sig = 1 / (1 + Math.exp(-z));
              g[q * l + j] += sig;
              g[q * l + i] -= sig;
              pairs++;
            }
          }
        }
        return sum / pairs + g[0] * 0;
      }, `def loss(s):
    real = Y != -1
    pair = real[:, :, None] & real[:, None, :] & (Y[:, :, None] > Y[:, None, :])
    d = (s[:, :, None] - s[:, None, :])[pair]
    return F.binary_cross_entropy_with_logits(d, torch.ones_like(d))`],
      ['listNetLoss', 'ListNet (allRank semantics)', (s, y) => {
        // Top-one softmax cross entropy per list, mean over lists; gradient too.
        const [b, l] = LISTS;
        const g = new Float32Array(b * l);
        let sum = 0;
        for (let q = 0; q < b; q++) {
          let ms = -Infinity;
          let my = -Infinity;
          for (let j = 0; j < l; j++) {
            if (y[q * l + j] === -1) continue;
            ms = Math.max(ms, s[q * l + j]);
            my = Math.max(my, y[q * l + j]);
          }
          let zs = 0;
          let zy = 0;
          for (let j = 0; j < l; j++) {
            if (y[q * l + j] === -1) continue;
            zs += Math.exp(s[q * l + j] - ms);
            zy += Math.exp(y[q * l + j] - my);
          }
          let sr = 0;
          for (let j = 0; j < l; j++) {
            if (y[q * l + j] === -1) continue;
            const p = Math.exp(s[q * l + j] - ms) / zs;
            const t = Math.exp(y[q * l + j] - my) / zy;
            sum -= t * Math.log(p + 1e-10);
            const r = (t * p) / (p + 1e-10);
            g[q * l + j] = -r;
            sr += r;
          }
          for (let j = 0; j < l; j++) if (y[q * l + j] !== -1) g[q * l + j] += (Math.exp(s[q * l + j] - ms) / zs) * sr;
        }
        return sum / b + g[0] * 0;
      }, `def loss(s):
    real = Y != -1
    ninf = torch.tensor(float('-inf'))
    p = F.softmax(torch.where(real, s, ninf), dim=1)
    t = F.softmax(torch.where(real, Y, ninf), dim=1)
    return -(t * torch.log(p + 1e-10)).sum(1).mean()`],
    ].map(([name, what, naive, torchLoss]) => ({
      name,
      label: `${name} (${LISTS[0]}×${LISTS[1]}, fwd+bwd)`,
      sizes: [LISTS[0] * LISTS[1]],
      sizeNote: `${what}, (B, L) = (${LISTS[0]}, ${LISTS[1]}), relevance 0..4 with padding, forward + backward; target ≥ PyTorch 1 thread`,
      make: (n, r) => {
        const [b, l] = LISTS;
        return { n: b * l, s: r.uniform(b * l, -2, 2), y: relevance(r, b, l) };
      },
      lossfn: ({ s, y }) => {
        const l = F[name](tensor(s, LISTS, grad), tensor(y, LISTS));
        l.backward();
        return l.item();
      },
      naive: ({ s, y }) => naive(s, y),
      torch: {
        setup: `${TORCH_LISTS}\n${torchLoss}`,
        call: 'grad_step(loss)',
        note: `${what} written with torch ops (dense over the list, as a PyTorch user would), forward + backward`,
      },
    })),
  ];
}
