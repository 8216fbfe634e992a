// Benchmark entries of the segmentation family (issue 11), in bench/entries.mjs's format, each
// at one fixed configuration (`sizes`: the N column counts pixel-classes or pixels):
// - diceLoss, multiclass, N = 8, C = 21, 256 × 256: forward (target ≥ 300 M pixel-classes/s)
//   and forward + backward;
// - lovaszSoftmaxLoss, N = 4, C = 21, 128 × 128, forward + backward;
// - lovaszHingeLoss, N = 8, 256 × 256, forward + backward;
// against a naive JS loop of the same formula and PyTorch 1 thread (the formula in torch ops,
// Berman's code for the Lovász losses, autograd for the backward).
// Wired into makeEntries by one line of bench/entries.mjs.

/** Softmax probabilities of (N, C, S) logits, per pixel (float64 JS). */
function softmax(x, n, c, s) {
  const p = new Float64Array(x.length);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < s; i++) {
      let m = -Infinity;
      for (let k = 0; k < c; k++) m = Math.max(m, x[(b * c + k) * s + i]);
      let z = 0;
      for (let k = 0; k < c; k++) z += p[(b * c + k) * s + i] = Math.exp(x[(b * c + k) * s + i] - m);
      for (let k = 0; k < c; k++) p[(b * c + k) * s + i] /= z;
    }
  }
  return p;
}

/** smp's multiclass Dice (product form, eps 1e-7) in plain JS; with `grad`, also ∂/∂x. */
function naiveDice({ x, y, N, C, S }, grad) {
  const p = softmax(x, N, C, S);
  const tp = new Float64Array(C), card = new Float64Array(C), gs = new Float64Array(C);
  for (let b = 0; b < N; b++) {
    for (let k = 0; k < C; k++) {
      for (let i = 0; i < S; i++) {
        const g = y[b * S + i] === k ? 1 : 0;
        const pv = p[(b * C + k) * S + i];
        tp[k] += pv * g;
        card[k] += pv + g;
        gs[k] += g;
      }
    }
  }
  let loss = 0;
  const dtp = new Float64Array(C), dcard = new Float64Array(C);
  for (let k = 0; k < C; k++) {
    if (!(gs[k] > 0)) continue;
    const den = Math.max(card[k], 1e-7);
    loss += (1 - (2 * tp[k]) / den) / C;
    dtp[k] = -2 / den / C;
    dcard[k] = (2 * tp[k]) / (den * den) / C;
  }
  if (!grad) return loss;
  let chk = 0;
  for (let b = 0; b < N; b++) {
    for (let i = 0; i < S; i++) {
      let t = 0;
      for (let k = 0; k < C; k++) {
        const j = (b * C + k) * S + i;
        t += p[j] * (dtp[k] * (y[b * S + i] === k ? 1 : 0) + dcard[k]);
      }
      for (let k = 0; k < C; k++) {
        const j = (b * C + k) * S + i;
        chk += p[j] * (dtp[k] * (y[b * S + i] === k ? 1 : 0) + dcard[k] - t);
      }
    }
  }
  return loss + 0 * chk;
}

/** Berman's Lovász extension of one group in plain JS (stable Array.sort); returns the loss. */
function lovasz(errors, fg, relu) {
  const order = Array.from(errors.keys()).sort((i, j) => errors[j] - errors[i]);
  let gts = 0;
  for (const f of fg) gts += f;
  let c1 = 0, c0 = 0, prev = 0, loss = 0;
  const de = new Float64Array(errors.length);
  for (const i of order) {
    if (fg[i]) c1++;
    else c0++;
    const jac = 1 - (gts - c1) / (gts + c0);
    const e = errors[i];
    loss += (relu ? Math.max(e, 0) : e) * (jac - prev);
    de[i] = jac - prev; // the gradient: the backward's share of the work
    prev = jac;
  }
  return loss;
}

