//! Fourier ring correlation (docs/methods.md §5; paper section "Fourier Ring
//! Correlation Loss", eq. for FRC_xy(r_i) and the area-FRC loss).
//!
//! [`frc`] correlates two images ring by ring in Fourier space and returns an
//! [`FrcCurve`]: the raw curve, its LOESS smoothing ([`loess`], as Picasso),
//! the ring pixel counts, and methods for the resolution at the 1/7 or ½-bit
//! threshold ([`FrcCurve::resolution`]) and the area-FRC ([`FrcCurve::area`]).
//! [`area_frc`] is the metric (and the U-Net loss, 1 − area) in one call.
//!
//! Conventions (every one is docs/methods.md §5):
//! - A non-square pair is zero-padded to N × N (N = the larger side) on the
//!   bottom and right; the curve records the original shape.
//! - Optional Tukey mask with nfac = 8 as Picasso computes it ([`tukey_1d`]),
//!   applied to the padded N × N images.
//! - Standard rings: frequency indices kx, ky ∈ −⌊N/2⌋ ..= ⌈N/2⌉ − 1; pixel
//!   (kx, ky) is in ring q when q ≤ √(kx² + ky²) < q + 1 (floor binning, as
//!   Picasso's `radial_sum` and DIPlib's `RadialSum`).
//!   FRC(q) = Re Σ_q F₁F₂* / √(Σ_q |F₁|² · Σ_q |F₂|²) for q = 0 ..= ⌈N/2⌉ − 1;
//!   a ring with zero power gives 0. Frequency f_q = q/(N·p) nm⁻¹.
//! - [`Compat::Frcnet`]: the paper code (FRCnet repository) exactly: unshifted
//!   grid, r(k) = k + 1 for k < N/2 else N − k, ring q = round(√(r(ky)² +
//!   r(kx)²)) for q = 1 ..= ⌊N/2⌋, FRC = |Σ F₁F₂*| / √|Σ|F₁|² Σ|F₂|²|; its
//!   cut-off index and loss are in [`FrcnetStats`].
//!
//! The transforms are real-input FFTs (realfft/rustfft, plans cached per
//! size), rows and column blocks in parallel, ring sums in the same pass as
//! the column transforms (see `spectrum.rs`). Everything is computed in f64.

pub mod loess;
mod spectrum;
pub mod table;

pub use loess::{loess_span, lowess, smooth_frc};
pub use spectrum::{advise_huge, filled_huge, rfft2, tukey_1d};

use crate::error::{Error, Result};
use ndarray::ArrayView2;
use spectrum::{ring_sums, RingRule};
use std::io::Write;
use std::path::Path;

/// Which ring and correlation rule to use (docs/methods.md §5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Compat {
    /// locus' rule: centred grid, floor binning, real part of the cross sum.
    #[default]
    Standard,
    /// The paper code's rule (script option `compat: "frcnet"`).
    Frcnet,
}

impl Compat {
    /// The names scripts use.
    pub const NAMES: &'static [&'static str] = &["standard", "frcnet"];

    /// The script name: `"standard"` or `"frcnet"`.
    pub fn name(self) -> &'static str {
        match self {
            Compat::Standard => "standard",
            Compat::Frcnet => "frcnet",
        }
    }

    /// Parse a script name (`"standard"` or `"frcnet"`).
    pub fn parse(s: &str) -> Result<Compat> {
        match s {
            "standard" => Ok(Compat::Standard),
            "frcnet" => Ok(Compat::Frcnet),
            _ => Err(Error::arg(
                "compat",
                format!("expected \"standard\" or \"frcnet\", got \"{s}\""),
            )),
        }
    }
}

impl std::str::FromStr for Compat {
    type Err = Error;
    fn from_str(s: &str) -> Result<Compat> {
        Compat::parse(s)
    }
}

impl std::str::FromStr for Threshold {
    type Err = Error;
    /// A name (`"1/7"`, `"half_bit"`) or a number in (0, 1).
    fn from_str(s: &str) -> Result<Threshold> {
        match s.trim().parse::<f64>() {
            Ok(t) if t > 0.0 && t < 1.0 => Ok(Threshold::Fixed(t)),
            Ok(t) => Err(Error::arg("threshold", format!("must be in (0, 1), got {t}"))),
            Err(_) => Threshold::parse(s.trim()),
        }
    }
}

