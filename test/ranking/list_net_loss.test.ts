import { describeGolden } from '../helpers/golden.js';

describeGolden('list_net_loss');
