// The loss table: every loss's descriptor, in one list (taken from the `F` functions, each of
// which carries its descriptor as `.spec`; ts/table.ts has the machinery).

import * as F from './functional/index.js';
import { isLoss, type AnyLoss } from './table.js';

/** Every loss, in the order of the `F` namespace. */
export const LOSSES: readonly AnyLoss[] = (Object.values(F) as unknown[]).filter(isLoss);
