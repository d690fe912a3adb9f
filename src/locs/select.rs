//! Subsets of a table: ranges, time windows, random subsets, halves, crops.
//!
//! Every subset keeps its parent's field of view, pixel size and frame count
//! (docs/methods.md §1), so that subsets render on the parent's grid, and appends
//! one line to the history. Randomness is seeded (`StdRng::seed_from_u64`),
//! so the same seed gives the same subset.
//!
//! The halves of [`Locs::split`] are those of docs/methods.md §5: `Random` is a
//! random 50/50 permutation of the localizations (as Picasso's FRC), `Frames`
//! cuts the frame range into blocks and gives a random half of the blocks to
//! the first half (Nieuwenhuizen et al. 2013). [`Locs::random_window`] is the
//! paper's sparse input: a contiguous run of frames holding a given fraction
//! of the localizations (docs/methods.md §7, training pairs).

use super::Locs;
use crate::error::{Error, Result};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

/// How [`Locs::split`] divides a table in two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitMode {
    /// Each localization goes to a random half (halves differ in size by at most one).
    Random,
    /// The frame range 0..n_frames is cut into `blocks` equal time blocks; a
    /// random half of the blocks (⌊blocks/2⌋ of them) forms the first half.
    Frames {
        /// Number of time blocks (≥ 2; default 50).
        blocks: u32,
    },
}

impl SplitMode {
    /// The names scripts use.
    pub const NAMES: &'static [&'static str] = &["random", "frames"];
    /// The default number of time blocks of [`SplitMode::Frames`].
    pub const DEFAULT_BLOCKS: u32 = 50;

    /// Parse `"random"` or `"frames"` (with `blocks`).
    pub fn from_name(name: &str, blocks: u32) -> Result<SplitMode> {
        match name {
            "random" => Ok(SplitMode::Random),
            "frames" => Ok(SplitMode::Frames { blocks }),
            _ => Err(Error::arg(
                "mode",
                format!("unknown split mode '{name}'; expected \"random\" or \"frames\""),
            )),
        }
    }
}

fn check_fraction(fraction: f64) -> Result<()> {
    if fraction.is_finite() && fraction > 0.0 && fraction <= 1.0 {
        Ok(())
    } else {
        Err(Error::arg(
            "fraction",
            format!("must be in (0, 1], got {fraction}"),
        ))
    }
}

fn fmt_num(v: f64) -> String {
    format!("{v}")
}

impl Locs {
    /// Keep the localizations whose value in every named column lies in the
    /// inclusive range `[lo, hi]` (nm for lengths, frames from 0). An unknown
    /// column is an error listing the columns; `lo > hi` or NaN bounds are
    /// errors. No ranges: a copy.
    pub fn select(&self, ranges: &[(String, f64, f64)]) -> Result<Locs> {
        let mut keep = vec![true; self.len()];
        for (name, lo, hi) in ranges {
            if lo.is_nan() || hi.is_nan() || lo > hi {
                return Err(Error::arg(
                    name.as_str(),
                    format!("range must be [lo, hi] with lo <= hi, got [{lo}, {hi}]"),
                ));
            }
            let (lo, hi) = (*lo, *hi);
            let test = |v: f64| v >= lo && v <= hi;
            match name.as_str() {
                "frame" => keep
                    .iter_mut()
                    .zip(&self.frame)
                    .for_each(|(k, &v)| *k &= test(v as f64)),
                "x" => keep
                    .iter_mut()
                    .zip(&self.x)
                    .for_each(|(k, &v)| *k &= test(v as f64)),
                "y" => keep
                    .iter_mut()
                    .zip(&self.y)
                    .for_each(|(k, &v)| *k &= test(v as f64)),
                _ => {
                    let c = &self.extra_or_err(name)?.data;
                    keep.iter_mut()
                        .enumerate()
                        .for_each(|(i, k)| *k &= test(c.get_f64(i)));
                }
            }
        }
        let desc = ranges
            .iter()
            .map(|(n, lo, hi)| format!("{n}: [{}, {}]", fmt_num(*lo), fmt_num(*hi)))
            .collect::<Vec<_>>()
            .join(", ");
        Ok(self.filter(&keep, format!("select(#{{ {desc} }})")))
    }

