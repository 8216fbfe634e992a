import { describeGolden } from '../helpers/golden.js';

describeGolden('varifocal_loss');
