// `npm start`, sequence section (issue 13): a toy recogniser's output for a few words, its CTC
// loss per sample, the most likely path and its decoding, and how the loss moves when the
// output stutters, drops a letter or inserts blanks.

const ALPHABET = ['-', 'a', 'b', 'd', 'e', 'h', 'l', 'o', 'r', 'w']; // '-' is the blank (class 0)

/**
 * Log-probabilities (T, C) of a recogniser that "says" `path` (one symbol per frame): the
 * frame's symbol gets logit 6 (p ≈ 0.98), the others 0 plus a small deterministic wobble, log-softmaxed.
 */
function frames(path, seed) {
  const c = ALPHABET.length;
  const out = [];
  let s = seed;
  for (const ch of path) {
    const k = ALPHABET.indexOf(ch);
    const z = ALPHABET.map((_, j) => {
      s = (s * 1103515245 + 12345) % 2147483648;
      return (j === k ? 6 : 0) + 0.6 * (s / 2147483648 - 0.5);
    });
    const m = Math.max(...z);
    const lse = m + Math.log(z.reduce((a, v) => a + Math.exp(v - m), 0));
    out.push(z.map((v) => v - lse));
  }
  return { t: path.length, c, rows: out };
}

const CASES = [
  ['hello', 'hh-e-ll-l-oo', 'clean'],
  ['hello', 'hhh-eee-lll-ll-ooo', 'stutters (letters held longer)'],
  ['hello', 'hh--e---ll--l--oo', 'inserts blanks'],
  ['hello', 'hh-e-llll-oo', 'no blank between the two l'],
  ['hello', 'hh-e-ll----oo', 'drops the second l'],
  ['hello', 'hh-a-ll-l-oo', 'says a for e'],
  ['world', 'ww-oo-rr-ll-d', 'clean'],
  ['world', 'ww-oo---ll-d', 'drops the r'],
  ['bad', 'b-aa-d', 'clean'],
  ['bad', 'bad', 'three frames only'],
  ['bad', 'ba', 'too short to say it (infeasible)'],
];

export async function section(lossfn) {
  const { F, ops, tensor, init } = lossfn;
  await init();
  console.log('\n## Sequence losses: CTC on a toy recogniser');
  console.log(`\nAlphabet ${ALPHABET.map((a) => `'${a}'`).join(' ')} ('-' = blank, class 0). Each row is one recogniser output (log-probabilities per frame) scored against its word;`);
  console.log("loss = F.ctcLoss(…, { reduction: 'none' }) (nats, −ln P(word | output)), per letter = loss / word length (what 'mean' averages).\n");
  const t = Math.max(...CASES.map(([, p]) => p.length));
  const n = CASES.length;
  const c = ALPHABET.length;
  const data = new Float64Array(t * n * c).fill(Math.log(1 / c));
  CASES.forEach(([, path], b) => {
    const f = frames(path, 7 + b);
    f.rows.forEach((row, tt) => row.forEach((v, k) => (data[(tt * n + b) * c + k] = v)));
  });
  const words = CASES.map(([w]) => [...w].map((ch) => ALPHABET.indexOf(ch)));
  const s = Math.max(...words.map((w) => w.length));
  const targets = tensor(words.flatMap((w) => [...w, ...new Array(s - w.length).fill(1)]), [n, s], { dtype: 'int32' });
  const il = CASES.map(([, p]) => p.length);
  const tl = words.map((w) => w.length);
  const lp = tensor(data, [t, n, c], { dtype: 'float64', requiresGrad: true });
  const loss = F.ctcLoss(lp, targets, il, tl, { reduction: 'none' });
  const decoded = ops.ctcGreedyDecode(lp, il);
  const rows = [['word', 'output (most likely symbol per frame)', 'decoded', 'loss', 'per letter', 'what the output does']];
  CASES.forEach(([w, , what], b) => {
    let best = '';
    for (let tt = 0; tt < il[b]; tt++) {
      let k = 0;
      for (let j = 1; j < c; j++) if (data[(tt * n + b) * c + j] > data[(tt * n + b) * c + k]) k = j;
      best += ALPHABET[k];
    }
    const l = loss.data[b];
    rows.push([w, best, decoded[b].map((k) => ALPHABET[k]).join(''), l.toFixed(3), (l / tl[b]).toFixed(3), what]);
  });
  const width = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  for (const [i, r] of rows.entries()) {
    console.log(`| ${r.map((v, j) => v.padEnd(width[j])).join(' | ')} |`);
    if (i === 0) console.log(`|${width.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  }
  const mean = F.ctcLoss(lp, targets, il, tl).item();
  const zeroInf = F.ctcLoss(lp, targets, il, tl, { zeroInfinity: true });
  zeroInf.backward();
  const g = lp.grad.data;
  let gmax = 0;
  for (const v of g) gmax = Math.max(gmax, Math.abs(v));
  console.log(`\n'mean' over the batch: ${mean} (the infeasible 'ba' makes it +Infinity); with zeroInfinity: ${zeroInf.item().toFixed(4)},`);
  console.log(`whose gradient (∂/∂logProbs = e^lp − posterior, per PyTorch) is finite everywhere: max |g| = ${gmax.toFixed(4)}.`);
  console.log('Stuttering and extra blanks cost little (the output still reads the word: only the frames\' small');
  console.log('uncertainty adds up); a dropped letter, a wrong one or a missing blank between double letters changes');
  console.log('what the output says, and the loss jumps by the log-odds of the frames that must be re-read.');
}
