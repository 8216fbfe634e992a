import { describeGolden } from '../helpers/golden.js';

describeGolden('cross_entropy');
