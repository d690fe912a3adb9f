//! Drift correction by redundant cross-correlation (RCC; Wang, Schnitzbauer
//! et al. 2014, Opt. Express 22:15982; `docs/methods.md §9`; Picasso
//! `postprocess.undrift`, `imageprocess.rcc`, `lib.minimize_shifts`).
//!
//! 1. **Segments**: n = round(frames / segment_frames) (at least 2), with
//!    boundaries b_k = ⌊k·(frames − 1)/n⌋ (numpy `linspace` cast to integers);
//!    segment k holds frames [b_k, b_{k+1}), the last one also frame
//!    frames − 1. Its time is the centre of its frame range.
//! 2. **Images**: every segment is rendered on one grid of `pixel_nm` pixels
//!    spanning the data, each localization a normalised Gaussian of
//!    σ = max(lp, min_blur_px · pixel) integrated over pixels (Picasso:
//!    `blur_method="gaussian"`, `min_blur_width` 1 px, on the camera pixel
//!    grid). locus defaults to half the camera pixel and a floor of half a
//!    pixel: on simulated tables (100 000 localizations, 20 000 frames, 8 nm
//!    precision) this leaves a residual of 0.2–1.3 nm against 1.3–3.3 nm
//!    with Picasso's settings, which remain available.
//! 3. **Correlation**: C_ij(τ) = Σ_u I_i(u) I_j(u + τ) for every pair i < j,
//!    by FFT with zero padding to at least the image plus `max_shift_px`
//!    (so that no lag within ±max_shift wraps around; Picasso's FFT is
//!    circular). Only the (2M+1)² lags |τ| ≤ M are transformed back. The
//!    sub-pixel peak: the maximum of a quadratic fitted to the logarithm of
//!    the 3 × 3 values around the largest value within ±max_shift (exact for
//!    a rotated elliptical Gaussian; Picasso fits a round Gaussian plus
//!    offset to 5 × 5 values, which a neighbouring peak of a periodic
//!    structure can pull off). The peak position τ is r_ij = d_j − d_i, the
//!    displacement of segment j against i.
//! 3. **Least squares**: the segment drifts d (d = 0 for the first segment
//!    with localizations) minimise Σ |r_ij − (d_j − d_i)|² — the normal
//!    equations are the graph Laplacian of the pairs. Pairs whose residual
//!    exceeds max(3 × median residual, 0.1 px) are dropped and the system is
//!    solved again (as long as every segment stays connected), following
//!    Wang et al.; Picasso keeps all pairs. Segments without localizations
//!    take no part.
//! 4. **Interpolation**: a cubic spline through (segment time, d) with
//!    not-a-knot ends (`scipy.interpolate.InterpolatedUnivariateSpline`,
//!    k = 3, with polynomial extrapolation beyond the end centres) gives the
//!    drift at every frame; with 3 segments a parabola, with 2 a line.
//! 5. **Correction**: x − drift_x(frame), y − drift_y(frame).

use super::fit::solve;
use crate::error::{Error, Result};
use crate::locs::render::{add_gaussian, Grid};
use crate::locs::Locs;
use rayon::prelude::*;
use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use rustfft::{Fft, FftPlanner};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

type C32 = Complex<f32>;

/// A drift trace: the displacement of the sample at every frame, nm. A
/// localization seen at frame f sits at its true position plus
/// (x_nm[f], y_nm[f]); [`Drift::apply`] subtracts it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Drift {
    /// Drift along x per frame (index = frame), nm.
    pub x_nm: Vec<f64>,
    /// Drift along y per frame, nm.
    pub y_nm: Vec<f64>,
    /// The segment estimates the trace interpolates: (centre frame, x nm,
    /// y nm); empty for a drift that was not estimated (a simulation's truth).
    pub segments: Vec<(f64, f64, f64)>,
    /// Segment pairs used by the final least-squares solution.
    pub pairs_used: usize,
    /// Segment pairs dropped as outliers.
    pub pairs_dropped: usize,
}

impl Drift {
    /// A drift from its per-frame traces (equal lengths).
    pub fn new(x_nm: Vec<f64>, y_nm: Vec<f64>) -> Result<Drift> {
        if x_nm.len() != y_nm.len() {
            return Err(Error::Shape(format!(
                "drift x has {} frames, y has {}",
                x_nm.len(),
                y_nm.len()
            )));
        }
        Ok(Drift {
            x_nm,
            y_nm,
            ..Default::default()
        })
    }

    /// Number of frames covered.
    pub fn n_frames(&self) -> usize {
        self.x_nm.len()
    }

