import { describeGolden } from '../helpers/golden.js';

describeGolden('box_convert');
