import { describeGolden } from '../helpers/golden.js';

describeGolden('efficient_box_iou_loss');