    /// The table with the drift removed: x − x_nm[frame], y − y_nm[frame].
    /// Errors when a frame lies beyond the trace.
    pub fn apply(&self, locs: &Locs) -> Result<Locs> {
        let n = self.n_frames();
        if let Some(&f) = locs.frame().iter().find(|&&f| f as usize >= n) {
            return Err(Error::arg(
                "drift",
                format!("covers frames 0..{n}, but the table has frame {f}"),
            ));
        }
        let x: Vec<f32> = locs
            .x()
            .iter()
            .zip(locs.frame())
            .map(|(&v, &f)| (v as f64 - self.x_nm[f as usize]) as f32)
            .collect();
        let y: Vec<f32> = locs
            .y()
            .iter()
            .zip(locs.frame())
            .map(|(&v, &f)| (v as f64 - self.y_nm[f as usize]) as f32)
            .collect();
        let mut out = Locs::new(locs.frame().to_vec(), x, y, locs.meta.clone())?;
        for c in locs.extra_columns() {
            out.add_column(&c.name, c.unit.as_deref(), c.data.clone())?;
        }
        Ok(out)
    }

    /// Root-mean-square difference to `other` per axis, nm, after removing
    /// the mean difference (drift is known only up to a constant), over the
    /// frames both cover.
    pub fn rms_difference(&self, other: &Drift) -> (f64, f64) {
        let n = self.n_frames().min(other.n_frames());
        let rms = |a: &[f64], b: &[f64]| {
            if n == 0 {
                return f64::NAN;
            }
            let d: Vec<f64> = (0..n).map(|k| a[k] - b[k]).collect();
            let m = d.iter().sum::<f64>() / n as f64;
            (d.iter().map(|v| (v - m).powi(2)).sum::<f64>() / n as f64).sqrt()
        };
        (rms(&self.x_nm, &other.x_nm), rms(&self.y_nm, &other.y_nm))
    }

    /// Write `frame,x_nm,y_nm` rows (frame from 0) to a CSV file, atomically.
    pub fn save_csv(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        crate::image::io::write_atomic(path, |w| {
            let io = |e| Error::io(path, e);
            writeln!(w, "frame,x_nm,y_nm").map_err(io)?;
            let mut b = ryu::Buffer::new();
            for k in 0..self.n_frames() {
                write!(w, "{k},").map_err(io)?;
                w.write_all(b.format(self.x_nm[k]).as_bytes()).map_err(io)?;
                w.write_all(b",").map_err(io)?;
                w.write_all(b.format(self.y_nm[k]).as_bytes()).map_err(io)?;
                w.write_all(b"\n").map_err(io)?;
            }
            Ok(())
        })
    }

    /// Plot x and y drift (nm) against frame into `path` (`.svg` or `.png`).
    pub fn plot(&self, path: impl AsRef<Path>) -> Result<()> {
        plot_drifts(&[(self, "")], path, Some("Drift"))
    }
}

/// Plot several drift traces (x solid, y dashed, one colour per trace; the
/// label is prefixed to "x"/"y") against frame. Traces are thinned to about
/// 2000 points each.
pub fn plot_drifts(drifts: &[(&Drift, &str)], path: impl AsRef<Path>, title: Option<&str>) -> Result<()> {
    use crate::plot::{line_plot, LinePlotOptions, Series};
    let mut series = Vec::new();
    for (d, label) in drifts {
        let n = d.n_frames();
        if n == 0 {
            return Err(Error::arg("drift", "the drift covers no frame"));
        }
        let step = n.div_ceil(2000).max(1);
        let mut idx: Vec<usize> = (0..n).step_by(step).collect();
        if idx.last() != Some(&(n - 1)) {
            idx.push(n - 1);
        }
        let frames: Vec<f64> = idx.iter().map(|&k| k as f64).collect();
        let sep = if label.is_empty() { "" } else { " " };
        series.push(Series {
            label: format!("{label}{sep}x"),
            x: frames.clone(),
            y: idx.iter().map(|&k| d.x_nm[k]).collect(),
            ..Default::default()
        });
        series.push(Series {
            label: format!("{label}{sep}y"),
            x: frames,
            y: idx.iter().map(|&k| d.y_nm[k]).collect(),
            dashed: true,
            ..Default::default()
        });
    }
    line_plot(
        &series,
        path,
        &LinePlotOptions {
            title: title.map(str::to_string),
            xlabel: "frame".into(),
            ylabel: "drift (nm)".into(),
            ..Default::default()
        },
    )
}

