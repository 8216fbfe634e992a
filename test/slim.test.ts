// lossfn/slim: the API without the inlined module; init() needs the module passed in.
// (Vitest isolates test files: this one never loads ts/index.ts, so no default is registered.)
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { F, init, tensor } from '../ts/slim.js';

it('init() without a module explains what to pass; with the bytes it works', async () => {
  await expect(init()).rejects.toThrow(/lossfn\/slim.*init\(\{ wasm: import\.meta\.resolve\('lossfn\/lossfn\.wasm'\) \}\)/);
  await init({ wasm: new Uint8Array(readFileSync(new URL('../dist/lossfn.wasm', import.meta.url))) });
  expect(F.mseLoss(tensor([1, 2]), tensor([0, 0])).item()).toBe(2.5); // (1 + 4) / 2
});

it("the hint's init({ wasm: import.meta.resolve('lossfn/lossfn.wasm') }) works in Node (the built package, by name)", async () => {
  // The repo imports itself by package name (Node's self-reference through "exports").
  const code = [
    "import { init, F, tensor } from 'lossfn/slim';",
    "await init({ wasm: import.meta.resolve('lossfn/lossfn.wasm') });",
    'console.log(F.mseLoss(tensor([1, 2]), tensor([0, 0])).item());',
  ].join('\n');
  const out = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', code], { cwd: fileURLToPath(new URL('..', import.meta.url)) }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
    );
  });
  expect(out.trim()).toBe('2.5');
});

it('the slim entry point does not import the inlined bytes', () => {
  const src = readFileSync(new URL('../ts/slim.ts', import.meta.url), 'utf8') + readFileSync(new URL('../ts/api.ts', import.meta.url), 'utf8');
  expect(src).not.toMatch(/bytes\.js/);
});
