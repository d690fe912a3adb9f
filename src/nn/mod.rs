//! The U-Net of the paper in candle (METHODS.md §7).
pub mod ops;
