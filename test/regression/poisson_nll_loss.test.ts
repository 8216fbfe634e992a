import { describeGolden } from '../helpers/golden.js';

describeGolden('poisson_nll_loss');
