import { describeGolden } from '../helpers/golden.js';

describeGolden('mean_squared_logarithmic_error');
