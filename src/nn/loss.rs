//! Differentiable training losses in candle ops (docs/methods.md §5 area-FRC, §6
//! MS-SSIM, §7 loss): every function takes `(N, 1, H, W)` tensors and is
//! differentiable with respect to its first argument.
//!
//! * [`ms_ssim`]: TensorFlow's `tf.image.ssim_multiscale` — Gaussian window
//!   11×11, σ 1.5, VALID filtering, C1 = (0.01·max_val)², C2 = (0.03·max_val)²,
//!   cs at scales 1..S−1 and l·cs at scale S averaged over the valid map,
//!   2×2 average pooling between scales (an odd side first padded by repeating
//!   its last row/column), weights (0.0448, 0.2856, 0.3001, 0.2363, 0.1333).
//!   (Window, σ, C1/C2 and weights are defined once, in
//!   [`crate::metrics::ssim`], and shared with the evaluation metric.)
//!   Each factor is clamped with `maximum(1e-6)` instead of TF's ReLU (ReLU
//!   then `powf` has NaN gradients at cs ≤ 0, docs/methods.md §7 "Known traps"); the
//!   value differs from TF only where TF would give 0. With S < 5 scales (small
//!   patches) the first S weights are used, renormalised to sum 1.
//! * [`AreaFrc`]: area(φ) = mean of FRC(q) over rings q = 1..Q, Q = ⌊φ·N/2⌋ (at most ⌈N/2⌉ − 1, the
//!   last ring of the FRC curve),
//!   N = max(H, W) (a non-square image is zero-padded to N×N at the
//!   bottom/right), with FRC(q) = Σ_q Re(F₁F₂*) / √(Σ_q|F₁|² Σ_q|F₂|²) over the
//!   pixels q ≤ √(kx²+ky²) < q+1 (floor rings, no Tukey window), exactly
//!   docs/methods.md §5. The DFT is evaluated only at frequencies |k| ≤ Q as two
//!   matrix products with precomputed cos/sin matrices (rows k, columns the
//!   pixel index: cos(2πky/N), sin(2πky/N)); the ring sums are one product with
//!   a 0/1 ring-membership matrix. A ring with zero power contributes 0. The
//!   loss uses the images mapped to [0, 1] by (x + 1)/2 (which leaves FRC(q ≥ 1)
//!   unchanged).
//! * [`l1`], [`mse`]: mean absolute / squared difference.
//! * [`Loss`]: w_ssim·(1 − MS-SSIM(max_val 2)) + w_frc·(1 − area-FRC) +
//!   w_l1·L1 + w_mse·MSE, every term reported separately ([`LossTerms`]).

use crate::error::{Error, Result};
use crate::nn::ops;
use candle_core::{DType, Device, Tensor, D};
use serde::{Deserialize, Serialize};

// The window, its σ, C1/C2 and the scale weights are those of the evaluation
// metric: one definition, in `crate::metrics::ssim`.
use crate::metrics::ssim::{gaussian_1d, ms_ssim_min_side, stability_constants, POWER_FACTORS, WINDOW};
const CLAMP: f64 = 1e-6;

fn check_pair(a: &Tensor, b: &Tensor, what: &str) -> Result<(usize, usize, usize)> {
    if a.dims() != b.dims() {
        return Err(Error::Shape(format!(
            "{what}: prediction {:?} but target {:?}",
            a.dims(),
            b.dims()
        )));
    }
    match a.dims() {
        [n, 1, h, w] => Ok((*n, *h, *w)),
        d => Err(Error::arg(
            what,
            format!("expected (batch, 1, height, width) tensors, got {d:?}"),
        )),
    }
}

/// Separable Gaussian VALID filtering of `(M, 1, H, W)`.
fn gauss_filter(x: &Tensor, kv: &Tensor, kh: &Tensor) -> candle_core::Result<Tensor> {
    let y = ops::conv2d(x, kv, 1, 0)?;
    ops::conv2d(&y, kh, 1, 0)
}

/// Per-scale (mean cs, mean l·cs) for each image: two `(N,)` tensors.
fn ssim_terms(a: &Tensor, b: &Tensor, max_val: f64, kv: &Tensor, kh: &Tensor) -> Result<(Tensor, Tensor)> {
    let n = a.dim(0)?;
    let (c1, c2) = stability_constants(max_val);
    let stack = Tensor::cat(&[a, b, &(a * b)?, &(a.sqr()? + b.sqr()?)?], 0)?;
    let f = gauss_filter(&stack, kv, kh)?;
    let mu_a = f.narrow(0, 0, n)?;
    let mu_b = f.narrow(0, n, n)?;
    let f_ab = f.narrow(0, 2 * n, n)?;
    let f_sq = f.narrow(0, 3 * n, n)?;
    let num0 = ((&mu_a * &mu_b)? * 2.0)?;
    let den0 = (mu_a.sqr()? + mu_b.sqr()?)?;
    let lum = ((&num0 + c1)? / (&den0 + c1)?)?;
    let cs = (((f_ab * 2.0)? - &num0)? + c2)?.div(&((f_sq - &den0)? + c2)?)?;
    let ssim = (lum * &cs)?;
    Ok((cs.mean((1, 2, 3))?, ssim.mean((1, 2, 3))?))
}