/// Options of [`frc`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FrcOptions {
    /// Multiply both images by Picasso's Tukey mask (nfac = 8) before the
    /// transform. Default `false` (the self-FRC of a table's halves turns it on).
    pub tukey: bool,
    /// Ring rule; default [`Compat::Standard`].
    pub compat: Compat,
}

/// The threshold at which [`FrcCurve::resolution`] reads the curve.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Threshold {
    /// A constant threshold, usually 1/7 ≈ 0.143 (Nieuwenhuizen et al. 2013).
    Fixed(f64),
    /// The ½-bit curve T(q) = (0.2071 + 1.9102/√n_q) / (1.2071 + 0.9102/√n_q),
    /// n_q = pixels in ring q (van Heel & Schatz 2005).
    HalfBit,
}

impl Default for Threshold {
    /// The fixed 1/7 threshold.
    fn default() -> Self {
        Threshold::Fixed(1.0 / 7.0)
    }
}

impl Threshold {
    /// The names scripts use (a number is a fixed threshold).
    pub const NAMES: &'static [&'static str] = &["1/7", "half_bit"];

    /// Parse a script name: `"half_bit"` (or `"half-bit"`, `"halfbit"`) or
    /// `"1/7"` (or `"fixed"`); numbers are given as [`Threshold::Fixed`].
    pub fn parse(s: &str) -> Result<Threshold> {
        match s {
            "half_bit" | "half-bit" | "halfbit" => Ok(Threshold::HalfBit),
            "1/7" | "fixed" => Ok(Threshold::default()),
            _ => Err(Error::arg(
                "threshold",
                format!("expected \"half_bit\", \"1/7\" or a number, got \"{s}\""),
            )),
        }
    }

    /// The threshold value for a ring of `n_q` pixels.
    pub fn at(self, n_q: u64) -> f64 {
        match self {
            Threshold::Fixed(t) => t,
            Threshold::HalfBit => half_bit(n_q),
        }
    }
}

/// The ½-bit threshold for a ring of `n_q` pixels (docs/methods.md §5). A ring
/// with no pixels gets 1 (nothing can cross it).
pub fn half_bit(n_q: u64) -> f64 {
    if n_q == 0 {
        return 1.0;
    }
    let s = (n_q as f64).sqrt();
    (0.2071 + 1.9102 / s) / (1.2071 + 0.9102 / s)
}

/// What the paper code reports for a curve ([`Compat::Frcnet`] only).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FrcnetStats {
    /// The first 0-based index of the FRC array (ring q = index + 1) whose
    /// value is below 1/7; 0 when none is.
    pub cutoff_index: usize,
    /// 1 − Σ FRC(q)/100 over q = 1 ..= 100 (fewer when the curve is shorter;
    /// the divisor stays 100, like the paper code's `frc[:100]`).
    pub loss02: f64,
}

/// An FRC curve with everything needed to read and save it.
///
/// Entry i is ring `rings[i]` at frequency `freq[i]` = rings[i]/(n·pixel_nm).
#[derive(Clone, Debug, PartialEq)]
pub struct FrcCurve {
    /// Ring index q of each entry (0, 1, … for standard rings; 1 ..= N/2 for frcnet).
    pub rings: Vec<usize>,
    /// Spatial frequency of each ring, nm⁻¹.
    pub freq: Vec<f64>,
    /// The FRC values.
    pub values: Vec<f64>,
    /// The LOESS-smoothed values ([`smooth_frc`]).
    pub smoothed: Vec<f64>,
    /// Number of Fourier pixels n_q in each ring.
    pub ring_counts: Vec<u64>,
    /// Side N of the (padded) square images.
    pub n: usize,
    /// Pixel size, nm.
    pub pixel_nm: f64,
    /// The ring rule used.
    pub compat: Compat,
    /// Whether the Tukey mask was applied.
    pub tukey: bool,
    /// The original (height, width) when the images were zero-padded to square.
    pub padded_from: Option<(usize, usize)>,
    /// The paper code's cut-off index and loss (frcnet rule only).
    pub frcnet: Option<FrcnetStats>,
    /// Resolutions (nm; 1/7 threshold, smoothed) of the repeats whose mean
    /// this curve is (a table's self-FRC, [`table::self_frc`]), `None` where a
    /// repeat does not cross; empty for a single image pair. See
    /// [`repeats`](Self::repeats), [`crossed`](Self::crossed),
    /// [`repeat_stats`](Self::repeat_stats).
    pub repeat_resolutions: Vec<Option<f64>>,
    /// What a reader of the resolution should know (docs/methods.md §5): the
    /// smoothed curve rises back above 1/7 + 3/√n_q after its first crossing
    /// ([`recrossing`](Self::recrossing)); a repeat's resolution lies outside
    /// the Tukey fences of the repeats ([`RepeatStats::outliers`]). Filled by
    /// [`frc`] and [`table::self_frc`]; recompute with
    /// [`refresh_warnings`](Self::refresh_warnings) after changing the curve.
    pub warnings: Vec<String>,
}

