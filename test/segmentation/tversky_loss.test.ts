import { describeGolden } from '../helpers/golden.js';

describeGolden('tversky_loss');
