//! Simulated dSTORM/DNA-PAINT data of microtubules: the built-in dataset.
//!
//! The model, deterministic per seed (`StdRng::seed_from_u64`):
//! 1. **Filaments**: 2-D worm-like chains. From a uniform random point and
//!    direction, each filament grows both ways in steps of ds = 10 nm, the
//!    direction turning by a normal angle of variance ds/Lp (persistence
//!    length Lp, default 10 µm), until it leaves the field. Explicit
//!    polylines can replace them ([`SimOptions::paths`]).
//! 2. **Epitopes**: a Poisson number (label density × length) at uniform
//!    arc-length positions. Each sits on the microtubule wall (radius
//!    12.5 nm, at a uniform angle around the axis, projected: lateral offset
//!    R·cos φ) and its dye at the end of a linker of fixed length (default
//!    10 nm) in a uniform random 3-D direction, projected on the plane.
//! 3. **Blinking**: each epitope gives a Poisson number of localizations
//!    (mean chosen so the table has about `n_locs` rows, or given). A dye
//!    that is on tends to stay on: after each localization the next one
//!    falls in the following frame with probability `blink_continue`
//!    (default 0: independent frames; 0.6 gives bursts of 2.5 frames on
//!    average), otherwise in a uniform random frame. Repeated localizations of one blink are what
//!    make a random split of a table look better than a split in time blocks
//!    (Nieuwenhuizen et al. 2013).
//! 4. **Localization**: photons N log-normal (median `photons`, shape
//!    `photons_sigma`); precision from Thompson et al. 2002 / Mortensen et al.
//!    2010, σ² = (s² + a²/12)/N + 8π s⁴ b²/(a² N²) with PSF σ s, camera pixel
//!    a and background b² photons per pixel (or a fixed `precision_nm`); the
//!    position is the dye position plus normal noise of that σ per axis.
//!    Picasso's columns are filled: photons, sx, sy (fitted PSF width, s with
//!    5 % noise), bg, lpx = lpy = σ, ellipticity = (max−min)/max of sx, sy,
//!    net_gradient (∝ photons). Lengths in nm.
//!
//! 5. **Background localizations** (optional, when
//!    `background_locs_per_um2` is positive): a Poisson number (density × field area) of spurious
//!    localizations, uniform in the field and over the frames (out-of-focus
//!    dyes, noise detections), with photons and precision drawn as above.
//!    They come from their own generator (seeded by `seed`), so the
//!    filaments' localizations are the same with and without them.
//!
//! 6. **Drift** (optional, `drift_nm` > 0): every localization of frame f is
//!    displaced by a smooth drift D(f) = drift_nm · g(f/(frames − 1)) per
//!    axis, with g(u) = c₀u + Σ_{k=1..3} c_k sin(πku)/k (c ~ N(0, 1), from
//!    its own generator seeded by `seed`, so the rest of the simulation is
//!    the same with and without drift) scaled so that max |g| = 1: the
//!    drift starts at 0 and its largest excursion is `drift_nm`. The truth
//!    is [`Simulation::drift`].
//!
//! Localizations outside the field are dropped; the table is sorted by frame.

use super::{Column, ColumnData, Locs, Metadata};
use crate::error::{Error, Result};
use crate::image::Image;
use ndarray::Array2;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, LogNormal, Normal, Poisson, StandardNormal};