/// 2×2 average pooling after padding odd sides by repeating the last row/column.
fn downsample(x: &Tensor) -> candle_core::Result<Tensor> {
    let (_, _, h, w) = x.dims4()?;
    let mut x = x.clone();
    if h % 2 == 1 {
        x = Tensor::cat(&[&x, &x.narrow(2, h - 1, 1)?], 2)?;
    }
    if w % 2 == 1 {
        x = Tensor::cat(&[&x, &x.narrow(3, w - 1, 1)?], 3)?;
    }
    let (n, c, h, w) = x.dims4()?;
    x.reshape((n, c, h / 2, 2, w / 2, 2))?.mean((3, 5))
}

/// MS-SSIM of each image pair (TF conventions, see the module doc): an `(N,)`
/// tensor. `max_val`: the dynamic range (2 for images in [−1, 1]); `scales`:
/// 1..=5 (5 is TF's; needs sides ≥ [`ms_ssim_min_side`](crate::metrics::ssim::ms_ssim_min_side)).
pub fn ms_ssim(a: &Tensor, b: &Tensor, max_val: f64, scales: usize) -> Result<Tensor> {
    let (_, h, w) = check_pair(a, b, "ms_ssim")?;
    if !(1..=5).contains(&scales) {
        return Err(Error::arg(
            "ms_ssim_scales",
            format!("must be in 1..=5, got {scales}"),
        ));
    }
    if !(max_val.is_finite() && max_val > 0.0) {
        return Err(Error::arg("max_val", format!("must be positive, got {max_val}")));
    }
    let min_side = ms_ssim_min_side(scales);
    if h.min(w) < min_side {
        return Err(Error::arg(
            "ms_ssim_scales",
            format!(
                "MS-SSIM with {scales} scales needs images of at least {min_side}x{min_side} px, \
                 got {h}x{w}; use fewer scales or larger patches"
            ),
        ));
    }
    let dev = a.device();
    let g: Vec<f32> = gaussian_1d().iter().map(|&v| v as f32).collect();
    let kv = Tensor::from_vec(g.clone(), (1, 1, WINDOW, 1), dev)?;
    let kh = Tensor::from_vec(g, (1, 1, 1, WINDOW), dev)?;
    let wsum: f64 = POWER_FACTORS[..scales].iter().sum();
    let weights: Vec<f64> = if scales == 5 {
        POWER_FACTORS.to_vec()
    } else {
        POWER_FACTORS[..scales].iter().map(|w| w / wsum).collect()
    };
    let mut a = a.to_dtype(DType::F32)?;
    let mut b = b.to_dtype(DType::F32)?;
    let mut log_sum: Option<Tensor> = None;
    for (s, &wt) in weights.iter().enumerate() {
        if s > 0 {
            a = downsample(&a)?;
            b = downsample(&b)?;
        }
        let (cs, ssim) = ssim_terms(&a, &b, max_val, &kv, &kh)?;
        let factor = if s + 1 == scales { ssim } else { cs };
        let term = factor.maximum(CLAMP)?.powf(wt)?;
        log_sum = Some(match log_sum {
            None => term,
            Some(p) => (p * term)?,
        });
    }
    // scales >= 1, so the product exists.
    log_sum.ok_or_else(|| Error::Nn("internal: empty MS-SSIM product".into()))
}

/// Mean absolute difference (a scalar tensor).
pub fn l1(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    check_pair(a, b, "l1")?;
    Ok((a - b)?.abs()?.mean_all()?)
}

/// Mean squared difference (a scalar tensor).
pub fn mse(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    check_pair(a, b, "mse")?;
    Ok((a - b)?.sqr()?.mean_all()?)
}

/// The differentiable area-FRC for one image size (see the module doc);
/// precomputes the truncated DFT and ring matrices.
pub struct AreaFrc {
    h: usize,
    w: usize,
    k: usize,
    q: usize,
    /// (2K, H): cos rows then sin rows, for the row (y) transform.
    ly: Tensor,
    /// (W, 2K): transposed cos/sin for the column (x) transform.
    lxt: Tensor,
    /// (K², Q) ring membership.
    rings: Tensor,
}

