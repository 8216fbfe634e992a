// The public API, shared by the two entry points: `lossfn` (index.ts, the module inlined) and
// `lossfn/slim` (slim.ts, the module passed to init()).

export {
  defaultWasmVariant, hasRelaxedSimd, isInitialized, memoryBytes, release, wasmVariant, type InitOptions, type WasmSource, type WasmVariant,
} from './wasm/runtime.js';
export { terminateThreads, threadCount, threadsUnavailableReason } from './threads.js';
export {
  Tensor, tensor, type DType, type FloatDType, type IntDType, type TensorOptions, type BackwardOptions,
  type GradFn, type NestedNumbers,
} from './tensor.js';
export type { Reduction } from './reduction.js';
export * as F from './functional/index.js';
export { nn, type NN } from './nn/index.js';
export * as ops from './ops/index.js';
export { ABI_VERSION } from './wasm/abi.js';
export * as metrics from './metrics/index.js';
export { WasmTensor, wasmTensor, type WasmTensorOptions } from './wasm_tensor.js';
