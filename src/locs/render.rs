//! Rendering a table as a histogram image (docs/methods.md §2).
//!
//! The grid has pixel size p, an origin (x0, y0) and a shape. A localization
//! at (x, y) adds 1 to pixel (col ⌊(x−x0)/p⌋, row ⌊(y−y0)/p⌋); points outside
//! the grid are dropped and counted. Grid choices:
//! * [`RenderOrigin::Grid`] (default): origin (0, 0), shape ⌈FOV/p⌉ from the
//!   table's field of view, so that halves and subsets of one table render
//!   on the same grid;
//! * [`RenderOrigin::Data`]: origin at the data minimum and ⌊(max−min)/p⌋+1
//!   bins per axis, like the paper code's `np.histogram2d`.
//!
//! An explicit origin or shape overrides either. Speed: pixel indices are
//! computed in parallel; for large inputs the image is cut into horizontal
//! bands, one per thread, each filled from the index list (no per-thread
//! copies of the image).
//!
//! With [`Blur::Precision`] (METHODS.md §9, Picasso's `blur_method="gaussian"`)
//! each localization is instead a normalised 2-D Gaussian with
//! σx = max(lpx, min_blur_nm), σy = max(lpy, min_blur_nm), integrated over
//! every pixel: pixel (c, r) receives
//! [Φ((x0+(c+1)p−x)/σx) − Φ((x0+cp−x)/σx)] · [Φ((y0+(r+1)p−y)/σy) − Φ((y0+rp−y)/σy)]
//! (Φ the standard normal CDF, through `erfc`), over a window of ±5σ that is
//! renormalised to sum exactly 1, so the image total is the number of
//! localizations whose mass falls inside the grid. A localization whose
//! centre lies outside the grid (or is not finite) is dropped and counted, as
//! in the histogram; a σ of 0 (or NaN precision with no floor) puts the whole
//! localization into its pixel.

use super::Locs;
use crate::error::{Error, Result};
use crate::image::Image;
use ndarray::Array2;
use rayon::prelude::*;

/// Where the grid starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RenderOrigin {
    /// Origin (0, 0), shape ⌈FOV/p⌉ (default).
    #[default]
    Grid,
    /// Origin at the data minimum, ⌊(max−min)/p⌋+1 bins (np.histogram2d as in the paper code).
    Data,
}

impl RenderOrigin {
    /// The names scripts use.
    pub const NAMES: &'static [&'static str] = &["grid", "data"];

    /// Parse `"grid"` or `"data"`.
    pub fn from_name(name: &str) -> Result<RenderOrigin> {
        match name {
            "grid" => Ok(RenderOrigin::Grid),
            "data" => Ok(RenderOrigin::Data),
            _ => Err(Error::arg(
                "origin",
                format!("unknown origin '{name}'; expected \"grid\" or \"data\""),
            )),
        }
    }
}

/// How each localization is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Blur {
    /// A count in the pixel that contains it: the histogram (default).
    #[default]
    None,
    /// A normalised Gaussian of its own precision (lpx, lpy), integrated over pixels.
    Precision,
}

impl std::str::FromStr for Blur {
    type Err = Error;
    /// Parse `"none"` or `"precision"`.
    fn from_str(name: &str) -> Result<Blur> {
        match name {
            "none" => Ok(Blur::None),
            "precision" => Ok(Blur::Precision),
            _ => Err(Error::arg(
                "blur",
                format!("unknown blur '{name}'; expected \"none\" or \"precision\""),
            )),
        }
    }
}

/// Options of [`Locs::render`].
#[derive(Debug, Clone, PartialEq)]
pub struct RenderOptions {
    /// Pixel size in nm (default 10).
    pub pixel_nm: f64,
    /// Grid rule (default [`RenderOrigin::Grid`]).
    pub origin: RenderOrigin,
    /// Explicit origin (x0, y0) in nm, overriding the rule's.
    pub origin_nm: Option<(f64, f64)>,
    /// Explicit shape (width, height) in pixels, overriding the rule's.
    pub shape: Option<(usize, usize)>,
    /// How each localization is drawn (default [`Blur::None`], the histogram).
    pub blur: Blur,
    /// Smallest Gaussian σ in nm with [`Blur::Precision`] (default 0: the
    /// precisions as they are).
    pub min_blur_nm: f64,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            pixel_nm: 10.0,
            origin: RenderOrigin::Grid,
            origin_nm: None,
            shape: None,
            blur: Blur::None,
            min_blur_nm: 0.0,
        }
    }
}

