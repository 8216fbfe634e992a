import { describeGolden } from '../helpers/golden.js';

describeGolden('quality_focal_loss');
