import { describeGolden } from '../helpers/golden.js';

describeGolden('approx_ndcg_loss');
