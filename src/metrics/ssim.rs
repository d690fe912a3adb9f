//! SSIM and MS-SSIM with TensorFlow's conventions (docs/methods.md §6), i.e. what
//! `tf.image.ssim` and `tf.image.ssim_multiscale(a, b, max_val)` compute for
//! one-channel images; the paper evaluated and trained with the latter.
//!
//! References: Wang, Bovik, Sheikh & Simoncelli (2004), "Image quality
//! assessment: from error visibility to structural similarity", IEEE TIP 13;
//! Wang, Simoncelli & Bovik (2003), "Multiscale structural similarity for
//! image quality assessment"; TensorFlow `image_ops_impl.py` (`_ssim_helper`,
//! `_ssim_per_channel`, `ssim_multiscale`).
//!
//! Per scale (TF's `_ssim_per_channel`), with G the 11×11 Gaussian (σ = 1.5,
//! normalised to sum 1) applied as a VALID filter (no padding, output
//! (h−10)×(w−10)), C1 = (0.01·max_val)², C2 = (0.03·max_val)²:
//! - μa = G∗a, μb = G∗b, l = (2μaμb + C1)/(μa² + μb² + C1);
//! - cs = (2(G∗ab − μaμb) + C2)/((G∗(a² + b²) − μa² − μb²) + C2);
//! - SSIM = mean over the map of l·cs; CS = mean of cs.
//!
//! MS-SSIM: 5 scales with power factors (0.0448, 0.2856, 0.3001, 0.2363,
//! 0.1333); between scales an odd side is padded by one row/column at the
//! bottom/right in TF's SYMMETRIC mode (the edge row/column repeated) and
//! the images are 2×2 average pooled (VALID); MS-SSIM = Π_{i<5} relu(CS_i)^{w_i}
//! · relu(SSIM_5)^{w_5}. Note: TF averages the product map l·cs at the last
//! scale (mean(l·cs), not mean(l)·mean(cs)); so does locus.
//!
//! The Gaussian filter is separable (TF's 2-D softmax kernel is exactly the
//! outer product of the normalised 1-D kernel); rows and output rows run in
//! parallel. Computed in f64 (TF computes in float32: expect agreement to ~1e-6).

use crate::error::{Error, Result};
use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;

/// Side of the Gaussian window.
pub const WINDOW: usize = 11;
/// σ of the Gaussian window, pixels.
pub const SIGMA: f64 = 1.5;
/// TF's MS-SSIM power factors, finest scale first.
pub const POWER_FACTORS: [f64; 5] = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333];
/// The smallest side MS-SSIM accepts: 5 scales of an 11-pixel window
/// (`ms_ssim_min_side(5)`).
pub const MS_SSIM_MIN_SIDE: usize = 161;
/// K1 of the luminance constant C1 = (K1·max_val)².
pub const K1: f64 = 0.01;
/// K2 of the contrast constant C2 = (K2·max_val)².
pub const K2: f64 = 0.03;

/// The stabilising constants (C1, C2) = ((K1·max_val)², (K2·max_val)²).
pub fn stability_constants(max_val: f64) -> (f64, f64) {
    ((K1 * max_val).powi(2), (K2 * max_val).powi(2))
}

/// Smallest image side MS-SSIM with `scales` scales accepts: after
/// `scales − 1` halvings (rounding up) the side must still hold the
/// [`WINDOW`]-pixel window (161 px for 5 scales, 11 px for 1).
pub fn ms_ssim_min_side(scales: usize) -> usize {
    let mut side = WINDOW;
    for _ in 1..scales.max(1) {
        // The smallest s with ⌈s/2⌉ ≥ side.
        side = 2 * side - 1;
    }
    side
}

/// The normalised 1-D Gaussian: exp(−½ (i − 5)²/σ²) / Σ, i = 0..11.
pub fn gaussian_1d() -> [f64; WINDOW] {
    let mut g = [0.0; WINDOW];
    let c = (WINDOW as f64 - 1.0) / 2.0;
    for (i, v) in g.iter_mut().enumerate() {
        let d = i as f64 - c;
        *v = (-0.5 * d * d / (SIGMA * SIGMA)).exp();
    }
    let s: f64 = g.iter().sum();
    g.iter_mut().for_each(|v| *v /= s);
    g
}