impl RenderOptions {
    /// Default options with pixel size `pixel_nm`.
    pub fn with_pixel(pixel_nm: f64) -> Self {
        RenderOptions {
            pixel_nm,
            ..Default::default()
        }
    }
}

/// Largest image locus renders (pixels), to turn typos into errors rather than huge allocations.
pub const MAX_PIXELS: usize = 1 << 30;

/// A resolved grid: origin (nm), pixel size (nm), width and height (pixels).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grid {
    /// Left edge, nm.
    pub x0: f64,
    /// Top edge, nm.
    pub y0: f64,
    /// Pixel size, nm.
    pub p: f64,
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
}

impl Grid {
    /// The linear pixel index (row·width + col) of (x, y), or `None` outside.
    #[inline]
    pub fn index(&self, x: f32, y: f32) -> Option<usize> {
        let c = ((x as f64 - self.x0) / self.p).floor();
        let r = ((y as f64 - self.y0) / self.p).floor();
        // NaN fails both comparisons.
        if c >= 0.0 && r >= 0.0 && c < self.width as f64 && r < self.height as f64 {
            Some(r as usize * self.width + c as usize)
        } else {
            None
        }
    }
}

fn bins(extent: f64, p: f64, what: &str) -> Result<usize> {
    let n = (extent / p).ceil();
    if !(n.is_finite() && n >= 0.0) || n > MAX_PIXELS as f64 {
        return Err(Error::arg(
            what,
            format!("{extent} nm at {p} nm pixels gives {n} pixels"),
        ));
    }
    Ok(n as usize)
}

impl Locs {
    /// The grid [`Locs::render`] uses with these options.
    pub fn render_grid(&self, opt: &RenderOptions) -> Result<Grid> {
        let p = opt.pixel_nm;
        if !(p.is_finite() && p > 0.0) {
            return Err(Error::arg(
                "pixel_nm",
                format!("must be a positive number, got {p}"),
            ));
        }
        let (mut x0, mut y0, mut w, mut h) = match opt.origin {
            RenderOrigin::Grid => (
                0.0,
                0.0,
                bins(self.meta.width_nm, p, "width_nm")?,
                bins(self.meta.height_nm, p, "height_nm")?,
            ),
            RenderOrigin::Data => {
                let mut lo = (f64::INFINITY, f64::INFINITY);
                let mut hi = (f64::NEG_INFINITY, f64::NEG_INFINITY);
                for (&x, &y) in self.x.iter().zip(&self.y) {
                    if x.is_finite() && y.is_finite() {
                        lo = (lo.0.min(x as f64), lo.1.min(y as f64));
                        hi = (hi.0.max(x as f64), hi.1.max(y as f64));
                    }
                }
                if lo.0 > hi.0 {
                    // No localizations: an empty 0 × 0 grid at the origin.
                    (0.0, 0.0, 0, 0)
                } else {
                    let n = |a: f64, b: f64| ((b - a) / p).floor() as usize + 1;
                    (lo.0, lo.1, n(lo.0, hi.0), n(lo.1, hi.1))
                }
            }
        };
        if let Some((ox, oy)) = opt.origin_nm {
            if !(ox.is_finite() && oy.is_finite()) {
                return Err(Error::arg("origin", format!("must be finite, got ({ox}, {oy})")));
            }
            (x0, y0) = (ox, oy);
        }
        if let Some((sw, sh)) = opt.shape {
            (w, h) = (sw, sh);
        }
        if w.saturating_mul(h) > MAX_PIXELS {
            return Err(Error::arg(
                "shape",
                format!("{w} x {h} pixels is more than locus renders ({MAX_PIXELS})"),
            ));
        }
        Ok(Grid {
            x0,
            y0,
            p,
            width: w,
            height: h,
        })
    }

