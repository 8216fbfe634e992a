import { describeGolden } from '../helpers/golden.js';

describeGolden('l1_loss');
