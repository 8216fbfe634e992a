import { describeGolden } from '../helpers/golden.js';

describeGolden('margin_ranking_loss');
