//! Anisotropic adaptive kernel density estimate (paper eqs. 1, 3 and 4, after Chen et
//! al. 2014; docs/methods.md §4; the paper code's `aniso_kde.py`).
//!
//! For every source pixel P with I(P) ≠ 0 and a k×k window W around it
//! (s = ⌊k/2⌋, window coordinates x_j = j − s, y_i = s − i, y pointing up):
//! 1. W holds the image values (0 outside the image), and 0.001 is added to its
//!    four corners (the guard against a singular covariance);
//! 2. S = ΣW, μ = ΣW·(x, y)/S, C = ΣW (p − μ)(p − μ)ᵀ / S;
//! 3. Ĉ = C/‖C‖_F, Σ = c·Ĉ (c = `scale`, multiplying the variance);
//! 4. K(i, j) = exp(−½ (x_j, y_i) Σ⁻¹ (x_j, y_i)ᵀ), centred on P, normalised to ΣK = 1;
//! 5. out[W] += K·I(P).
//!
//! # Borders
//! [`Border::Skip`] reproduces the paper code: sources closer than s to an edge
//! are not processed and their mass is lost. [`Border::Clip`] (the default)
//! processes them with the window clipped to the image: values outside are 0,
//! the corner guard stays at the four corners of the *full* k×k window (even
//! where they fall outside the image — the guard belongs to the window
//! geometry, so every window gets the same +0.004 to S and +0.004·s² to ΣWx²
//! and ΣWy²), and the kernel is renormalised over its in-image part, so no mass
//! is lost. Both modes treat a source whose window lies inside the image
//! identically, so pixels at least 2s from every edge get identical values.
//!
//! # Degenerate windows
//! With non-negative values the guard makes C positive definite. If it is not
//! (negative input values, S ≤ 0, ‖C‖_F = 0, det Σ ≤ 0 after rounding, which
//! needs intensities ~10¹² times the guard), the source is spread with the
//! isotropic kernel of an isolated pixel, Σ = (c/√2)·𝟙, so the output stays
//! finite and the mass is kept. Non-finite input values are an error.
//!
//! # Implementation
//! The six window moments (ΣW, ΣWx, ΣWy, ΣWx², ΣWxy, ΣWy²) of every pixel are
//! computed at once by two separable window-sum passes in f64 — the summed-area
//! idea applied one axis at a time, in coordinates relative to each window
//! centre (a global summed-area table of I·x² loses ~10⁻⁴ absolute to
//! cancellation on a 2048² image, more than the guard contributes); the corner
//! guard is added in closed form. The parameters of every pixel of a row are
//! then computed branch-free (vectorised), with Σ⁻¹ written as the quadratic
//! form q = a(x + βy)² + δy² (an LDLᵀ split: both terms are non-negative, so
//! thin kernels cannot round to a negative exponent). The kernel is point
//! symmetric, K(−x, −y) = K(x, y), so only the first (k² + 1)/2 values are
//! evaluated, with a vectorisable f32 exp (Cody–Waite reduction, Cephes'
//! degree-5 polynomial, ~1e-7 relative; values below e⁻⁶⁰ flushed to 0 to keep
//! clear of subnormals). In rows where at least a quarter of the pixels are
//! non-zero, the interior sources are processed in blocks of 256, offset-major:
//! each window offset's kernel values for the whole block form one vector
//! (evaluated across sources), the normalisation is a sum of such vectors, and
//! the scatter is one long multiply-add per offset (mirrored offsets reuse the
//! first half's vectors). Sparse rows and border sources go one at a time.
//! Bands of 32 source rows run in parallel
//! (rayon), each scattering into its own buffer with s-row halos; the buffers
//! are added to the output in band order, so the result is deterministic and
//! independent of the thread count. On x86-64 with AVX2 and FMA the band
//! kernel is compiled a second time for them and chosen at run time.
//! Cost: ~75 ns CPU per source for k = 11 (a dense 2048² image: ~0.3 s on one
//! core of the development machine); the paper's Python loop takes ~100–180 µs
//! per source.

use crate::error::{Error, Result};
use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;

/// The value added to each of the four window corners (docs/methods.md §4 step 2).
pub const CORNER_GUARD: f64 = 0.001;

/// Largest accepted window size (the cost grows with window²).
pub const MAX_WINDOW: usize = 1001;

/// Kernel values below exp(`EXP_CUTOFF`) relative to the kernel centre are set to 0
/// (keeps the arithmetic out of subnormal numbers; e⁻⁶⁰ ≈ 9·10⁻²⁷).
const EXP_CUTOFF: f32 = -60.0;

/// Source rows per parallel work item.
const BAND_ROWS: usize = 32;

/// What happens to source pixels whose window reaches beyond the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Border {
    /// Process them with the window clipped to the image (values outside are 0,
    /// kernel renormalised over the in-image part): the total intensity is conserved.
    #[default]
    Clip,
    /// Skip sources closer than s = ⌊window/2⌋ to an edge, as the paper code does
    /// (their intensity is lost).
    Skip,
}

impl Border {
    /// The names scripts use.
    pub const NAMES: &'static [&'static str] = &["clip", "skip"];

    /// Parse `"clip"` or `"skip"`; an error naming the option `border` otherwise.
    pub fn parse(s: &str) -> Result<Border> {
        match s {
            "clip" => Ok(Border::Clip),
            "skip" => Ok(Border::Skip),
            other => Err(Error::arg(
                "border",
                format!("must be \"clip\" or \"skip\", got \"{other}\""),
            )),
        }
    }

    /// The option string: `"clip"` or `"skip"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Border::Clip => "clip",
            Border::Skip => "skip",
        }
    }
}

/// Options of [`akde`].
#[derive(Debug, Clone, PartialEq)]
pub struct AkdeOptions {
    /// Window size k in pixels: odd, 3 ≤ k ≤ [`MAX_WINDOW`]. Default 11.
    pub window: usize,
    /// Scale c > 0 multiplying the normalised covariance (a variance, in px²). Default 1.
    pub scale: f64,
    /// Border handling. Default [`Border::Clip`].
    pub border: Border,
}

impl Default for AkdeOptions {
    fn default() -> Self {
        AkdeOptions {
            window: 11,
            scale: 1.0,
            border: Border::Clip,
        }
    }
}

impl AkdeOptions {
    /// Check the options; errors name the option key.
    pub fn validate(&self) -> Result<()> {
        let k = self.window;
        if k < 3 || k.is_multiple_of(2) || k > MAX_WINDOW {
            return Err(Error::arg(
                "window",
                format!("must be odd and in 3..={MAX_WINDOW} pixels, got {k}"),
            ));
        }
        if !self.scale.is_finite() || self.scale <= 0.0 {
            return Err(Error::arg(
                "scale",
                format!("must be a finite number > 0, got {}", self.scale),
            ));
        }
        Ok(())
    }
}

