// Functional ops that are not losses (box utilities, decoders, distances): `ops.<name>`.
// One re-export line per family module.
export {};
export * from './sequence.js';
export * from './localization.js';
export * from './ranking.js';
