// `nn`: loss classes named as torch.nn (or Keras for the Keras-origin losses).
export { Loss } from './loss.js';
export * from './regression.js';
export * from './classification.js';
export * from './binary.js';
export * from './localization.js';
