import { describeGolden } from '../helpers/golden.js';

describeGolden('mcc_loss');
