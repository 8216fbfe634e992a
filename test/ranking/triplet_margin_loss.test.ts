import { describeGolden } from '../helpers/golden.js';

describeGolden('triplet_margin_loss');
