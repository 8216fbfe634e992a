import { describeGolden } from '../helpers/golden.js';

describeGolden('distance_box_iou');
