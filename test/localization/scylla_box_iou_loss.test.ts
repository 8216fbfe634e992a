import { describeGolden } from '../helpers/golden.js';

describeGolden('scylla_box_iou_loss');
