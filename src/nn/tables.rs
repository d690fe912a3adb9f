//! Training pairs from localization tables, as the paper made them
//! (docs/methods.md §7 "Training pairs"; paper "Network Training"):
//!
//! - target: the full table rendered at `pixel_nm`, isolated localizations
//!   removed (values below `threshold` set to 0, the paper's `img[img < 2] = 0`),
//!   then smoothed by the AKDE (docs/methods.md §4) or a Gaussian KDE (§3);
//! - input: the histogram of a random contiguous time window of frames
//!   holding a fraction of the localizations drawn uniformly from
//!   `fraction` (default 5–30 %), on the same grid;
//! - several inputs per table (`per_table`) share the table's target.
//!
//! Random crops, rotation and normalisation happen per training step in
//! [`super::make_patch`], so the pairs keep the full field of view.

use super::Pairs;
use crate::density::{self, AkdeOptions};
use crate::error::{Error, Result};
use crate::locs::{Locs, RenderOptions};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The density estimate used as the training target.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// Anisotropic adaptive KDE with these options.
    Akde(AkdeOptions),
    /// Gaussian KDE with this sigma in pixels.
    Gaussian(f64),
}

/// Options of [`pairs_from_tables`].
#[derive(Debug, Clone, PartialEq)]
pub struct TablePairOptions {
    /// Render pixel size, nm (default 10).
    pub pixel_nm: f64,
    /// Target density (default AKDE, window 11, scale 1).
    pub target: Target,
    /// Values below this are set to 0 before smoothing (default 2; 0 keeps all).
    pub threshold: f64,
    /// Range of the fraction of localizations in an input (default [0.05, 0.3]).
    pub fraction: (f64, f64),
    /// Inputs per table (default 16).
    pub per_table: usize,
    /// Seed of the time windows (default 0).
    pub seed: u64,
}

impl Default for TablePairOptions {
    fn default() -> Self {
        TablePairOptions {
            pixel_nm: 10.0,
            target: Target::Akde(AkdeOptions::default()),
            threshold: 2.0,
            fraction: (0.05, 0.3),
            per_table: 16,
            seed: 0,
        }
    }
}

/// The target density of one table (see the module documentation).
pub fn target_of(locs: &Locs, opts: &TablePairOptions) -> Result<ndarray::Array2<f32>> {
    let (full, _) = locs.render(&RenderOptions::with_pixel(opts.pixel_nm))?;
    let clean = density::threshold(full.data.view(), opts.threshold)?;
    match &opts.target {
        Target::Akde(a) => density::akde(clean.view(), a),
        Target::Gaussian(s) => density::gaussian(clean.view(), *s),
    }
}

/// Input/target pairs from tables (see the module documentation).
pub fn pairs_from_tables(tables: &[&Locs], opts: &TablePairOptions) -> Result<Pairs> {
    let (lo, hi) = opts.fraction;
    if !(lo > 0.0 && lo <= hi && hi <= 1.0) {
        return Err(Error::arg(
            "fraction",
            format!("must be [lo, hi] with 0 < lo <= hi <= 1, got [{lo}, {hi}]"),
        ));
    }
    if opts.per_table == 0 {
        return Err(Error::arg("per_table", "must be at least 1"));
    }
    if tables.is_empty() {
        return Err(Error::arg("tables", "no tables given"));
    }
    let mut rng = StdRng::seed_from_u64(opts.seed);
    let mut inputs = Vec::new();
    let mut targets = Vec::new();
    let render = RenderOptions::with_pixel(opts.pixel_nm);
    for (t, locs) in tables.iter().enumerate() {
        if locs.is_empty() {
            return Err(Error::arg("tables", format!("table {t} is empty")));
        }
        let target = target_of(locs, opts)?;
        for _ in 0..opts.per_table {
            crate::interrupt::check()?;
            let f = if hi > lo { rng.random_range(lo..=hi) } else { lo };
            let window = locs.random_window(f, rng.random())?;
            let (img, _) = window.render(&render)?;
            inputs.push(img.data);
            targets.push(target.clone());
        }
    }
    Pairs::new(inputs, targets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::locs::{simulate_microtubules, SimOptions};

    #[test]
    fn pairs_share_grid_and_inputs_are_sparser() {
        let sim = simulate_microtubules(&SimOptions {
            size_nm: 2000.0,
            n_locs: 8000,
            seed: 2,
            ..Default::default()
        })
        .unwrap();
        let opts = TablePairOptions {
            per_table: 3,
            ..Default::default()
        };
        let p = pairs_from_tables(&[&sim.locs], &opts).unwrap();
        assert_eq!(p.len(), 3);
        for (x, y) in p.inputs.iter().zip(&p.targets) {
            assert_eq!(x.dim(), (200, 200));
            assert_eq!(x.dim(), y.dim());
            let n: f32 = x.sum();
            // 5-30 % of the localizations, within the window granularity.
            assert!(n > 0.03 * 8000.0 && n < 0.4 * sim.locs.len() as f32, "{n}");
        }
        // The AKDE (clip border) keeps the thresholded mass.
        let (full, _) = sim.locs.render(&RenderOptions::with_pixel(10.0)).unwrap();
        let kept: f32 = full.data.iter().filter(|&&v| v >= 2.0).sum();
        assert!((p.targets[0].sum() - kept).abs() < 1e-2 * kept);
        // Same seed, same pairs.
        let q = pairs_from_tables(&[&sim.locs], &opts).unwrap();
        assert_eq!(p.inputs, q.inputs);
    }

    #[test]
    fn bad_fraction_is_an_error() {
        let sim = simulate_microtubules(&SimOptions {
            size_nm: 1000.0,
            n_locs: 1000,
            ..Default::default()
        })
        .unwrap();
        let opts = TablePairOptions {
            fraction: (0.5, 0.2),
            ..Default::default()
        };
        assert!(pairs_from_tables(&[&sim.locs], &opts)
            .unwrap_err()
            .to_string()
            .contains("fraction"));
    }
}
