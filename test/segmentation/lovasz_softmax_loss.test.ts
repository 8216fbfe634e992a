import { describeGolden } from '../helpers/golden.js';

describeGolden('lovasz_softmax_loss');
