import { describeGolden } from '../helpers/golden.js';

describeGolden('smooth_l1_loss');