/// Options of [`undrift`].
#[derive(Debug, Clone, PartialEq)]
pub struct UndriftOptions {
    /// Frames per segment (default 1000, Picasso's default).
    pub segment_frames: u32,
    /// Pixel of the segment images, nm (default: half the camera pixel, or
    /// 50 nm when the table has no camera pixel size; Picasso uses the
    /// camera pixel).
    pub pixel_nm: Option<f64>,
    /// Largest displacement searched between two segments, pixels of
    /// `pixel_nm` (default 32).
    pub max_shift_px: usize,
    /// Smallest Gaussian σ of a localization in the segment images, pixels
    /// of `pixel_nm` (default 0.5; Picasso: 1 camera pixel).
    pub min_blur_px: f64,
}

impl Default for UndriftOptions {
    fn default() -> Self {
        UndriftOptions {
            segment_frames: 1000,
            pixel_nm: None,
            max_shift_px: 32,
            min_blur_px: 0.5,
        }
    }
}

/// Most segments [`undrift`] accepts (n² / 2 correlations).
pub const MAX_SEGMENTS: usize = 2000;

/// The frame ranges of the segments: (first, end exclusive).
pub(crate) fn segment_bounds(n_frames: u32, n_seg: usize) -> Vec<(u32, u32)> {
    let last = n_frames.saturating_sub(1) as f64;
    let b: Vec<u32> = (0..=n_seg)
        .map(|k| (k as f64 * last / n_seg as f64).floor() as u32)
        .collect();
    (0..n_seg)
        .map(|k| (b[k], if k + 1 == n_seg { n_frames } else { b[k + 1] }))
        .collect()
}

/// Estimate the drift of `locs` by RCC and remove it (module documentation).
/// Returns the corrected table (history: `undrift(...)`) and the drift.
pub fn undrift(locs: &Locs, opt: &UndriftOptions) -> Result<(Locs, Drift)> {
    let drift = estimate_drift(locs, opt)?;
    let mut out = drift.apply(locs)?;
    let p = opt.pixel_nm.unwrap_or_else(|| default_pixel_nm(locs));
    out.meta.history.push(format!(
        "undrift(segment_frames {}, pixel {} nm, max_shift {} px, min_blur {} px; {} segments, \
         {} pairs, {} dropped)",
        opt.segment_frames,
        p,
        opt.max_shift_px,
        opt.min_blur_px,
        drift.segments.len(),
        drift.pairs_used,
        drift.pairs_dropped
    ));
    Ok((out, drift))
}

/// The default pixel of the segment images: half the camera pixel, else 50 nm.
pub fn default_pixel_nm(locs: &Locs) -> f64 {
    locs.pixel_nm().map_or(50.0, |p| p / 2.0)
}

