// compare(options): runs every selected family's losses on its curves, its built-in dataset at
// each contamination level and (given input/target) on the user's data; returns the data (plain
// JSON), the HTML page and a text summary. Same options, same bytes: every draw comes from the
// seed, every number is formatted the same way.

import { init, Tensor } from '../index.js';
import { FAMILIES, familyNames } from './families/index.js';
import { CompareError, num, type CurveSet, type Dataset, type Dense, type Family } from './families/family.js';
import { renderHtml } from './render.js';
import { kendallMatrix, mean, rng, spearmanMatrix, topK, worstShare } from './stats.js';

/** Tensor-like user data: a lossfn Tensor, a typed array, nested arrays or { data, shape }. */
export type TensorLike = Tensor | ArrayLike<number> | readonly unknown[] | { data: ArrayLike<number | bigint>; shape: readonly number[] };

export interface CompareOptions {
  /** Families to report (default: every family of this build). */
  families?: readonly string[];
  /** The user's predictions; with `target`, adds robustness and agreement on them. */
  input?: TensorLike;
  target?: TensorLike;
  /** Names of input and target in the report (default 'input', 'target'). */
  inputName?: string;
  targetName?: string;
  /** Contamination shares in [0, 1) (default 0, 0.05, …, 0.3); 0 is always included. */
  levels?: readonly number[];
  /** Seed of every draw (default 1; an integer in [0, 2^32)). */
  seed?: number;
  /** Samples per dataset (default 100000; larger user data are subsampled; ≥ 10). */
  maxSamples?: number;
}

export const DEFAULT_LEVELS = [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3];
/** Built-in dataset size (or maxSamples when smaller). */
export const BUILTIN_SAMPLES = 2000;
/** Samples listed per loss in the "penalised most" table. */
export const TOP_SAMPLES = 5;
/** The share of worst samples whose gradient share robustness reports. */
export const WORST = 0.01;

export interface CurveData extends CurveSet {
  readAt: number;
  readingLoss: string;
  readingGrad: string;
}

export interface RobustnessData {
  levels: number[];
  contamination: string;
  losses: { name: string; mean: number[]; relMean: (number | null)[]; worstShare: number[] }[];
  readingMean: string;
  readingShare: string;
}

export interface AgreementData {
  level: number;
  losses: string[];
  spearman: (number | null)[][];
  kendall: (number | null)[][];
  top: { loss: string; samples: { index: number; value: number; contaminated: boolean; sample: string }[] }[];
  readingSpearman: string;
  readingKendall: string;
}

export interface SectionData {
  id: string;
  family: string;
  title: string;
  source: 'built-in' | 'user';
  samples: number;
  /** Rows of the user's data before subsampling (user sections). */
  rows?: number;
  curves: CurveData[];
  robustness: RobustnessData;
  agreement: AgreementData;
}

export interface CompareData {
  format: 'lossfn.compare';
  version: 1;
  options: { families: string[]; levels: number[]; seed: number; maxSamples: number; inputName: string | null; targetName: string | null };
  sections: SectionData[];
}

export interface CompareResult {
  data: CompareData;
  html: string;
  summary: string;
}

const KNOWN = ['families', 'input', 'target', 'inputName', 'targetName', 'levels', 'seed', 'maxSamples'];

function optErr(option: string, message: string): CompareError {
  return new CompareError(option, message);
}

function checkInt(option: string, v: unknown, lo: number, hi: number, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    throw optErr(option, `option '${option}' must be ${what}, got ${typeof v === 'number' ? v : JSON.stringify(v) ?? String(v)}`);
  }
  return v;
}