const TORCH_LOVASZ_GRAD = [
  'def lovasz_grad(gt):',
  '    gts = gt.sum()',
  '    inter = gts - gt.cumsum(0)',
  '    union = gts + (1 - gt).cumsum(0)',
  '    j = 1.0 - inter / union',
  '    j[1:] = j[1:] - j[:-1].clone()',
  '    return j',
].join('\n');

export function segmentationEntries({ F, tensor }) {
  if (typeof F.diceLoss !== 'function') return [];
  const entries = [];
  {
    const [N, C, H, W] = [8, 21, 256, 256];
    const S = H * W;
    const make = (_n, r) => {
      const y = new Int32Array(N * S);
      for (let i = 0; i < y.length; i++) y[i] = Math.floor(r.next() * C);
      return { n: N * C * S, N, C, S, x: r.uniform(N * C * S, -3, 3), y };
    };
    const torchSetup = [
      `N, C, H, W = ${N}, ${C}, ${H}, ${W}`,
      'x = U(N * C * H * W, -3, 3).view(N, C, H, W)',
      'y = classes(N * H * W, C).view(N, H, W)',
      'g = F.one_hot(y.view(N, -1), C).permute(0, 2, 1).to(torch.float32)',
      'present = (g.sum((0, 2)) > 0).to(torch.float32)',
      'def dice(x):',
      '    p = x.log_softmax(1).exp().view(N, C, -1)',
      '    inter = (p * g).sum((0, 2)); card = (p + g).sum((0, 2))',
      '    return ((1 - 2 * inter / card.clamp_min(1e-7)) * present).mean()',
      'xg = x.clone().requires_grad_()',
      'def step():',
      '    with torch.enable_grad():',
      '        xg.grad = None',
      '        l = dice(xg)',
      '        l.backward()',
      '        return l.item()',
    ].join('\n');
    const note = "smp's Dice in torch ops (log_softmax().exp(), one-hot built once, outside the timing)";
    entries.push({
      name: 'diceLoss fwd', label: `diceLoss fwd (N=${N}, C=${C}, ${H}×${W}) §`, unit: 'pixel-classes', sizes: [N * C * S], target: 300,
      sizeNote: 'one fixed configuration; the N column counts pixel-classes (N·C·H·W); forward only',
      make,
      lossfn: ({ x, y }) => F.diceLoss(tensor(x, [N, C, H, W]), tensor(y, [N, H, W], { dtype: 'int32' })).item(),
      naive: (i) => naiveDice(i, false),
      torch: { setup: torchSetup, call: 'dice(x).item()', note },
    });
    entries.push({
      name: 'diceLoss fwd+bwd', label: `diceLoss fwd+bwd (N=${N}, C=${C}, ${H}×${W}) §`, unit: 'pixel-classes', sizes: [N * C * S],
      sizeNote: 'one fixed configuration; the N column counts pixel-classes; forward + backward (gradient of the logits)',
      make,
      lossfn: ({ x, y }) => {
        const xt = tensor(x, [N, C, H, W], { requiresGrad: true });
        const l = F.diceLoss(xt, tensor(y, [N, H, W], { dtype: 'int32' }));
        l.backward();
        return l.item();
      },
      naive: (i) => naiveDice(i, true),
      torch: { setup: torchSetup, call: 'step()', note: `${note}, autograd backward` },
    });
  }
  {
    const [N, C, H, W] = [4, 21, 128, 128];
    const S = H * W;
    entries.push({
      name: 'lovaszSoftmaxLoss fwd+bwd', label: `lovaszSoftmaxLoss fwd+bwd (N=${N}, C=${C}, ${H}×${W}) §`, unit: 'pixel-classes', sizes: [N * C * S],
      sizeNote: "one fixed configuration; the N column counts pixel-classes; forward + backward, classes 'present', perImage false",
      make: (_n, r) => {
        const y = new Int32Array(N * S);
        for (let i = 0; i < y.length; i++) y[i] = Math.floor(r.next() * C);
        return { n: N * C * S, x: r.uniform(N * C * S, -3, 3), y };
      },
      lossfn: ({ x, y }) => {
        const xt = tensor(x, [N, C, H, W], { requiresGrad: true });
        const l = F.lovaszSoftmaxLoss(xt, tensor(y, [N, H, W], { dtype: 'int32' }));
        l.backward();
        return l.item();
      },
      naive: ({ x, y }) => {
        const p = softmax(x, N, C, S);
        let sum = 0, count = 0;
        for (let k = 0; k < C; k++) {
          const fg = new Uint8Array(N * S);
          const e = new Float64Array(N * S);
          let any = false;
          for (let b = 0; b < N; b++) {
            for (let i = 0; i < S; i++) {
              const f = y[b * S + i] === k ? 1 : 0;
              any ||= f === 1;
              fg[b * S + i] = f;
              e[b * S + i] = Math.abs(f - p[(b * C + k) * S + i]);
            }
          }
          if (!any) continue;
          sum += lovasz(e, fg, false);
          count++;
        }
        return count ? sum / count : 0;
      },
      torch: {
        setup: [
          `N, C, H, W = ${N}, ${C}, ${H}, ${W}`,
          'x = U(N * C * H * W, -3, 3).view(N, C, H, W).requires_grad_()',
          'y = classes(N * H * W, C).view(-1)',
          TORCH_LOVASZ_GRAD,
          'def step():',
          '    with torch.enable_grad():',
          '        x.grad = None',
          '        p = x.softmax(1).permute(0, 2, 3, 1).reshape(-1, C)',
          '        losses = []',
          '        for c in range(C):',
          '            fg = (y == c).to(p.dtype)',
          '            if fg.sum() == 0: continue',
          '            e = (fg - p[:, c]).abs()',
          '            es, perm = torch.sort(e, 0, descending=True)',
          '            losses.append(torch.dot(es, lovasz_grad(fg[perm])))',
          '        l = sum(losses) / len(losses)',
          '        l.backward()',
          '        return l.item()',
        ].join('\n'),
        call: 'step()',
        note: "Berman's lovasz_softmax in torch ops (torch.sort per class), autograd backward",
      },
    });
  }
  {
    const [N, H, W] = [8, 256, 256];
    const S = H * W;
    entries.push({
      name: 'lovaszHingeLoss fwd+bwd', label: `lovaszHingeLoss fwd+bwd (N=${N}, ${H}×${W}) §`, unit: 'pixels', sizes: [N * S],
      sizeNote: 'one fixed configuration; the N column counts pixels; forward + backward, perImage false (one sort of every pixel)',
      make: (_n, r) => {
        const y = new Int32Array(N * S);
        for (let i = 0; i < y.length; i++) y[i] = r.next() < 0.5 ? 1 : 0;
        return { n: N * S, x: r.uniform(N * S, -3, 3), y };
      },
      lossfn: ({ x, y }) => {
        const xt = tensor(x, [N, H, W], { requiresGrad: true });
        const l = F.lovaszHingeLoss(xt, tensor(y, [N, H, W], { dtype: 'int32' }));
        l.backward();
        return l.item();
      },
      naive: ({ x, y }) => {
        const e = new Float64Array(x.length);
        for (let i = 0; i < x.length; i++) e[i] = 1 - x[i] * (2 * y[i] - 1);
        return lovasz(e, y, true);
      },
      torch: {
        setup: [
          `N, H, W = ${N}, ${H}, ${W}`,
          'x = U(N * H * W, -3, 3).requires_grad_()',
          'y = bits(N * H * W)',
          TORCH_LOVASZ_GRAD,
          'def step():',
          '    with torch.enable_grad():',
          '        x.grad = None',
          '        e = 1.0 - x * (2.0 * y - 1.0)',
          '        es, perm = torch.sort(e, 0, descending=True)',
          '        l = torch.dot(F.relu(es), lovasz_grad(y[perm]))',
          '        l.backward()',
          '        return l.item()',
        ].join('\n'),
        call: 'step()',
        note: "Berman's lovasz_hinge_flat in torch ops, autograd backward",
      },
    });
  }
  return entries;
}