/// Where a smoothed curve rises back above the threshold after its first
/// crossing ([`FrcCurve::recrossing`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Recrossing {
    /// Index of the entry (ring `rings[index]`).
    pub index: usize,
    /// Its spatial frequency, nm⁻¹.
    pub freq_nm_inv: f64,
    /// The smoothed FRC there.
    pub value: f64,
    /// The threshold there plus the margin 3/√n_q.
    pub limit: f64,
}

/// The statistics of a self-FRC's repeats (docs/methods.md §5): mean ± sample
/// sd over the repeats that cross, always with the count.
#[derive(Clone, Debug, PartialEq)]
pub struct RepeatStats {
    /// Number of repeats.
    pub repeats: usize,
    /// Number of repeats whose curve crosses the threshold.
    pub crossed: usize,
    /// Mean resolution (nm) of the crossing repeats; `None` when none crosses.
    pub mean_nm: Option<f64>,
    /// Sample standard deviation (n − 1) of the crossing repeats'
    /// resolutions; `None` for fewer than 2 (never the sd of one value).
    pub sd_nm: Option<f64>,
    /// Indices (0-based, into the repeats) of the crossing repeats whose
    /// resolution lies outside the Tukey fences [Q1 − 1.5 IQR, Q3 + 1.5 IQR]
    /// of the crossing repeats' resolutions (quartiles by linear
    /// interpolation, as numpy's default); only with ≥ 4 crossing repeats.
    /// Flagged, not dropped: they are in the mean.
    pub outliers: Vec<usize>,
    /// The fences (low, high) in nm, when there are ≥ 4 crossing repeats.
    pub fences_nm: Option<(f64, f64)>,
}

/// Quantile `p` ∈ [0, 1] of sorted values by linear interpolation (numpy's
/// default, type 7).
fn quantile_sorted(v: &[f64], p: f64) -> f64 {
    let h = p * (v.len() - 1) as f64;
    let (lo, t) = (h.floor() as usize, h - h.floor());
    if lo + 1 < v.len() {
        v[lo] + t * (v[lo + 1] - v[lo])
    } else {
        v[lo]
    }
}

impl RepeatStats {
    /// Statistics of the repeats' resolutions (`None`: the repeat did not cross).
    pub fn from_resolutions(resolutions: &[Option<f64>]) -> RepeatStats {
        let r: Vec<f64> = resolutions.iter().flatten().copied().collect();
        let k = r.len();
        let mean = (k > 0).then(|| r.iter().sum::<f64>() / k as f64);
        let sd = match mean {
            Some(m) if k >= 2 => {
                Some((r.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (k - 1) as f64).sqrt())
            }
            _ => None,
        };
        let (mut outliers, mut fences) = (Vec::new(), None);
        if k >= 4 {
            let mut s = r.clone();
            s.sort_by(f64::total_cmp);
            let (q1, q3) = (quantile_sorted(&s, 0.25), quantile_sorted(&s, 0.75));
            let (lo, hi) = (q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1));
            fences = Some((lo, hi));
            outliers = resolutions
                .iter()
                .enumerate()
                .filter(|(_, r)| r.is_some_and(|v| v < lo || v > hi))
                .map(|(i, _)| i)
                .collect();
        }
        RepeatStats {
            repeats: resolutions.len(),
            crossed: k,
            mean_nm: mean,
            sd_nm: sd,
            outliers,
            fences_nm: fences,
        }
    }
}

impl std::fmt::Display for RepeatStats {
    /// "3 of 5 repeats crossed: 30.4 ± 1.2 nm", "1 of 5 repeats crossed:
    /// 30.4 nm", "0 of 5 repeats crossed".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} of {} repeats crossed", self.crossed, self.repeats)?;
        match (self.mean_nm, self.sd_nm) {
            (Some(m), Some(sd)) => write!(f, ": {m:.1} ± {sd:.1} nm"),
            (Some(m), None) => write!(f, ": {m:.1} nm"),
            _ => Ok(()),
        }
    }
}

