// `F`: the functional API, one function per loss, named as torch.nn.functional in camelCase.
export * from './gaussian_nll_loss.js';
export * from './huber_loss.js';
export * from './l1_loss.js';
export * from './log_cosh.js';
export * from './mean_absolute_percentage_error.js';
export * from './mean_squared_logarithmic_error.js';
export * from './mse_loss.js';
export * from './poisson_nll_loss.js';
export * from './smooth_l1_loss.js';
export * from './cross_entropy.js';
