// `npm start`, ranking section (issue 12): a small built-in retrieval example — three recipe
// queries, eight candidate documents each with graded relevance, 4-d embeddings — and every
// ranking, embedding and contrastive loss on it: its value, and which item it pushes hardest
// (the largest gradient), so that pairwise, listwise and contrastive objectives can be
// compared side by side.

// Embedding axes: [spicy, vegan, sweet, meat].
const DOCS = [
  ['chickpea curry', [0.9, 0.9, 0.1, 0.0]],
  ['lentil dal', [0.6, 0.9, 0.0, 0.0]],
  ['chicken curry', [0.9, 0.0, 0.1, 0.9]],
  ['tofu stir fry', [0.4, 0.9, 0.2, 0.0]],
  ['beef stew', [0.2, 0.0, 0.0, 1.0]],
  ['vegan brownies', [0.0, 0.8, 1.0, 0.0]],
  ['mango lassi', [0.0, 0.4, 0.9, 0.0]],
  ['pork ribs', [0.3, 0.0, 0.4, 1.0]],
];
// Queries: their embeddings (as a model might produce them — not quite right) and, per
// candidate list, document indices with graded relevance 0–3 (−1 pads the shorter list).
const QUERIES = [
  { text: 'vegan curry', emb: [0.8, 0.5, 0.0, 0.4], docs: [0, 1, 2, 3, 4, 5, 6, 7], rel: [3, 2, 0, 1, 0, 1, 0, 0] },
  { text: 'sweet treat', emb: [0.1, 0.3, 0.9, 0.3], docs: [5, 6, 0, 7, 1, 3, 2, 4], rel: [3, 2, 0, 1, 0, 0, 0, 0] },
  { text: 'hearty meat', emb: [0.5, 0.2, 0.1, 0.8], docs: [4, 7, 2, 0, 5, 6, -1, -1], rel: [3, 2, 2, 0, 0, 0, -1, -1] },
];
const L = 8;

const cos = (a, b) => {
  const dot = a.reduce((s, v, i) => s + v * b[i], 0);
  return dot / Math.sqrt(a.reduce((s, v) => s + v * v, 0) * b.reduce((s, v) => s + v * v, 0));
};
const fmt = (v) => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toFixed(4));

function table(header, rows) {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => '| ' + r.map((c, i) => (i === 0 ? String(c).padEnd(w[i]) : String(c).padStart(w[i]))).join(' | ') + ' |';
  console.log(line(header));
  console.log('|' + w.map((n, i) => (i === 0 ? ':' : '') + '-'.repeat(n + 1) + (i === 0 ? '' : ':')).join('|') + '|');
  for (const r of rows) console.log(line(r));
}

/** A gradient step moves a score by −grad: ↑ where the loss wants it higher. */
const arrow = (g) => (g < 0 ? '↑' : '↓');