/// The drift of `locs` by RCC without applying it.
pub fn estimate_drift(locs: &Locs, opt: &UndriftOptions) -> Result<Drift> {
    if opt.segment_frames == 0 {
        return Err(Error::arg("segment_frames", "must be at least 1"));
    }
    let p = opt.pixel_nm.unwrap_or_else(|| default_pixel_nm(locs));
    if !(p.is_finite() && p > 0.0) {
        return Err(Error::arg(
            "pixel_nm",
            format!("must be a positive number, got {p}"),
        ));
    }
    if !(opt.min_blur_px.is_finite() && opt.min_blur_px >= 0.0) {
        return Err(Error::arg(
            "min_blur_px",
            format!("must be a number >= 0, got {}", opt.min_blur_px),
        ));
    }
    if opt.max_shift_px == 0 {
        return Err(Error::arg("max_shift_px", "must be at least 1"));
    }
    if locs.is_empty() {
        return Err(Error::Numeric("undrift: the table is empty".into()));
    }
    let n_frames = locs.n_frames();
    let n_seg = (n_frames as f64 / opt.segment_frames as f64).round() as usize;
    if n_seg < 2 {
        return Err(Error::arg(
            "segment_frames",
            format!(
                "{} frames in segments of {} give {n_seg} segment(s); RCC needs at least 2",
                n_frames, opt.segment_frames
            ),
        ));
    }
    if n_seg > MAX_SEGMENTS {
        return Err(Error::arg(
            "segment_frames",
            format!(
                "{n_frames} frames in segments of {} give {n_seg} segments (at most {MAX_SEGMENTS})",
                opt.segment_frames
            ),
        ));
    }
    let bounds = segment_bounds(n_frames, n_seg);
    // Segment of each frame.
    let mut seg_of_frame = vec![0usize; n_frames as usize];
    for (k, &(a, b)) in bounds.iter().enumerate() {
        for f in a..b {
            seg_of_frame[f as usize] = k;
        }
    }
    // The grid: the finite data, with a margin of the largest blur.
    let (x, y) = (locs.x(), locs.y());
    let mut lo = (f64::INFINITY, f64::INFINITY);
    let mut hi = (f64::NEG_INFINITY, f64::NEG_INFINITY);
    for (&a, &b) in x.iter().zip(y) {
        if a.is_finite() && b.is_finite() {
            lo = (lo.0.min(a as f64), lo.1.min(b as f64));
            hi = (hi.0.max(a as f64), hi.1.max(b as f64));
        }
    }
    if lo.0 > hi.0 {
        return Err(Error::Numeric(
            "undrift: no localization has a finite position".into(),
        ));
    }
    let min_blur = opt.min_blur_px * p;
    let lp = |name: &str| -> Vec<f64> {
        match locs.column(name) {
            Ok(v) => v
                .into_iter()
                .map(|s| if s.is_finite() { s.max(min_blur) } else { min_blur })
                .collect(),
            Err(_) => vec![min_blur; locs.len()],
        }
    };
    let (sx, sy) = (lp("lpx"), lp("lpy"));
    let margin = 2.0 * p + 3.0 * min_blur;
    let width = (((hi.0 - lo.0) + 2.0 * margin) / p).ceil() as usize + 1;
    let height = (((hi.1 - lo.1) + 2.0 * margin) / p).ceil() as usize + 1;
    let m = opt.max_shift_px.min(width.max(height));
    let (nx, ny) = (fast_len(width + m + 3), fast_len(height + m + 3));
    let bytes = (n_seg as f64) * (ny as f64) * ((nx / 2 + 1) as f64) * 8.0;
    if bytes > 8e9 {
        return Err(Error::arg(
            "pixel_nm",
            format!(
                "{n_seg} segment spectra of {nx} × {ny} pixels would take {:.1} GB; use larger pixels or segments",
                bytes / 1e9
            ),
        ));
    }
    let grid = Grid {
        x0: lo.0 - margin,
        y0: lo.1 - margin,
        p,
        width,
        height,
    };
    // Rows per segment.
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); n_seg];
    for (i, &f) in locs.frame().iter().enumerate() {
        if x[i].is_finite() && y[i].is_finite() {
            members[seg_of_frame[f as usize]].push(i);
        }
    }
    let progress = crate::progress::Progress::new((n_seg + n_seg * (n_seg - 1) / 2) as u64, "undrift");
    let fft = Fft2::new(ny, nx);
    // Segment images and spectra.
    let spectra: Vec<Option<Vec<C32>>> = members
        .par_iter()
        .map(|rows| -> Result<Option<Vec<C32>>> {
            crate::interrupt::check()?;
            let out = if rows.is_empty() {
                None
            } else {
                let mut img = vec![0f32; width * height];
                let (mut wx, mut wy) = (Vec::new(), Vec::new());
                for &i in rows {
                    add_gaussian(
                        &mut img,
                        &grid,
                        x[i] as f64,
                        y[i] as f64,
                        sx[i],
                        sy[i],
                        &mut wx,
                        &mut wy,
                    );
                }
                Some(fft.forward(&img, height, width)?)
            };
            progress.inc(1);
            Ok(out)
        })
        .collect::<Result<_>>()?;
    let valid: Vec<usize> = (0..n_seg).filter(|&k| spectra[k].is_some()).collect();
    if valid.len() < 2 {
        return Err(Error::Numeric(format!(
            "undrift: only {} of {n_seg} segments hold localizations; RCC needs at least 2",
            valid.len()
        )));
    }
    // Pairwise shifts (pixels).
    let pairs: Vec<(usize, usize)> = (0..valid.len())
        .flat_map(|a| (a + 1..valid.len()).map(move |b| (a, b)))
        .collect();
    let shifts: Vec<(f64, f64)> = pairs
        .par_iter()
        .map_init(
            || fft.scratch(),
            |scratch, &(a, b)| -> Result<(f64, f64)> {
                crate::interrupt::check()?;
                let (Some(fa), Some(fb)) = (&spectra[valid[a]], &spectra[valid[b]]) else {
                    return Err(Error::Numeric("undrift: missing segment spectrum".into()));
                };
                let win = fft.correlate_window(fa, fb, m + 1, scratch)?;
                let s = peak(&win, m + 1, m);
                progress.inc(1);
                Ok(s)
            },
        )
        .collect::<Result<_>>()?;
    progress.finish();
    let (d, used, dropped) = solve_shifts(valid.len(), &pairs, &shifts, 0.1)?;
    // Segment times and drifts in nm.
    let t: Vec<f64> = valid
        .iter()
        .map(|&k| (bounds[k].0 as f64 + bounds[k].1 as f64 - 1.0) / 2.0)
        .collect();
    let dx: Vec<f64> = d.iter().map(|v| v.0 * p).collect();
    let dy: Vec<f64> = d.iter().map(|v| v.1 * p).collect();
    let frames: Vec<f64> = (0..n_frames).map(|f| f as f64).collect();
    let x_nm = Spline::not_a_knot(&t, &dx)?.eval_many(&frames);
    let y_nm = Spline::not_a_knot(&t, &dy)?.eval_many(&frames);
    Ok(Drift {
        x_nm,
        y_nm,
        segments: (0..t.len()).map(|k| (t[k], dx[k], dy[k])).collect(),
        pairs_used: used,
        pairs_dropped: dropped,
    })
}

