import { describeGolden } from '../helpers/golden.js';

describeGolden('mse_loss');