fn check_image(name: &str, img: &ArrayView2<f32>) -> Result<()> {
    let (h, w) = img.dim();
    if h == 0 || w == 0 {
        return Err(Error::arg(name, format!("image is empty ({w}×{h} pixels)")));
    }
    check_finite(name, img)
}

/// Error naming `name` and the first NaN/±inf pixel, if there is one.
pub(crate) fn check_finite(name: &str, img: &ArrayView2<f32>) -> Result<()> {
    let all_finite = match img.as_slice_memory_order() {
        Some(s) => s.iter().fold(true, |ok, v| ok & v.is_finite()),
        None => img.iter().all(|v| v.is_finite()),
    };
    if all_finite {
        return Ok(());
    }
    if let Some(((row, col), v)) = img.indexed_iter().find(|(_, v)| !v.is_finite()) {
        return Err(Error::arg(
            name,
            format!("image has a non-finite value ({v}) at column {col}, row {row}"),
        ));
    }
    Ok(())
}

fn check_pair(a: &ArrayView2<f32>, b: &ArrayView2<f32>) -> Result<()> {
    if a.dim() != b.dim() {
        return Err(Error::Shape(format!(
            "FRC needs images of the same shape: a is {}×{}, b is {}×{} (width×height)",
            a.ncols(),
            a.nrows(),
            b.ncols(),
            b.nrows()
        )));
    }
    check_image("a", a)?;
    check_image("b", b)
}

fn ratio(num: f64, p1: f64, p2: f64) -> f64 {
    let d = (p1 * p2).abs().sqrt();
    if d > 0.0 {
        num / d
    } else {
        0.0
    }
}

/// The Fourier ring correlation of two images of the same shape
/// (docs/methods.md §5).
///
/// - `a`, `b`: images (rows × columns), same shape, finite values; a
///   non-square pair is zero-padded to square on the bottom/right
///   ([`FrcCurve::padded_from`] says so).
/// - `pixel_nm`: pixel size in nm (> 0), for the frequency axis.
/// - `opts.tukey` (default false): Picasso's Tukey mask, nfac = 8.
/// - `opts.compat` (default standard): [`Compat::Frcnet`] reproduces the paper code.
///
/// Errors: different shapes ([`Error::Shape`]), empty images, NaN or ±inf
/// values, a bad pixel size.
pub fn frc(a: ArrayView2<f32>, b: ArrayView2<f32>, pixel_nm: f64, opts: &FrcOptions) -> Result<FrcCurve> {
    if !(pixel_nm.is_finite() && pixel_nm > 0.0) {
        return Err(Error::arg(
            "pixel_nm",
            format!("must be a positive number of nm, got {pixel_nm}"),
        ));
    }
    check_pair(&a, &b)?;
    let (h, w) = a.dim();
    let n = h.max(w);
    let mask = opts.tukey.then(|| tukey_1d(n));
    let rule = match opts.compat {
        Compat::Standard => RingRule::Floor,
        Compat::Frcnet => RingRule::Frcnet,
    };
    let sums = ring_sums(a, b, n, mask.as_deref(), rule, None)?;
    let rings: Vec<usize> = match opts.compat {
        Compat::Standard => (0..n.div_ceil(2)).collect(),
        Compat::Frcnet => (1..=n / 2).collect(),
    };
    let values: Vec<f64> = rings
        .iter()
        .map(|&q| match opts.compat {
            Compat::Standard => ratio(sums.cross_re[q], sums.p1[q], sums.p2[q]),
            Compat::Frcnet => ratio(sums.cross_re[q].hypot(sums.cross_im[q]), sums.p1[q], sums.p2[q]),
        })
        .collect();
    let ring_counts: Vec<u64> = rings.iter().map(|&q| sums.count[q]).collect();
    let scale = 1.0 / (n as f64 * pixel_nm);
    let freq: Vec<f64> = rings.iter().map(|&q| q as f64 * scale).collect();
    let xs: Vec<f64> = rings.iter().map(|&q| q as f64).collect();
    let smoothed = smooth_frc(&values, &xs, n);
    let frcnet = (opts.compat == Compat::Frcnet).then(|| FrcnetStats {
        cutoff_index: values.iter().position(|&v| v < 1.0 / 7.0).unwrap_or(0),
        loss02: 1.0 - values.iter().take(100).sum::<f64>() / 100.0,
    });
    Ok(FrcCurve {
        rings,
        freq,
        values,
        smoothed,
        ring_counts,
        n,
        pixel_nm,
        compat: opts.compat,
        tukey: opts.tukey,
        padded_from: (h != w).then_some((h, w)),
        frcnet,
        repeat_resolutions: Vec::new(),
        warnings: Vec::new(),
    }
    .with_warnings())
}