/// Smallest n' ≥ n of the form 2^a·3^b·5^c.
fn fast_len(n: usize) -> usize {
    let mut m = n.max(1);
    loop {
        let mut r = m;
        for f in [2, 3, 5] {
            while r.is_multiple_of(f) {
                r /= f;
            }
        }
        if r == 1 {
            return m;
        }
        m += 1;
    }
}

/// 2-D FFTs of real ny × nx images (row real FFTs, column complex FFTs) and
/// windowed inverse transforms of cross-power spectra.
pub(crate) struct Fft2 {
    ny: usize,
    nx: usize,
    mx: usize,
    r2c: Arc<dyn RealToComplex<f32>>,
    c2r: Arc<dyn ComplexToReal<f32>>,
    col_fwd: Arc<dyn Fft<f32>>,
    col_inv: Arc<dyn Fft<f32>>,
}

/// Buffers reused across the pairs of one thread.
pub(crate) struct Scratch {
    prod: Vec<C32>,
    col: Vec<C32>,
    fft: Vec<C32>,
    row_c: Vec<C32>,
    row_r: Vec<f32>,
    c2r: Vec<C32>,
}

impl Fft2 {
    pub(crate) fn new(ny: usize, nx: usize) -> Fft2 {
        let mut rp = RealFftPlanner::<f32>::new();
        let mut cp = FftPlanner::<f32>::new();
        Fft2 {
            ny,
            nx,
            mx: nx / 2 + 1,
            r2c: rp.plan_fft_forward(nx),
            c2r: rp.plan_fft_inverse(nx),
            col_fwd: cp.plan_fft_forward(ny),
            col_inv: cp.plan_fft_inverse(ny),
        }
    }

    pub(crate) fn scratch(&self) -> Scratch {
        Scratch {
            prod: vec![C32::new(0.0, 0.0); self.ny * self.mx],
            col: vec![C32::new(0.0, 0.0); self.ny],
            fft: vec![
                C32::new(0.0, 0.0);
                self.col_inv
                    .get_inplace_scratch_len()
                    .max(self.col_fwd.get_inplace_scratch_len())
            ],
            row_c: self.c2r.make_input_vec(),
            row_r: self.c2r.make_output_vec(),
            c2r: self.c2r.make_scratch_vec(),
        }
    }

    /// Half spectrum (ny × (nx/2+1), row-major) of the h × w image placed at
    /// the top-left of the zero-padded ny × nx frame.
    pub(crate) fn forward(&self, img: &[f32], h: usize, w: usize) -> Result<Vec<C32>> {
        let (ny, nx, mx) = (self.ny, self.nx, self.mx);
        let mut spec = vec![C32::new(0.0, 0.0); ny * mx];
        let mut input = self.r2c.make_input_vec();
        let mut scratch = self.r2c.make_scratch_vec();
        for r in 0..h.min(ny) {
            input.iter_mut().for_each(|v| *v = 0.0);
            input[..w.min(nx)].copy_from_slice(&img[r * w..r * w + w.min(nx)]);
            self.r2c
                .process_with_scratch(&mut input, &mut spec[r * mx..(r + 1) * mx], &mut scratch)
                .map_err(|e| Error::Numeric(format!("FFT failed: {e}")))?;
        }
        let mut col = vec![C32::new(0.0, 0.0); ny];
        let mut fs = vec![C32::new(0.0, 0.0); self.col_fwd.get_inplace_scratch_len()];
        for c in 0..mx {
            for r in 0..ny {
                col[r] = spec[r * mx + c];
            }
            self.col_fwd.process_with_scratch(&mut col, &mut fs);
            for r in 0..ny {
                spec[r * mx + c] = col[r];
            }
        }
        Ok(spec)
    }

