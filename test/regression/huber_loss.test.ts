import { describeGolden } from '../helpers/golden.js';

describeGolden('huber_loss');
