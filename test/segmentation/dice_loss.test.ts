import { describeGolden } from '../helpers/golden.js';

describeGolden('dice_loss');