    /// The localizations of frames `first..=last`. Errors when `first > last`.
    pub fn frame_window(&self, first: u32, last: u32) -> Result<Locs> {
        if first > last {
            return Err(Error::arg(
                "first",
                format!("the first frame ({first}) is after the last ({last})"),
            ));
        }
        let keep: Vec<bool> = self.frame.iter().map(|&f| f >= first && f <= last).collect();
        Ok(self.filter(&keep, format!("frame_window({first}, {last})")))
    }

    /// A random contiguous run of frames holding about `fraction` of the
    /// localizations: with the localizations sorted by frame, a random start
    /// k is drawn uniformly among the n − m + 1 runs of m = round(fraction·n)
    /// consecutive localizations, and the window is the frames from the first
    /// to the last of that run (so it holds m localizations plus any others
    /// sharing its two end frames). `fraction` in (0, 1], else an error; an
    /// empty table gives an empty table. The history records the frames.
    pub fn random_window(&self, fraction: f64, seed: u64) -> Result<Locs> {
        check_fraction(fraction)?;
        let n = self.len();
        if n == 0 {
            return Ok(self.take(&[], format!("random_window({fraction}, {seed}): empty table")));
        }
        let m = ((fraction * n as f64).round() as usize).clamp(1, n);
        let mut sorted = self.frame.clone();
        sorted.sort_unstable();
        let mut rng = StdRng::seed_from_u64(seed);
        let k = rng.random_range(0..=n - m);
        let (first, last) = (sorted[k], sorted[k + m - 1]);
        let keep: Vec<bool> = self.frame.iter().map(|&f| f >= first && f <= last).collect();
        Ok(self.filter(
            &keep,
            format!("random_window({fraction}, {seed}): frames {first}..={last}"),
        ))
    }

    /// A random subset of round(fraction·n) localizations (at least one when
    /// the table is not empty), in table order. `fraction` in (0, 1], else an
    /// error.
    pub fn subsample(&self, fraction: f64, seed: u64) -> Result<Locs> {
        check_fraction(fraction)?;
        let n = self.len();
        let m = if n == 0 {
            0
        } else {
            ((fraction * n as f64).round() as usize).clamp(1, n)
        };
        let mut rng = StdRng::seed_from_u64(seed);
        let mut idx = rand::seq::index::sample(&mut rng, n, m).into_vec();
        idx.sort_unstable();
        Ok(self.take(&idx, format!("subsample({fraction}, {seed})")))
    }

    /// Two disjoint halves whose union is the table (see [`SplitMode`]);
    /// each keeps table order. `Frames { blocks }` needs blocks ≥ 2. An empty
    /// table gives two empty halves.
    pub fn split(&self, mode: SplitMode, seed: u64) -> Result<(Locs, Locs)> {
        let n = self.len();
        let mut rng = StdRng::seed_from_u64(seed);
        let (first, desc) = match mode {
            SplitMode::Random => {
                let mut perm: Vec<usize> = (0..n).collect();
                perm.shuffle(&mut rng);
                let mut first = vec![false; n];
                for &i in &perm[..n / 2] {
                    first[i] = true;
                }
                (first, format!("split(random, seed {seed})"))
            }
            SplitMode::Frames { blocks } => {
                if blocks < 2 {
                    return Err(Error::arg("blocks", format!("must be at least 2, got {blocks}")));
                }
                let frames = self.meta.n_frames.max(1) as u64;
                let mut order: Vec<u32> = (0..blocks).collect();
                order.shuffle(&mut rng);
                let mut in_first = vec![false; blocks as usize];
                for &b in &order[..blocks as usize / 2] {
                    in_first[b as usize] = true;
                }
                let first = self
                    .frame
                    .iter()
                    .map(|&f| {
                        let b = ((f as u64).min(frames - 1) * blocks as u64 / frames) as usize;
                        in_first[b]
                    })
                    .collect();
                (first, format!("split(frames, {blocks} blocks, seed {seed})"))
            }
        };
        let second: Vec<bool> = first.iter().map(|k| !k).collect();
        Ok((
            self.filter(&first, format!("{desc}: half 1")),
            self.filter(&second, format!("{desc}: half 2")),
        ))
    }

