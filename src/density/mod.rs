//! Density estimation on rendered localization images (docs/methods.md §3–4).
//!
//! - [`gaussian`]: the Gaussian kernel density estimate, a separable Gaussian
//!   filter matching `scipy.ndimage.gaussian_filter(mode="nearest", truncate=4)`
//!   (docs/methods.md §3).
//! - [`akde`]: the anisotropic adaptive kernel density estimate of the paper
//!   (paper eqs. 1, 3 and 4; docs/methods.md §4), with the paper code's border behaviour as
//!   [`Border::Skip`] and a mass-conserving [`Border::Clip`] (default);
//!   [`akde_kernel`] returns the kernel one pixel would be spread with.
//! - [`threshold`]: set values below a threshold to 0 (the paper removed
//!   isolated localizations with `img[img < 2] = 0` before the AKDE).

pub mod akde;
pub mod gaussian;

pub use akde::{akde, akde_kernel, threshold, AkdeOptions, Border};
pub use gaussian::gaussian;