/// (SSIM, CS) of one scale: the means over the VALID map of l·cs and of cs.
/// Both images must be at least 11×11 (checked by the callers).
pub(crate) fn ssim_per_channel(x: ArrayView2<f64>, y: ArrayView2<f64>, max_val: f64) -> (f64, f64) {
    let g = gaussian_1d();
    let (h, w) = x.dim();
    let (oh, ow) = (h + 1 - WINDOW, w + 1 - WINDOW);
    let (c1, c2) = stability_constants(max_val);
    let (x, y) = (x.as_standard_layout(), y.as_standard_layout());
    // A standard-layout array is one contiguous slice, so these never fail.
    let xs = x.as_slice().expect("standard layout");
    let ys = y.as_slice().expect("standard layout");
    // Horizontal pass: four filtered maps (of a, b, ab, a² + b²), each h × ow,
    // one row at a time; the loops run over output columns innermost so they
    // vectorise.
    let mut hz: [Vec<f64>; 4] = std::array::from_fn(|_| crate::frc::filled_huge(h * ow, 0.0));
    let [h0, h1, h2, h3] = &mut hz;
    h0.par_chunks_mut(ow)
        .zip(h1.par_chunks_mut(ow))
        .zip(h2.par_chunks_mut(ow))
        .zip(h3.par_chunks_mut(ow))
        .enumerate()
        .for_each_init(
            || (vec![0.0; w], vec![0.0; w]),
            |(prod, sq), (r, (((o0, o1), o2), o3))| {
                let (xr, yr) = (&xs[r * w..(r + 1) * w], &ys[r * w..(r + 1) * w]);
                for ((p, s), (&a, &b)) in prod.iter_mut().zip(sq.iter_mut()).zip(xr.iter().zip(yr)) {
                    *p = a * b;
                    *s = a * a + b * b;
                }
                filter_row(xr, &g, o0);
                filter_row(yr, &g, o1);
                filter_row(prod, &g, o2);
                filter_row(sq, &g, o3);
            },
        );
    // Vertical pass per output row, reduced straight into the two sums.
    let (sum_ssim, sum_cs) = (0..oh)
        .into_par_iter()
        .map_init(
            || {
                [
                    vec![0.0f64; ow],
                    vec![0.0f64; ow],
                    vec![0.0f64; ow],
                    vec![0.0f64; ow],
                ]
            },
            |acc, r| {
                for (k, a) in acc.iter_mut().enumerate() {
                    a.fill(0.0);
                    for (t, &gt) in g.iter().enumerate() {
                        let src = &hz[k][(r + t) * ow..(r + t + 1) * ow];
                        for (v, &s) in a.iter_mut().zip(src) {
                            *v += gt * s;
                        }
                    }
                }
                let (mut ss, mut sc) = (0.0, 0.0);
                let [a0, a1, a2, a3] = &*acc;
                for (((&m0, &m1), &sab), &ssq) in a0.iter().zip(a1).zip(a2).zip(a3) {
                    let num0 = m0 * m1 * 2.0;
                    let den0 = m0 * m0 + m1 * m1;
                    let lum = (num0 + c1) / (den0 + c1);
                    let cs = (sab * 2.0 - num0 + c2) / (ssq - den0 + c2);
                    ss += lum * cs;
                    sc += cs;
                }
                (ss, sc)
            },
        )
        .reduce(|| (0.0, 0.0), |p, q| (p.0 + q.0, p.1 + q.1));
    let m = (oh * ow) as f64;
    (sum_ssim / m, sum_cs / m)
}

