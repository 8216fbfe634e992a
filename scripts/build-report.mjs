// Builds dist/report/, the `lossfn/report` entry (package.json exports): bundles ts/report with
// esbuild, Observable Plot (and its d3 modules) inside, so the package keeps no runtime
// `dependencies`; linkedom, the DOM that Plot draws into under Node, goes to a chunk of its own
// that only a `document`-less runtime imports (a browser page never fetches it). The library
// stays external: '../index.js' is dist/index.js, the same build users import. Declarations
// come from tsc (tsconfig.report.json); the licences of the bundled packages (read from the
// metafile, so the list follows the bundle) go to THIRD_PARTY_LICENSES.txt.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// --no-check (tests rebuilding a stale bundle): keep the declarations, skip tsc.
const check = !process.argv.includes('--no-check');
for (const f of existsSync(`${root}dist/report`) ? readdirSync(`${root}dist/report`, { recursive: true }).map(String) : []) {
  if (f.endsWith('.js') || (check && f.endsWith('.d.ts'))) rmSync(`${root}dist/report/${f}`, { force: true });
}
if (check) execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', `${root}tsconfig.report.json`], { stdio: 'inherit' });
const result = await build({
  entryPoints: { index: `${root}ts/report/index.ts` },
  outdir: `${root}dist/report`,
  bundle: true,
  splitting: true,
  platform: 'neutral',
  mainFields: ['module', 'main'],
  format: 'esm',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  chunkNames: 'chunks/[name]-[hash]',
  metafile: true,
  logLevel: 'warning',
  plugins: [{
    name: 'lossfn-external',
    setup(b) {
      // ts/report/*.ts import '../index.js', ts/report/families/*.ts '../../index.js': both are
      // the library, dist/index.js, one level above every output file of dist/report/.
      b.onResolve({ filter: /^(\.\.\/)+index\.js$/ }, (a) => (a.importer.includes(`${'ts'}/report`) ? { path: '../index.js', external: true } : undefined));
    },
  }],
});
// Chunks live in dist/report/chunks/, so their imports of the library need one more '../'.
for (const [file, meta] of Object.entries(result.metafile.outputs)) {
  if (!file.includes('/chunks/') || !meta.imports.some((i) => i.path === '../index.js')) continue;
  throw new Error(`build-report: chunk ${file} imports the library; keep lossfn calls out of lazily loaded code`);
}
// Only the inputs that put bytes into an output: d3's umbrella module parses every d3 package,
// the bundle keeps the ones Plot uses.
writeLicenses(Object.values(result.metafile.outputs).flatMap((o) => Object.entries(o.inputs).filter(([, i]) => i.bytesInOutput > 0).map(([f]) => f)));
const files = readdirSync(`${root}dist/report`, { recursive: true }).filter((f) => String(f).endsWith('.js'));
console.log(`build-report: ${files.map((f) => `dist/report/${f} ${statSync(`${root}dist/report/${f}`).size} bytes`).join(', ')}`);

/** THIRD_PARTY_LICENSES.txt: name, version and licence text of every package bundled into dist/report. */
function writeLicenses(inputs) {
  const pkgs = new Map();
  for (const f of inputs) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f);
    if (m) pkgs.set(m[1], `${root}node_modules/${m[1]}`);
  }
  const parts = [...pkgs].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, dir]) => {
    const pj = JSON.parse(readFileSync(`${dir}/package.json`, 'utf8'));
    const lic = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(f));
    if (!lic) throw new Error(`build-report: ${name} has no licence file to ship`);
    return `${name}@${pj.version} (${pj.license})\n${'-'.repeat(72)}\n${readFileSync(`${dir}/${lic}`, 'utf8').trim()}\n`;
  });
  const head = 'Third-party software bundled into lossfn/report (dist/report/): Observable Plot and the\npackages it uses, and linkedom (Node only, in its own chunk) with its dependencies.\n';
  writeFileSync(`${root}THIRD_PARTY_LICENSES.txt`, `${head}\n${parts.join('\n')}`);
  if (!existsSync(`${root}THIRD_PARTY_LICENSES.txt`)) throw new Error('build-report: licences not written');
}