    /// The circular cross-correlation C(τ) = Σ_u a(u) b(u + τ) at lags
    /// |τy|, |τx| ≤ `half`, from the half spectra of a and b: a
    /// (2·half+1)² array, row-major, lag (−half, −half) first.
    pub(crate) fn correlate_window(
        &self,
        fa: &[C32],
        fb: &[C32],
        half: usize,
        s: &mut Scratch,
    ) -> Result<Vec<f32>> {
        let (ny, nx, mx) = (self.ny, self.nx, self.mx);
        let side = 2 * half + 1;
        let scale = 1.0 / (nx as f32 * ny as f32);
        for ((p, a), b) in s.prod.iter_mut().zip(fa).zip(fb) {
            *p = a.conj() * b * scale;
        }
        // Columns: inverse FFT, keeping the rows of the wanted lags.
        let rows: Vec<usize> = (0..side)
            .map(|k| (k as isize - half as isize).rem_euclid(ny as isize) as usize)
            .collect();
        // row_spec[k] = the half spectrum row (over columns) for lag row k.
        let mut row_spec = vec![C32::new(0.0, 0.0); side * mx];
        for c in 0..mx {
            for r in 0..ny {
                s.col[r] = s.prod[r * mx + c];
            }
            self.col_inv.process_with_scratch(&mut s.col, &mut s.fft);
            for (k, &r) in rows.iter().enumerate() {
                row_spec[k * mx + c] = s.col[r];
            }
        }
        let mut out = vec![0f32; side * side];
        for k in 0..side {
            s.row_c.copy_from_slice(&row_spec[k * mx..(k + 1) * mx]);
            s.row_c[0].im = 0.0;
            if nx % 2 == 0 {
                s.row_c[mx - 1].im = 0.0;
            }
            self.c2r
                .process_with_scratch(&mut s.row_c, &mut s.row_r, &mut s.c2r)
                .map_err(|e| Error::Numeric(format!("inverse FFT failed: {e}")))?;
            for j in 0..side {
                let c = (j as isize - half as isize).rem_euclid(nx as isize) as usize;
                out[k * side + j] = s.row_r[c];
            }
        }
        Ok(out)
    }
}

/// The sub-pixel position (x, y), in pixels, of the largest value of the
/// correlation window `win` ((2·half+1)², centre = lag 0) among lags within
/// ±`m` (`m` < `half`): the maximum of the quadratic fitted by least squares
/// to the logarithm of the 3 × 3 values around it (exact for an elliptical,
/// rotated Gaussian peak: the "9-point Gaussian" estimator of particle image
/// velocimetry), or per-axis 3-point Gaussians when the values are not all
/// positive or the quadratic has no maximum, clamped to ±1 pixel.
pub(crate) fn peak(win: &[f32], half: usize, m: usize) -> (f64, f64) {
    let side = 2 * half + 1;
    let c0 = half as isize;
    let at = |dy: isize, dx: isize| win[((c0 + dy) as usize) * side + (c0 + dx) as usize] as f64;
    let m = m.min(half.saturating_sub(1)) as isize;
    let (mut by, mut bx, mut best) = (0isize, 0isize, f64::NEG_INFINITY);
    for dy in -m..=m {
        for dx in -m..=m {
            let v = at(dy, dx);
            if v > best {
                (by, bx, best) = (dy, dx, v);
            }
        }
    }
    if !(best.is_finite()) || best <= 0.0 {
        return (0.0, 0.0);
    }
    // ln of the 3 × 3 neighbourhood, l[j+1][i+1] at offset (i, j).
    let mut l = [[0.0f64; 3]; 3];
    let mut positive = true;
    for j in -1..=1isize {
        for i in -1..=1isize {
            let v = at(by + j, bx + i);
            positive &= v > 0.0;
            l[(j + 1) as usize][(i + 1) as usize] = if v > 0.0 { v.ln() } else { 0.0 };
        }
    }
    // Per-axis 3-point Gaussian (or parabola on the raw values without logs).
    let three = |a: f64, c: f64, b: f64| {
        let den = a - 2.0 * c + b;
        if den < 0.0 {
            (0.5 * (a - b) / den).clamp(-1.0, 1.0)
        } else {
            0.0
        }
    };
    if positive {
        let col = |i: usize| l[0][i] + l[1][i] + l[2][i];
        let row = |j: usize| l[j][0] + l[j][1] + l[j][2];
        let ax = (col(2) - col(0)) / 6.0;
        let ay = (row(2) - row(0)) / 6.0;
        let axx = (col(2) + col(0) - 2.0 * col(1)) / 6.0;
        let ayy = (row(2) + row(0) - 2.0 * row(1)) / 6.0;
        let axy = (l[2][2] + l[0][0] - l[0][2] - l[2][0]) / 4.0;
        // ∇ = 0: [2axx axy; axy 2ayy]·(x, y) = −(ax, ay); a maximum needs axx < 0, det > 0.
        let det = 4.0 * axx * ayy - axy * axy;
        if axx < 0.0 && ayy < 0.0 && det > 0.0 {
            let x = (-ax * 2.0 * ayy + ay * axy) / det;
            let y = (-ay * 2.0 * axx + ax * axy) / det;
            if x.abs() <= 1.0 && y.abs() <= 1.0 {
                return (bx as f64 + x, by as f64 + y);
            }
        }
        return (
            bx as f64 + three(l[1][0], l[1][1], l[1][2]),
            by as f64 + three(l[0][1], l[1][1], l[2][1]),
        );
    }
    (
        bx as f64 + three(at(by, bx - 1), best, at(by, bx + 1)),
        by as f64 + three(at(by - 1, bx), best, at(by + 1, bx)),
    )
}

