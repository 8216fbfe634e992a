import { describeGolden } from '../helpers/golden.js';

describeGolden('complete_box_iou');
