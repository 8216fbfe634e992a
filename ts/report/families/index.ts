// The families this build's report knows, in report order. A family is one file beside this
// one (family.ts says what it supplies); adding one here adds its section, its --family name
// and its user-data inference.

import { classification } from './classification.js';
import type { Dataset, Family } from './family.js';
import { localization } from './localization.js';
import { ranking } from './ranking.js';
import { regression } from './regression.js';
import { segmentation } from './segmentation.js';
import { sequence } from './sequence.js';

export const FAMILIES: Family<Dataset>[] = [
  regression as unknown as Family<Dataset>,
  classification as unknown as Family<Dataset>,
  localization as unknown as Family<Dataset>,
  segmentation as unknown as Family<Dataset>,
  ranking as unknown as Family<Dataset>,
  sequence as unknown as Family<Dataset>,
];

export const familyNames = (): string[] => FAMILIES.map((f) => f.name);