    /// Histogram of the localizations (docs/methods.md §2) and the number of
    /// localizations that fell outside the grid. The image has pixel size
    /// `pixel_nm` and the grid's origin.
    ///
    /// With `blur: Blur::Precision` every localization is a normalised
    /// Gaussian of its precision (module documentation); the table needs
    /// `lpx` and `lpy` columns then.
    pub fn render(&self, opt: &RenderOptions) -> Result<(Image, usize)> {
        let g = self.render_grid(opt)?;
        let (pixels, dropped) = match opt.blur {
            Blur::None => {
                let (counts, dropped) = histogram(&self.x, &self.y, &g)?;
                (counts.into_iter().map(|c| c as f32).collect(), dropped)
            }
            Blur::Precision => {
                if !(opt.min_blur_nm.is_finite() && opt.min_blur_nm >= 0.0) {
                    return Err(Error::arg(
                        "min_blur_nm",
                        format!("must be a number >= 0, got {}", opt.min_blur_nm),
                    ));
                }
                let lpx = self.f32_column_for("lpx", "render with blur \"precision\"")?;
                let lpy = self.f32_column_for("lpy", "render with blur \"precision\"")?;
                gaussians(&self.x, &self.y, &lpx, &lpy, opt.min_blur_nm, &g)?
            }
        };
        let data =
            Array2::from_shape_vec((g.height, g.width), pixels).map_err(|e| Error::Shape(e.to_string()))?;
        let mut img = Image::new(data, g.p);
        img.origin_nm = (g.x0, g.y0);
        Ok((img, dropped))
    }
}

impl Locs {
    /// Column `name` as f32 (lengths in nm), or an error naming the column
    /// and what needs it.
    pub(crate) fn f32_column_for(&self, name: &str, what: &str) -> Result<Vec<f32>> {
        match self.extra(name) {
            Some(c) => Ok(match &c.data {
                super::ColumnData::F32(v) => v.clone(),
                d => d.to_f64().into_iter().map(|v| v as f32).collect(),
            }),
            None => Err(Error::arg(
                name,
                format!(
                    "{what} needs a column '{name}'; the table has: {}",
                    self.columns().join(", ")
                ),
            )),
        }
    }
}

/// Standard normal CDF Φ(z) = erfc(−z/√2)/2.
#[inline]
pub(crate) fn normal_cdf(z: f64) -> f64 {
    0.5 * libm::erfc(-z * std::f64::consts::FRAC_1_SQRT_2)
}

/// Φ tabulated on [−8.5, 8.5] (2^17 points, from `erfc`) and interpolated
/// linearly: the error is below h²/8 · max|Φ''| = 5·10⁻¹⁰, and 0 or 1
/// beyond the table (Φ(−8.5) ≈ 10⁻¹⁷). Five times faster than `erfc`.
#[inline]
pub(crate) fn normal_cdf_fast(z: f64) -> f64 {
    const Z: f64 = 8.5;
    const N: usize = 1 << 17;
    static TABLE: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    let t = TABLE.get_or_init(|| {
        (0..N)
            .map(|k| normal_cdf(-Z + 2.0 * Z * k as f64 / (N - 1) as f64))
            .collect()
    });
    if z.is_nan() {
        return f64::NAN;
    }
    if z <= -Z {
        return 0.0;
    }
    if z >= Z {
        return 1.0;
    }
    let u = (z + Z) * ((N - 1) as f64 / (2.0 * Z));
    let i = (u as usize).min(N - 2);
    let f = u - i as f64;
    t[i] + f * (t[i + 1] - t[i])
}

/// The pixel integrals of a normalised 1-D Gaussian (centre `c`, σ `s`, in
/// nm) over pixels of size `p` from `x0`: the first pixel index (possibly
/// negative or beyond `n`) and the weights of the pixels from it, over ±5σ,
/// renormalised to sum 1. A σ that is 0, negative, NaN or below 1e-9 pixels
/// gives the single pixel that contains `c`. `c` must be finite.
pub(crate) fn gaussian_weights(c: f64, s: f64, x0: f64, p: f64, w: &mut Vec<f64>) -> i64 {
    w.clear();
    if s.is_nan() || s <= 1e-9 * p {
        w.push(1.0);
        return ((c - x0) / p).floor() as i64;
    }
    let lo = ((c - 5.0 * s - x0) / p).floor() as i64;
    let hi = ((c + 5.0 * s - x0) / p).floor() as i64;
    let mut prev = normal_cdf_fast((x0 + lo as f64 * p - c) / s);
    let first = prev;
    for k in lo..=hi {
        let next = normal_cdf_fast((x0 + (k + 1) as f64 * p - c) / s);
        w.push(next - prev);
        prev = next;
    }
    let total = prev - first;
    for v in w.iter_mut() {
        *v /= total;
    }
    lo
}