impl AreaFrc {
    /// Matrices for `h × w` images and fraction φ of Nyquist (`fraction`, the
    /// paper's loss ≈ 0.39) on `device`.
    pub fn new(h: usize, w: usize, fraction: f64, device: &Device) -> Result<AreaFrc> {
        if !(fraction.is_finite() && fraction > 0.0 && fraction <= 1.0) {
            return Err(Error::arg(
                "frc_fraction",
                format!("must be in (0, 1], got {fraction}"),
            ));
        }
        let n = h.max(w);
        // Q = ⌊φ·N/2⌋, at most the last ring of the FRC curve, ⌈N/2⌉ − 1.
        let q = ((fraction * n as f64 / 2.0 + 1e-9).floor() as usize).min(n.div_ceil(2).saturating_sub(1));
        if q == 0 {
            return Err(Error::arg(
                "frc_fraction",
                format!("area-FRC of {h}x{w} images with fraction {fraction} has no rings (Q = ⌊φ·N/2⌋ = 0)"),
            ));
        }
        let lo = -((n / 2) as isize);
        let hi = n.div_ceil(2) as isize - 1;
        let ks: Vec<isize> = (-(q as isize)..=q as isize)
            .filter(|k| (lo..=hi).contains(k))
            .collect();
        let k = ks.len();
        let trig = |len: usize| -> (Vec<f32>, Vec<f32>) {
            let mut c = vec![0f32; k * len];
            let mut s = vec![0f32; k * len];
            for (r, &kk) in ks.iter().enumerate() {
                for y in 0..len {
                    let m = (kk * y as isize).rem_euclid(n as isize) as f64;
                    let ang = 2.0 * std::f64::consts::PI * m / n as f64;
                    c[r * len + y] = ang.cos() as f32;
                    s[r * len + y] = ang.sin() as f32;
                }
            }
            (c, s)
        };
        let (cy, sy) = trig(h);
        let ly = Tensor::from_vec([cy, sy].concat(), (2 * k, h), device)?;
        let (cx, sx) = trig(w);
        let lxt = Tensor::from_vec([cx, sx].concat(), (2 * k, w), device)?
            .t()?
            .contiguous()?;
        let mut rings = vec![0f32; k * k * q];
        for (i, &ky) in ks.iter().enumerate() {
            for (j, &kx) in ks.iter().enumerate() {
                let r = isqrt((ky * ky + kx * kx) as usize);
                if (1..=q).contains(&r) {
                    rings[(i * k + j) * q + r - 1] = 1.0;
                }
            }
        }
        let rings = Tensor::from_vec(rings, (k * k, q), device)?;
        Ok(AreaFrc {
            h,
            w,
            k,
            q,
            ly,
            lxt,
            rings,
        })
    }

    /// Number of rings averaged (Q).
    pub fn rings(&self) -> usize {
        self.q
    }

    /// Image shape these matrices are for.
    pub fn shape(&self) -> (usize, usize) {
        (self.h, self.w)
    }

    /// Real and imaginary parts of the truncated DFT of `(M, 1, H, W)`: two
    /// `(M, K, K)` tensors (rows ky, columns kx).
    fn dft(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        let m = x.dim(0)?;
        let k = self.k;
        let z = x.reshape((m * self.h, self.w))?.matmul(&self.lxt)?; // (M·H, 2K)
        let z = z.reshape((m, self.h, 2 * k))?;
        let g = self.ly.broadcast_left(m)?.matmul(&z)?; // (M, 2K, 2K)
        let cc = g.narrow(1, 0, k)?.narrow(2, 0, k)?;
        let cs = g.narrow(1, 0, k)?.narrow(2, k, k)?;
        let sc = g.narrow(1, k, k)?.narrow(2, 0, k)?;
        let ss = g.narrow(1, k, k)?.narrow(2, k, k)?;
        // F = (C − iS)_y X (C − iS)_xᵀ: Re = CC − SS, Im = −(CS + SC).
        Ok(((cc - ss)?, (cs + sc)?.neg()?))
    }

