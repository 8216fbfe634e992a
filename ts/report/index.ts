// lossfn/report: how different the losses are, as data, an HTML page and a text summary.
// `const { data, html, summary } = await compare({ families: ['regression'] })`. Built into
// dist/report/ by scripts/build-report.mjs with Observable Plot bundled (and linkedom, for Node,
// in a chunk of its own); the library entry points `lossfn` and `lossfn/slim` never import it.

export {
  compare, summarize, DEFAULT_LEVELS, BUILTIN_SAMPLES,
  type CompareOptions, type CompareResult, type CompareData, type SectionData, type CurveData, type RobustnessData, type AgreementData, type TensorLike,
} from './compare.js';
export { familyNames } from './families/index.js';
export type { Series, CurveSet, TopAxis } from './families/family.js';
export { spearman, kendallTauB } from './stats.js';
