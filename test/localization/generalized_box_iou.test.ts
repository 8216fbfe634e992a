import { describeGolden } from '../helpers/golden.js';

describeGolden('generalized_box_iou');
