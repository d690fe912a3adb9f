//! Self-FRC of a localization table (docs/methods.md §5, last bullets;
//! Nieuwenhuizen et al. 2013): split the table in two halves (random or time
//! blocks), render both on the table's grid (docs/methods.md §2), correlate with
//! the Tukey mask on, and repeat with new seeds for mean ± sd over the
//! repeats that cross, always with the count ("k of n repeats crossed"),
//! never an sd of one value; repeats outside the Tukey fences of the repeats
//! are flagged in the curve's warnings ([`super::RepeatStats`]).

use super::{frc, smooth_frc, FrcCurve, FrcOptions, RepeatStats, Threshold};
use crate::error::{Error, Result};
use crate::locs::{Locs, RenderOptions, SplitMode};

/// Options of [`self_frc`].
#[derive(Debug, Clone, PartialEq)]
pub struct SelfFrcOptions {
    /// Render pixel size, nm (default 5).
    pub pixel_nm: f64,
    /// How to split (default random).
    pub split: SplitMode,
    /// Seed of the first repeat; repeat i uses seed + i.
    pub seed: u64,
    /// Number of independent splits (default 1).
    pub repeats: usize,
    /// Ring rule and mask (default: Tukey on, standard rings).
    pub frc: FrcOptions,
}

impl Default for SelfFrcOptions {
    fn default() -> Self {
        SelfFrcOptions {
            pixel_nm: 5.0,
            split: SplitMode::Random,
            seed: 0,
            repeats: 1,
            frc: FrcOptions {
                tukey: true,
                ..Default::default()
            },
        }
    }
}

/// The mean curve over repeats and each repeat's resolution.
#[derive(Debug, Clone, PartialEq)]
pub struct SelfFrc {
    /// The mean of the repeats' raw curves, re-smoothed; it carries the
    /// repeats' resolutions ([`FrcCurve::repeat_resolutions`]) and the
    /// warnings, and its summary says how many repeats crossed.
    pub curve: FrcCurve,
    /// Resolution (nm, 1/7 of the smoothed curve) of each repeat; `None`
    /// where a repeat has no crossing.
    pub resolutions: Vec<Option<f64>>,
}

impl SelfFrc {
    /// Count, mean, sd (≥ 2 crossing repeats only) and Tukey outliers of the
    /// repeats' resolutions.
    pub fn stats(&self) -> RepeatStats {
        RepeatStats::from_resolutions(&self.resolutions)
    }
}

