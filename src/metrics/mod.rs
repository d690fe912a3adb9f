//! Image quality metrics (docs/methods.md §6; paper "Results", evaluation by PSNR,
//! MSE, MS-SSIM and area-FRC): [`mse`], [`psnr`], [`ssim`], [`ms_ssim`]
//! (TensorFlow's conventions, see [`ssim`](mod@ssim)) and [`evaluate`],
//! which computes the paper's four evaluation numbers at once.
//!
//! - MSE = mean((a − b)²), in f64.
//! - PSNR = 10·log10(max_val² / MSE) dB (as `tf.image.psnr`); identical
//!   images give +∞.
//! - `max_val` is the dynamic range: 2 for images normalised to [−1, 1]
//!   (the U-Net's range, the default of the script functions).

pub mod ssim;

pub use ssim::{gaussian_1d, ms_ssim, ssim, MS_SSIM_MIN_SIDE, POWER_FACTORS};

use crate::error::{Error, Result};
use ndarray::{ArrayView2, Zip};

/// The default `max_val`: images in [−1, 1].
pub const DEFAULT_MAX_VAL: f64 = 2.0;

pub(crate) fn check_pair(a: &ArrayView2<f32>, b: &ArrayView2<f32>) -> Result<()> {
    if a.dim() != b.dim() {
        return Err(Error::Shape(format!(
            "images must have the same shape: a is {}×{}, b is {}×{} (width×height)",
            a.ncols(),
            a.nrows(),
            b.ncols(),
            b.nrows()
        )));
    }
    for (name, img) in [("a", a), ("b", b)] {
        if img.is_empty() {
            return Err(Error::arg(name, "image is empty (0 pixels)"));
        }
        crate::frc::check_finite(name, img)?;
    }
    Ok(())
}

/// Mean squared error, mean((a − b)²), computed in f64.
/// Errors: different shapes, empty images, non-finite values.
pub fn mse(a: ArrayView2<f32>, b: ArrayView2<f32>) -> Result<f64> {
    check_pair(&a, &b)?;
    let mut s = 0.0f64;
    Zip::from(&a).and(&b).for_each(|&x, &y| {
        let d = x as f64 - y as f64;
        s += d * d;
    });
    Ok(s / a.len() as f64)
}

/// The default `max_val` for PSNR and (MS-)SSIM: 2 when both images lie in
/// [−1, 1] (the network's range, docs/methods.md §6), else the target's value range.
pub fn default_max_val(pred: ArrayView2<f32>, target: ArrayView2<f32>) -> Result<f64> {
    let range = |a: &ArrayView2<f32>| {
        a.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v as f64), hi.max(v as f64))
        })
    };
    let (pl, ph) = range(&pred);
    let (tl, th) = range(&target);
    if pl.min(tl) >= -1.0 && ph.max(th) <= 1.0 {
        return Ok(2.0);
    }
    let r = th - tl;
    if r > 0.0 && r.is_finite() {
        Ok(r)
    } else {
        Err(Error::arg(
            "max_val",
            "the target is constant (or empty) and outside [-1, 1]; pass max_val explicitly",
        ))
    }
}

/// Peak signal-to-noise ratio in dB: 10·log10(max_val² / MSE).
/// `max_val` (> 0) is the dynamic range, 2 for images in [−1, 1]. Identical
/// images give `f64::INFINITY`.
pub fn psnr(a: ArrayView2<f32>, b: ArrayView2<f32>, max_val: f64) -> Result<f64> {
    ssim::check_max_val(max_val)?;
    let m = mse(a, b)?;
    Ok(if m == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (max_val * max_val / m).log10()
    })
}

/// The paper's evaluation numbers for a prediction against its target.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Evaluation {
    /// Mean squared error.
    pub mse: f64,
    /// PSNR in dB (+∞ for identical images).
    pub psnr: f64,
    /// MS-SSIM (TF conventions).
    pub ms_ssim: f64,
    /// Area-FRC up to `frc_fraction` of Nyquist ([`crate::frc::area_frc`]).
    pub area_frc: f64,
}

/// MSE, PSNR and MS-SSIM (with `max_val`, 2 for images in [−1, 1]) and the
/// area-FRC up to `frc_fraction` of Nyquist (the paper: 0.2) of `pred`
/// against `target` (docs/methods.md §6–7). The area-FRC ignores the mean, so it
/// is the same for x and (x + 1)/2. Errors as [`ms_ssim`] (sides ≥ 161 px)
/// and [`crate::frc::area_frc`].
pub fn evaluate(
    pred: ArrayView2<f32>,
    target: ArrayView2<f32>,
    max_val: f64,
    frc_fraction: f64,
) -> Result<Evaluation> {
    let mse_v = mse(pred, target)?;
    let psnr_v = psnr(pred, target, max_val)?;
    let (ms, af) = rayon::join(
        || ms_ssim(pred, target, max_val),
        || crate::frc::area_frc(pred, target, frc_fraction),
    );
    Ok(Evaluation {
        mse: mse_v,
        psnr: psnr_v,
        ms_ssim: ms?,
        area_frc: af?,
    })
}

#[cfg(test)]
mod tests;
