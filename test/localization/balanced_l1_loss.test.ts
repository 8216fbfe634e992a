import { describeGolden } from '../helpers/golden.js';

describeGolden('balanced_l1_loss');