/// The highest ring included in the area-FRC of an N × N image:
/// min(⌊fraction·N/2⌋, ⌈N/2⌉ − 1), computed as `(fraction * n as f64 / 2.0).floor()`.
pub fn area_last_ring(n: usize, fraction: f64) -> usize {
    let q = (fraction * n as f64 / 2.0).floor() as usize;
    q.min(n.div_ceil(2).saturating_sub(1))
}

fn check_fraction(fraction: f64, n: usize) -> Result<usize> {
    if !(fraction > 0.0 && fraction <= 1.0) {
        return Err(Error::arg(
            "fraction",
            format!("must be in (0, 1], got {fraction}"),
        ));
    }
    let last = area_last_ring(n, fraction);
    if last < 1 {
        return Err(Error::arg(
            "fraction",
            format!("{fraction} of Nyquist holds no ring q ≥ 1 on a {n}×{n} image"),
        ));
    }
    Ok(last)
}

/// The area-FRC metric of two images: the mean of the standard FRC over
/// rings q = 1 ..= min(⌊fraction·N/2⌋, ⌈N/2⌉ − 1) (docs/methods.md §5), without
/// the Tukey mask; the U-Net's FRC loss is 1 − this value.
///
/// Exactly: pad to N × N (bottom/right) if non-square; F₁, F₂ = 2-D DFTs;
/// per ring q (floor binning on the centred grid) FRC(q) = Re Σ F₁F₂* /
/// √(Σ|F₁|² Σ|F₂|²), 0 for a zero-power ring; return Σ_{q=1}^{Q} FRC(q) / Q
/// with Q = [`area_last_ring`]`(N, fraction)`. Ring 0 (the mean) is excluded,
/// so affine changes x → αx + β (α > 0) of either image leave it unchanged:
/// the area of (x+1)/2 images equals that of x.
///
/// `fraction` ∈ (0, 1]: the fraction of Nyquist (the paper: 0.2; its training
/// loss over 100 of 256 rings is ≈ 0.39).
///
/// Only the Fourier columns |kx| ≤ Q are transformed, so this is cheaper than
/// a full [`frc`] for small fractions.
pub fn area_frc(a: ArrayView2<f32>, b: ArrayView2<f32>, fraction: f64) -> Result<f64> {
    check_pair(&a, &b)?;
    let (h, w) = a.dim();
    let n = h.max(w);
    let last = check_fraction(fraction, n)?;
    let sums = ring_sums(a, b, n, None, RingRule::Floor, Some(last))?;
    let total: f64 = (1..=last)
        .map(|q| ratio(sums.cross_re[q], sums.p1[q], sums.p2[q]))
        .sum();
    Ok(total / last as f64)
}

impl FrcCurve {
    /// The curve that [`resolution`](Self::resolution) reads: smoothed or raw.
    pub fn curve(&self, smooth: bool) -> &[f64] {
        if smooth {
            &self.smoothed
        } else {
            &self.values
        }
    }

    /// The threshold at every entry of the curve (constant for a fixed
    /// threshold; the ½-bit curve from the ring counts), for plotting.
    pub fn threshold_values(&self, threshold: Threshold) -> Vec<f64> {
        self.ring_counts.iter().map(|&n| threshold.at(n)).collect()
    }

    /// The resolution in nm where the (smoothed when `smooth`) curve first
    /// falls below `threshold`: the first entry i ≥ 1 (ring q ≥ 1) with
    /// curve(i−1) − T(i−1) ≥ 0 > curve(i) − T(i), linearly interpolated
    /// between f(i−1) and f(i); resolution = 1/f. `None` when the curve never
    /// crosses (scripts see `()`), never 0. Script defaults: 1/7, smoothed.
    pub fn resolution(&self, threshold: Threshold, smooth: bool) -> Option<f64> {
        let c = self.curve(smooth);
        for i in 1..c.len() {
            if self.rings[i] < 1 {
                continue;
            }
            let d0 = c[i - 1] - threshold.at(self.ring_counts[i - 1]);
            let d1 = c[i] - threshold.at(self.ring_counts[i]);
            if d0 >= 0.0 && d1 < 0.0 {
                let t = d0 / (d0 - d1);
                let f = self.freq[i - 1] + t * (self.freq[i] - self.freq[i - 1]);
                let r = 1.0 / f;
                return (r.is_finite() && r > 0.0).then_some(r);
            }
        }
        None
    }