/// Anisotropic adaptive kernel density estimate (docs/methods.md §4, paper eqs. 1, 3 and 4).
///
/// Every non-zero pixel is spread over its `window`×`window` neighbourhood with a
/// Gaussian kernel whose covariance is the intensity-weighted covariance of that
/// neighbourhood, normalised to Frobenius norm 1 and multiplied by `scale`
/// (px²). Total intensity is conserved with `border: Clip` (default); `Skip`
/// drops sources within ⌊window/2⌋ of an edge, as the paper code does.
///
/// Options ([`AkdeOptions`]): `window` (odd, ≥ 3, default 11), `scale` (> 0,
/// default 1), `border` (`Clip` | `Skip`, default `Clip`).
///
/// Errors: invalid options (naming `window` / `scale`), an empty image or one
/// holding NaN/∞ (naming `img`), [`Error::Interrupted`] on Ctrl-C.
///
/// Example: `akde(img.view(), &AkdeOptions { scale: 2.0, ..Default::default() })?`.
pub fn akde(img: ArrayView2<f32>, opts: &AkdeOptions) -> Result<Array2<f32>> {
    akde_impl(img, opts, true)
}

/// [`akde`], with the AVX2+FMA build allowed (`simd`) or not.
fn akde_impl(img: ArrayView2<f32>, opts: &AkdeOptions, simd: bool) -> Result<Array2<f32>> {
    opts.validate()?;
    check_image(img)?;
    let (h, w) = img.dim();
    let data = img.as_standard_layout();
    // as_standard_layout gives a contiguous row-major array, so as_slice succeeds.
    let pixels = data
        .as_slice()
        .ok_or_else(|| Error::Numeric("akde: image not contiguous".into()))?;
    let ctx = Ctx::new(pixels, h, w, opts, simd);

    let threads = rayon::current_num_threads().max(1);
    // A fixed band height keeps the result independent of the thread count.
    let band_h = BAND_ROWS;
    let n_bands = h.div_ceil(band_h);
    let progress = crate::progress::Progress::new(n_bands as u64, "akde");
    let mut out = Array2::<f32>::zeros((h, w));
    // A standard-layout array owned here: as_slice_mut cannot fail.
    let out_s = out
        .as_slice_mut()
        .ok_or_else(|| Error::Numeric("akde: output not contiguous".into()))?;
    // Bands run in parallel a few per thread at a time; their buffers are added
    // to the output in band order, so the result does not depend on scheduling
    // and only a few band buffers are alive at once.
    let batch = 4 * threads;
    for first in (0..n_bands).step_by(batch) {
        let bands: Vec<Band> = (first..(first + batch).min(n_bands))
            .into_par_iter()
            .map(|b| {
                crate::interrupt::check()?;
                let r0 = b * band_h;
                let r1 = (r0 + band_h).min(h);
                let band = run_band(&ctx, r0, r1);
                progress.inc(1);
                band
            })
            .collect::<Result<Vec<Band>>>()?;
        for band in &bands {
            let dst = &mut out_s[band.row0 * w..band.row0 * w + band.data.len()];
            for (o, v) in dst.iter_mut().zip(&band.data) {
                *o += *v;
            }
        }
    }
    progress.finish();
    Ok(out)
}

/// The normalised AKDE kernel of the source at (`row`, `col`): a `window`×`window`
/// array centred on the pixel (row index down, as in the image), summing to 1
/// over its in-image part, 0 outside the image (the [`Border::Clip`] kernel,
/// whatever `opts.border` says). Defined whether or not the pixel itself is zero.
/// For inspecting how the AKDE adapts to local structure.
///
/// Errors: as [`akde`], and `row` / `col` outside the image.
pub fn akde_kernel(img: ArrayView2<f32>, opts: &AkdeOptions, row: usize, col: usize) -> Result<Array2<f32>> {
    opts.validate()?;
    check_image(img)?;
    let (h, w) = img.dim();
    if row >= h {
        return Err(Error::arg("row", format!("must be < height {h}, got {row}")));
    }
    if col >= w {
        return Err(Error::arg("col", format!("must be < width {w}, got {col}")));
    }
    let k = opts.window;
    let s = (k / 2) as i64;
    let mut m = Moments::default();
    for i in 0..k as i64 {
        for j in 0..k as i64 {
            let (rr, cc) = (row as i64 + i - s, col as i64 + j - s);
            if rr < 0 || cc < 0 || rr >= h as i64 || cc >= w as i64 {
                continue;
            }
            let v = img[[rr as usize, cc as usize]] as f64;
            let (x, y) = ((j - s) as f64, (s - i) as f64);
            m.m0 += v;
            m.mx += v * x;
            m.my += v * y;
            m.mxx += v * x * x;
            m.mxy += v * x * y;
            m.myy += v * y * y;
        }
    }
    let p = kernel_params(&m, s as f64, opts.scale, KernelParams::isotropic(opts.scale));
    let mut kern = Array2::<f32>::zeros((k, k));
    let mut sum = 0.0f64;
    for i in 0..k as i64 {
        for j in 0..k as i64 {
            let (rr, cc) = (row as i64 + i - s, col as i64 + j - s);
            if rr < 0 || cc < 0 || rr >= h as i64 || cc >= w as i64 {
                continue;
            }
            let v = p.eval::<false>((j - s) as f32, (s - i) as f32);
            kern[[i as usize, j as usize]] = v;
            sum += v as f64;
        }
    }
    kern.mapv_inplace(|v| (v as f64 / sum) as f32);
    Ok(kern)
}

/// Set every value below `t` to 0 (the paper removed isolated localizations with
/// `img[img < 2] = 0` before the AKDE). NaN values are kept.
///
/// Errors: `t` is NaN.
pub fn threshold(img: ArrayView2<f32>, t: f64) -> Result<Array2<f32>> {
    if t.is_nan() {
        return Err(Error::arg("t", "must be a number, got NaN"));
    }
    Ok(img.mapv(|v| if (v as f64) < t { 0.0 } else { v }))
}

/// Empty images and non-finite values are errors naming `img`.
fn check_image(img: ArrayView2<f32>) -> Result<()> {
    let (h, w) = img.dim();
    if h == 0 || w == 0 {
        return Err(Error::arg("img", format!("is empty ({w}×{h} pixels)")));
    }
    if let Some(((r, c), v)) = img.indexed_iter().find(|(_, v)| !v.is_finite()) {
        return Err(Error::arg(
            "img",
            format!("holds a non-finite value ({v}) at row {r}, col {c}; the AKDE needs finite values"),
        ));
    }
    Ok(())
}

/// Raw window moments about the window centre, without the corner guard.
#[derive(Debug, Default, Clone, Copy)]
struct Moments {
    m0: f64,
    mx: f64,
    my: f64,
    mxx: f64,
    mxy: f64,
    myy: f64,
}