/// Add one normalised Gaussian to `out` (row-major `g.height × g.width`);
/// `wx`, `wy` are scratch buffers. Returns false, adding nothing, when the
/// centre is outside the grid or not finite.
#[allow(clippy::too_many_arguments)]
#[inline]
pub(crate) fn add_gaussian(
    out: &mut [f32],
    g: &Grid,
    x: f64,
    y: f64,
    sx: f64,
    sy: f64,
    wx: &mut Vec<f64>,
    wy: &mut Vec<f64>,
) -> bool {
    if g.index(x as f32, y as f32).is_none() {
        return false;
    }
    let cx = gaussian_weights(x, sx, g.x0, g.p, wx);
    let cy = gaussian_weights(y, sy, g.y0, g.p, wy);
    let (w, h) = (g.width as i64, g.height as i64);
    let (kx0, kx1) = (
        (-cx).max(0) as usize,
        ((w - cx).min(wx.len() as i64)).max(0) as usize,
    );
    for (ky, &vy) in wy.iter().enumerate() {
        let r = cy + ky as i64;
        if r < 0 || r >= h || kx0 >= kx1 {
            continue;
        }
        let row = &mut out[r as usize * g.width..(r as usize + 1) * g.width];
        for kx in kx0..kx1 {
            row[(cx + kx as i64) as usize] += (vy * wx[kx]) as f32;
        }
    }
    true
}

/// Precision rendering (module documentation): the image (row-major) and
/// the number of localizations dropped. σ = max(lp, `min_blur_nm`); a NaN
/// precision counts as 0 before the floor.
pub(crate) fn gaussians(
    x: &[f32],
    y: &[f32],
    lpx: &[f32],
    lpy: &[f32],
    min_blur_nm: f64,
    g: &Grid,
) -> Result<(Vec<f32>, usize)> {
    let npix = g.width * g.height;
    let n = x.len();
    let sigma = |v: f32| {
        let v = v as f64;
        if v.is_nan() {
            min_blur_nm
        } else {
            v.max(min_blur_nm)
        }
    };
    let draw = |out: &mut Vec<f32>, range: std::ops::Range<usize>| -> Result<usize> {
        let (mut wx, mut wy) = (Vec::new(), Vec::new());
        let mut dropped = 0;
        for i in range {
            if i % 65_536 == 0 {
                crate::interrupt::check()?;
            }
            let ok = add_gaussian(
                out,
                g,
                x[i] as f64,
                y[i] as f64,
                sigma(lpx[i]),
                sigma(lpy[i]),
                &mut wx,
                &mut wy,
            );
            dropped += !ok as usize;
        }
        Ok(dropped)
    };
    let threads = rayon::current_num_threads();
    // Per-thread images, summed: only when the copies stay small.
    if n < 20_000 || threads < 2 || npix.saturating_mul(threads) > (1 << 26) {
        let mut out = vec![0f32; npix];
        let dropped = draw(&mut out, 0..n)?;
        return Ok((out, dropped));
    }
    let chunk = n.div_ceil(threads);
    let parts: Vec<Result<(Vec<f32>, usize)>> = (0..threads)
        .into_par_iter()
        .map(|t| {
            let mut out = vec![0f32; npix];
            let d = draw(&mut out, t * chunk..((t + 1) * chunk).min(n))?;
            Ok((out, d))
        })
        .collect();
    let mut total = vec![0f32; npix];
    let mut dropped = 0;
    for p in parts {
        let (img, d) = p?;
        dropped += d;
        total.par_iter_mut().zip(&img).for_each(|(a, b)| *a += b);
    }
    Ok((total, dropped))
}

