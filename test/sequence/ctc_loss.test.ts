import { describeGolden } from '../helpers/golden.js';

describeGolden('ctc_loss');