/// Options of [`simulate_microtubules`]. Lengths in nm.
#[derive(Debug, Clone, PartialEq)]
pub struct SimOptions {
    /// Random seed (default 0).
    pub seed: u64,
    /// Side of the square field of view (default 10 000 nm).
    pub size_nm: f64,
    /// Number of random filaments (default 8); ignored when `paths` is set.
    pub filaments: usize,
    /// Number of frames (default 20 000).
    pub frames: u32,
    /// Expected number of localizations (default 100 000); sets the mean
    /// number of localizations per epitope. Ignored when `locs_per_epitope` is set.
    pub n_locs: usize,
    /// Mean number of localizations per epitope (Poisson), overriding `n_locs`.
    pub locs_per_epitope: Option<f64>,
    /// Labelled epitopes per µm of filament (default 120: dense antibody
    /// labelling, so that a full acquisition shows continuous filaments).
    pub label_density_per_um: f64,
    /// Persistence length of the filaments (default 10 000 nm).
    pub persistence_nm: f64,
    /// Microtubule radius (default 12.5 nm).
    pub tubule_radius_nm: f64,
    /// Dye offset from the epitope, e.g. antibody linker (default 10 nm).
    pub linker_nm: f64,
    /// Camera pixel size (default 108 nm).
    pub pixel_nm: f64,
    /// PSF standard deviation (default 130 nm).
    pub psf_nm: f64,
    /// Median photon count per localization (default 1000).
    pub photons: f64,
    /// Log-normal shape of the photon counts (σ of ln N, default 0.5).
    pub photons_sigma: f64,
    /// Background photons per pixel (default 50).
    pub background: f64,
    /// Probability that a dye seen in one frame is seen again in the next
    /// (default 0: independent frames).
    pub blink_continue: f64,
    /// Fixed localization precision, replacing the photon-based formula.
    pub precision_nm: Option<f64>,
    /// Explicit filament axes as polylines of (x, y) points, replacing the random filaments.
    pub paths: Option<Vec<Vec<(f64, f64)>>>,
    /// Largest excursion of a smooth random drift per axis (default 0: none).
    pub drift_nm: f64,
    /// Spurious localizations per µm² of field over the whole acquisition,
    /// uniform in space and time (default 0: none).
    pub background_locs_per_um2: f64,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            seed: 0,
            size_nm: 10_000.0,
            filaments: 8,
            frames: 20_000,
            n_locs: 100_000,
            locs_per_epitope: None,
            label_density_per_um: 120.0,
            persistence_nm: 10_000.0,
            tubule_radius_nm: 12.5,
            linker_nm: 10.0,
            pixel_nm: 108.0,
            psf_nm: 130.0,
            photons: 1000.0,
            photons_sigma: 0.5,
            background: 50.0,
            blink_continue: 0.0,
            precision_nm: None,
            paths: None,
            drift_nm: 0.0,
            background_locs_per_um2: 0.0,
        }
    }
}

impl SimOptions {
    /// The paper's Figure 4C test scene: two parallel straight vertical
    /// filaments `distance_nm` apart, centred in a 3 µm field, with 20 000
    /// localizations expected.
    pub fn parallel_filaments(distance_nm: f64) -> SimOptions {
        SimOptions {
            size_nm: 3000.0,
            n_locs: 20_000,
            ..Default::default()
        }
        .with_filament_pair(distance_nm)
    }

    /// Replace the filaments by two straight vertical ones `distance_nm`
    /// apart, centred in this field of view (`size_nm`).
    pub fn with_filament_pair(mut self, distance_nm: f64) -> SimOptions {
        let size = self.size_nm;
        let (a, b) = (size / 2.0 - distance_nm / 2.0, size / 2.0 + distance_nm / 2.0);
        self.paths = Some(vec![vec![(a, 0.0), (a, size)], vec![(b, 0.0), (b, size)]]);
        self
    }

