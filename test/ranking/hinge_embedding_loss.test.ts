import { describeGolden } from '../helpers/golden.js';

describeGolden('hinge_embedding_loss');