    /// FRC(q) for q = 1..Q of each pair: an `(N, Q)` tensor.
    pub fn curve(&self, a: &Tensor, b: &Tensor) -> Result<Tensor> {
        let (n, h, w) = check_pair(a, b, "area_frc")?;
        if (h, w) != (self.h, self.w) {
            return Err(Error::Shape(format!(
                "area_frc prepared for {}x{} images, got {h}x{w}",
                self.h, self.w
            )));
        }
        let both = Tensor::cat(&[a, b], 0)?.to_dtype(DType::F32)?;
        let (re, im) = self.dft(&both)?;
        let (ra, rb) = (re.narrow(0, 0, n)?, re.narrow(0, n, n)?);
        let (ia, ib) = (im.narrow(0, 0, n)?, im.narrow(0, n, n)?);
        let kk = self.k * self.k;
        let num = ((&ra * &rb)? + (&ia * &ib)?)?.reshape((n, kk))?;
        let pa = (ra.sqr()? + ia.sqr()?)?.reshape((n, kk))?;
        let pb = (rb.sqr()? + ib.sqr()?)?.reshape((n, kk))?;
        let sums = Tensor::cat(&[num, pa, pb], 0)?.matmul(&self.rings)?; // (3N, Q)
        let num = sums.narrow(0, 0, n)?;
        let den = (sums.narrow(0, n, n)? * sums.narrow(0, 2 * n, n)?)?
            .maximum(1e-30)?
            .sqrt()?;
        Ok((num / den)?)
    }

    /// area-FRC of each pair of `[0, 1]`- or any-scaled images: `(N,)`.
    pub fn area(&self, a: &Tensor, b: &Tensor) -> Result<Tensor> {
        Ok(self.curve(a, b)?.mean(D::Minus1)?)
    }
}

fn isqrt(v: usize) -> usize {
    let mut r = (v as f64).sqrt() as usize;
    while r * r > v {
        r -= 1;
    }
    while (r + 1) * (r + 1) <= v {
        r += 1;
    }
    r
}

/// Weights of the loss terms (paper: MS-SSIM 1, FRC 1, L1 0.1; the paper code
/// used MSE instead of L1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LossWeights {
    /// Weight of 1 − MS-SSIM (default 1).
    pub ms_ssim: f64,
    /// Weight of 1 − area-FRC (default 1).
    pub frc: f64,
    /// Weight of the mean absolute error (default 0.1).
    pub l1: f64,
    /// Weight of the mean squared error (default 0).
    pub mse: f64,
}

impl Default for LossWeights {
    fn default() -> Self {
        LossWeights {
            ms_ssim: 1.0,
            frc: 1.0,
            l1: 0.1,
            mse: 0.0,
        }
    }
}

impl LossWeights {
    /// Non-negative, finite, not all zero.
    pub fn validate(&self) -> Result<()> {
        for (k, v) in [
            ("ms_ssim", self.ms_ssim),
            ("frc", self.frc),
            ("l1", self.l1),
            ("mse", self.mse),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(Error::arg(
                    format!("weights.{k}"),
                    format!("must be finite and >= 0, got {v}"),
                ));
            }
        }
        if self.ms_ssim + self.frc + self.l1 + self.mse == 0.0 {
            return Err(Error::arg("weights", "all loss weights are 0"));
        }
        Ok(())
    }
}

/// The value of each loss term (unweighted, averaged over the batch) and the
/// weighted total. A term that cannot be computed for the image size and has
/// weight 0 (MS-SSIM on small patches) is NaN.
///
/// JSON has no NaN: serde_json writes it as `null`, which reads back as NaN.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct LossTerms {
    /// The weighted sum.
    #[serde(deserialize_with = "nan_if_null")]
    pub total: f64,
    /// 1 − MS-SSIM.
    #[serde(deserialize_with = "nan_if_null")]
    pub ms_ssim: f64,
    /// 1 − area-FRC.
    #[serde(deserialize_with = "nan_if_null")]
    pub frc: f64,
    /// Mean absolute error.
    #[serde(deserialize_with = "nan_if_null")]
    pub l1: f64,
    /// Mean squared error.
    #[serde(deserialize_with = "nan_if_null")]
    pub mse: f64,
}

/// A number, or NaN for `null` (how serde_json writes NaN).
fn nan_if_null<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<f64, D::Error> {
    Ok(<Option<f64> as Deserialize>::deserialize(d)?.unwrap_or(f64::NAN))
}

impl LossTerms {
    /// Element-wise sum (for averaging over steps).
    pub fn add(&self, o: &LossTerms) -> LossTerms {
        LossTerms {
            total: self.total + o.total,
            ms_ssim: self.ms_ssim + o.ms_ssim,
            frc: self.frc + o.frc,
            l1: self.l1 + o.l1,
            mse: self.mse + o.mse,
        }
    }

    /// Every term divided by `n`.
    pub fn scale(&self, s: f64) -> LossTerms {
        LossTerms {
            total: self.total * s,
            ms_ssim: self.ms_ssim * s,
            frc: self.frc * s,
            l1: self.l1 * s,
            mse: self.mse * s,
        }
    }
}

