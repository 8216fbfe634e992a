import { describeGolden } from '../helpers/golden.js';

describeGolden('generalized_dice_loss');
