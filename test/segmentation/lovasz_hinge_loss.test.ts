import { describeGolden } from '../helpers/golden.js';

describeGolden('lovasz_hinge_loss');