/// The kernel exp(−z) with z = ha·(x + β·y)² + hd·y² = ½ (x, y) Σ⁻¹ (x, y)ᵀ.
#[derive(Debug, Clone, Copy, PartialEq)]
struct KernelParams {
    ha: f32,
    beta: f32,
    hd: f32,
}

impl KernelParams {
    /// The isotropic fallback Σ = (c/√2)·𝟙 (the kernel of an isolated pixel).
    fn isotropic(scale: f64) -> KernelParams {
        let inv = std::f64::consts::SQRT_2 / scale;
        KernelParams {
            ha: (0.5 * inv) as f32,
            beta: 0.0,
            hd: (0.5 * inv) as f32,
        }
    }

    /// exp(−½ (x, y) Σ⁻¹ (x, y)ᵀ); `F`: use fused multiply-adds.
    #[inline(always)]
    fn eval<const F: bool>(&self, x: f32, y: f32) -> f32 {
        let t = fmadd::<F>(self.beta, y, x);
        exp_neg::<F>(fmadd::<F>(-self.ha, t * t, -(self.hd * (y * y))))
    }
}

/// `a·b + c`, fused when `F` (only used where the CPU has FMA).
#[inline(always)]
fn fmadd<const F: bool>(a: f32, b: f32, c: f32) -> f32 {
    if F {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// Steps 2–4 of docs/methods.md §4 from the raw moments: guard, weighted covariance,
/// Frobenius normalisation, scale, and the quadratic form of Σ⁻¹ (with the
/// documented isotropic fallback when Σ is not positive definite).
/// Branch-free, so that a loop over a row of pixels vectorises.
#[inline(always)]
fn kernel_params(m: &Moments, s: f64, scale: f64, iso: KernelParams) -> KernelParams {
    let g4 = 4.0 * CORNER_GUARD;
    let sum = m.m0 + g4;
    let inv_sum = 1.0 / sum;
    let mxx = m.mxx + g4 * s * s;
    let myy = m.myy + g4 * s * s;
    let (mux, muy) = (m.mx * inv_sum, m.my * inv_sum);
    let cxx = mxx * inv_sum - mux * mux;
    let cyy = myy * inv_sum - muy * muy;
    let cxy = m.mxy * inv_sum - mux * muy;
    let frob = (cxx * cxx + 2.0 * cxy * cxy + cyy * cyy).sqrt();
    let f = scale / frob;
    let (p, q, r) = (cxx * f, cyy * f, cxy * f);
    let det = p * q - r * r;
    // Σ⁻¹ = [[q, −r], [−r, p]] / det = [[a, b], [b, d]]:
    // xᵀΣ⁻¹x = a (x + (b/a) y)² + (d − b²/a) y² = (q/det) (x − (r/q) y)² + y²/q.
    let inv_q = 1.0 / q;
    let ha = (0.5 * q / det) as f32;
    let beta = (-r * inv_q) as f32;
    let hd = (0.5 * inv_q) as f32;
    // NaN fails every comparison, so 0/0 and ∞·0 above end up in the fallback.
    let ok = (sum > 0.0)
        & (frob > 0.0)
        & (p > 0.0)
        & (q > 0.0)
        & (det > 0.0)
        & (ha < f32::INFINITY)
        & (beta.abs() < f32::INFINITY)
        & (hd < f32::INFINITY);
    KernelParams {
        ha: if ok { ha } else { iso.ha },
        beta: if ok { beta } else { iso.beta },
        hd: if ok { hd } else { iso.hd },
    }
}

/// exp(z) for z ≤ 0 in f32, vectorisable: Cody–Waite range reduction
/// z = n·ln2 + r, |r| ≤ ln2/2, a degree-5 polynomial for (e^r − 1 − r)/r²
/// (Cephes' expf coefficients, ~1 ulp), 2ⁿ built in the exponent bits; 0 below
/// [`EXP_CUTOFF`] and for NaN. `F`: use fused multiply-adds.
#[inline(always)]
fn exp_neg<const F: bool>(z: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // 1.5·2²³: adding it rounds to an integer held in the low mantissa bits.
    const MAGIC: f32 = 12_582_912.0;
    let zc = z.max(EXP_CUTOFF);
    let kf = fmadd::<F>(zc, LOG2E, MAGIC);
    let n = kf - MAGIC;
    let ni = (kf.to_bits() as i32).wrapping_sub(MAGIC.to_bits() as i32);
    let r = fmadd::<F>(n, -LN2_HI, zc);
    let r = fmadd::<F>(n, -LN2_LO, r);
    let mut poly = 1.987_569_1e-4;
    for c in [1.398_199_9e-3, 8.333_452e-3, 4.166_579_6e-2, 1.666_666_5e-1, 0.5] {
        poly = fmadd::<F>(poly, r, c);
    }
    let er = fmadd::<F>(poly, r * r, r) + 1.0;
    let scale = f32::from_bits(((ni + 127) as u32) << 23);
    let e = er * scale;
    if z > EXP_CUTOFF {
        e
    } else {
        0.0
    }
}

/// Shared, read-only state of one AKDE run.
struct Ctx<'a> {
    img: &'a [f32],
    h: usize,
    w: usize,
    k: usize,
    s: usize,
    scale: f64,
    skip: bool,
    /// Use the AVX2/FMA build where the CPU has it (tests switch it off to
    /// check the baseline build too).
    simd: bool,
    /// x_j and y_i of the first half of the flattened k×k window (index i·k + j
    /// up to and including the centre, (k² − 1)/2); the kernel is point
    /// symmetric, K(−x, −y) = K(x, y), so the other half is its mirror image.
    /// Padded with zeros to a multiple of 8 entries (whole vectors).
    half_x: Vec<f32>,
    half_y: Vec<f32>,
    /// Number of entries in the half window, centre included: (k² + 1)/2.
    n_half: usize,
    iso: KernelParams,
}

impl<'a> Ctx<'a> {
    fn new(img: &'a [f32], h: usize, w: usize, opts: &AkdeOptions, simd: bool) -> Ctx<'a> {
        let k = opts.window;
        let s = k / 2;
        let n_half = (k * k).div_ceil(2);
        let mut half_x = Vec::with_capacity(n_half);
        let mut half_y = Vec::with_capacity(n_half);
        for m in 0..n_half {
            let (i, j) = (m / k, m % k);
            half_x.push(j as f32 - s as f32);
            half_y.push(s as f32 - i as f32);
        }
        half_x.resize(n_half.next_multiple_of(8), 0.0);
        half_y.resize(n_half.next_multiple_of(8), 0.0);
        Ctx {
            img,
            h,
            w,
            k,
            s,
            scale: opts.scale,
            skip: opts.border == Border::Skip,
            simd,
            half_x,
            half_y,
            n_half,
            iso: KernelParams::isotropic(opts.scale),
        }
    }
}

/// One band's contribution: rows `row0..row0 + data.len()/w` of the output.
struct Band {
    row0: usize,
    data: Vec<f32>,
}

/// Process the sources in rows `r0..r1`, choosing the AVX2+FMA build when the CPU has it.
fn run_band(ctx: &Ctx, r0: usize, r1: usize) -> Result<Band> {
    #[cfg(target_arch = "x86_64")]
    {
        if ctx.simd && std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU supports AVX2 and FMA, checked just above.
            return unsafe { band_avx2_fma(ctx, r0, r1) };
        }
    }
    band_impl::<false>(ctx, r0, r1)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn band_avx2_fma(ctx: &Ctx, r0: usize, r1: usize) -> Result<Band> {
    band_impl::<true>(ctx, r0, r1)
}

/// Sum of a slice with 8 independent accumulators (vectorisable).
#[inline(always)]
fn sum_lanes(v: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let chunks = v.chunks_exact(8);
    let rem = chunks.remainder();
    for ch in chunks {
        for l in 0..8 {
            acc[l] += ch[l];
        }
    }
    let mut total = 0.0f32;
    for a in acc {
        total += a;
    }
    for &r in rem {
        total += r;
    }
    total
}

/// Sources per block of the vectorised path for dense rows.
const BLOCK: usize = 256;

/// Kernel values of the first half-window for `nb` sources at once:
/// `ksoa[m·BLOCK + q] = K_q(x_m, y_m)` (vectorised across the sources).
#[inline(always)]
fn kernel_block<const F: bool>(ctx: &Ctx, ha: &[f32], beta: &[f32], hd: &[f32], ksoa: &mut [f32], nb: usize) {
    for m in 0..ctx.n_half {
        let (x, y) = (ctx.half_x[m], ctx.half_y[m]);
        let dst = &mut ksoa[m * BLOCK..m * BLOCK + nb];
        for (((kv, &a), &b), &d) in dst.iter_mut().zip(ha).zip(beta).zip(hd) {
            *kv = KernelParams {
                ha: a,
                beta: b,
                hd: d,
            }
            .eval::<F>(x, y);
        }
    }
}

/// `k[n_half + q] = k[m − 1 − q]` for q < m = len − n_half: the second half of a
/// point-symmetric kernel from its first half, in reversed blocks of 8
/// (vector permutes) and a scalar tail.
#[inline(always)]
fn mirror_second_half(k: &mut [f32], n_half: usize) {
    let m = k.len() - n_half;
    let (src, dst) = k.split_at_mut(n_half);
    let mut q = 0;
    while q + 8 <= m {
        for l in 0..8 {
            dst[q + l] = src[m - q - 1 - l];
        }
        q += 8;
    }
    while q < m {
        dst[q] = src[m - 1 - q];
        q += 1;
    }
}

/// The work of one band, written to be inlined into both the baseline and the
/// AVX2+FMA build (every hot loop is an `inline(always)` function or inline code).
#[inline(always)]
fn band_impl<const F: bool>(ctx: &Ctx, r0: usize, r1: usize) -> Result<Band> {
    let (h, w, k, s) = (ctx.h, ctx.w, ctx.k, ctx.s);
    let img = ctx.img;
    // Rows whose horizontal sums the band needs, and rows it writes to: the same range.
    let ar0 = r0.saturating_sub(s);
    let ar1 = (r1 + s).min(h);
    let nrows = ar1 - ar0;

    // Pass 1: horizontal window sums A0 = Σ v, A1 = Σ x v, A2 = Σ x² v (x = col offset).
    let mut a0 = vec![0.0f64; nrows * w];
    let mut a1 = vec![0.0f64; nrows * w];
    let mut a2 = vec![0.0f64; nrows * w];
    let mut line = vec![0.0f64; w + 2 * s];
    for rr in ar0..ar1 {
        let row = &img[rr * w..(rr + 1) * w];
        let nnz = row.iter().filter(|&&v| v != 0.0).count();
        if nnz == 0 {
            continue;
        }
        let off = (rr - ar0) * w;
        let o0 = &mut a0[off..off + w];
        let o1 = &mut a1[off..off + w];
        let o2 = &mut a2[off..off + w];
        if 4 * nnz < w {
            // Sparse row: add each non-zero pixel to the windows that hold it
            // (x = its offset from the window centre c).
            for (cc, &v) in row.iter().enumerate() {
                if v == 0.0 {
                    continue;
                }
                let v = v as f64;
                for c in cc.saturating_sub(s)..(cc + s + 1).min(w) {
                    let x = cc as f64 - c as f64;
                    o0[c] += v;
                    o1[c] += x * v;
                    o2[c] += x * x * v;
                }
            }
            continue;
        }
        for (l, &v) in line[s..s + w].iter_mut().zip(row) {
            *l = v as f64;
        }
        for dj in 0..k {
            let x = dj as f64 - s as f64;
            let x2 = x * x;
            let src = &line[dj..dj + w];
            for c in 0..w {
                let v = src[c];
                o0[c] += v;
                o1[c] += x * v;
                o2[c] += x2 * v;
            }
        }
    }

    // Pass 2 (per source row): vertical sums give the six moments, then the
    // kernel parameters of the whole row, then the kernels of its sources.
    let mut out = vec![0.0f32; nrows * w];
    let mut m0 = vec![0.0f64; w];
    let mut mx = vec![0.0f64; w];
    let mut my = vec![0.0f64; w];
    let mut mxx = vec![0.0f64; w];
    let mut mxy = vec![0.0f64; w];
    let mut myy = vec![0.0f64; w];
    let mut p_ha = vec![0.0f32; w];
    let mut p_beta = vec![0.0f32; w];
    let mut p_hd = vec![0.0f32; w];
    let n_half = ctx.n_half;
    let n_full = k * k;
    // The kernel, row-major k×k; the first half is evaluated in whole vectors
    // of 8 (its padding lands on entries the mirror image then overwrites).
    let mut kbuf = vec![0.0f32; n_full.max(ctx.half_x.len())];
    let sf = s as f64;
    // Block buffers of the vectorised path for dense interior rows: kernel
    // values offset-major (ksoa[m·BLOCK + q]: offset m of the first half,
    // source q of the block), their weights.
    let mut ksoa = vec![0.0f32; n_half * BLOCK];
    let mut wts = vec![0.0f32; BLOCK];
    let mut tot = vec![0.0f32; BLOCK];
    // Poll for Ctrl-C every ~4·10⁶ units of work (pixels of moments, kernel values).
    let mut work = 0usize;
    for r in r0..r1 {
        work += w * k;
        if work > 1 << 22 {
            crate::interrupt::check()?;
            work = 0;
        }
        let inner_row = r >= s && r + s < h;
        if ctx.skip && !inner_row {
            continue;
        }
        let (c_lo, c_hi) = if ctx.skip {
            (s, w.saturating_sub(s))
        } else {
            (0, w)
        };
        let row = &img[r * w..(r + 1) * w];
        if c_lo >= c_hi {
            continue;
        }
        let n_src = row[c_lo..c_hi].iter().filter(|&&v| v != 0.0).count();
        if n_src == 0 {
            continue;
        }
        let rr_lo = r.saturating_sub(s);
        let rr_hi = (r + s).min(h - 1);
        if 4 * n_src < w {
            // Few sources: their moments one by one.
            for c in c_lo..c_hi {
                if row[c] == 0.0 {
                    continue;
                }
                let mut m = Moments::default();
                for rr in rr_lo..=rr_hi {
                    let y = r as f64 - rr as f64;
                    let i = (rr - ar0) * w + c;
                    let (v0, v1) = (a0[i], a1[i]);
                    m.m0 += v0;
                    m.mx += v1;
                    m.mxx += a2[i];
                    m.my += y * v0;
                    m.myy += y * y * v0;
                    m.mxy += y * v1;
                }
                let p = kernel_params(&m, sf, ctx.scale, ctx.iso);
                p_ha[c] = p.ha;
                p_beta[c] = p.beta;
                p_hd[c] = p.hd;
            }
        } else {
            for v in [&mut m0, &mut mx, &mut my, &mut mxx, &mut mxy, &mut myy] {
                v.iter_mut().for_each(|x| *x = 0.0);
            }
            for rr in rr_lo..=rr_hi {
                // y = s − i with i = rr − r + s: y = r − rr (up is positive).
                let y = r as f64 - rr as f64;
                let y2 = y * y;
                let off = (rr - ar0) * w;
                let (s0, s1, s2) = (&a0[off..off + w], &a1[off..off + w], &a2[off..off + w]);
                for c in 0..w {
                    let (v0, v1) = (s0[c], s1[c]);
                    m0[c] += v0;
                    mx[c] += v1;
                    mxx[c] += s2[c];
                    my[c] += y * v0;
                    myy[c] += y2 * v0;
                    mxy[c] += y * v1;
                }
            }
            for c in 0..w {
                let m = Moments {
                    m0: m0[c],
                    mx: mx[c],
                    my: my[c],
                    mxx: mxx[c],
                    mxy: mxy[c],
                    myy: myy[c],
                };
                let p = kernel_params(&m, sf, ctx.scale, ctx.iso);
                p_ha[c] = p.ha;
                p_beta[c] = p.beta;
                p_hd[c] = p.hd;
            }
        }
        // Dense interior rows: sources s..w−s in blocks, vectorised across
        // sources (the same in both border modes: the choice depends on the
        // whole row only). The remaining sources go one by one below.
        let row_nnz = row.iter().filter(|&&v| v != 0.0).count();
        let blocked = inner_row && w > 2 * s && 4 * row_nnz >= w;
        if blocked {
            let mut c0 = s;
            while c0 < w - s {
                let nb = BLOCK.min(w - s - c0);
                kernel_block::<F>(
                    ctx,
                    &p_ha[c0..c0 + nb],
                    &p_beta[c0..c0 + nb],
                    &p_hd[c0..c0 + nb],
                    &mut ksoa,
                    nb,
                );
                // ΣK over the window = 2·Σ(first half without the centre) + centre.
                tot[..nb].iter_mut().for_each(|t| *t = 0.0);
                for m in 0..n_half - 1 {
                    for (t, &kv) in tot[..nb].iter_mut().zip(&ksoa[m * BLOCK..m * BLOCK + nb]) {
                        *t += kv;
                    }
                }
                let centre = &ksoa[(n_half - 1) * BLOCK..(n_half - 1) * BLOCK + nb];
                for (((wt, &t), &cv), &v) in wts[..nb]
                    .iter_mut()
                    .zip(&tot[..nb])
                    .zip(centre)
                    .zip(&row[c0..c0 + nb])
                {
                    *wt = v / (2.0 * t + cv);
                }
                // Scatter offset by offset: out[r + i − s][c + j − s] += K_c(i, j)·w_c,
                // K(i, j) = first-half value m = i·k + j or its mirror n_full − 1 − m.
                for i in 0..k {
                    let orow = (r + i - s - ar0) * w;
                    for j in 0..k {
                        let mf = i * k + j;
                        let m = if mf < n_half { mf } else { n_full - 1 - mf };
                        let dst = &mut out[orow + c0 + j - s..orow + c0 + j - s + nb];
                        let src = &ksoa[m * BLOCK..m * BLOCK + nb];
                        for ((o, &kv), &wt) in dst.iter_mut().zip(src).zip(&wts[..nb]) {
                            *o = fmadd::<F>(kv, wt, *o);
                        }
                    }
                }
                work += nb * n_full;
                if work > 1 << 22 {
                    crate::interrupt::check()?;
                    work = 0;
                }
                c0 += nb;
            }
        }
        for c in c_lo..c_hi {
            let val = row[c];
            if val == 0.0 || (blocked && c >= s && c + s < w) {
                continue;
            }
            work += n_full;
            if work > 1 << 22 {
                crate::interrupt::check()?;
                work = 0;
            }
            let p = KernelParams {
                ha: p_ha[c],
                beta: p_beta[c],
                hd: p_hd[c],
            };
            // First half of the window (up to the centre), then its mirror image.
            for ((kv, xs), ys) in kbuf
                .chunks_exact_mut(8)
                .zip(ctx.half_x.chunks_exact(8))
                .zip(ctx.half_y.chunks_exact(8))
            {
                for l in 0..8 {
                    kv[l] = p.eval::<F>(xs[l], ys[l]);
                }
            }
            // Σ over the window = 2·Σ(first half without the centre) + centre (= 1).
            let half_sum = 2.0 * sum_lanes(&kbuf[..n_half - 1]) + kbuf[n_half - 1];
            mirror_second_half(&mut kbuf[..n_full], n_half);
            let inner = inner_row && c >= s && c + s < w;
            if inner {
                let total = half_sum;
                let weight = val / total;
                for i in 0..k {
                    let off = (r + i - s - ar0) * w + c - s;
                    let dst = &mut out[off..off + k];
                    for (o, &kv) in dst.iter_mut().zip(&kbuf[i * k..(i + 1) * k]) {
                        *o = fmadd::<F>(kv, weight, *o);
                    }
                }
            } else {
                // Clipped window: in-image rows rr_lo..=rr_hi, columns cc_lo..=cc_hi.
                let cc_lo = c.saturating_sub(s);
                let cc_hi = (c + s).min(w - 1);
                let (j0, j1) = (cc_lo + s - c, cc_hi + s - c + 1);
                let mut total = 0.0f32;
                for rr in rr_lo..=rr_hi {
                    let i = rr + s - r;
                    total += kbuf[i * k + j0..i * k + j1].iter().sum::<f32>();
                }
                let weight = val / total;
                for rr in rr_lo..=rr_hi {
                    let i = rr + s - r;
                    let off = (rr - ar0) * w + cc_lo;
                    let dst = &mut out[off..off + (j1 - j0)];
                    for (o, &kv) in dst.iter_mut().zip(&kbuf[i * k + j0..i * k + j1]) {
                        *o = fmadd::<F>(kv, weight, *o);
                    }
                }
            }
        }
    }
    Ok(Band { row0: ar0, data: out })
}

impl std::str::FromStr for Border {
    type Err = Error;
    fn from_str(s: &str) -> Result<Border> {
        Border::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// docs/methods.md §4 transcribed directly, one source at a time: build the
    /// float32 window (0 outside), add the corner guard, two-pass weighted
    /// mean and covariance, Frobenius normalisation, explicit inverse, kernel
    /// by exp in f64, normalise over the in-image part, scatter.
    #[allow(clippy::needless_range_loop)] // index loops mirror the formulas
    fn akde_direct(img: &Array2<f32>, window: usize, scale: f64, border: Border) -> Array2<f64> {
        let (h, w) = img.dim();
        let k = window;
        let s = (k / 2) as i64;
        let mut out = Array2::<f64>::zeros((h, w));
        for r in 0..h as i64 {
            for c in 0..w as i64 {
                let val = img[[r as usize, c as usize]];
                if val == 0.0 {
                    continue;
                }
                let near_edge = r < s || c < s || r + s >= h as i64 || c + s >= w as i64;
                if border == Border::Skip && near_edge {
                    continue;
                }
                let inside = |i: usize, j: usize| {
                    let (rr, cc) = (r + i as i64 - s, c + j as i64 - s);
                    rr >= 0 && cc >= 0 && rr < h as i64 && cc < w as i64
                };
                // 1. the window, float32, 0 outside the image
                let mut win = vec![vec![0.0f32; k]; k];
                for i in 0..k {
                    for j in 0..k {
                        if inside(i, j) {
                            win[i][j] = img[[(r + i as i64 - s) as usize, (c + j as i64 - s) as usize]];
                        }
                    }
                }
                // 2. the corner guard
                for (i, j) in [(0, 0), (0, k - 1), (k - 1, 0), (k - 1, k - 1)] {
                    win[i][j] += 0.001f32;
                }
                // 3. weighted mean and covariance
                let xy = |i: usize, j: usize| (j as f64 - s as f64, s as f64 - i as f64);
                let mut tot = 0.0;
                let (mut mux, mut muy) = (0.0, 0.0);
                for i in 0..k {
                    for j in 0..k {
                        let (x, y) = xy(i, j);
                        let v = win[i][j] as f64;
                        tot += v;
                        mux += v * x;
                        muy += v * y;
                    }
                }
                mux /= tot;
                muy /= tot;
                let (mut cxx, mut cxy, mut cyy) = (0.0, 0.0, 0.0);
                for i in 0..k {
                    for j in 0..k {
                        let (x, y) = xy(i, j);
                        let v = win[i][j] as f64;
                        cxx += v * (x - mux) * (x - mux);
                        cxy += v * (x - mux) * (y - muy);
                        cyy += v * (y - muy) * (y - muy);
                    }
                }
                cxx /= tot;
                cxy /= tot;
                cyy /= tot;
                // 4. Frobenius normalisation and scale
                let f = (cxx * cxx + 2.0 * cxy * cxy + cyy * cyy).sqrt();
                let (mut p, mut q, mut rr) = (scale * cxx / f, scale * cyy / f, scale * cxy / f);
                let mut det = p * q - rr * rr;
                if !(tot > 0.0 && f > 0.0 && p > 0.0 && q > 0.0 && det > 0.0) {
                    // documented fallback: isotropic Σ = c/√2
                    (p, q, rr) = (scale / 2f64.sqrt(), scale / 2f64.sqrt(), 0.0);
                    det = p * q;
                }
                let (ia, ib, id) = (q / det, -rr / det, p / det);
                // 5. kernel at the window offsets, centred on P
                let mut kern = vec![vec![0.0f64; k]; k];
                let mut ksum = 0.0;
                for i in 0..k {
                    for j in 0..k {
                        let (x, y) = xy(i, j);
                        let v = (-0.5 * (ia * x * x + 2.0 * ib * x * y + id * y * y)).exp();
                        kern[i][j] = v;
                        if inside(i, j) {
                            ksum += v;
                        }
                    }
                }
                // 6. scatter
                for i in 0..k {
                    for j in 0..k {
                        if inside(i, j) {
                            let (rr, cc) = ((r + i as i64 - s) as usize, (c + j as i64 - s) as usize);
                            out[[rr, cc]] += kern[i][j] / ksum * val as f64;
                        }
                    }
                }
            }
        }
        out
    }

    fn sparse_image(h: usize, w: usize, density: f64, seed: u64) -> Array2<f32> {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        Array2::from_shape_fn((h, w), |_| {
            if rng.random::<f64>() < density {
                rng.random_range(1..20) as f32
            } else {
                0.0
            }
        })
    }

    fn opts(window: usize, scale: f64, border: Border) -> AkdeOptions {
        AkdeOptions {
            window,
            scale,
            border,
        }
    }

    /// max |a − b| / max |b|
    fn rel_err(a: &Array2<f32>, b: &Array2<f64>) -> f64 {
        let scale = b.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-300);
        a.iter()
            .zip(b.iter())
            .fold(0.0f64, |m, (x, y)| m.max((*x as f64 - y).abs()))
            / scale
    }

    #[test]
    fn fast_matches_direct() {
        let cases = [
            // (h, w, density, window, scale)
            (40, 37, 0.05, 11, 1.0),
            (33, 50, 0.3, 5, 2.5),
            (25, 25, 0.9, 3, 0.5),
            (30, 41, 0.15, 7, 4.0),
            (7, 30, 0.3, 11, 1.0), // smaller than the window: every source is clipped
        ];
        for (n, &(h, w, d, k, c)) in cases.iter().enumerate() {
            let mut img = sparse_image(h, w, d, 100 + n as u64);
            // sources on every edge and corner
            img[[0, 0]] = 3.0;
            img[[h - 1, w - 1]] = 5.0;
            img[[0, w / 2]] = 2.0;
            img[[h / 2, 0]] = 7.0;
            for border in [Border::Clip, Border::Skip] {
                let fast = akde(img.view(), &opts(k, c, border)).unwrap();
                let slow = akde_direct(&img, k, c, border);
                let e = rel_err(&fast, &slow);
                assert!(e < 1e-5, "case {n} {border:?}: relative error {e}");
                // and pixel by pixel where the density is not negligible
                let max = slow.iter().fold(0.0f64, |m, v| m.max(*v));
                for (a, b) in fast.iter().zip(slow.iter()) {
                    if *b > 1e-3 * max {
                        assert!(
                            (*a as f64 - b).abs() <= 1e-5 * b,
                            "case {n} {border:?}: {a} vs {b}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn fast_matches_direct_dense_float_values() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let img = Array2::from_shape_fn((90, 70), |_| rng.random_range(0.0f32..1000.0));
        for border in [Border::Clip, Border::Skip] {
            let fast = akde(img.view(), &opts(11, 1.5, border)).unwrap();
            let slow = akde_direct(&img, 11, 1.5, border);
            let e = rel_err(&fast, &slow);
            assert!(e < 1e-5, "{border:?}: relative error {e}");
        }
    }

    #[test]
    fn isolated_pixel_is_isotropic() {
        for c in [0.5, 1.0, 3.0] {
            let mut img = Array2::<f32>::zeros((31, 31));
            img[[15, 15]] = 4.0;
            let out = akde(img.view(), &opts(11, c, Border::Clip)).unwrap();
            // σ² = c/√2: neighbour / centre = exp(−1/(2σ²)), diagonal = exp(−2/(2σ²)).
            let sigma2 = c / 2f64.sqrt();
            let centre = out[[15, 15]] as f64;
            for (dr, dc, d2) in [
                (0i64, 1i64, 1.0),
                (1, 0, 1.0),
                (-1, 0, 1.0),
                (1, 1, 2.0),
                (-2, 1, 5.0),
            ] {
                let v = out[[(15 + dr) as usize, (15 + dc) as usize]] as f64;
                let expect = (-d2 / (2.0 * sigma2)).exp();
                assert!(
                    (v / centre - expect).abs() < 1e-5 * expect.max(1e-3),
                    "c {c}: {dr},{dc}"
                );
            }
            assert!((out.sum() as f64 - 4.0).abs() < 1e-5);
            // the same through akde_kernel
            let kern = akde_kernel(img.view(), &opts(11, c, Border::Clip), 15, 15).unwrap();
            assert!(((kern[[5, 6]] / kern[[5, 5]]) as f64 - (-1.0 / (2.0 * sigma2)).exp()).abs() < 1e-6);
            assert!((kern.sum() - 1.0).abs() < 1e-6);
        }
    }

    #[test]
    fn horizontal_line_has_no_width() {
        let mut img = Array2::<f32>::zeros((25, 60));
        for c in 0..60 {
            img[[12, c]] = 1.0;
        }
        let o = opts(11, 2.0, Border::Clip);
        let out = akde(img.view(), &o).unwrap();
        // The mass stays on the line: uniform line → 1 along it, far from its ends.
        for c in 11..49 {
            assert!((out[[12, c]] - 1.0).abs() < 1e-5, "col {c}: {}", out[[12, c]]);
            assert!(out[[11, c]] < 1e-20 && out[[13, c]] < 1e-20);
        }
        assert!((out.sum() - 60.0).abs() < 1e-3);
        // Kernel of an interior line pixel: variance along the line ≈ c,
        // C_xx = (110 + 0.1)/11.004 and C_yy = 0.1/11.004 before normalisation.
        let kern = akde_kernel(img.view(), &o, 12, 30).unwrap();
        let (cxx, cyy) = (110.1 / 11.004f64, 0.1 / 11.004f64);
        let sxx = 2.0 * cxx / (cxx * cxx + cyy * cyy).sqrt();
        for x in 1..=5 {
            let ratio = (kern[[5, 5 + x]] / kern[[5, 5]]) as f64;
            let expect = (-((x * x) as f64) / (2.0 * sxx)).exp();
            assert!(
                (ratio - expect).abs() < 1e-5 * expect,
                "x {x}: {ratio} vs {expect}"
            );
        }
        assert!((sxx - 2.0).abs() < 1e-5); // σ∥² ≈ c
        assert_eq!(kern[[4, 5]], 0.0);
    }

    #[test]
    fn diagonal_line_kernel_follows_it() {
        // A line going up and to the right (row decreases as col increases).
        let mut img = Array2::<f32>::zeros((30, 30));
        for t in 0..30 {
            img[[29 - t, t]] = 2.0;
        }
        let kern = akde_kernel(img.view(), &AkdeOptions::default(), 15, 14).unwrap();
        // up-right (row − 1, col + 1) is on the line, down-right is not.
        assert!(kern[[4, 6]] > 0.1 * kern[[5, 5]]);
        assert!(kern[[6, 6]] < 1e-6 * kern[[5, 5]]);
        assert!((kern[[4, 6]] - kern[[6, 4]]).abs() < 1e-7);
    }

    #[test]
    fn mass_conservation_and_border_modes() {
        let img = sparse_image(64, 48, 0.2, 11);
        let k = 9;
        let s = k / 2;
        let clip = akde(img.view(), &opts(k, 1.0, Border::Clip)).unwrap();
        let skip = akde(img.view(), &opts(k, 1.0, Border::Skip)).unwrap();
        let total: f64 = img.iter().map(|&v| v as f64).sum();
        let sum = |a: &Array2<f32>| a.iter().map(|&v| v as f64).sum::<f64>();
        assert!((sum(&clip) - total).abs() < 1e-5 * total);
        // Skip loses exactly the sources within s of an edge.
        let (h, w) = img.dim();
        let mut border_mass = 0.0;
        for ((r, c), &v) in img.indexed_iter() {
            if r < s || c < s || r + s >= h || c + s >= w {
                border_mass += v as f64;
            }
        }
        assert!(border_mass > 0.0);
        assert!((sum(&skip) - (total - border_mass)).abs() < 1e-5 * total);
        // Pixels at least 2s from every edge are identical.
        for r in 2 * s..h - 2 * s {
            for c in 2 * s..w - 2 * s {
                assert_eq!(clip[[r, c]], skip[[r, c]], "({r}, {c})");
            }
        }
        // and the border band differs somewhere
        assert!(clip.iter().zip(skip.iter()).any(|(a, b)| a != b));
    }

    #[test]
    fn degenerate_inputs_stay_finite() {
        // zeros in, zeros out
        let z = Array2::<f32>::zeros((20, 20));
        assert!(akde(z.view(), &AkdeOptions::default())
            .unwrap()
            .iter()
            .all(|&v| v == 0.0));
        // negative values (S ≤ 0 or indefinite covariance) use the isotropic fallback
        let mut img = sparse_image(30, 30, 0.3, 5);
        img[[10, 10]] = -50.0;
        img[[10, 11]] = 20.0;
        img[[20, 20]] = -1.0;
        let out = akde(img.view(), &AkdeOptions::default()).unwrap();
        assert!(out.iter().all(|v| v.is_finite()));
        let slow = akde_direct(&img, 11, 1.0, Border::Clip);
        assert!(rel_err(&out, &slow) < 1e-5);
        assert!((out.sum() as f64 - img.sum() as f64).abs() < 1e-3);
        // huge intensities: still finite, mass kept
        let mut big = Array2::<f32>::zeros((20, 20));
        for c in 0..20 {
            big[[10, c]] = 1e12;
        }
        let out = akde(big.view(), &AkdeOptions::default()).unwrap();
        assert!(out.iter().all(|v| v.is_finite()));
        assert!((out.sum() as f64 / 2e13 - 1.0).abs() < 1e-5);
        // the isotropic fallback itself
        let m = Moments {
            m0: -1.0,
            ..Default::default()
        };
        let iso = KernelParams::isotropic(2.0);
        assert_eq!(kernel_params(&m, 5.0, 2.0, iso), iso);
    }

    #[test]
    fn fast_exp_accuracy() {
        fn check<const F: bool>() {
            let mut worst = 0.0f64;
            let mut z = 0.0f32;
            while z > -59.9 {
                let got = exp_neg::<F>(z) as f64;
                let want = (z as f64).exp();
                worst = worst.max((got - want).abs() / want);
                z -= 0.00731;
            }
            assert!(worst < 3e-7, "fma {F}: worst relative error {worst}");
            assert_eq!(exp_neg::<F>(0.0), 1.0);
            assert_eq!(exp_neg::<F>(-61.0), 0.0);
            assert_eq!(exp_neg::<F>(f32::NEG_INFINITY), 0.0);
            assert_eq!(exp_neg::<F>(f32::NAN), 0.0);
        }
        check::<false>();
        check::<true>();
    }

    #[test]
    fn threshold_zeroes_below() {
        let img = ndarray::array![[1.0f32, 2.0, 3.0], [0.5, 2.5, -1.0]];
        let t = threshold(img.view(), 2.0).unwrap();
        assert_eq!(t, ndarray::array![[0.0f32, 2.0, 3.0], [0.0, 2.5, 0.0]]);
        assert!(threshold(img.view(), f64::NAN)
            .unwrap_err()
            .to_string()
            .starts_with("t:"));
    }

    #[test]
    fn errors_name_the_argument() {
        let img = sparse_image(10, 10, 0.3, 1);
        let msg = |o: AkdeOptions| akde(img.view(), &o).unwrap_err().to_string();
        for k in [0, 1, 2, 4, 10, 1003] {
            assert!(
                msg(opts(k, 1.0, Border::Clip)).starts_with("window:"),
                "window {k}"
            );
        }
        for c in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(msg(opts(11, c, Border::Clip)).starts_with("scale:"), "scale {c}");
        }
        let mut bad = img.clone();
        bad[[3, 4]] = f32::NAN;
        let e = akde(bad.view(), &AkdeOptions::default()).unwrap_err().to_string();
        assert!(e.starts_with("img:") && e.contains("row 3, col 4"), "{e}");
        let empty = Array2::<f32>::zeros((0, 4));
        assert!(akde(empty.view(), &AkdeOptions::default())
            .unwrap_err()
            .to_string()
            .starts_with("img:"));
        assert!(Border::parse("clamp")
            .unwrap_err()
            .to_string()
            .starts_with("border:"));
        assert_eq!(Border::parse("skip").unwrap(), Border::Skip);
        let e = akde_kernel(img.view(), &AkdeOptions::default(), 10, 0)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("row:"), "{e}");
    }

    #[test]
    fn non_standard_layout_input() {
        let img = sparse_image(20, 30, 0.2, 9);
        let t = img.t().to_owned();
        let a = akde(t.view(), &AkdeOptions::default()).unwrap();
        let b = akde(img.t(), &AkdeOptions::default()).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn baseline_and_simd_builds_agree() {
        let img = sparse_image(70, 53, 0.4, 21);
        for border in [Border::Clip, Border::Skip] {
            let o = opts(7, 1.3, border);
            let a = akde_impl(img.view(), &o, false).unwrap();
            let b = akde_impl(img.view(), &o, true).unwrap();
            let slow = akde_direct(&img, 7, 1.3, border);
            assert!(rel_err(&a, &slow) < 1e-5);
            assert!(rel_err(&b, &slow) < 1e-5);
        }
    }

    #[test]
    fn result_does_not_depend_on_thread_count() {
        let img = sparse_image(150, 40, 0.3, 33);
        let o = opts(15, 1.0, Border::Clip);
        let run = |n| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(n).build().unwrap();
            pool.install(|| akde(img.view(), &o).unwrap())
        };
        assert_eq!(run(1), run(3));
    }

    #[test]
    fn mixed_sparse_and_dense_rows_match_direct() {
        // Rows 12..30 dense (moments for the whole row), the rest sparse
        // (moments per source): both paths and their seams against the direct version.
        let mut img = sparse_image(60, 64, 0.03, 41);
        let dense = sparse_image(60, 64, 0.7, 42);
        img.slice_mut(ndarray::s![12..30, ..])
            .assign(&dense.slice(ndarray::s![12..30, ..]));
        for border in [Border::Clip, Border::Skip] {
            let fast = akde(img.view(), &opts(9, 1.2, border)).unwrap();
            let slow = akde_direct(&img, 9, 1.2, border);
            assert!(rel_err(&fast, &slow) < 1e-5, "{border:?}");
        }
    }

    #[test]
    fn wide_dense_rows_span_several_blocks() {
        // 600 columns: blocks of 256 + 256 + the rest, for window 5 (s = 2);
        // some zero pixels inside the dense rows (weight 0 in their block).
        let img = sparse_image(12, 600, 0.6, 51);
        for border in [Border::Clip, Border::Skip] {
            let fast = akde(img.view(), &opts(5, 0.8, border)).unwrap();
            let slow = akde_direct(&img, 5, 0.8, border);
            assert!(rel_err(&fast, &slow) < 1e-5, "{border:?}");
            let max = slow.iter().fold(0.0f64, |m, v| m.max(*v));
            for (a, b) in fast.iter().zip(slow.iter()) {
                if *b > 1e-3 * max {
                    assert!((*a as f64 - b).abs() <= 1e-5 * b, "{border:?}: {a} vs {b}");
                }
            }
        }
    }

    #[test]
    fn tiny_images() {
        for &(h, w) in &[(1usize, 1usize), (1, 7), (9, 1), (2, 3), (4, 4)] {
            let img = Array2::from_shape_fn((h, w), |(r, c)| (1 + (r * 3 + c) % 4) as f32);
            for k in [3, 11] {
                let clip = akde(img.view(), &opts(k, 1.0, Border::Clip)).unwrap();
                let slow = akde_direct(&img, k, 1.0, Border::Clip);
                assert!(rel_err(&clip, &slow) < 1e-5, "{h}x{w} k {k}");
                assert!(
                    (clip.sum() - img.sum()).abs() < 1e-4 * img.sum(),
                    "{h}x{w} k {k}: mass"
                );
                let skip = akde(img.view(), &opts(k, 1.0, Border::Skip)).unwrap();
                let slow = akde_direct(&img, k, 1.0, Border::Skip);
                assert!(
                    skip.iter()
                        .zip(slow.iter())
                        .all(|(a, b)| (*a as f64 - b).abs() < 1e-5),
                    "{h}x{w}"
                );
            }
        }
    }
}