/// out[c] = Σ_t g[t]·src[c + t] (VALID filtering of one row).
fn filter_row(src: &[f64], g: &[f64; WINDOW], out: &mut [f64]) {
    out.fill(0.0);
    for (t, &gt) in g.iter().enumerate() {
        for (o, &v) in out.iter_mut().zip(&src[t..]) {
            *o += gt * v;
        }
    }
}

pub(crate) fn check_max_val(max_val: f64) -> Result<()> {
    if !(max_val.is_finite() && max_val > 0.0) {
        return Err(Error::arg(
            "max_val",
            format!("must be a positive number, got {max_val}"),
        ));
    }
    Ok(())
}

fn to_f64(img: ArrayView2<f32>) -> Array2<f64> {
    img.mapv(f64::from)
}

/// SSIM of two single-channel images with TF's conventions (`tf.image.ssim`):
/// the mean over the VALID 11×11 Gaussian-filtered map of l·cs.
///
/// - `max_val`: the dynamic range (2 for images in [−1, 1]; 1 for [0, 1]).
/// - Errors: different shapes, non-finite values, sides < 11 px.
///
/// SSIM(x, x) = 1.
pub fn ssim(a: ArrayView2<f32>, b: ArrayView2<f32>, max_val: f64) -> Result<f64> {
    super::check_pair(&a, &b)?;
    check_max_val(max_val)?;
    let (h, w) = a.dim();
    if h < WINDOW || w < WINDOW {
        return Err(Error::arg(
            "image",
            format!(
                "ssim needs images of at least {WINDOW}×{WINDOW} pixels (the Gaussian window), got {w}×{h}"
            ),
        ));
    }
    Ok(ssim_per_channel(to_f64(a).view(), to_f64(b).view(), max_val).0)
}

/// Pad an odd side by one row/column at the bottom/right with TF's SYMMETRIC
/// mode (the edge repeated), then 2×2 average pool (VALID).
fn downsample(x: &Array2<f64>) -> Array2<f64> {
    let (h, w) = x.dim();
    let (nh, nw) = (h.div_ceil(2), w.div_ceil(2));
    Array2::from_shape_fn((nh, nw), |(r, c)| {
        let (r0, c0) = (2 * r, 2 * c);
        let (r1, c1) = ((2 * r + 1).min(h - 1), (2 * c + 1).min(w - 1));
        0.25 * (x[(r0, c0)] + x[(r1, c0)] + x[(r0, c1)] + x[(r1, c1)])
    })
}

/// MS-SSIM with TF's conventions (`tf.image.ssim_multiscale(a, b, max_val)`,
/// default power factors): see the module doc for the formula.
///
/// - `max_val`: the dynamic range (the paper: 2 for images in [−1, 1]).
/// - Errors: different shapes, non-finite values, sides < 161 px (5 scales
///   of the 11-pixel window need 161 → 81 → 41 → 21 → 11).
///
/// MS-SSIM(x, x) = 1; a scale with negative CS makes it 0 (ReLU).
pub fn ms_ssim(a: ArrayView2<f32>, b: ArrayView2<f32>, max_val: f64) -> Result<f64> {
    super::check_pair(&a, &b)?;
    check_max_val(max_val)?;
    let (h, w) = a.dim();
    if h < MS_SSIM_MIN_SIDE || w < MS_SSIM_MIN_SIDE {
        return Err(Error::arg(
            "image",
            format!(
                "ms_ssim needs sides of at least {MS_SSIM_MIN_SIDE} pixels (5 scales of an \
                 {WINDOW}-pixel window), got {w}×{h}"
            ),
        ));
    }
    let mut x = to_f64(a);
    let mut y = to_f64(b);
    let mut result = 1.0;
    for (k, &p) in POWER_FACTORS.iter().enumerate() {
        crate::interrupt::check()?;
        if k > 0 {
            x = downsample(&x);
            y = downsample(&y);
        }
        let (s, cs) = ssim_per_channel(x.view(), y.view(), max_val);
        let v = if k + 1 == POWER_FACTORS.len() { s } else { cs };
        result *= v.max(0.0).powf(p);
    }
    Ok(result)
}
