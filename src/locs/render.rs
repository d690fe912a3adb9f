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
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            pixel_nm: 10.0,
            origin: RenderOrigin::Grid,
            origin_nm: None,
            shape: None,
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
    pub fn render(&self, opt: &RenderOptions) -> Result<(Image, usize)> {
        let g = self.render_grid(opt)?;
        let (counts, dropped) = histogram(&self.x, &self.y, &g)?;
        let data = Array2::from_shape_vec(
            (g.height, g.width),
            counts.into_iter().map(|c| c as f32).collect(),
        )
        .map_err(|e| Error::Shape(e.to_string()))?;
        let mut img = Image::new(data, g.p);
        img.origin_nm = (g.x0, g.y0);
        Ok((img, dropped))
    }
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
}