/** Validates and fills the options (every error before any loss runs). */
export function resolveOptions(o: CompareOptions | undefined) {
  if (o === undefined || o === null) o = {};
  if (typeof o !== 'object' || Array.isArray(o)) throw optErr('options', `options must be an object, got ${Array.isArray(o) ? 'an array' : typeof o}`);
  for (const k of Object.keys(o)) {
    if (!KNOWN.includes(k)) throw optErr(k, `unknown option '${k}' (options: ${KNOWN.join(', ')})`);
  }
  const all = familyNames();
  let families = all;
  if (o.families !== undefined) {
    const f = o.families as unknown;
    if (!Array.isArray(f) || f.some((v) => typeof v !== 'string')) throw optErr('families', `option 'families' must be an array of family names, got ${JSON.stringify(f)}`);
    if (f.length === 0) throw optErr('families', `option 'families' is empty (this build has ${all.join(', ')})`);
    for (const name of f as string[]) {
      if (!all.includes(name)) throw optErr('families', `unknown family '${name}' (this build has ${all.join(', ')})`);
    }
    families = all.filter((n) => (f as string[]).includes(n));
  }
  let levels = DEFAULT_LEVELS;
  if (o.levels !== undefined) {
    const l = o.levels as unknown;
    if (!Array.isArray(l) || l.some((v) => typeof v !== 'number' || !(v >= 0 && v < 1))) {
      throw optErr('levels', `option 'levels' must be an array of shares in [0, 1) (0.1 = 10 %), got ${JSON.stringify(l)}`);
    }
    levels = Array.from(new Set([0, ...(l as number[])])).sort((a, b) => a - b);
  }
  const seed = o.seed === undefined ? 1 : checkInt('seed', o.seed, 0, 2 ** 32 - 1, 'an integer in [0, 2^32)');
  const maxSamples = o.maxSamples === undefined ? 100000 : checkInt('maxSamples', o.maxSamples, 10, Number.MAX_SAFE_INTEGER, 'an integer >= 10');
  for (const k of ['inputName', 'targetName'] as const) {
    if (o[k] !== undefined && (typeof o[k] !== 'string' || o[k] === '')) throw optErr(k, `option '${k}' must be a non-empty string, got ${JSON.stringify(o[k])}`);
  }
  if ((o.input === undefined) !== (o.target === undefined)) {
    const missing = o.input === undefined ? 'input' : 'target';
    throw optErr(missing, `options 'input' and 'target' come together: '${missing}' is missing`);
  }
  const inputName = o.inputName ?? 'input';
  const targetName = o.targetName ?? 'target';
  const user = o.input === undefined ? null : { input: toDense('input', inputName, o.input), target: toDense('target', targetName, o.target as TensorLike) };
  return { families, levels, seed, maxSamples, user, inputName, targetName, explicitFamilies: o.families !== undefined };
}

/** Rectangular nested arrays → flat values and shape; null when ragged or not numbers. */
function flattenNested(a: readonly unknown[]): { data: number[]; shape: number[] } | null {
  const shape: number[] = [];
  let probe: unknown = a;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  const data: number[] = [];
  const walk = (v: unknown, d: number): boolean => {
    if (d === shape.length) {
      if (typeof v !== 'number') return false;
      data.push(v);
      return true;
    }
    if (!Array.isArray(v) || v.length !== shape[d]) return false;
    return v.every((w) => walk(w, d + 1));
  };
  return walk(a, 0) ? { data, shape } : null;
}

const isTyped = (v: unknown): v is ArrayLike<number | bigint> => ArrayBuffer.isView(v) && !(v instanceof DataView);

/** User data as float64 with a shape; option errors name the argument. */
export function toDense(option: 'input' | 'target', name: string, v: TensorLike): Dense {
  let data: ArrayLike<number | bigint>;
  let shape: number[];
  if (v instanceof Tensor) {
    data = v.data as ArrayLike<number | bigint>;
    shape = v.shape.slice();
  } else if (isTyped(v)) {
    data = v;
    shape = [v.length];
  } else if (Array.isArray(v)) {
    const f = flattenNested(v);
    if (f === null) throw optErr(option, `argument '${name}': nested arrays must be rectangular and hold numbers`);
    data = f.data;
    shape = f.shape;
  } else if (v !== null && typeof v === 'object' && 'data' in v && 'shape' in v) {
    const s = (v as { shape: unknown }).shape;
    const d = (v as { data: unknown }).data;
    if (!Array.isArray(s) || s.some((k) => !Number.isInteger(k) || k < 0)) throw optErr(option, `argument '${name}': shape must be an array of non-negative integers, got ${JSON.stringify(s)}`);
    if (!isTyped(d) && !Array.isArray(d)) throw optErr(option, `argument '${name}': data must be a typed array or an array of numbers`);
    data = d as ArrayLike<number>;
    shape = (s as number[]).slice();
    const n = shape.reduce((a, b) => a * b, 1);
    if (n !== data.length) throw optErr(option, `argument '${name}': shape [${shape}] holds ${n} values but data has ${data.length}`);
  } else {
    throw optErr(option, `argument '${name}' must be a Tensor, a typed array, nested arrays or { data, shape }, got ${v === null ? 'null' : typeof v}`);
  }
  const out = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const x = Number(data[i]);
    if (!Number.isFinite(x)) throw new CompareError(null, `argument '${name}': value ${String(data[i])} at flat index ${i} is not a finite number`);
    out[i] = x;
  }
  if (shape.length === 0 || out.length < 2) throw new CompareError(null, `argument '${name}': needs at least 2 samples, got shape [${shape}]`);
  return { data: out, shape };
}

