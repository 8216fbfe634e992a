import { describeGolden } from '../helpers/golden.js';

describeGolden('distribution_focal_loss');
