import { describeGolden } from '../helpers/golden.js';

describeGolden('gaussian_nll_loss');