    /// The localizations with x in [x_nm, x_nm + w_nm) and y in
    /// [y_nm, y_nm + h_nm) (half-open, like pixels). The field of view stays
    /// the parent's. w_nm and h_nm must be positive.
    pub fn crop(&self, x_nm: f64, y_nm: f64, w_nm: f64, h_nm: f64) -> Result<Locs> {
        for (name, v) in [("x_nm", x_nm), ("y_nm", y_nm)] {
            if !v.is_finite() {
                return Err(Error::arg(name, format!("must be finite, got {v}")));
            }
        }
        for (name, v) in [("w_nm", w_nm), ("h_nm", h_nm)] {
            if !(v.is_finite() && v > 0.0) {
                return Err(Error::arg(name, format!("must be positive, got {v}")));
            }
        }
        let (x1, y1) = (x_nm + w_nm, y_nm + h_nm);
        let keep: Vec<bool> = self
            .x
            .iter()
            .zip(&self.y)
            .map(|(&x, &y)| {
                let (x, y) = (x as f64, y as f64);
                x >= x_nm && x < x1 && y >= y_nm && y < y1
            })
            .collect();
        Ok(self.filter(
            &keep,
            format!(
                "crop({}, {}, {}, {})",
                fmt_num(x_nm),
                fmt_num(y_nm),
                fmt_num(w_nm),
                fmt_num(h_nm)
            ),
        ))
    }
}

