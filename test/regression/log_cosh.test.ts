import { describeGolden } from '../helpers/golden.js';

describeGolden('log_cosh');