/** The level the agreement section is computed at: the one nearest 10 % (where some samples are contaminated). */
const agreementLevel = (levels: number[], user: boolean): number =>
  user ? 0 : levels.reduce((best, l) => (Math.abs(l - 0.1) < Math.abs(best - 0.1) ? l : best), levels[0]);

const pct = (v: number, digits = 0): string => `${(100 * v).toFixed(digits)} %`;

function curveReadings(c: CurveSet, readAt: number, what: string): CurveData {
  const at = (s: { x: number[]; y: number[] }) => {
    let best = 0;
    s.x.forEach((x, i) => (Math.abs(x - readAt) < Math.abs(s.x[best] - readAt) ? (best = i) : 0));
    return s.y[best];
  };
  const vals = c.loss.map((s) => ({ name: s.name, v: at(s) }));
  const hi = vals.reduce((a, b) => (b.v > a.v ? b : a));
  const lo = vals.reduce((a, b) => (b.v < a.v ? b : a));
  const steep = c.grad.map((s) => ({ name: s.name, v: Math.max(...s.y.map(Math.abs)) }));
  const sHi = steep.reduce((a, b) => (b.v > a.v ? b : a));
  const sLo = steep.reduce((a, b) => (b.v < a.v ? b : a));
  return {
    ...c,
    readAt,
    readingLoss: `At ${what} = ${num(readAt)}, ${hi.name} is highest (${num(hi.v)}) and ${lo.name} lowest (${num(lo.v)}).`,
    // Piecewise-linear losses (triplet, hinge) tie to the digits shown: then the reading says so
    // rather than name a "largest" and a "smallest" of the same value.
    readingGrad: num(sHi.v) === num(sLo.v)
      ? `Every loss's largest |gradient| on this range is ${num(sHi.v)}.`
      : `Largest |gradient| on this range: ${sHi.name} (${num(sHi.v)}); smallest: ${sLo.name} (${num(sLo.v)}).`,
  };
}

function pairReading(names: string[], m: (number | null)[][], sym: string): string {
  let lo: [number, number, number] | null = null;
  let hi: [number, number, number] | null = null;
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      const v = m[i][j];
      if (v === null) continue;
      if (lo === null || v < lo[2]) lo = [i, j, v];
      if (hi === null || v > hi[2]) hi = [i, j, v];
    }
  }
  if (lo === null || hi === null) return 'No pair of losses has a defined rank correlation here.';
  return `Least alike: ${names[lo[0]]} and ${names[lo[1]]} (${sym} = ${lo[2].toFixed(2)}); most alike: ${names[hi[0]]} and ${names[hi[1]]} (${sym} = ${hi[2].toFixed(2)}).`;
}