    fn validate(&self) -> Result<()> {
        let pos = |name: &str, v: f64| -> Result<()> {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(Error::arg(name, format!("must be positive, got {v}")))
            }
        };
        let nonneg = |name: &str, v: f64| -> Result<()> {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                Err(Error::arg(name, format!("must be >= 0, got {v}")))
            }
        };
        pos("size_nm", self.size_nm)?;
        pos("label_density_per_um", self.label_density_per_um)?;
        pos("persistence_nm", self.persistence_nm)?;
        pos("pixel_nm", self.pixel_nm)?;
        pos("psf_nm", self.psf_nm)?;
        pos("photons", self.photons)?;
        nonneg("photons_sigma", self.photons_sigma)?;
        nonneg("background", self.background)?;
        nonneg("tubule_radius_nm", self.tubule_radius_nm)?;
        nonneg("linker_nm", self.linker_nm)?;
        nonneg("drift_nm", self.drift_nm)?;
        nonneg("background_locs_per_um2", self.background_locs_per_um2)?;
        if self.background_locs_per_um2 * (self.size_nm / 1000.0).powi(2) > 5e8 {
            return Err(Error::arg(
                "background_locs_per_um2",
                "too many background localizations (over 5·10^8 in the field)",
            ));
        }
        if !(0.0..1.0).contains(&self.blink_continue) {
            return Err(Error::arg(
                "blink_continue",
                format!("must be in [0, 1), got {}", self.blink_continue),
            ));
        }
        if self.frames == 0 {
            return Err(Error::arg("frames", "must be at least 1"));
        }
        if let Some(m) = self.locs_per_epitope {
            nonneg("locs_per_epitope", m)?;
        }
        if let Some(p) = self.precision_nm {
            nonneg("precision_nm", p)?;
        }
        if self.size_nm / self.pixel_nm > 1e5 {
            return Err(Error::arg(
                "size_nm",
                "field of view too large (over 100 000 camera pixels)",
            ));
        }
        // Guard against memory blow-ups from typos: filament steps, epitopes, localizations.
        let n_fil = self.paths.as_ref().map_or(self.filaments, Vec::len) as f64;
        if self.paths.is_none() && n_fil * self.size_nm / 10.0 > 1e8 {
            return Err(Error::arg(
                "filaments",
                "filaments × size_nm is too large (over 10^9 nm of filament)",
            ));
        }
        if let Some(m) = self.locs_per_epitope {
            if m > 1e6 {
                return Err(Error::arg(
                    "locs_per_epitope",
                    format!("{m} is too large (at most 10^6)"),
                ));
            }
        }
        if self.n_locs > 500_000_000 {
            return Err(Error::arg(
                "n_locs",
                format!("{} is too large (at most 5·10^8)", self.n_locs),
            ));
        }
        if let Some(paths) = &self.paths {
            for (i, p) in paths.iter().enumerate() {
                if p.len() < 2 || p.iter().any(|(x, y)| !x.is_finite() || !y.is_finite()) {
                    return Err(Error::arg(
                        "paths",
                        format!("path {i} needs at least two finite points"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The options as a short string for the table's history.
    fn describe(&self) -> String {
        format!(
            "simulate_microtubules(seed {}, size {} nm, {} filaments, {} frames, {} locs expected, \
             {} epitopes/µm, pixel {} nm)",
            self.seed,
            self.size_nm,
            self.paths.as_ref().map_or(self.filaments, Vec::len),
            self.frames,
            self.locs_per_epitope
                .map_or(self.n_locs.to_string(), |m| format!("{m} per epitope")),
            self.label_density_per_um,
            self.pixel_nm
        ) + &*if self.drift_nm > 0.0 {
            format!(" with drift up to {} nm", self.drift_nm)
        } else {
            String::new()
        } + &*if self.background_locs_per_um2 > 0.0 {
            format!(", {} background locs/µm²", self.background_locs_per_um2)
        } else {
            String::new()
        }
    }
}

/// A simulated table and its ground truth.
#[derive(Debug, Clone, PartialEq)]
pub struct Simulation {
    /// The localizations (Picasso columns, nm).
    pub locs: Locs,
    /// Filament axes as polylines (nm).
    pub filaments: Vec<Vec<(f64, f64)>>,
    /// Dye positions (nm), one per epitope.
    pub epitopes: Vec<(f64, f64)>,
    /// The drift added to the localizations (`drift_nm` > 0), per frame.
    pub drift: Option<crate::preprocess::Drift>,
}

impl Simulation {
    /// Move the table out, leaving the ground truth (an empty table with the
    /// same metadata in its place): scripts carry the truth beside the table
    /// and its subsets.
    pub fn take_locs(&mut self) -> Locs {
        let empty = Locs::empty(self.locs.meta.clone());
        std::mem::replace(&mut self.locs, empty)
    }

    /// Ground truth as an image on the table's grid (origin (0, 0), pixel
    /// `pixel_nm`): the number of labelled epitopes (dye positions) per pixel.
    pub fn truth(&self, pixel_nm: f64) -> Result<Image> {
        let (x, y): (Vec<f32>, Vec<f32>) = self.epitopes.iter().map(|&(a, b)| (a as f32, b as f32)).unzip();
        let mut meta = self.locs.meta.clone();
        meta.n_frames = 1;
        let e = Locs::new(vec![0; x.len()], x, y, meta)?;
        Ok(e.render(&super::RenderOptions::with_pixel(pixel_nm))?.0)
    }

    /// The filament axes drawn on the table's grid: filament length (nm) per pixel.
    pub fn truth_axes(&self, pixel_nm: f64) -> Result<Image> {
        let g = self
            .locs
            .render_grid(&super::RenderOptions::with_pixel(pixel_nm))?;
        let mut data = Array2::<f32>::zeros((g.height, g.width));
        let step = pixel_nm / 8.0;
        for path in &self.filaments {
            for w in path.windows(2) {
                let ((x0, y0), (x1, y1)) = (w[0], w[1]);
                let len = ((x1 - x0).powi(2) + (y1 - y0).powi(2)).sqrt();
                let n = (len / step).ceil().max(1.0) as usize;
                for k in 0..n {
                    let t = (k as f64 + 0.5) / n as f64;
                    let (x, y) = (x0 + t * (x1 - x0), y0 + t * (y1 - y0));
                    if let Some(i) = g.index(x as f32, y as f32) {
                        data[[i / g.width, i % g.width]] += (len / n as f64) as f32;
                    }
                }
            }
        }
        let mut img = Image::new(data, pixel_nm);
        img.origin_nm = (g.x0, g.y0);
        Ok(img)
    }
}

/// A worm-like chain through a random point, grown both ways until it leaves the field.
fn random_filament(rng: &mut StdRng, size: f64, lp: f64) -> Vec<(f64, f64)> {
    const DS: f64 = 10.0;
    let start = (rng.random_range(0.0..size), rng.random_range(0.0..size));
    let theta0 = rng.random_range(0.0..std::f64::consts::TAU);
    let turn = (DS / lp).sqrt();
    let max_steps = (4.0 * size / DS) as usize + 1;
    let inside = |(x, y): (f64, f64)| x >= 0.0 && x <= size && y >= 0.0 && y <= size;
    let mut grow = |theta: f64| -> Vec<(f64, f64)> {
        let mut pts = Vec::new();
        let (mut p, mut th) = (start, theta);
        for _ in 0..max_steps {
            let z: f64 = rng.sample(StandardNormal);
            th += turn * z;
            p = (p.0 + DS * th.cos(), p.1 + DS * th.sin());
            pts.push(p);
            if !inside(p) {
                break;
            }
        }
        pts
    };
    let fwd = grow(theta0);
    let back = grow(theta0 + std::f64::consts::PI);
    let mut path: Vec<(f64, f64)> = back.into_iter().rev().collect();
    path.push(start);
    path.extend(fwd);
    path
}

/// The smooth drift of the module documentation, per frame (x, y in nm).
fn simulated_drift(opt: &SimOptions) -> Result<crate::preprocess::Drift> {
    let mut rng = StdRng::seed_from_u64(opt.seed ^ 0x6472_6966_7421);
    let n = opt.frames as usize;
    let mut axis = || -> Vec<f64> {
        let c: Vec<f64> = (0..4).map(|_| rng.sample::<f64, _>(StandardNormal)).collect();
        let g: Vec<f64> = (0..n)
            .map(|f| {
                let u = if n > 1 { f as f64 / (n - 1) as f64 } else { 0.0 };
                c[0] * u
                    + (1..4)
                        .map(|k| c[k] * (std::f64::consts::PI * k as f64 * u).sin() / k as f64)
                        .sum::<f64>()
            })
            .collect();
        let max = g.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let scale = if max > 0.0 { opt.drift_nm / max } else { 0.0 };
        g.into_iter().map(|v| v * scale).collect()
    };
    let x = axis();
    let y = axis();
    crate::preprocess::Drift::new(x, y)
}

/// Row indices sorted by frame, stably: a counting sort over `n_frames` frames.
fn order_by_frame(frames: &[u32], n_frames: u32) -> Vec<usize> {
    let mut start = vec![0usize; n_frames as usize + 1];
    for &f in frames {
        start[f as usize + 1] += 1;
    }
    for k in 1..start.len() {
        start[k] += start[k - 1];
    }
    let mut order = vec![0usize; frames.len()];
    for (i, &f) in frames.iter().enumerate() {
        order[start[f as usize]] = i;
        start[f as usize] += 1;
    }
    order
}

/// Localization precision for `n` photons (module documentation, step 4).
fn precision(opt: &SimOptions, n: f64) -> f64 {
    let (s, a, b2) = (opt.psf_nm, opt.pixel_nm, opt.background);
    match opt.precision_nm {
        Some(p) => p,
        None => ((s * s + a * a / 12.0) / n + 8.0 * std::f64::consts::PI * s.powi(4) * b2 / (a * a * n * n))
            .sqrt(),
    }
}

/// The fitted columns of one localization with `n` photons: sx, sy, bg,
/// net_gradient, ellipticity (drawn in this order).
fn fitted_columns(rng: &mut StdRng, normal: &Normal<f64>, opt: &SimOptions, n: f64) -> [f64; 5] {
    let (s, b2) = (opt.psf_nm, opt.background);
    let sx = s * (1.0 + 0.05 * normal.sample(rng));
    let sy = s * (1.0 + 0.05 * normal.sample(rng));
    let bg = (b2 * (1.0 + 0.05 * normal.sample(rng))).max(0.0);
    let ng = 2.2 * n * (1.0 + 0.1 * normal.sample(rng));
    let ell = (sx.max(sy) - sx.min(sy)) / sx.max(sy);
    [sx, sy, bg, ng, ell]
}

/// One row of the table being built: x, y, photons, sx, sy, bg, lpx, lpy,
/// ellipticity, net_gradient and a spare slot.
fn row(x: f64, y: f64, n: f64, sigma: f64, [sx, sy, bg, ng, ell]: [f64; 5]) -> [f32; 11] {
    [
        x as f32,
        y as f32,
        n as f32,
        sx as f32,
        sy as f32,
        bg as f32,
        sigma as f32,
        sigma as f32,
        ell as f32,
        ng as f32,
        0.0,
    ]
}

/// Simulate a microtubule dataset (see the module documentation).
pub fn simulate_microtubules(opt: &SimOptions) -> Result<Simulation> {
    opt.validate()?;
    let drift = if opt.drift_nm > 0.0 {
        Some(simulated_drift(opt)?)
    } else {
        None
    };
    let mut rng = StdRng::seed_from_u64(opt.seed);
    let size = opt.size_nm;
    let filaments: Vec<Vec<(f64, f64)>> = match &opt.paths {
        Some(p) => p.clone(),
        None => (0..opt.filaments)
            .map(|_| random_filament(&mut rng, size, opt.persistence_nm))
            .collect(),
    };
    // Epitopes: uniform along each polyline, dye offset around the tube.
    let normal = Normal::new(0.0, 1.0).map_err(|e| Error::Numeric(e.to_string()))?;
    let mut epitopes = Vec::new();
    for path in &filaments {
        let seg: Vec<f64> = path
            .windows(2)
            .map(|w| ((w[1].0 - w[0].0).powi(2) + (w[1].1 - w[0].1).powi(2)).sqrt())
            .collect();
        let total: f64 = seg.iter().sum();
        let mean = opt.label_density_per_um * total / 1000.0;
        if mean > 5e7 {
            return Err(Error::arg(
                "label_density_per_um",
                format!("{mean:.3e} epitopes expected on one filament: too many (at most 5·10^7)"),
            ));
        }
        let count = if mean > 0.0 {
            Poisson::new(mean)
                .map_err(|e| Error::Numeric(format!("epitope count: {e}")))?
                .sample(&mut rng) as usize
        } else {
            0
        };
        let mut cum = Vec::with_capacity(seg.len() + 1);
        cum.push(0.0);
        for s in &seg {
            cum.push(cum.last().copied().unwrap_or(0.0) + s);
        }
        for _ in 0..count {
            let s = rng.random_range(0.0..total);
            let k = cum
                .partition_point(|&c| c <= s)
                .saturating_sub(1)
                .min(seg.len() - 1);
            let t = if seg[k] > 0.0 { (s - cum[k]) / seg[k] } else { 0.0 };
            let (a, b) = (path[k], path[k + 1]);
            let (dx, dy) = if seg[k] > 0.0 {
                ((b.0 - a.0) / seg[k], (b.1 - a.1) / seg[k])
            } else {
                (1.0, 0.0)
            };
            let (nx, ny) = (-dy, dx);
            let phi = rng.random_range(0.0..std::f64::consts::TAU);
            let wall = opt.tubule_radius_nm * phi.cos();
            // Linker: uniform direction on the sphere, projected on the plane.
            let (lx, ly, lz): (f64, f64, f64) = (
                normal.sample(&mut rng),
                normal.sample(&mut rng),
                normal.sample(&mut rng),
            );
            let norm = (lx * lx + ly * ly + lz * lz).sqrt().max(1e-12);
            let (ox, oy) = (opt.linker_nm * lx / norm, opt.linker_nm * ly / norm);
            epitopes.push((
                a.0 + t * (b.0 - a.0) + wall * nx + ox,
                a.1 + t * (b.1 - a.1) + wall * ny + oy,
            ));
        }
    }
    let per_epitope = match opt.locs_per_epitope {
        Some(m) => m,
        None if epitopes.is_empty() => 0.0,
        None => opt.n_locs as f64 / epitopes.len() as f64,
    };
    if per_epitope * epitopes.len() as f64 > 5e8 {
        return Err(Error::arg(
            "locs_per_epitope",
            format!(
                "{:.3e} localizations expected: too many (at most 5·10^8)",
                per_epitope * epitopes.len() as f64
            ),
        ));
    }
    let blink = if per_epitope > 0.0 {
        Some(Poisson::new(per_epitope).map_err(|e| Error::Numeric(format!("blinking: {e}")))?)
    } else {
        None
    };
    let photons_dist =
        LogNormal::new(opt.photons.ln(), opt.photons_sigma).map_err(|e| Error::Numeric(e.to_string()))?;
    let cap = (per_epitope * epitopes.len() as f64 * 1.05) as usize + 16;
    let mut rows: Vec<[f32; 11]> = Vec::with_capacity(cap);
    let mut frames: Vec<u32> = Vec::with_capacity(cap);
    for (e, &(ex, ey)) in epitopes.iter().enumerate() {
        if e % 4096 == 0 {
            crate::interrupt::check()?;
        }
        let k = blink.map_or(0, |d| d.sample(&mut rng) as usize);
        let mut frame = 0u32;
        for j in 0..k {
            frame = if j > 0 && frame + 1 < opt.frames && rng.random::<f64>() < opt.blink_continue {
                frame + 1
            } else {
                rng.random_range(0..opt.frames)
            };
            let n: f64 = photons_dist.sample(&mut rng).max(1.0);
            let sigma = precision(opt, n);
            let (ddx, ddy) = drift
                .as_ref()
                .map_or((0.0, 0.0), |d| (d.x_nm[frame as usize], d.y_nm[frame as usize]));
            let x = ex + sigma * normal.sample(&mut rng) + ddx;
            let y = ey + sigma * normal.sample(&mut rng) + ddy;
            let fit = fitted_columns(&mut rng, &normal, opt, n);
            if !(x >= 0.0 && x < size && y >= 0.0 && y < size) {
                continue;
            }
            frames.push(frame);
            rows.push(row(x, y, n, sigma, fit));
        }
    }
    if opt.background_locs_per_um2 > 0.0 {
        // Spurious localizations: their own generator, so the rest is unchanged.
        let mut brng = StdRng::seed_from_u64(opt.seed ^ 0x6267_6c6f_6373);
        let mean = opt.background_locs_per_um2 * (size / 1000.0).powi(2);
        let count = Poisson::new(mean)
            .map_err(|e| Error::Numeric(format!("background localizations: {e}")))?
            .sample(&mut brng) as usize;
        for i in 0..count {
            if i % 4096 == 0 {
                crate::interrupt::check()?;
            }
            let frame = brng.random_range(0..opt.frames);
            let n: f64 = photons_dist.sample(&mut brng).max(1.0);
            let sigma = precision(opt, n);
            let x = brng.random_range(0.0..size);
            let y = brng.random_range(0.0..size);
            let fit = fitted_columns(&mut brng, &normal, opt, n);
            frames.push(frame);
            rows.push(row(x, y, n, sigma, fit));
        }
    }
    // Sort by frame, stably (equal frames keep generation order): a counting
    // sort, O(n) and quick even at tens of millions of rows, with the
    // column gathering below polling Ctrl-C between columns.
    crate::interrupt::check()?;
    let order = order_by_frame(&frames, opt.frames);
    crate::interrupt::check()?;
    let col = |j: usize| -> Result<Vec<f32>> {
        crate::interrupt::check()?;
        Ok(order.iter().map(|&i| rows[i][j]).collect())
    };
    let meta = Metadata {
        pixel_nm: Some(opt.pixel_nm),
        width_nm: size,
        height_nm: size,
        n_frames: opt.frames,
        source: None,
        history: vec![opt.describe()],
        yaml_documents: Vec::new(),
    };
    let mut locs = Locs::new(order.iter().map(|&i| frames[i]).collect(), col(0)?, col(1)?, meta)?;
    let names = [
        ("photons", None),
        ("sx", Some("nm")),
        ("sy", Some("nm")),
        ("bg", None),
        ("lpx", Some("nm")),
        ("lpy", Some("nm")),
        ("ellipticity", None),
        ("net_gradient", None),
    ];
    locs.extra = names
        .iter()
        .enumerate()
        .map(|(j, (name, unit))| {
            Ok(Column {
                name: name.to_string(),
                unit: unit.map(str::to_string),
                data: ColumnData::F32(col(j + 2)?),
            })
        })
        .collect::<Result<_>>()?;
    Ok(Simulation {
        locs,
        filaments,
        epitopes,
        drift,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counting_sort_by_frame_is_the_stable_sort() {
        let mut rng = StdRng::seed_from_u64(5);
        let frames: Vec<u32> = (0..5000).map(|_| rng.random_range(0..37)).collect();
        let mut expected: Vec<usize> = (0..frames.len()).collect();
        expected.sort_by_key(|&i| frames[i]);
        assert_eq!(order_by_frame(&frames, 37), expected);
        assert!(order_by_frame(&[], 3).is_empty());
    }

    #[test]
    fn background_localizations_are_uniform_and_leave_the_filaments_alone() {
        let base = SimOptions {
            size_nm: 3000.0,
            n_locs: 5000,
            ..Default::default()
        };
        let a = simulate_microtubules(&base).unwrap();
        let b = simulate_microtubules(&SimOptions {
            background_locs_per_um2: 500.0,
            ..base.clone()
        })
        .unwrap();
        // 500/µm² on 9 µm²: Poisson(4500), within 5 sd.
        let extra = b.locs.len() as f64 - a.locs.len() as f64;
        assert!((extra - 4500.0).abs() < 5.0 * 4500f64.sqrt(), "{extra}");
        // The filaments' localizations are unchanged: every row of `a` is in `b`.
        let key = |l: &Locs, i: usize| (l.frame[i], l.x[i].to_bits(), l.y[i].to_bits());
        let set: std::collections::HashSet<_> = (0..b.locs.len()).map(|i| key(&b.locs, i)).collect();
        assert!((0..a.locs.len()).all(|i| set.contains(&key(&a.locs, i))));
        // The extra rows fill the field: each 1 µm² cell gets about 500 of them.
        let mut cells = [0usize; 9];
        let in_a: std::collections::HashSet<_> = (0..a.locs.len()).map(|i| key(&a.locs, i)).collect();
        for i in 0..b.locs.len() {
            if !in_a.contains(&key(&b.locs, i)) {
                let (cx, cy) = ((b.locs.x[i] / 1000.0) as usize, (b.locs.y[i] / 1000.0) as usize);
                cells[cy.min(2) * 3 + cx.min(2)] += 1;
            }
        }
        assert!(
            cells
                .iter()
                .all(|&c| (c as f64 - 500.0).abs() < 5.0 * 500f64.sqrt()),
            "{cells:?}"
        );
        // Sorted by frame still.
        assert!(b.locs.frame.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn defaults_deterministic_and_sized() {
        let t = std::time::Instant::now();
        let a = simulate_microtubules(&SimOptions::default()).unwrap();
        let elapsed = t.elapsed();
        let b = simulate_microtubules(&SimOptions::default()).unwrap();
        assert_eq!(a, b);
        let c = simulate_microtubules(&SimOptions {
            seed: 1,
            ..Default::default()
        })
        .unwrap();
        assert_ne!(a.locs.x(), c.locs.x());
        let l = &a.locs;
        // ~100 000 localizations (Poisson sums, minus the few outside the field).
        assert!((90_000..=110_000).contains(&l.len()), "{}", l.len());
        assert_eq!(a.filaments.len(), 8);
        assert_eq!(
            l.columns(),
            [
                "frame",
                "x",
                "y",
                "photons",
                "sx",
                "sy",
                "bg",
                "lpx",
                "lpy",
                "ellipticity",
                "net_gradient"
            ]
        );
        assert_eq!(
            (l.width_nm(), l.height_nm(), l.n_frames(), l.pixel_nm()),
            (1e4, 1e4, 20_000, Some(108.0))
        );
        assert!(l.frame().windows(2).all(|w| w[0] <= w[1]));
        assert!(*l.frame().last().unwrap() < 20_000);
        assert!(l.x().iter().chain(l.y()).all(|&v| (0.0..1e4).contains(&v)));
        // Median precision near the formula at the median photon count.
        let (s, a2, b2, n) = (130.0f64, 108.0f64, 50.0f64, 1000.0f64);
        let want = ((s * s + a2 * a2 / 12.0) / n
            + 8.0 * std::f64::consts::PI * s.powi(4) * b2 / (a2 * a2 * n * n))
            .sqrt();
        let mut lp = l.column("lpx").unwrap();
        lp.sort_by(f64::total_cmp);
        let median = lp[lp.len() / 2];
        assert!((median - want).abs() < 0.03 * want, "{median} vs {want}");
        assert!(elapsed.as_millis() < 1000, "{elapsed:?}");
    }

    #[test]
    fn localizations_scatter_around_the_axis() {
        // Two straight filaments 200 nm apart; fixed precision 5 nm.
        let mut opt = SimOptions::parallel_filaments(200.0);
        opt.precision_nm = Some(5.0);
        opt.seed = 4;
        // Many epitopes, so the epitope-level spread averages out.
        opt.label_density_per_um = 2000.0;
        opt.locs_per_epitope = Some(2.0);
        let sim = simulate_microtubules(&opt).unwrap();
        let l = &sim.locs;
        let ratio = l.len() as f64 / sim.epitopes.len() as f64;
        assert!((ratio - 2.0).abs() < 0.05, "{ratio}");
        assert!((sim.epitopes.len() as f64 - 12_000.0).abs() < 400.0);
        // Distance to the nearer axis (x = 1400 or 1600): within R + linker + 5σ.
        let d: Vec<f64> = l
            .x()
            .iter()
            .map(|&x| (x as f64 - 1400.0).abs().min((x as f64 - 1600.0).abs()))
            .collect();
        assert!(d.iter().all(|&v| v < 12.5 + 10.0 + 5.0 * 5.0));
        // RMS perpendicular spread: wall R cos φ (R²/2), linker in 3-D projected
        // on one axis (L²/3), precision σ²: √(78.1 + 33.3 + 25) ≈ 11.7 nm.
        let left: Vec<f64> = l.x().iter().map(|&x| x as f64).filter(|&x| x < 1500.0).collect();
        let m = left.iter().sum::<f64>() / left.len() as f64;
        let rms = (left.iter().map(|x| (x - m).powi(2)).sum::<f64>() / left.len() as f64).sqrt();
        assert!((m - 1400.0).abs() < 0.6, "{m}");
        assert!((rms - 11.68).abs() < 0.5, "{rms}");
        // About half on each filament.
        assert!((left.len() as f64 / l.len() as f64 - 0.5).abs() < 0.05);
        // Truth images: epitope counts and axis length.
        let t = sim.truth(10.0).unwrap();
        assert_eq!((t.width(), t.height()), (300, 300));
        assert!(t.data.sum() as usize <= sim.epitopes.len());
        assert!(t.data.sum() as usize > sim.epitopes.len() * 99 / 100);
        let ax = sim.truth_axes(10.0).unwrap();
        assert!((ax.data.sum() as f64 - 6000.0).abs() < 1.0, "{}", ax.data.sum());
        assert!((ax.data[[150, 140]] - 10.0).abs() < 1e-3);
        assert_eq!(ax.data[[150, 150]], 0.0);
    }

    #[test]
    fn explicit_locs_per_epitope_and_bad_options() {
        let opt = SimOptions {
            locs_per_epitope: Some(3.0),
            filaments: 2,
            ..Default::default()
        };
        let sim = simulate_microtubules(&opt).unwrap();
        let ratio = sim.locs.len() as f64 / sim.epitopes.len() as f64;
        assert!((ratio - 3.0).abs() < 0.3, "{ratio}");
        for bad in [
            SimOptions {
                size_nm: -1.0,
                ..Default::default()
            },
            SimOptions {
                frames: 0,
                ..Default::default()
            },
            SimOptions {
                paths: Some(vec![vec![(0.0, 0.0)]]),
                ..Default::default()
            },
            SimOptions {
                photons: 0.0,
                ..Default::default()
            },
        ] {
            assert!(simulate_microtubules(&bad).is_err());
        }
        let none = simulate_microtubules(&SimOptions {
            filaments: 0,
            ..Default::default()
        })
        .unwrap();
        assert!(none.locs.is_empty());
    }

    #[test]
    fn blinks_continue_into_the_next_frame() {
        // Sparse in time (5000 localizations over 200 000 frames), so that
        // independent frames rarely follow each other.
        let base = SimOptions {
            size_nm: 2000.0,
            n_locs: 5000,
            frames: 200_000,
            filaments: 3,
            seed: 9,
            ..Default::default()
        };
        let consecutive = |o: &SimOptions| {
            let l = simulate_microtubules(o).unwrap().locs;
            let f = l.frame();
            // The table is sorted by frame: count rows whose frame follows the previous one's.
            f.windows(2).filter(|w| w[1] == w[0] + 1).count() as f64 / l.len() as f64
        };
        let bursty = consecutive(&SimOptions {
            blink_continue: 0.6,
            ..base.clone()
        });
        let independent = consecutive(&base);
        assert!(bursty > 0.3 && independent < 0.1, "{bursty} vs {independent}");
        assert!(SimOptions {
            blink_continue: 1.0,
            ..base
        }
        .validate()
        .is_err());
    }

    #[test]
    fn drift_is_added_per_frame_and_changes_nothing_else() {
        // One horizontal filament far from the edges: no row is dropped.
        let base = SimOptions {
            size_nm: 3000.0,
            paths: Some(vec![vec![(500.0, 1500.0), (2500.0, 1500.0)]]),
            n_locs: 5000,
            frames: 3000,
            seed: 7,
            ..Default::default()
        };
        let plain = simulate_microtubules(&base).unwrap();
        assert!(plain.drift.is_none());
        let drifted = simulate_microtubules(&SimOptions {
            drift_nm: 120.0,
            ..base.clone()
        })
        .unwrap();
        let d = drifted.drift.as_ref().unwrap();
        assert_eq!(d.n_frames(), 3000);
        assert_eq!((d.x_nm[0], d.y_nm[0]), (0.0, 0.0));
        let ext = |v: &[f64]| v.iter().fold(0.0f64, |m, a| m.max(a.abs()));
        assert!((ext(&d.x_nm) - 120.0).abs() < 1e-9 && (ext(&d.y_nm) - 120.0).abs() < 1e-9);
        // Smooth: neighbouring frames differ by far less than a nm.
        assert!(d.x_nm.windows(2).all(|w| (w[1] - w[0]).abs() < 0.5));
        let (a, b) = (&plain.locs, &drifted.locs);
        assert_eq!(a.len(), b.len());
        assert_eq!(a.frame(), b.frame());
        assert_eq!(a.column("lpx").unwrap(), b.column("lpx").unwrap());
        for i in (0..a.len()).step_by(97) {
            let f = a.frame()[i] as usize;
            assert!((b.x()[i] as f64 - a.x()[i] as f64 - d.x_nm[f]).abs() < 1e-3);
            assert!((b.y()[i] as f64 - a.y()[i] as f64 - d.y_nm[f]).abs() < 1e-3);
        }
        assert_eq!(plain.epitopes, drifted.epitopes);
        assert!(b.meta.history[0].contains("drift up to 120 nm"));
        assert!(simulate_microtubules(&SimOptions {
            drift_nm: -1.0,
            ..base
        })
        .is_err());
    }
}
