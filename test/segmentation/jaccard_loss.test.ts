import { describeGolden } from '../helpers/golden.js';

describeGolden('jaccard_loss');
