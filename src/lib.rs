//! locus: a scripting workbench for single-molecule localization microscopy (SMLM).
//!
//! The numerics live in plain modules that know nothing of the scripting
//! language: [`locs`] (localization tables, file formats, simulation,
//! rendering), [`image`] (rasters and image files), [`density`] (Gaussian KDE
//! and the anisotropic adaptive KDE), [`frc`] (Fourier ring correlation),
//! [`metrics`] (MSE, PSNR, SSIM, MS-SSIM), [`preprocess`] (drift, NeNA,
//! linking), [`plot`] (figures) and [`nn`] (the U-Net). [`script`]
//! registers them with the Rhai engine; the binary's REPL and command line
//! sit on top.

pub mod density;
pub mod error;
pub mod fmt;
pub mod frc;
pub mod host;
pub mod image;
pub mod interrupt;
pub mod locs;
pub mod metrics;
pub mod nn;
pub mod pager;
pub mod plot;
pub mod preprocess;
pub mod progress;
pub mod script;
#[cfg(test)]
pub(crate) mod testdata;

pub use error::{Error, Result};
