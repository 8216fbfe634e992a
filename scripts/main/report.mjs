// `npm start`, last section: how different the losses are, as lossfn/report's comparison report
// (every family on its built-in data): the text summary, and the HTML page written to `out`.
// Wired by scripts/main.mjs; `lossfn compare` writes the same page.

import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { compare } from 'lossfn/report';

export async function section(out) {
  console.log('\n## How different are the losses (lossfn/report, built-in data of every family)\n');
  const { summary, html } = await compare();
  process.stdout.write(summary);
  writeFileSync(out, html);
  console.log(`\nReport written to ${resolve(out)}`);
}
