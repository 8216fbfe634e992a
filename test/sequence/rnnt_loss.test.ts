import { describeGolden } from '../helpers/golden.js';

describeGolden('rnnt_loss');
