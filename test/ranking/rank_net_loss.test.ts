import { describeGolden } from '../helpers/golden.js';

describeGolden('rank_net_loss');
