//! smp's `MCCLoss`: `1 − MCC` of probabilities as they are (no activation) against a binary
//! target, over every element together, with `eps` added to each of TP, TN, FP, FN (see
//! [`super::segmentation::mcc`]). The four counts are the plane pass's sums of one class,
//! accumulated in f64.

pub use super::segmentation::mcc;
