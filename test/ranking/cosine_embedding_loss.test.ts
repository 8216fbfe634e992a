import { describeGolden } from '../helpers/golden.js';

describeGolden('cosine_embedding_loss');
