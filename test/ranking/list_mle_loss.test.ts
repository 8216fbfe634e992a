import { describeGolden } from '../helpers/golden.js';

describeGolden('list_mle_loss');