/// Counts per pixel (row-major, `height × width`) and the number dropped.
pub fn histogram(x: &[f32], y: &[f32], g: &Grid) -> Result<(Vec<u32>, usize)> {
    let npix = g.width * g.height;
    let mut counts = vec![0u32; npix];
    let n = x.len().min(y.len());
    let threads = rayon::current_num_threads();
    if n < 200_000 || threads < 2 || g.height < 2 {
        let mut dropped = 0;
        for (&a, &b) in x.iter().zip(y) {
            match g.index(a, b) {
                Some(i) => counts[i] += 1,
                None => dropped += 1,
            }
        }
        return Ok((counts, dropped));
    }
    // 1. Pixel index of every point (u32::MAX = outside; images are < 2^30 pixels).
    const CHUNK: usize = 1 << 16;
    let mut idx = vec![0u32; n];
    idx.par_chunks_mut(CHUNK).enumerate().for_each(|(c, out)| {
        let start = c * CHUNK;
        for (k, o) in out.iter_mut().enumerate() {
            *o = g.index(x[start + k], y[start + k]).map_or(u32::MAX, |i| i as u32);
        }
    });
    crate::interrupt::check()?;
    let dropped = idx.par_iter().filter(|&&i| i == u32::MAX).count();
    // 2. One band of rows per task; each scans the index list for its range.
    let bands = threads.min(g.height);
    let rows_per_band = g.height.div_ceil(bands);
    let band_len = rows_per_band * g.width;
    counts.par_chunks_mut(band_len).enumerate().for_each(|(b, band)| {
        let lo = (b * band_len) as u32;
        let len = band.len() as u32;
        for &i in &idx {
            let d = i.wrapping_sub(lo);
            if d < len {
                band[d as usize] += 1;
            }
        }
    });
    Ok((counts, dropped))
}

impl std::str::FromStr for RenderOrigin {
    type Err = Error;
    fn from_str(s: &str) -> Result<RenderOrigin> {
        RenderOrigin::from_name(s)
    }
}

#[cfg(test)]
mod tests {
    use super::super::Metadata;
    use super::*;
    use rand::{Rng, SeedableRng};

    fn locs(x: Vec<f32>, y: Vec<f32>, w: f64, h: f64) -> Locs {
        let meta = Metadata {
            width_nm: w,
            height_nm: h,
            ..Default::default()
        };
        Locs::new(vec![0; x.len()], x, y, meta).unwrap()
    }

    /// The obviously-correct twin: for every pixel, count the points whose
    /// offset from the origin lies in [c·p, (c+1)·p) × [r·p, (r+1)·p).
    fn slow(l: &Locs, g: &Grid) -> (Vec<f32>, usize) {
        let mut out = vec![0f32; g.width * g.height];
        let mut inside = 0;
        for r in 0..g.height {
            for c in 0..g.width {
                let (xa, xb) = (c as f64 * g.p, (c + 1) as f64 * g.p);
                let (ya, yb) = (r as f64 * g.p, (r + 1) as f64 * g.p);
                for (&x, &y) in l.x().iter().zip(l.y()) {
                    let (dx, dy) = (x as f64 - g.x0, y as f64 - g.y0);
                    if dx >= xa && dx < xb && dy >= ya && dy < yb {
                        out[r * g.width + c] += 1.0;
                        inside += 1;
                    }
                }
            }
        }
        (out, l.len() - inside)
    }

    #[test]
    fn hand_checked_counts() {
        // Grid 3 × 2 pixels of 10 nm from a 30 × 20 nm field of view.
        let l = locs(
            vec![0.0, 9.999, 10.0, 29.999, 30.0, -0.001, 15.0, 5.0, 25.0],
            vec![0.0, 0.0, 0.0, 19.999, 5.0, 5.0, 20.0, 10.0, 10.0],
            30.0,
            20.0,
        );
        let (img, dropped) = l.render(&RenderOptions::with_pixel(10.0)).unwrap();
        assert_eq!((img.width(), img.height()), (3, 2));
        assert_eq!(img.pixel_nm, 10.0);
        assert_eq!(img.origin_nm, (0.0, 0.0));
        // (0,0),(9.999,0) -> pixel (0,0); (10,0) -> (1,0); (29.999,19.999) -> (2,1);
        // (5,10) -> (0,1); (25,10) -> (2,1). Dropped: x = 30, x < 0, y = 20.
        assert_eq!(img.data.as_slice().unwrap(), &[2.0, 1.0, 0.0, 1.0, 0.0, 2.0]);
        assert_eq!(dropped, 3);
        // Shape ⌈FOV/p⌉ with a FOV that is not a multiple of p.
        let l2 = locs(vec![1.0], vec![1.0], 31.0, 20.5);
        let (img, _) = l2.render(&RenderOptions::with_pixel(10.0)).unwrap();
        assert_eq!((img.width(), img.height()), (4, 3));
    }