/// Segment drifts (x, y), pairs used, pairs dropped.
pub(crate) type SegmentDrifts = (Vec<(f64, f64)>, usize, usize);

/// Least-squares segment drifts from pairwise shifts r_ab = d_b − d_a
/// (pairs of indices into 0..n), d_0 = 0, with one round of outlier
/// rejection (residual norm > max(3 × median, `floor`)) as long as the
/// remaining pairs connect all segments. Returns d (x, y), pairs used, pairs dropped.
pub(crate) fn solve_shifts(
    n: usize,
    pairs: &[(usize, usize)],
    r: &[(f64, f64)],
    floor: f64,
) -> Result<SegmentDrifts> {
    let all = vec![true; pairs.len()];
    let d = lsq_shifts(n, pairs, r, &all)?;
    let res: Vec<f64> = pairs
        .iter()
        .zip(r)
        .map(|(&(a, b), &(rx, ry))| {
            ((rx - (d[b].0 - d[a].0)).powi(2) + (ry - (d[b].1 - d[a].1)).powi(2)).sqrt()
        })
        .collect();
    let mut sorted: Vec<f64> = res.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted.get(sorted.len() / 2).copied().unwrap_or(0.0);
    let thresh = (3.0 * median).max(floor);
    let keep: Vec<bool> = res.iter().map(|&e| e <= thresh).collect();
    let dropped = keep.iter().filter(|k| !**k).count();
    if dropped == 0 || !connected(n, pairs, &keep) {
        return Ok((d, pairs.len(), 0));
    }
    Ok((lsq_shifts(n, pairs, r, &keep)?, pairs.len() - dropped, dropped))
}

/// Whether the kept pairs connect segments 0..n.
fn connected(n: usize, pairs: &[(usize, usize)], keep: &[bool]) -> bool {
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(p: &mut [usize], mut a: usize) -> usize {
        while p[a] != a {
            p[a] = p[p[a]];
            a = p[a];
        }
        a
    }
    for (&(a, b), &k) in pairs.iter().zip(keep) {
        if k {
            let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
            parent[ra] = rb;
        }
    }
    let root = find(&mut parent, 0);
    (0..n).all(|k| find(&mut parent, k) == root)
}

/// The plain least-squares solution over the kept pairs (d_0 = 0): the
/// normal equations L d = b with the graph Laplacian L of the pairs.
fn lsq_shifts(
    n: usize,
    pairs: &[(usize, usize)],
    r: &[(f64, f64)],
    keep: &[bool],
) -> Result<Vec<(f64, f64)>> {
    if n == 1 {
        return Ok(vec![(0.0, 0.0)]);
    }
    let k = n - 1; // unknowns d_1..d_{n−1}
    let mut lap = vec![0.0; k * k];
    let mut bx = vec![0.0; k];
    let mut by = vec![0.0; k];
    for ((&(a, b), &(rx, ry)), &use_it) in pairs.iter().zip(r).zip(keep) {
        if !use_it {
            continue;
        }
        // Row of d_b: +(d_b − d_a) = r; row of d_a: −(d_b − d_a) = −r.
        if b > 0 {
            lap[(b - 1) * k + (b - 1)] += 1.0;
            bx[b - 1] += rx;
            by[b - 1] += ry;
        }
        if a > 0 {
            lap[(a - 1) * k + (a - 1)] += 1.0;
            bx[a - 1] -= rx;
            by[a - 1] -= ry;
        }
        if a > 0 && b > 0 {
            lap[(a - 1) * k + (b - 1)] -= 1.0;
            lap[(b - 1) * k + (a - 1)] -= 1.0;
        }
    }
    let sx = solve(lap.clone(), bx, k)?;
    let sy = solve(lap, by, k)?;
    let mut d = vec![(0.0, 0.0)];
    d.extend(sx.into_iter().zip(sy));
    Ok(d)
}

/// A cubic interpolating spline with not-a-knot ends (as
/// `scipy.interpolate.InterpolatedUnivariateSpline(k=3)`), evaluated
/// beyond the ends by the end polynomials. 3 points give the parabola, 2 the
/// line, 1 a constant.
#[derive(Debug, Clone)]
pub(crate) struct Spline {
    x: Vec<f64>,
    y: Vec<f64>,
    /// Second derivatives at the knots.
    m: Vec<f64>,
}