impl std::str::FromStr for SplitMode {
    type Err = Error;
    /// `"random"`, or `"frames"` with the default number of blocks.
    fn from_str(s: &str) -> Result<SplitMode> {
        SplitMode::from_name(s, SplitMode::DEFAULT_BLOCKS)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{ColumnData, Metadata};
    use super::*;

    /// n localizations: frame i % frames, x = i, y = 2i, photons = i as f32.
    fn table(n: usize, frames: u32) -> Locs {
        let meta = Metadata {
            pixel_nm: Some(100.0),
            width_nm: 1e6,
            height_nm: 2e6,
            n_frames: frames,
            ..Default::default()
        };
        let mut l = Locs::new(
            (0..n).map(|i| (i as u32) % frames).collect(),
            (0..n).map(|i| i as f32).collect(),
            (0..n).map(|i| 2.0 * i as f32).collect(),
            meta,
        )
        .unwrap();
        l.add_column(
            "photons",
            None,
            ColumnData::F32((0..n).map(|i| i as f32).collect()),
        )
        .unwrap();
        l
    }

    #[test]
    fn select_inclusive_and_errors() {
        let l = table(100, 10);
        let s = l
            .select(&[("photons".into(), 10.0, 20.0), ("frame".into(), 0.0, 4.0)])
            .unwrap();
        // photons 10..=20 with frame (i % 10) <= 4: 10..=14 and 20.
        assert_eq!(s.x(), &[10.0, 11.0, 12.0, 13.0, 14.0, 20.0]);
        assert_eq!(s.width_nm(), 1e6);
        assert_eq!(s.pixel_nm(), Some(100.0));
        assert!(s.meta.history.last().unwrap().starts_with("select("));
        let e = l.select(&[("phtons".into(), 0.0, 1.0)]).unwrap_err().to_string();
        assert!(e.contains("phtons") && e.contains("frame, x, y, photons"), "{e}");
        assert!(l.select(&[("x".into(), 2.0, 1.0)]).is_err());
        assert!(l.select(&[("x".into(), f64::NAN, 1.0)]).is_err());
        assert_eq!(l.select(&[]).unwrap().len(), 100);
        // Same as a direct loop.
        let y = l.select(&[("y".into(), 33.0, 90.0)]).unwrap();
        let want: Vec<f32> = l
            .y()
            .iter()
            .copied()
            .filter(|&v| (33.0..=90.0).contains(&v))
            .collect();
        assert_eq!(y.y(), &want[..]);
    }

    #[test]
    fn frame_window_bounds() {
        let l = table(100, 10);
        let w = l.frame_window(3, 4).unwrap();
        assert_eq!(w.len(), 20);
        assert!(w.frame().iter().all(|&f| f == 3 || f == 4));
        assert_eq!(l.frame_window(9, 9).unwrap().len(), 10);
        assert!(l.frame_window(5, 4).is_err());
        assert_eq!(w.n_frames(), 10);
    }

    #[test]
    fn random_window_fraction() {
        // 20 000 localizations over 10 000 frames (2 per frame).
        let l = table(20_000, 10_000);
        for (fraction, seed) in [(0.05, 1), (0.1, 2), (0.3, 3), (0.5, 4)] {
            let w = l.random_window(fraction, seed).unwrap();
            let got = w.len() as f64 / l.len() as f64;
            assert!((got - fraction).abs() < 0.001, "{fraction}: {got}");
            // Contiguous frames: every frame between min and max is present.
            let (lo, hi) = (*w.frame().iter().min().unwrap(), *w.frame().iter().max().unwrap());
            assert_eq!(w.len(), 2 * (hi - lo + 1) as usize);
            assert_eq!(
                w.meta.history.last().unwrap(),
                &format!("random_window({fraction}, {seed}): frames {lo}..={hi}")
            );
        }
        // Deterministic per seed, different between seeds.
        assert_eq!(l.random_window(0.1, 7).unwrap(), l.random_window(0.1, 7).unwrap());
        assert_ne!(
            l.random_window(0.1, 7).unwrap().frame(),
            l.random_window(0.1, 8).unwrap().frame()
        );
        assert_eq!(l.random_window(1.0, 0).unwrap().len(), l.len());
        for bad in [0.0, -0.1, 1.5, f64::NAN] {
            let e = l.random_window(bad, 0).unwrap_err().to_string();
            assert!(e.contains("fraction"), "{e}");
            assert!(l.subsample(bad, 0).is_err());
        }
        let empty = l.take(&[], "e".into());
        assert!(empty.random_window(0.5, 1).unwrap().is_empty());
    }

    #[test]
    fn subsample_size_and_order() {
        let l = table(1000, 10);
        let s = l.subsample(0.25, 3).unwrap();
        assert_eq!(s.len(), 250);
        assert!(s.x().windows(2).all(|w| w[0] < w[1]));
        assert_eq!(s, l.subsample(0.25, 3).unwrap());
        assert_eq!(l.subsample(1.0, 3).unwrap().len(), 1000);
        assert_eq!(l.subsample(1e-9, 3).unwrap().len(), 1);
        // photons still match x (rows kept whole).
        assert_eq!(s.column("photons").unwrap(), s.column("x").unwrap());
    }

    #[test]
    fn split_disjoint_and_sizes() {
        let l = table(1001, 500);
        let (a, b) = l.split(SplitMode::Random, 11).unwrap();
        assert_eq!((a.len(), b.len()), (500, 501));
        let mut all: Vec<f32> = a.x().iter().chain(b.x()).copied().collect();
        all.sort_by(f32::total_cmp);
        assert_eq!(all, l.x());
        assert_eq!(a.width_nm(), l.width_nm());
        assert_ne!(a, l.split(SplitMode::Random, 12).unwrap().0);
        assert_eq!(a, l.split(SplitMode::Random, 11).unwrap().0);

        let (a, b) = l.split(SplitMode::Frames { blocks: 50 }, 5).unwrap();
        assert_eq!(a.len() + b.len(), l.len());
        // Blocks of 10 frames: a frame's block is in exactly one half, 25 blocks each.
        let block = |f: u32| f / 10;
        let ba: std::collections::BTreeSet<u32> = a.frame().iter().map(|&f| block(f)).collect();
        let bb: std::collections::BTreeSet<u32> = b.frame().iter().map(|&f| block(f)).collect();
        assert!(ba.is_disjoint(&bb));
        assert_eq!((ba.len(), bb.len()), (25, 25));
        assert!(l.split(SplitMode::Frames { blocks: 1 }, 0).is_err());
        assert!(SplitMode::from_name("time", 50).is_err());
        let empty = l.take(&[], "e".into());
        let (a, b) = empty.split(SplitMode::Random, 1).unwrap();
        assert!(a.is_empty() && b.is_empty());
    }

    #[test]
    fn crop_half_open() {
        let l = table(100, 10);
        let c = l.crop(10.0, 0.0, 5.0, 1000.0).unwrap();
        assert_eq!(c.x(), &[10.0, 11.0, 12.0, 13.0, 14.0]);
        let c = l.crop(0.0, 20.0, 1000.0, 4.0).unwrap();
        assert_eq!(c.y(), &[20.0, 22.0]);
        assert_eq!(c.width_nm(), l.width_nm());
        assert!(l
            .crop(0.0, 0.0, 0.0, 1.0)
            .unwrap_err()
            .to_string()
            .contains("w_nm"));
        assert!(l
            .crop(0.0, 0.0, 1.0, -1.0)
            .unwrap_err()
            .to_string()
            .contains("h_nm"));
    }
}