    /// The area-FRC: the mean of the raw FRC over rings q = 1 ..=
    /// min(⌊fraction·N/2⌋, ⌈N/2⌉ − 1) (docs/methods.md §5); 1 − area is the loss.
    /// `fraction` ∈ (0, 1] is the fraction of Nyquist.
    pub fn area(&self, fraction: f64) -> Result<f64> {
        let last = check_fraction(fraction, self.n)?;
        let (sum, cnt) = self
            .rings
            .iter()
            .zip(&self.values)
            .filter(|(&q, _)| q >= 1 && q <= last)
            .fold((0.0, 0usize), |(s, c), (_, &v)| (s + v, c + 1));
        if cnt == 0 {
            return Err(Error::arg(
                "fraction",
                format!("{fraction} of Nyquist holds no ring of this curve"),
            ));
        }
        Ok(sum / cnt as f64)
    }

    /// The number of independent curves this one stands for: the repeats of
    /// a self-FRC, 1 for a single image pair.
    pub fn repeats(&self) -> usize {
        self.repeat_resolutions.len().max(1)
    }

    /// How many of the [`repeats`](Self::repeats) cross 1/7 (smoothed); for a
    /// single pair, 1 when the curve crosses, else 0.
    pub fn crossed(&self) -> usize {
        if self.repeat_resolutions.is_empty() {
            self.resolution(Threshold::default(), true).is_some() as usize
        } else {
            self.repeat_resolutions.iter().flatten().count()
        }
    }

    /// The statistics of the repeats (`None` for a single image pair).
    pub fn repeat_stats(&self) -> Option<RepeatStats> {
        (!self.repeat_resolutions.is_empty()).then(|| RepeatStats::from_resolutions(&self.repeat_resolutions))
    }

    /// Where the smoothed curve, after its first crossing of `threshold`
    /// (the crossing [`resolution`](Self::resolution) reports), first rises
    /// again above T(q) + 3/√n_q (n_q: the ring's pixels; docs/methods.md §5).
    /// `None` when it does not, or never crosses. Rings without pixels are
    /// skipped.
    pub fn recrossing(&self, threshold: Threshold) -> Option<Recrossing> {
        let c = &self.smoothed;
        let first = (1..c.len()).find(|&i| {
            self.rings[i] >= 1
                && c[i - 1] >= threshold.at(self.ring_counts[i - 1])
                && c[i] < threshold.at(self.ring_counts[i])
        })?;
        (first + 1..c.len()).find_map(|j| {
            let n = self.ring_counts[j];
            if n == 0 {
                return None;
            }
            let limit = threshold.at(n) + 3.0 / (n as f64).sqrt();
            (c[j] > limit).then_some(Recrossing {
                index: j,
                freq_nm_inv: self.freq[j],
                value: c[j],
                limit,
            })
        })
    }

    /// Recompute [`warnings`](Self::warnings) from the smoothed curve (1/7
    /// threshold) and the repeats.
    pub fn refresh_warnings(&mut self) {
        let mut w = Vec::new();
        if let Some(r) = self.recrossing(Threshold::default()) {
            w.push(format!(
                "the smoothed FRC rises back above 1/7 after its first crossing: {:.3} at {:.4} nm⁻¹ \
                 ({:.1} nm), above 1/7 + 3/√n_q = {:.3}; the resolution is the first crossing",
                r.value,
                r.freq_nm_inv,
                1.0 / r.freq_nm_inv,
                r.limit
            ));
        }
        if let Some(st) = self.repeat_stats() {
            if let Some((lo, hi)) = st.fences_nm {
                for &i in &st.outliers {
                    if let Some(r) = self.repeat_resolutions[i] {
                        w.push(format!(
                            "repeat {} of {}: {r:.1} nm lies outside the Tukey fences [{lo:.1}, {hi:.1}] nm \
                             of the crossing repeats (flagged, not dropped)",
                            i + 1,
                            st.repeats
                        ));
                    }
                }
            }
        }
        self.warnings = w;
    }