impl Spline {
    pub(crate) fn not_a_knot(x: &[f64], y: &[f64]) -> Result<Spline> {
        let n = x.len();
        if n == 0 || y.len() != n {
            return Err(Error::Shape(format!("spline: {} x and {} y values", n, y.len())));
        }
        if x.windows(2)
            .any(|w| w[1].partial_cmp(&w[0]) != Some(std::cmp::Ordering::Greater))
        {
            return Err(Error::Numeric("spline: x must increase strictly".into()));
        }
        let mut m = vec![0.0; n];
        if n == 3 {
            // The parabola: constant second derivative.
            let d0 = (y[1] - y[0]) / (x[1] - x[0]);
            let d1 = (y[2] - y[1]) / (x[2] - x[1]);
            let c = 2.0 * (d1 - d0) / (x[2] - x[0]);
            m = vec![c; 3];
        } else if n >= 4 {
            let h: Vec<f64> = x.windows(2).map(|w| w[1] - w[0]).collect();
            let del: Vec<f64> = (0..n - 1).map(|k| (y[k + 1] - y[k]) / h[k]).collect();
            // Unknowns M_1..M_{n−2}: tridiagonal (sub a, diag b, super c).
            let k = n - 2;
            let (mut a, mut b, mut c, mut rhs) = (vec![0.0; k], vec![0.0; k], vec![0.0; k], vec![0.0; k]);
            for i in 0..k {
                let j = i + 1;
                a[i] = h[j - 1];
                b[i] = 2.0 * (h[j - 1] + h[j]);
                c[i] = h[j];
                rhs[i] = 6.0 * (del[j] - del[j - 1]);
            }
            // Not-a-knot: M_0 = M_1 (1 + h0/h1) − (h0/h1) M_2, likewise at the end.
            let (h0, h1) = (h[0], h[1]);
            let (hl, hl1) = (h[n - 2], h[n - 3]);
            if k == 2 {
                // Both substitutions act on the same two rows.
                b[0] += h0 * (1.0 + h0 / h1);
                c[0] -= h0 * h0 / h1;
                b[1] += hl * (1.0 + hl / hl1);
                a[1] -= hl * hl / hl1;
            } else {
                b[0] += h0 * (1.0 + h0 / h1);
                c[0] -= h0 * h0 / h1;
                b[k - 1] += hl * (1.0 + hl / hl1);
                a[k - 1] -= hl * hl / hl1;
            }
            let mut dense = vec![0.0; k * k];
            if k <= 64 {
                for i in 0..k {
                    dense[i * k + i] = b[i];
                    if i > 0 {
                        dense[i * k + i - 1] = a[i];
                    }
                    if i + 1 < k {
                        dense[i * k + i + 1] = c[i];
                    }
                }
                let sol = solve(dense, rhs, k)?;
                m[1..n - 1].copy_from_slice(&sol);
            } else {
                // Thomas algorithm (the rows are diagonally dominant but for the ends).
                for i in 1..k {
                    let w = a[i] / b[i - 1];
                    b[i] -= w * c[i - 1];
                    rhs[i] -= w * rhs[i - 1];
                }
                let mut sol = vec![0.0; k];
                sol[k - 1] = rhs[k - 1] / b[k - 1];
                for i in (0..k - 1).rev() {
                    sol[i] = (rhs[i] - c[i] * sol[i + 1]) / b[i];
                }
                if sol.iter().any(|v| !v.is_finite()) {
                    return Err(Error::Numeric("spline: the system is singular".into()));
                }
                m[1..n - 1].copy_from_slice(&sol);
            }
            m[0] = m[1] * (1.0 + h0 / h1) - (h0 / h1) * m[2];
            m[n - 1] = m[n - 2] * (1.0 + hl / hl1) - (hl / hl1) * m[n - 3];
        }
        Ok(Spline {
            x: x.to_vec(),
            y: y.to_vec(),
            m,
        })
    }

    pub(crate) fn eval(&self, t: f64) -> f64 {
        let n = self.x.len();
        if n == 1 {
            return self.y[0];
        }
        let k = self.x.partition_point(|&v| v <= t).saturating_sub(1).min(n - 2);
        let (x0, x1) = (self.x[k], self.x[k + 1]);
        let h = x1 - x0;
        let (a, b) = (x1 - t, t - x0);
        self.m[k] * a * a * a / (6.0 * h)
            + self.m[k + 1] * b * b * b / (6.0 * h)
            + (self.y[k] / h - self.m[k] * h / 6.0) * a
            + (self.y[k + 1] / h - self.m[k + 1] * h / 6.0) * b
    }

    pub(crate) fn eval_many(&self, t: &[f64]) -> Vec<f64> {
        t.iter().map(|&v| self.eval(v)).collect()
    }
}

#[cfg(test)]
mod tests;
