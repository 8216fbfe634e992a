// Builds dist/cli.js, the `lossfn` command (package.json `bin`): type-checks ts/cli (Node types,
// tsconfig.cli.json), then bundles ts/cli/main.ts with esbuild into one ESM file that carries
// its format, argument and progress libraries (apache-arrow, hyparquet, csv-parse, fflate,
// cli-progress), so the package keeps no runtime `dependencies` and the library entry points
// (`lossfn`, `lossfn/slim`) stay free of them. The library itself is not bundled: '../index.js'
// stays an import of dist/index.js, so the CLI and its workers use the same build as users do.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
if (!process.argv.includes('--no-check')) {
  execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', `${root}tsconfig.cli.json`], { stdio: 'inherit' });
}
await build({
  entryPoints: [`${root}ts/cli/main.ts`],
  outfile: `${root}dist/cli.js`,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  legalComments: 'eof',
  logLevel: 'warning',
  banner: {
    // Shebang for the bin; a require() for the CommonJS libraries bundled into ESM.
    js: "#!/usr/bin/env node\nimport { createRequire as __lossfnRequire } from 'node:module'; const require = __lossfnRequire(import.meta.url);",
  },
  plugins: [{
    name: 'lossfn-external',
    setup(b) {
      // The library: dist/index.js beside dist/cli.js.
      b.onResolve({ filter: /^\.\.\/index\.js$/ }, () => ({ path: './index.js', external: true }));
      // The report (lossfn compare): dist/report/index.js, loaded on demand, so Plot and
      // linkedom stay in dist/report/ and `lossfn eval` never loads them.
      b.onResolve({ filter: /^\.\.\/report\/index\.js$/ }, () => ({ path: './report/index.js', external: true }));
    },
  }],
});
chmodSync(`${root}dist/cli.js`, 0o755);
console.log(`build-cli: dist/cli.js ${statSync(`${root}dist/cli.js`).size} bytes`);