    /// The curve with [`warnings`](Self::warnings) recomputed.
    pub fn with_warnings(mut self) -> Self {
        self.refresh_warnings();
        self
    }

    /// The resolution part of the summary and of the plot legend: for a
    /// single pair "resolution 30.4 nm" or "no 1/7 crossing"; for repeats the
    /// mean curve first, then the repeats: "mean curve: resolution 31.0 nm;
    /// 4 of 5 repeats crossed: 30.4 ± 1.2 nm", "mean curve: no 1/7 crossing;
    /// 1 of 5 repeats crossed: 30.4 nm". Always 1/7 on the smoothed curve.
    pub fn resolution_text(&self) -> String {
        let res = match self.resolution(Threshold::default(), true) {
            Some(r) => format!("resolution {r:.1} nm"),
            None => "no 1/7 crossing".to_string(),
        };
        match self.repeat_stats() {
            Some(st) if st.repeats >= 2 => format!("mean curve: {res}; {st}"),
            _ => res,
        }
    }

    /// One line: shape, pixel size, options, the resolution (1/7, smoothed;
    /// for repeats the mean curve's first, then "k of n repeats crossed: …",
    /// see [`resolution_text`](Self::resolution_text)), area(0.2), the
    /// frcnet numbers, and every warning. Also what `Display` prints.
    pub fn summary(&self) -> String {
        let mut s = self.summary_without_warnings();
        for w in &self.warnings {
            s += &format!("; warning: {w}");
        }
        s
    }

    fn summary_without_warnings(&self) -> String {
        let mut s = format!("FRC {n}×{n} px at {p} nm", n = self.n, p = self.pixel_nm);
        if let Some((h, w)) = self.padded_from {
            s += &format!(" (zero-padded from {w}×{h})");
        }
        if self.tukey {
            s += ", Tukey";
        }
        if self.compat == Compat::Frcnet {
            s += ", frcnet rings";
        }
        s += &format!(": {} (1/7, smoothed)", self.resolution_text());
        if let Ok(a) = self.area(0.2) {
            s += &format!(", area(0.2) = {a:.4}");
        }
        if let Some(st) = self.frcnet {
            s += &format!(
                ", frcnet cut-off index {}, loss02 {:.4}",
                st.cutoff_index, st.loss02
            );
        }
        s
    }

    /// Write the curve as CSV, atomically (a temporary file in the same folder,
    /// then a rename). First comment lines starting with `#`: the
    /// [`summary`](Self::summary); for repeats, `# repeats: n, crossed: k,
    /// resolutions_nm: r1;r2;…` (empty where a repeat did not cross); one
    /// `# warning: …` line per warning (read with e.g. `pandas.read_csv(path,
    /// comment="#")`). Then the header and one row per ring: `ring,
    /// freq_nm_inv, frc, smoothed, ring_pixels, threshold_half_bit` (the
    /// ½-bit threshold of each ring).
    pub fn to_csv(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let mut text = format!("# {}\n", self.summary_without_warnings());
        if !self.repeat_resolutions.is_empty() {
            let r: Vec<String> = self
                .repeat_resolutions
                .iter()
                .map(|r| r.map(|v| v.to_string()).unwrap_or_default())
                .collect();
            text += &format!(
                "# repeats: {}, crossed: {}, resolutions_nm: {}\n",
                self.repeats(),
                self.crossed(),
                r.join(";")
            );
        }
        for w in &self.warnings {
            text += &format!("# warning: {w}\n");
        }
        text += "ring,freq_nm_inv,frc,smoothed,ring_pixels,threshold_half_bit\n";
        for i in 0..self.values.len() {
            text += &format!(
                "{},{:e},{},{},{},{}\n",
                self.rings[i],
                self.freq[i],
                self.values[i],
                self.smoothed[i],
                self.ring_counts[i],
                half_bit(self.ring_counts[i])
            );
        }
        write_atomic(path, text.as_bytes())
    }
}

impl std::fmt::Display for FrcCurve {
    /// The one-line [`summary`](FrcCurve::summary).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.summary())
    }
}

/// Write `bytes` to `path` through `path.tmp-<pid>` and a rename.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut tmp_name = path.file_name().map(|s| s.to_os_string()).ok_or_else(|| {
        Error::io(
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file path"),
        )
    })?;
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let res = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = res {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(path, e));
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests;
