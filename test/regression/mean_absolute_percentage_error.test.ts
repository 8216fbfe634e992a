import { describeGolden } from '../helpers/golden.js';

describeGolden('mean_absolute_percentage_error');
