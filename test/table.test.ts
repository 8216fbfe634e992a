// The loss table, walked: every loss has its kernels, golden fixture and tests; its options are
// validated as its descriptor says (errors derived from the descriptor, for F and for nn); the
// README's loss table is the one rendered from it.

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, nn } from '../ts/index.js';
import { LOSSES } from '../ts/losses.js';
import { KERNEL_STEMS } from '../ts/wasm/exports.js';
// @ts-expect-error: a plain ES module script without types
import { renderLossTable, withTable } from '../scripts/readme-table.mjs';

beforeAll(() => init());

const root = new URL('..', import.meta.url);
const read = (p: string) => readFileSync(new URL(p, root), 'utf8');

describe('the loss table', () => {
  it('has one entry per F loss, with unique names in every layer', () => {
    expect(LOSSES.length).toBeGreaterThanOrEqual(29);
    for (const key of ['name', 'stem', 'nn'] as const) {
      const names = LOSSES.map((f) => f.spec[key]);
      expect(new Set(names).size, `${key} names are unique`).toBe(names.length);
    }
    for (const f of LOSSES) {
      expect((F as Record<string, unknown>)[f.spec.name], `F.${f.spec.name}`).toBe(f);
      expect(f.spec.stem.replace(/_(\w)/g, (_, c: string) => c.toUpperCase()), 'name = camelCase(stem)').toBe(f.spec.name);
      for (const cls of [f.spec.nn, ...(f.spec.aliases ?? [])]) {
        const C = (nn as Record<string, { name: string }>)[cls];
        expect(C, `nn.${cls}`).toBeTypeOf('function');
        expect(C.name, 'class name from the descriptor (survives minifiers)').toBe(cls);
      }
    }
    // And nothing in nn that the table does not describe.
    const described = LOSSES.flatMap((f) => [f.spec.nn, ...(f.spec.aliases ?? [])]);
    expect(Object.keys(nn).sort()).toEqual(described.sort());
    // F holds losses only (no *Options / *With helpers).
    expect(Object.keys(F).filter((k) => typeof (F as Record<string, unknown>)[k] === 'function').sort())
      .toEqual(LOSSES.map((f) => f.spec.name).sort());
  });

  it.each(LOSSES.map((f) => [f.spec.name, f] as const))('%s has its kernels, golden fixture and tests', (_, f) => {
    const { stem, family } = f.spec;
    const exported = KERNEL_STEMS[stem] ?? [];
    for (const kind of f.spec.exports ?? ['forward', 'backward']) {
      for (const t of ['f32', 'f64']) expect(exported, `lossfn_${stem}_${kind}_${t}`).toContain(`${kind}_${t}`);
    }
    expect(existsSync(new URL(`test/golden/${stem}.json`, root)), `test/golden/${stem}.json`).toBe(true);
    const testFile = `test/${family}/${stem}.test.ts`;
    expect(existsSync(new URL(testFile, root)), testFile).toBe(true);
    expect(read(testFile), `${testFile} runs the golden cases`).toContain(`describeGolden('${stem}')`);
    expect(existsSync(new URL(`crates/kernels/src/loss/${stem}.rs`, root)), `crates/kernels/src/loss/${stem}.rs`).toBe(true);
  });

  it('every golden fixture belongs to a loss of the table or to an op', () => {
    const stems = new Set(LOSSES.map((f) => f.spec.stem));
    const files = readdirSync(new URL('test/golden/', root)).filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5));
    const orphans = files.filter((s) => !stems.has(s) && !/^(box_|ctc_greedy|pairwise|cosine_similarity|generalized_box_iou$|distance_box_iou$|complete_box_iou$|nonfinite$)/.test(s));
    expect(orphans).toEqual([]);
  });

  it("README's loss table is the one rendered from the descriptors", () => {
    const readme = read('README.md');
    expect(withTable(readme, renderLossTable(LOSSES)), 'run: npm run build && node scripts/readme-table.mjs').toBe(readme);
  });
});

describe.each(LOSSES.map((f) => [f.spec.name, f] as const))('%s options (derived from its descriptor)', (name, f) => {
  const spec = f.spec;
  const Cls = (nn as Record<string, new (o?: unknown) => { options: Record<string, unknown> }>)[spec.nn];

  it('defaults: nn exposes every option with its default', () => {
    const defaults = Object.fromEntries(Object.entries(spec.options).map(([k, o]) => [k, o.default]));
    expect(new Cls().options).toEqual(defaults);
  });

  it('unknown options and non-object options are refused, naming the function or class', () => {
    const call = (o: unknown) => () => (f as unknown as (...a: unknown[]) => unknown)(...spec.args.map(() => null), o);
    expect(call({ notAnOption: 1 })).toThrow(new RegExp(`^${name}: unknown option 'notAnOption'`));
    expect(call('sum')).toThrow(new RegExp(`^${name}: argument 'options' must be an object`));
    expect(() => new Cls({ notAnOption: 1 })).toThrow(new RegExp(`^${spec.nn}: unknown option 'notAnOption'`));
    expect(() => new Cls(3)).toThrow(new RegExp(`^${spec.nn}: argument 'options' must be an object`));
  });

  for (const [opt, o] of Object.entries(spec.options)) {
    it(`'${opt}': every bad value is refused before any tensor is looked at (F and nn)`, () => {
      for (const bad of o.bad) {
        const mention = opt === 'reduction' ? 'reduction' : `'${opt}'`;
        // Options are parsed first: the tensor arguments (nulls here) are never reached.
        const call = () => (f as unknown as (...a: unknown[]) => unknown)(...spec.args.map(() => null), { [opt]: bad });
        expect(call, `${name}({ ${opt}: ${String(bad)} })`).toThrow(new RegExp(`^${name}: .*${mention}`));
        expect(() => new Cls({ [opt]: bad }), `new nn.${spec.nn}({ ${opt}: ${String(bad)} })`).toThrow(new RegExp(`^${spec.nn}: .*${mention}`));
      }
    });
  }
});