    #[test]
    fn data_origin_like_histogram2d() {
        // min (-5, 100), max (14, 130): x bins ⌊19/5⌋+1 = 4, y bins ⌊30/5⌋+1 = 7.
        let l = locs(
            vec![-5.0, 0.0, 14.0, 3.0],
            vec![100.0, 130.0, 101.0, 104.999],
            1.0,
            1.0,
        );
        let opt = RenderOptions {
            pixel_nm: 5.0,
            origin: RenderOrigin::Data,
            ..Default::default()
        };
        let (img, dropped) = l.render(&opt).unwrap();
        assert_eq!((img.width(), img.height()), (4, 7));
        assert_eq!(img.origin_nm, (-5.0, 100.0));
        assert_eq!(dropped, 0);
        assert_eq!(img.data[[0, 0]], 1.0); // (-5, 100)
        assert_eq!(img.data[[6, 1]], 1.0); // (0, 130)
        assert_eq!(img.data[[0, 3]], 1.0); // (14, 101)
        assert_eq!(img.data[[0, 1]], 1.0); // (3, 104.999)
                                           // Explicit origin and shape override.
        let opt = RenderOptions {
            pixel_nm: 10.0,
            origin_nm: Some((-10.0, 90.0)),
            shape: Some((2, 2)),
            ..Default::default()
        };
        let (img, dropped) = l.render(&opt).unwrap();
        // (-5, 100) -> col 0, row 1; (3, 104.999) -> col 1, row 1; the others are outside.
        assert_eq!(img.data.as_slice().unwrap(), &[0.0, 0.0, 1.0, 1.0]);
        assert_eq!(dropped, 2);
        // Empty table.
        let e = locs(vec![], vec![], 100.0, 50.0);
        let (img, d) = e.render(&RenderOptions::with_pixel(10.0)).unwrap();
        assert_eq!((img.width(), img.height(), d), (10, 5, 0));
        assert_eq!(img.data.sum(), 0.0);
        let (img, _) = e
            .render(&RenderOptions {
                origin: RenderOrigin::Data,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(img.data.len(), 0);
    }

    #[test]
    fn bad_options() {
        assert_eq!(RenderOrigin::from_name("data").unwrap(), RenderOrigin::Data);
        assert!(RenderOrigin::from_name("min")
            .unwrap_err()
            .to_string()
            .contains("grid"));
        let l = locs(vec![1.0], vec![1.0], 10.0, 10.0);
        for p in [0.0, -1.0, f64::NAN] {
            assert!(l
                .render(&RenderOptions::with_pixel(p))
                .unwrap_err()
                .to_string()
                .contains("pixel_nm"));
        }
        let huge = RenderOptions {
            shape: Some((1 << 20, 1 << 20)),
            ..Default::default()
        };
        assert!(l.render(&huge).is_err());
    }

    #[test]
    fn matches_slow_loop() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let n = 3000;
        let x: Vec<f32> = (0..n).map(|_| rng.random_range(-20.0..220.0f32)).collect();
        let mut y: Vec<f32> = (0..n).map(|_| rng.random_range(-20.0..170.0f32)).collect();
        // Some points exactly on pixel edges.
        for (i, v) in y.iter_mut().enumerate().take(100) {
            *v = (i % 16) as f32 * 10.0;
        }
        let l = locs(x, y, 200.0, 150.0);
        for opt in [
            RenderOptions::with_pixel(10.0),
            RenderOptions::with_pixel(12.5),
            RenderOptions {
                pixel_nm: 12.5,
                origin: RenderOrigin::Data,
                ..Default::default()
            },
        ] {
            let (img, dropped) = l.render(&opt).unwrap();
            let g = l.render_grid(&opt).unwrap();
            let (want, want_dropped) = slow(&l, &g);
            assert_eq!(img.data.as_slice().unwrap(), &want[..]);
            assert_eq!(dropped, want_dropped);
            assert_eq!(img.data.sum() as usize + dropped, n);
        }
    }

    #[test]
    fn parallel_path_matches_serial() {
        // Above the parallel threshold; compared with a direct scatter loop.
        let mut rng = rand::rngs::StdRng::seed_from_u64(9);
        let n = 400_000;
        let x: Vec<f32> = (0..n).map(|_| rng.random_range(-50.0..1050.0f32)).collect();
        let y: Vec<f32> = (0..n).map(|_| rng.random_range(-50.0..1050.0f32)).collect();
        let g = Grid {
            x0: 0.0,
            y0: 0.0,
            p: 3.0,
            width: 334,
            height: 333,
        };
        let pool = rayon::ThreadPoolBuilder::new().num_threads(4).build().unwrap();
        let (fast, dropped) = pool.install(|| histogram(&x, &y, &g)).unwrap();
        let mut want = vec![0u32; g.width * g.height];
        let mut want_dropped = 0;
        for (&a, &b) in x.iter().zip(&y) {
            let c = ((a as f64) / 3.0).floor();
            let r = ((b as f64) / 3.0).floor();
            if c >= 0.0 && r >= 0.0 && c < 334.0 && r < 333.0 {
                want[r as usize * 334 + c as usize] += 1;
            } else {
                want_dropped += 1;
            }
        }
        assert_eq!(fast, want);
        assert_eq!(dropped, want_dropped);
    }

    /// Simpson's rule for the integral of a normalised 1-D Gaussian over [a, b]:
    /// the twin of the erf pixel integrals.
    fn simpson_gauss(c: f64, s: f64, a: f64, b: f64) -> f64 {
        let n = 2000;
        let h = (b - a) / n as f64;
        let f = |t: f64| (-(t - c).powi(2) / (2.0 * s * s)).exp() / (s * (2.0 * std::f64::consts::PI).sqrt());
        let mut sum = f(a) + f(b);
        for k in 1..n {
            sum += f(a + k as f64 * h) * if k % 2 == 1 { 4.0 } else { 2.0 };
        }
        sum * h / 3.0
    }

    fn with_lp(mut l: Locs, lpx: Vec<f32>, lpy: Vec<f32>) -> Locs {
        l.add_column("lpx", Some("nm"), super::super::ColumnData::F32(lpx))
            .unwrap();
        l.add_column("lpy", Some("nm"), super::super::ColumnData::F32(lpy))
            .unwrap();
        l
    }

    fn precision(pixel_nm: f64, min_blur_nm: f64) -> RenderOptions {
        RenderOptions {
            pixel_nm,
            blur: Blur::Precision,
            min_blur_nm,
            ..Default::default()
        }
    }

    #[test]
    fn precision_single_localization_is_the_pixel_integral() {
        // One localization at (47.3, 52.9) nm, σx = 6, σy = 9 nm, 5 nm pixels.
        let l = with_lp(locs(vec![47.3], vec![52.9], 100.0, 100.0), vec![6.0], vec![9.0]);
        let (img, dropped) = l.render(&precision(5.0, 0.0)).unwrap();
        assert_eq!(dropped, 0);
        for r in 0..20 {
            for c in 0..20 {
                let (x0, y0) = (c as f64 * 5.0, r as f64 * 5.0);
                let want = simpson_gauss(47.3, 6.0, x0, x0 + 5.0) * simpson_gauss(52.9, 9.0, y0, y0 + 5.0);
                let got = img.data[[r, c]] as f64;
                assert!((got - want).abs() < 2e-6, "pixel ({c}, {r}): {got} vs {want}");
            }
        }
        assert!((img.data.sum() - 1.0).abs() < 1e-5);
        // The floor: σ = max(lp, min_blur_nm) = 20 nm in both axes.
        let (img, _) = l.render(&precision(5.0, 20.0)).unwrap();
        let want = simpson_gauss(47.3, 20.0, 45.0, 50.0) * simpson_gauss(52.9, 20.0, 50.0, 55.0);
        assert!((img.data[[10, 9]] as f64 - want).abs() < 2e-6);
        // σ = 0: the whole localization in its pixel (like the histogram).
        let z = with_lp(
            locs(vec![47.3], vec![52.9], 100.0, 100.0),
            vec![0.0],
            vec![f32::NAN],
        );
        let (img, _) = z.render(&precision(5.0, 0.0)).unwrap();
        assert_eq!(img.data[[10, 9]], 1.0);
        assert_eq!(img.data.sum(), 1.0);
    }

    #[test]
    fn precision_total_is_the_number_of_localizations() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(4);
        // Above the parallel threshold; every Gaussian well inside the grid.
        let n = 30_000;
        let x: Vec<f32> = (0..n).map(|_| rng.random_range(200.0..1800.0f32)).collect();
        let y: Vec<f32> = (0..n).map(|_| rng.random_range(200.0..1300.0f32)).collect();
        let lp: Vec<f32> = (0..n).map(|_| rng.random_range(1.0..25.0f32)).collect();
        let mut l = with_lp(locs(x, y, 2000.0, 1500.0), lp.clone(), lp);
        let (img, dropped) = l.render(&precision(10.0, 5.0)).unwrap();
        assert_eq!(dropped, 0);
        assert!((img.data.iter().map(|&v| v as f64).sum::<f64>() - n as f64).abs() < 1e-3 * n as f64 / 1e3);
        // Same as the serial path (one thread).
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let (serial, _) = pool.install(|| l.render(&precision(10.0, 5.0))).unwrap();
        for (a, b) in img.data.iter().zip(serial.data.iter()) {
            assert!((a - b).abs() < 1e-4, "{a} {b}");
        }
        // Localizations with a centre outside the grid are dropped and counted.
        l.x[0] = -5.0;
        l.x[1] = f32::NAN;
        let (_, dropped) = l.render(&precision(10.0, 5.0)).unwrap();
        assert_eq!(dropped, 2);
    }

