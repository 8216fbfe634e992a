import { describeGolden } from '../helpers/golden.js';

describeGolden('nt_xent_loss');