/** A permutation of 0…n−1 from the seed: level ℓ contaminates its first round(ℓn) samples, so each level's set contains the previous one's. */
function permutation(n: number, seed: number): Uint32Array {
  const r = rng(seed);
  const p = Uint32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

/**
 * Robustness and agreement of a family's losses on `base`. `rowOf` maps a sample to the row of
 * the user's data it came from (subsampled data), so the "penalised most" table names file rows.
 */
function analyse(fam: Family<Dataset>, base: Dataset, levels: number[], seed: number, user: boolean, rowOf?: Uint32Array): { robustness: RobustnessData; agreement: AgreementData } {
  const losses = fam.losses.filter((l) => l.applicable?.(base) ?? true);
  const perm = permutation(base.n, seed);
  const aLevel = agreementLevel(levels, user);
  const rows = losses.map((l) => ({ name: l.name, mean: [] as number[], relMean: [] as number[], worstShare: [] as number[] }));
  let agreementSet: { d: Dataset; per: Float64Array[] } | null = null;
  for (const level of levels) {
    const k = Math.round(level * base.n);
    const d = k === 0 ? base : fam.contaminate(base, perm.slice(0, k), seed);
    const per = losses.map((l) => l.perSample(d));
    per.forEach((p, i) => {
      rows[i].mean.push(mean(p.loss));
      rows[i].worstShare.push(worstShare(p.grad, WORST));
    });
    if (level === aLevel) agreementSet = { d, per: per.map((p) => p.loss) };
  }
  // A ratio to the clean mean reads only for a positive clean mean (a user's all-zero loss, or
  // a loss that is 0 on clean data such as triplet m=0.2, gives null rather than ∞; ApproxNDCG is
  // −NDCG, negative): those losses are left out of the mean reading.
  for (const r of rows) r.relMean = r.mean.map((m) => (r.mean[0] > 0 ? m / r.mean[0] : NaN));
  const last = levels.length - 1;
  const maxL = levels[last];
  const by = (f: (r: (typeof rows)[number]) => number, pool = rows) => {
    const sorted = pool.slice().sort((a, b) => f(b) - f(a));
    return [sorted[0], sorted[sorted.length - 1]];
  };
  const withRatio = rows.filter((r) => !Number.isNaN(r.relMean[last]));
  const [mHi, mLo] = withRatio.length > 0 ? by((r) => r.relMean[last], withRatio) : [null, null];
  // The share is read at the first contaminated level, where the worst 1 % can all be
  // contaminated samples; the mean at the last, where the contamination weighs most.
  const first = levels.length > 1 ? 1 : 0;
  const [sHi, sLo] = by((r) => r.worstShare[first]);
  const at = maxL === 0 ? 'With no contamination' : `At ${pct(maxL)} ${fam.contamination}`;
  const atFirst = levels[first] === 0 ? 'With no contamination' : `At ${pct(levels[first])} ${fam.contamination}`;
  const robustness: RobustnessData = {
    levels, contamination: fam.contamination, losses: rows,
    readingMean: maxL === 0
      ? 'Only the clean level was run: every mean is 1× its own.'
      : mHi === null || mLo === null
        ? `${at}, no loss has a positive clean mean to compare with.`
        : `${at}, ${mHi.name}'s mean loss is ×${num(mHi.relMean[last])} its clean value and ${mLo.name}'s ×${num(mLo.relMean[last])}.`,
    readingShare: `${atFirst}, ${sHi.name} gives the worst 1 % of samples ${pct(sHi.worstShare[first])} of the gradient; ${sLo.name} gives ${pct(sLo.worstShare[first])}.`,
  };
  const a = agreementSet as unknown as { d: Dataset; per: Float64Array[] };
  const names = losses.map((l) => l.name);
  const nulls = (m: number[][]) => m.map((row) => row.map((v) => (Number.isNaN(v) ? null : v)));
  const sp = nulls(spearmanMatrix(a.per));
  const kt = nulls(kendallMatrix(a.per));
  const agreement: AgreementData = {
    level: aLevel, losses: names, spearman: sp, kendall: kt,
    top: a.per.map((v, i) => ({
      loss: names[i],
      samples: topK(v, TOP_SAMPLES).map((s) => ({ index: rowOf ? rowOf[s] : s, value: v[s], contaminated: a.d.contaminated[s] === 1, sample: a.d.describe(s) })),
    })),
    readingSpearman: pairReading(names, sp, 'ρ'),
    readingKendall: pairReading(names, kt, 'τ-b'),
  };
  return { robustness, agreement };
}

/** Where each family's curves are read. */
const READ_AT: Record<string, { at: number; what: string }> = {
  residual: { at: 4, what: 'r' },
  margin: { at: -4, what: 'm' },
  offset: { at: 1.5, what: 'offset' },
  scale: { at: 2, what: 'log₂ scale' },
  frame: { at: -2, what: 'margin' },
  'object-small': { at: 0.5, what: 'f' },
  'object-large': { at: 0.5, what: 'f' },
  pair: { at: -1, what: 's⁺ − s⁻' },
  gap: { at: 0, what: 'gap' },
  similarity: { at: 0, what: 'cos' },
  list: { at: -1, what: 'score' },
};

export async function compare(options?: CompareOptions): Promise<CompareResult> {
  const o = resolveOptions(options);
  // lossfn's entry inlines its module: init() needs no argument and is memoised.
  await init();
  const sections: SectionData[] = [];
  const nBuilt = Math.min(BUILTIN_SAMPLES, o.maxSamples);
  for (const name of o.families) {
    const fam = FAMILIES.find((f) => f.name === name) as Family<Dataset>;
    const curves = fam.curves().map((c) => curveReadings(c, READ_AT[c.key]?.at ?? c.loss[0].x[c.loss[0].x.length - 1], READ_AT[c.key]?.what ?? c.key));
    const base = fam.builtIn(nBuilt, o.seed);
    sections.push({ id: fam.name, family: fam.name, title: fam.title, source: 'built-in', samples: base.n, curves, ...analyse(fam, base, o.levels, o.seed, false) });
  }
  if (o.user) {
    const { input, target } = o.user;
    const pool = o.explicitFamilies ? FAMILIES.filter((f) => o.families.includes(f.name)) : FAMILIES;
    const fam = pool.slice().sort((a, b) => b.specificity - a.specificity).find((f) => f.accepts(input.shape, target.shape));
    if (fam === undefined) {
      throw new CompareError(null, `argument '${o.inputName}': shapes [${input.shape}] (${o.inputName}) and [${target.shape}] (${o.targetName}) match no family of ${pool.map((f) => f.name).join(', ')} (regression: same shape; classification: (N, C) and (N); localization: (N, 4) and (N, 4))`);
    }
    let d = fam.fromUser(input, target, { input: o.inputName, target: o.targetName });
    const rows = d.n;
    let rowOf: Uint32Array | undefined;
    if (d.n > o.maxSamples) {
      // A seeded sample without replacement, kept in file order.
      rowOf = permutation(d.n, o.seed ^ 0x85ebca6b).slice(0, o.maxSamples).sort();
      d = fam.subset(d, rowOf);
    }
    sections.push({ id: `user-${fam.name}`, family: fam.name, title: `Your data: ${o.inputName} against ${o.targetName} (${fam.title.toLowerCase()})`, source: 'user', samples: d.n, rows, curves: [], ...analyse(fam, d, o.levels, o.seed, true, rowOf) });
  }
  const built: CompareData = {
    format: 'lossfn.compare', version: 1,
    options: { families: o.families, levels: o.levels, seed: o.seed, maxSamples: o.maxSamples, inputName: o.user ? o.inputName : null, targetName: o.user ? o.targetName : null },
    sections,
  };
  // Plain JSON by construction: what JSON.parse(JSON.stringify(data)) gives back (−0 → 0).
  const data = JSON.parse(JSON.stringify(built)) as CompareData;
  return { data, html: await renderHtml(data), summary: summarize(data) };
}

/** The text summary: per section, its size and the robustness and agreement readings. */
export function summarize(data: CompareData): string {
  const lines: string[] = [];
  for (const s of data.sections) {
    lines.push(`${s.title} (${s.source === 'user' ? `${s.samples} samples${s.rows !== s.samples ? ` of ${s.rows}` : ''}` : `built-in, ${s.samples} samples`})`);
    lines.push(`  ${s.robustness.readingShare}`);
    lines.push(`  ${s.robustness.readingMean}`);
    lines.push(`  ${s.agreement.readingSpearman}`);
  }
  return `${lines.join('\n')}\n`;
}
