import { describeGolden } from '../helpers/golden.js';

describeGolden('sup_con_loss');