/// The combined training loss (see the module doc); caches the area-FRC
/// matrices for the last image size.
pub struct Loss {
    /// Term weights.
    pub weights: LossWeights,
    /// φ of the area-FRC (default 0.39).
    pub frc_fraction: f64,
    /// MS-SSIM scales (default 5; fewer for patches below 161 px).
    pub ms_ssim_scales: usize,
    frc: Option<AreaFrc>,
}

impl Loss {
    /// A loss with the given weights, FRC fraction and MS-SSIM scales.
    pub fn new(weights: LossWeights, frc_fraction: f64, ms_ssim_scales: usize) -> Result<Loss> {
        weights.validate()?;
        if !(frc_fraction.is_finite() && frc_fraction > 0.0 && frc_fraction <= 1.0) {
            return Err(Error::arg(
                "frc_fraction",
                format!("must be in (0, 1], got {frc_fraction}"),
            ));
        }
        if !(1..=5).contains(&ms_ssim_scales) {
            return Err(Error::arg(
                "ms_ssim_scales",
                format!("must be in 1..=5, got {ms_ssim_scales}"),
            ));
        }
        Ok(Loss {
            weights,
            frc_fraction,
            ms_ssim_scales,
            frc: None,
        })
    }

    /// Check that `h × w` patches suit every weighted term.
    pub fn check_size(&self, h: usize, w: usize) -> Result<()> {
        let need = ms_ssim_min_side(self.ms_ssim_scales);
        if self.weights.ms_ssim > 0.0 && h.min(w) < need {
            return Err(Error::arg(
                "ms_ssim_scales",
                format!(
                    "MS-SSIM with {} scales needs patches of at least {need} px, got {h}x{w}; \
                     set ms_ssim_scales lower or the MS-SSIM weight to 0",
                    self.ms_ssim_scales
                ),
            ));
        }
        Ok(())
    }

