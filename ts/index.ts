// lossfn: machine-learning losses and their gradients, in WebAssembly SIMD, with PyTorch's
// semantics. `await init()` once, then `F.<loss>(...)` or `new nn.<Loss>().forward(...)`.

export { init, isInitialized, memoryBytes, type InitOptions, type WasmSource } from './wasm/runtime.js';
export {
  Tensor, tensor, type DType, type FloatDType, type IntDType, type TensorOptions, type BackwardOptions,
  type GradFn, type NestedNumbers,
} from './tensor.js';
export type { Reduction } from './reduction.js';
export * as F from './functional/index.js';
export * as nn from './nn/index.js';
export { ABI_VERSION } from './wasm/abi.js';