/// Self-FRC of `locs` (see the module documentation).
pub fn self_frc(locs: &Locs, opts: &SelfFrcOptions) -> Result<SelfFrc> {
    if opts.repeats == 0 || opts.repeats > 1000 {
        return Err(Error::arg(
            "repeats",
            format!("must be in 1..=1000, got {}", opts.repeats),
        ));
    }
    if locs.len() < 2 {
        return Err(Error::Numeric(format!(
            "self-FRC needs at least 2 localizations, the table has {}",
            locs.len()
        )));
    }
    let render = RenderOptions::with_pixel(opts.pixel_nm);
    let mut curves: Vec<FrcCurve> = Vec::with_capacity(opts.repeats);
    for i in 0..opts.repeats {
        crate::interrupt::check()?;
        let (a, b) = locs.split(opts.split, opts.seed.wrapping_add(i as u64))?;
        let ((ia, _), (ib, _)) = (a.render(&render)?, b.render(&render)?);
        curves.push(frc(ia.data.view(), ib.data.view(), opts.pixel_nm, &opts.frc)?);
    }
    let resolutions: Vec<Option<f64>> = curves
        .iter()
        .map(|c| c.resolution(Threshold::default(), true))
        .collect();
    let mut mean = curves[0].clone();
    if curves.len() > 1 {
        let k = curves.len() as f64;
        for (j, v) in mean.values.iter_mut().enumerate() {
            *v = curves.iter().map(|c| c.values[j]).sum::<f64>() / k;
        }
        let rings: Vec<f64> = mean.rings.iter().map(|&q| q as f64).collect();
        mean.smoothed = smooth_frc(&mean.values, &rings, mean.n);
    }
    mean.repeat_resolutions = resolutions.clone();
    mean.refresh_warnings();
    Ok(SelfFrc {
        curve: mean,
        resolutions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::locs::{simulate_microtubules, SimOptions};

    fn sim() -> Locs {
        let o = SimOptions {
            size_nm: 3000.0,
            n_locs: 20_000,
            filaments: 4,
            frames: 2000,
            seed: 3,
            ..Default::default()
        };
        simulate_microtubules(&o).unwrap().locs
    }

    #[test]
    fn halves_of_a_dense_table_resolve_tens_of_nm() {
        let s = self_frc(
            &sim(),
            &SelfFrcOptions {
                repeats: 3,
                ..Default::default()
            },
        )
        .unwrap();
        let st = s.stats();
        let (mean, sd) = (st.mean_nm.expect("a crossing"), st.sd_nm.expect("3 crossings"));
        // Precision ~ 10 nm plus label size: the resolution is tens of nm, and repeats agree.
        assert!(mean > 15.0 && mean < 150.0, "{mean}");
        assert!(sd < 0.3 * mean, "{sd}");
        assert_eq!(s.resolutions.len(), 3);
        // The mean curve is the mean of the repeats: ring 0 correlates fully.
        assert!(s.curve.values[1] > 0.9);
    }

    #[test]
    fn fewer_localizations_give_worse_resolution() {
        let full = sim();
        let sparse = full.subsample(0.05, 1).unwrap();
        let rf = self_frc(&full, &SelfFrcOptions::default())
            .unwrap()
            .stats()
            .mean_nm
            .unwrap();
        let rs = self_frc(&sparse, &SelfFrcOptions::default())
            .unwrap()
            .stats()
            .mean_nm;
        assert!(rs.is_none_or(|r| r > rf), "{rf} vs {rs:?}");
    }

    #[test]
    fn repeated_blinks_make_random_halves_look_sharper_than_time_blocks() {
        // With correlated blinking, a random split puts localizations of the
        // same blink in both halves; time blocks keep them together
        // (Nieuwenhuizen et al. 2013).
        let o = SimOptions {
            size_nm: 3000.0,
            n_locs: 20_000,
            filaments: 4,
            frames: 2000,
            seed: 3,
            blink_continue: 0.6,
            ..Default::default()
        };
        let t = simulate_microtubules(&o).unwrap().locs;
        let res = |split| {
            let o = SelfFrcOptions {
                split,
                repeats: 3,
                ..Default::default()
            };
            self_frc(&t, &o).unwrap().stats().mean_nm.unwrap()
        };
        let random = res(SplitMode::Random);
        let frames = res(SplitMode::Frames { blocks: 50 });
        assert!(random < frames, "random {random} nm vs frames {frames} nm");
    }

    #[test]
    fn mean_curve_carries_the_repeats() {
        let s = self_frc(
            &sim(),
            &SelfFrcOptions {
                repeats: 3,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(s.curve.repeat_resolutions, s.resolutions);
        assert_eq!(s.curve.repeats(), 3);
        assert_eq!(s.curve.crossed(), s.resolutions.iter().flatten().count());
        assert!(
            s.curve.summary().contains("of 3 repeats crossed"),
            "{}",
            s.curve.summary()
        );
        assert_eq!(s.stats(), s.curve.repeat_stats().unwrap());
    }

    #[test]
    fn rejects_bad_repeats_and_tiny_tables() {
        let t = sim();
        assert!(self_frc(
            &t,
            &SelfFrcOptions {
                repeats: 0,
                ..Default::default()
            }
        )
        .is_err());
        let one = t.frame_window(0, 0).unwrap();
        if one.len() < 2 {
            assert!(self_frc(&one, &SelfFrcOptions::default()).is_err());
        }
    }
}