    /// The weighted loss (a scalar tensor, differentiable w.r.t. `pred`) and
    /// the value of every term. `pred`, `target`: `(N, 1, H, W)` in [−1, 1].
    pub fn compute(&mut self, pred: &Tensor, target: &Tensor) -> Result<(Tensor, LossTerms)> {
        let (_, h, w) = check_pair(pred, target, "loss")?;
        self.check_size(h, w)?;
        let target = target.detach();
        let wts = self.weights;
        let scalar = |t: &Tensor| -> Result<f64> { Ok(t.to_dtype(DType::F64)?.to_scalar::<f64>()?) };
        let input = |wt: f64| if wt > 0.0 { pred.clone() } else { pred.detach() };
        let mut terms = LossTerms::default();
        let mut total: Option<Tensor> = None;
        let mut push = |t: Tensor, wt: f64| -> Result<()> {
            if wt > 0.0 {
                let t = (t * wt)?;
                total = Some(match total.take() {
                    None => t,
                    Some(s) => (s + t)?,
                });
            }
            Ok(())
        };
        // MS-SSIM
        if h.min(w) >= ms_ssim_min_side(self.ms_ssim_scales) {
            let t = ms_ssim(&input(wts.ms_ssim), &target, 2.0, self.ms_ssim_scales)?
                .mean_all()?
                .affine(-1.0, 1.0)?;
            terms.ms_ssim = scalar(&t)?;
            push(t, wts.ms_ssim)?;
        } else {
            terms.ms_ssim = f64::NAN;
        }
        // area-FRC on (x + 1)/2 images
        if self.frc.as_ref().map(|f| f.shape()) != Some((h, w)) {
            self.frc = Some(AreaFrc::new(h, w, self.frc_fraction, pred.device())?);
        }
        if let Some(frc) = &self.frc {
            let a = input(wts.frc).affine(0.5, 0.5)?;
            let b = target.affine(0.5, 0.5)?;
            let t = frc.area(&a, &b)?.mean_all()?.affine(-1.0, 1.0)?;
            terms.frc = scalar(&t)?;
            push(t, wts.frc)?;
        }
        let t = l1(&input(wts.l1), &target)?;
        terms.l1 = scalar(&t)?;
        push(t, wts.l1)?;
        let t = mse(&input(wts.mse), &target)?;
        terms.mse = scalar(&t)?;
        push(t, wts.mse)?;
        let total = total.ok_or_else(|| Error::arg("weights", "all loss weights are 0"))?;
        terms.total = scalar(&total)?;
        Ok((total, terms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Var;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    fn rand_img(n: usize, h: usize, w: usize, seed: u64) -> Tensor {
        let mut r = StdRng::seed_from_u64(seed);
        let v: Vec<f32> = (0..n * h * w).map(|_| r.random_range(-1.0..1.0)).collect();
        Tensor::from_vec(v, (n, 1, h, w), &Device::Cpu).unwrap()
    }

    /// Slow direct FRC of docs/methods.md §5: full 2-D DFT by the definition (f64),
    /// floor rings, zero padding to square, mean of FRC over q = 1..⌊φN/2⌋.
    fn slow_area_frc(a: &[f32], b: &[f32], h: usize, w: usize, phi: f64) -> f64 {
        let n = h.max(w);
        let dft = |x: &[f32]| -> Vec<(f64, f64)> {
            let mut out = vec![(0.0, 0.0); n * n];
            for ky in 0..n {
                for kx in 0..n {
                    let (mut re, mut im) = (0.0, 0.0);
                    for y in 0..h {
                        for xx in 0..w {
                            let ang =
                                -2.0 * std::f64::consts::PI * ((ky * y) as f64 + (kx * xx) as f64) / n as f64;
                            re += x[y * w + xx] as f64 * ang.cos();
                            im += x[y * w + xx] as f64 * ang.sin();
                        }
                    }
                    out[ky * n + kx] = (re, im);
                }
            }
            out
        };
        let fa = dft(a);
        let fb = dft(b);
        let q_max = ((phi * n as f64 / 2.0 + 1e-9).floor() as usize).min(n.div_ceil(2) - 1);
        let mut num = vec![0.0; n];
        let mut da = vec![0.0; n];
        let mut db = vec![0.0; n];
        for ky in 0..n {
            for kx in 0..n {
                // signed frequency in −⌊N/2⌋..⌈N/2⌉−1
                let sy = if ky < n.div_ceil(2) {
                    ky as f64
                } else {
                    ky as f64 - n as f64
                };
                let sx = if kx < n.div_ceil(2) {
                    kx as f64
                } else {
                    kx as f64 - n as f64
                };
                let q = (sy * sy + sx * sx).sqrt().floor() as usize;
                if q < n {
                    let (ar, ai) = fa[ky * n + kx];
                    let (br, bi) = fb[ky * n + kx];
                    num[q] += ar * br + ai * bi;
                    da[q] += ar * ar + ai * ai;
                    db[q] += br * br + bi * bi;
                }
            }
        }
        let mut s = 0.0;
        for q in 1..=q_max {
            let d = (da[q] * db[q]).sqrt();
            s += if d > 0.0 { num[q] / d } else { 0.0 };
        }
        s / q_max as f64
    }

    #[test]
    fn loss_terms_with_nan_survive_json() {
        let t = LossTerms {
            total: 1.0,
            ms_ssim: f64::NAN,
            frc: 0.5,
            l1: 0.25,
            mse: 0.0,
        };
        let back: LossTerms = serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
        assert!(back.ms_ssim.is_nan());
        assert_eq!((back.total, back.frc, back.l1, back.mse), (1.0, 0.5, 0.25, 0.0));
    }

    #[test]
    fn area_frc_matches_direct_dft() {
        for &(h, w, phi) in &[
            (32, 32, 0.39),
            (24, 24, 1.0),
            (21, 21, 0.5),
            (20, 28, 0.39),
            (32, 32, 0.1),
        ] {
            let a = rand_img(2, h, w, 1);
            // b correlated with a
            let b = ((&a * 0.7).unwrap() + (rand_img(2, h, w, 2) * 0.3).unwrap()).unwrap();
            let frc = AreaFrc::new(h, w, phi, &Device::Cpu).unwrap();
            let got = frc.area(&a, &b).unwrap().to_vec1::<f32>().unwrap();
            for (i, &got_i) in got.iter().enumerate() {
                let av = a
                    .narrow(0, i, 1)
                    .unwrap()
                    .flatten_all()
                    .unwrap()
                    .to_vec1::<f32>()
                    .unwrap();
                let bv = b
                    .narrow(0, i, 1)
                    .unwrap()
                    .flatten_all()
                    .unwrap()
                    .to_vec1::<f32>()
                    .unwrap();
                let want = slow_area_frc(&av, &bv, h, w, phi);
                assert!(
                    (got_i as f64 - want).abs() < 1e-4,
                    "{h}x{w} φ={phi}: {} vs {want}",
                    got_i
                );
            }
        }
        // Identical images: area 1; a constant image has zero power: area 0.
        let a = rand_img(1, 16, 16, 3);
        let frc = AreaFrc::new(16, 16, 0.39, &Device::Cpu).unwrap();
        assert!((frc.area(&a, &a).unwrap().to_vec1::<f32>().unwrap()[0] - 1.0).abs() < 1e-5);
        let c = Tensor::zeros((1, 1, 16, 16), DType::F32, &Device::Cpu).unwrap();
        assert_eq!(frc.area(&a, &c).unwrap().to_vec1::<f32>().unwrap()[0], 0.0);
        assert!(AreaFrc::new(4, 4, 0.1, &Device::Cpu).is_err());
        assert!(AreaFrc::new(16, 16, 1.5, &Device::Cpu).is_err());
    }

    /// TF-convention single-scale SSIM terms computed directly per pixel (f64).
    fn slow_ssim(a: &[f32], b: &[f32], h: usize, w: usize, max_val: f64) -> (f64, f64) {
        let g = gaussian_1d();
        let (c1, c2) = ((0.01 * max_val).powi(2), (0.03 * max_val).powi(2));
        let (ho, wo) = (h - 10, w - 10);
        let (mut cs_sum, mut ssim_sum) = (0.0, 0.0);
        for i in 0..ho {
            for j in 0..wo {
                let (mut ma, mut mb, mut sab, mut ssq) = (0.0, 0.0, 0.0, 0.0);
                for u in 0..11 {
                    for v in 0..11 {
                        let k = g[u] * g[v];
                        let x = a[(i + u) * w + j + v] as f64;
                        let y = b[(i + u) * w + j + v] as f64;
                        ma += k * x;
                        mb += k * y;
                        sab += k * x * y;
                        ssq += k * (x * x + y * y);
                    }
                }
                let l = (2.0 * ma * mb + c1) / (ma * ma + mb * mb + c1);
                let cs = (2.0 * sab - 2.0 * ma * mb + c2) / (ssq - ma * ma - mb * mb + c2);
                cs_sum += cs;
                ssim_sum += l * cs;
            }
        }
        (cs_sum / (ho * wo) as f64, ssim_sum / (ho * wo) as f64)
    }

    #[test]
    fn ms_ssim_matches_direct_computation() {
        let (h, w) = (45, 47);
        let a = rand_img(1, h, w, 4);
        let b = ((&a * 0.8).unwrap() + (rand_img(1, h, w, 5) * 0.2).unwrap()).unwrap();
        // 3 scales: 45x47 → 23x24 → 12x12.
        let got = ms_ssim(&a, &b, 2.0, 3).unwrap().to_vec1::<f32>().unwrap()[0] as f64;
        let mut av = a.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let mut bv = b.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let (mut hh, mut ww) = (h, w);
        let wsum: f64 = POWER_FACTORS[..3].iter().sum();
        let mut prod = 1.0;
        for (s, &wt) in POWER_FACTORS[..3].iter().enumerate() {
            if s > 0 {
                // pad odd sides by repeating the last row/column, then 2×2 mean
                let down = |x: &[f32]| -> Vec<f32> {
                    let (h2, w2) = (hh.div_ceil(2), ww.div_ceil(2));
                    let at = |i: usize, j: usize| x[i.min(hh - 1) * ww + j.min(ww - 1)];
                    let mut o = vec![0.0; h2 * w2];
                    for i in 0..h2 {
                        for j in 0..w2 {
                            o[i * w2 + j] = (at(2 * i, 2 * j)
                                + at(2 * i + 1, 2 * j)
                                + at(2 * i, 2 * j + 1)
                                + at(2 * i + 1, 2 * j + 1))
                                / 4.0;
                        }
                    }
                    o
                };
                av = down(&av);
                bv = down(&bv);
                hh = hh.div_ceil(2);
                ww = ww.div_ceil(2);
            }
            let (cs, ssim) = slow_ssim(&av, &bv, hh, ww, 2.0);
            let f = if s == 2 { ssim } else { cs };
            prod *= f.max(1e-6).powf(wt / wsum);
        }
        assert!((got - prod).abs() < 1e-4, "{got} vs {prod}");
        // MS-SSIM(x, x) = 1 at 5 scales; too small for 5 scales is an error.
        let x = rand_img(2, 161, 170, 6);
        let m = ms_ssim(&x, &x, 2.0, 5).unwrap().to_vec1::<f32>().unwrap();
        assert!(m.iter().all(|&v| (v - 1.0).abs() < 1e-5), "{m:?}");
        let y = rand_img(1, 160, 170, 6);
        let e = ms_ssim(&y, &y, 2.0, 5).unwrap_err().to_string();
        assert!(e.contains("161x161"), "{e}");
        assert_eq!(ms_ssim_min_side(5), 161);
        assert_eq!(ms_ssim_min_side(1), 11);
    }

    #[test]
    fn loss_of_identical_images_and_gradients() {
        let mut loss = Loss::new(
            LossWeights {
                mse: 0.5,
                ..Default::default()
            },
            0.39,
            2,
        )
        .unwrap();
        let t = rand_img(2, 32, 32, 7);
        let (total, terms) = loss.compute(&t, &t).unwrap();
        assert!(terms.ms_ssim.abs() < 1e-5 && terms.frc.abs() < 1e-5);
        assert_eq!((terms.l1, terms.mse), (0.0, 0.0));
        assert!(total.to_scalar::<f32>().unwrap().abs() < 1e-5);
        // Gradients of every term are finite, also for a constant (zero-power)
        // prediction and for anti-correlated images (cs < 0).
        for pred in [
            rand_img(2, 32, 32, 8),
            Tensor::zeros((2, 1, 32, 32), DType::F32, &Device::Cpu).unwrap(),
            t.neg().unwrap(),
        ] {
            for wts in [
                LossWeights {
                    ms_ssim: 1.0,
                    frc: 0.0,
                    l1: 0.0,
                    mse: 0.0,
                },
                LossWeights {
                    ms_ssim: 0.0,
                    frc: 1.0,
                    l1: 0.0,
                    mse: 0.0,
                },
                LossWeights {
                    ms_ssim: 0.0,
                    frc: 0.0,
                    l1: 1.0,
                    mse: 0.0,
                },
                LossWeights {
                    ms_ssim: 0.0,
                    frc: 0.0,
                    l1: 0.0,
                    mse: 1.0,
                },
            ] {
                let mut loss = Loss::new(wts, 0.39, 2).unwrap();
                let v = Var::from_tensor(&pred).unwrap();
                let (total, terms) = loss.compute(v.as_tensor(), &t).unwrap();
                assert!(terms.total.is_finite());
                let g = total.backward().unwrap();
                let gv = g
                    .get(v.as_tensor())
                    .unwrap()
                    .flatten_all()
                    .unwrap()
                    .to_vec1::<f32>()
                    .unwrap();
                assert!(gv.iter().all(|x| x.is_finite()), "{wts:?}");
            }
        }
        // Hand check: L1 and MSE of 0 vs 1 images.
        let z = Tensor::zeros((1, 1, 32, 32), DType::F32, &Device::Cpu).unwrap();
        let o = Tensor::ones((1, 1, 32, 32), DType::F32, &Device::Cpu).unwrap();
        let mut loss = Loss::new(
            LossWeights {
                ms_ssim: 0.0,
                frc: 0.0,
                l1: 0.1,
                mse: 1.0,
            },
            0.39,
            3,
        )
        .unwrap();
        let (_, terms) = loss.compute(&z, &(o * 0.5).unwrap()).unwrap();
        assert!((terms.l1 - 0.5).abs() < 1e-7 && (terms.mse - 0.25).abs() < 1e-7);
        assert!((terms.total - (0.05 + 0.25)).abs() < 1e-6);
        // MS-SSIM too small (3 scales need 41 px) → NaN when unweighted, error when weighted.
        assert!(terms.ms_ssim.is_nan());
        let mut loss = Loss::new(LossWeights::default(), 0.39, 3).unwrap();
        let e = loss.compute(&z, &z).unwrap_err().to_string();
        assert!(e.contains("at least 41 px"), "{e}");
    }

    #[test]
    fn area_frc_gradient_matches_finite_differences() {
        let (h, w) = (16, 16);
        let a = rand_img(1, h, w, 9);
        let b = rand_img(1, h, w, 10);
        let frc = AreaFrc::new(h, w, 0.5, &Device::Cpu).unwrap();
        let v = Var::from_tensor(&a.to_dtype(DType::F64).unwrap()).unwrap();
        let b64 = b.to_dtype(DType::F64).unwrap();
        // f64 version of the same graph (matrices are f32: cast inputs back).
        let f = |x: &Tensor| {
            frc.area(
                &x.to_dtype(DType::F32).unwrap(),
                &b64.to_dtype(DType::F32).unwrap(),
            )
            .unwrap()
        };
        let g = f(v.as_tensor()).sum_all().unwrap().backward().unwrap();
        let gv = g
            .get(v.as_tensor())
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f64>()
            .unwrap();
        let av = a.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let eps = 1e-2f32;
        for &i in &[0usize, 17, 100, 255] {
            let mut p = av.clone();
            p[i] += eps;
            let mut m = av.clone();
            m[i] -= eps;
            let tp = Tensor::from_vec(p, (1, 1, h, w), &Device::Cpu).unwrap();
            let tm = Tensor::from_vec(m, (1, 1, h, w), &Device::Cpu).unwrap();
            let fd = (f(&tp).to_vec1::<f32>().unwrap()[0] - f(&tm).to_vec1::<f32>().unwrap()[0]) as f64
                / (2.0 * eps as f64);
            assert!(
                (fd - gv[i]).abs() < 2e-3 + 0.05 * fd.abs(),
                "{i}: {fd} vs {}",
                gv[i]
            );
        }
    }
}