export async function section({ F, tensor }) {
  const dtype = 'float64';
  console.log('\n## Ranking, embedding and contrastive losses (3 recipe queries × 8 candidates)\n');
  console.log('Scores are 4·cos(query, document) of 4-d embeddings (axes: spicy, vegan, sweet, meat);');
  console.log('relevance is graded 0–3, and the third query has two padded slots (relevance −1).\n');
  const scores = QUERIES.map((q) => q.docs.map((d) => (d < 0 ? 0 : 4 * cos(q.emb, DOCS[d][1]))));
  const rel = QUERIES.map((q) => q.rel);
  table(['query', ...Array.from({ length: L }, (_, j) => `#${j}`)], QUERIES.map((q, i) =>
    [q.text, ...q.docs.map((d, j) => (d < 0 ? '—' : `${DOCS[d][0]} r${q.rel[j]} s${scores[i][j].toFixed(2)}`))]));

  // Learning to rank: which document of each list each loss pushes hardest.
  console.log('\nListwise and pairwise losses on the score lists (value; per query the document whose score');
  console.log('gets the largest gradient, ↑ = the loss wants it ranked higher):\n');
  const lists = [
    ['rankNetLoss', (s, y) => F.rankNetLoss(s, y)],
    ['rankNetLoss weightByDiff', (s, y) => F.rankNetLoss(s, y, { weightByDiff: true })],
    ['listNetLoss', (s, y) => F.listNetLoss(s, y)],
    ['listMleLoss', (s, y) => F.listMleLoss(s, y)],
    ['approxNdcgLoss α=1', (s, y) => F.approxNdcgLoss(s, y)],
    ['approxNdcgLoss α=10', (s, y) => F.approxNdcgLoss(s, y, { alpha: 10 })],
  ];
  table(['loss', 'value', ...QUERIES.map((q) => q.text)], lists.map(([name, call]) => {
    const s = tensor(scores, undefined, { dtype, requiresGrad: true });
    const l = call(s, tensor(rel, undefined, { dtype }));
    l.backward();
    const g = Array.from(s.grad.data);
    return [name, fmt(l.item()), ...QUERIES.map((q, i) => {
      let best = 0;
      for (let j = 1; j < L; j++) if (Math.abs(g[i * L + j]) > Math.abs(g[i * L + best])) best = j;
      return `${DOCS[q.docs[best]][0]} ${arrow(g[i * L + best])} ${fmt(Math.abs(g[i * L + best]))}`;
    })];
  }));

  // Embedding losses: per query, its most relevant document (positive) against the
  // irrelevant document it scores highest (the hard negative).
  const pos = QUERIES.map((q) => q.docs[q.rel.indexOf(Math.max(...q.rel))]);
  const neg = QUERIES.map((q, i) => {
    let best = -1;
    q.rel.forEach((r, j) => {
      if (r === 0 && (best < 0 || scores[i][j] > scores[i][best])) best = j;
    });
    return q.docs[best];
  });
  console.log('\nEmbedding and contrastive losses (per query: its best document as the positive, the irrelevant');
  console.log('document it scores highest as the negative):\n');
  table(['query', 'positive', 'hard negative'], QUERIES.map((q, i) => [q.text, DOCS[pos[i]][0], DOCS[neg[i]][0]]));
  const emb = (rows) => tensor(rows, undefined, { dtype, requiresGrad: true });
  const qE = () => emb(QUERIES.map((q) => q.emb));
  const pE = () => emb(pos.map((d) => DOCS[d][1]));
  const nE = () => emb(neg.map((d) => DOCS[d][1]));
  const pairY = QUERIES.flatMap((q) => q.rel.filter((r) => r >= 0).map((r) => (r >= 2 ? 1 : r === 0 ? -1 : 0)));
  const pairQ = QUERIES.flatMap((q) => q.rel.filter((r) => r >= 0).map(() => q.emb));
  const pairD = QUERIES.flatMap((q) => q.docs.filter((d) => d >= 0).map((d) => DOCS[d][1]));
  const pairName = QUERIES.flatMap((q) => q.docs.filter((d) => d >= 0).map((d) => `${q.text} / ${DOCS[d][0]}`));
  /** The row with the largest gradient norm among named tensors. */
  const hardest = (named) => {
    let best = ['', 0];
    for (const [label, t, rows] of named) {
      const g = Array.from(t.grad?.data ?? []);
      const d = g.length / rows.length;
      rows.forEach((r, k) => {
        const n = Math.hypot(...g.slice(k * d, (k + 1) * d));
        if (n > best[1]) best = [`${label} ${r}`, n];
      });
    }
    return `${best[0]} (‖∂‖ ${fmt(best[1])})`;
  };
  const qNames = QUERIES.map((q) => q.text);
  const embedding = [
    ['marginRankingLoss m=1', () => {
      const sp = emb(QUERIES.map((_, i) => scores[i][QUERIES[i].docs.indexOf(pos[i])]));
      const sn = emb(QUERIES.map((_, i) => scores[i][QUERIES[i].docs.indexOf(neg[i])]));
      return [F.marginRankingLoss(sp, sn, tensor([1, 1, 1], undefined, { dtype }), { margin: 1 }), [['positive score of', sp, qNames], ['negative score of', sn, qNames]]];
    }],
    ['tripletMarginLoss', () => {
      const [a, p, n] = [qE(), pE(), nE()];
      return [F.tripletMarginLoss(a, p, n, { margin: 0.5 }), [['query', a, qNames], ['positive of', p, qNames], ['negative of', n, qNames]]];
    }],
    ['tripletMarginWithDistanceLoss cosine', () => {
      const [a, p, n] = [qE(), pE(), nE()];
      return [F.tripletMarginWithDistanceLoss(a, p, n, { distanceFunction: 'cosine', margin: 0.2 }),
        [['query', a, qNames], ['positive of', p, qNames], ['negative of', n, qNames]]];
    }],
    ['cosineEmbeddingLoss m=0.2', () => {
      const [a, d] = [emb(pairQ), emb(pairD)];
      return [F.cosineEmbeddingLoss(a, d, tensor(pairY, undefined, { dtype }), { margin: 0.2 }), [['document', d, pairName]]];
    }],
    ['hingeEmbeddingLoss m=1', () => {
      const dist = emb(pairQ.map((qv, k) => 1 - cos(qv, pairD[k])));
      return [F.hingeEmbeddingLoss(dist, tensor(pairY.map((y) => (y === 0 ? 1 : y)), undefined, { dtype })), [['distance', dist, pairName]]];
    }],
    ['ntXentLoss τ=0.5', () => {
      const [a, p] = [qE(), pE()];
      return [F.ntXentLoss(a, p), [['query', a, qNames], ['positive of', p, qNames]]];
    }],
    ['supConLoss τ=0.5 (labels: savoury, sweet)', () => {
      const f = emb(QUERIES.map((q, i) => [q.emb, DOCS[pos[i]][1]]));
      const views = qNames.flatMap((n) => [`${n} (query)`, `${n} (positive)`]);
      return [F.supConLoss(f, tensor([0, 1, 0], undefined, { dtype: 'int64' }), { temperature: 0.5 }), [['view', f, views]]];
    }],
  ];
  console.log('');
  table(['loss', 'value', 'pushes hardest'], embedding.map(([name, run]) => {
    const [l, named] = run();
    l.backward();
    return [name, fmt(l.item()), hardest(named)];
  }));
  console.log('\nPairwise losses (RankNet, margin ranking, triplets) push the pair that is most out of order;');
  console.log('listwise ones (ListNet, ListMLE, ApproxNDCG) spread the push by each document\'s weight in');
  console.log('the whole list; contrastive ones (NT-Xent, SupCon) pull every embedding against the whole batch.');
}
