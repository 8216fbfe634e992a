import { describeGolden } from '../helpers/golden.js';

describeGolden('pairwise_distance');