    #[test]
    fn tabulated_normal_cdf_matches_erfc() {
        let mut worst = 0.0f64;
        for k in -200_000..=200_000 {
            let z = k as f64 * 4.5e-5 + 0.3e-6;
            worst = worst.max((normal_cdf_fast(z) - normal_cdf(z)).abs());
        }
        assert!(worst < 1e-9, "{worst}");
        assert_eq!((normal_cdf_fast(-9.0), normal_cdf_fast(9.0)), (0.0, 1.0));
        // Hand-checked values: Φ(0) = 1/2, Φ(1) = 0.841344746068543, Φ(−1.96) = 0.024997895148220.
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-15);
        assert!((normal_cdf(1.0) - 0.841_344_746_068_543).abs() < 1e-14);
        assert!((normal_cdf(-1.96) - 0.024_997_895_148_220).abs() < 1e-14);
        assert!(normal_cdf_fast(f64::NAN).is_nan());
    }

    #[test]
    fn precision_needs_lpx_and_parses() {
        let l = locs(vec![1.0], vec![1.0], 10.0, 10.0);
        let e = l.render(&precision(1.0, 0.0)).unwrap_err().to_string();
        assert!(e.contains("lpx") && e.contains("precision"), "{e}");
        let l = with_lp(l, vec![1.0], vec![1.0]);
        assert!(l
            .render(&precision(1.0, -1.0))
            .unwrap_err()
            .to_string()
            .contains("min_blur_nm"));
        assert_eq!("precision".parse::<Blur>().unwrap(), Blur::Precision);
        assert_eq!("none".parse::<Blur>().unwrap(), Blur::None);
        let e = "gauss".parse::<Blur>().unwrap_err().to_string();
        assert!(e.contains("\"none\"") && e.contains("\"precision\""), "{e}");
        assert_eq!(RenderOptions::default().blur, Blur::None);
        // Empty table.
        let e = with_lp(locs(vec![], vec![], 10.0, 10.0), vec![], vec![]);
        let (img, d) = e.render(&precision(1.0, 0.0)).unwrap();
        assert_eq!((img.data.sum(), d), (0.0, 0));
    }
}
