//! NeNA: the localization precision from next-frame neighbour distances
//! (Endesfelder et al. 2014, Histochem. Cell Biol. 141:629;
//! `docs/methods.md §9`; Picasso `postprocess.nena`).
//!
//! For every localization, the distances d to the localizations of the next
//! frame (frame + 1, and the same `group` when the table has one) with
//! d ≤ d_max are histogrammed in bins [k·w, (k+1)·w) (Picasso: d_max = 1
//! camera pixel, w = 0.001 pixel). The model
//!
//! p(d) = A · d/(2s²) · exp(−d²/(4s²)) + A_c/(s_c√(2π)) · exp(−(d − d_c)²/(2 s_c²)),  A = A_c + ΔA,
//!
//! is fitted to the counts at the bin centres by least squares with every
//! parameter (ΔA, s, A_c, d_c, s_c) ≥ 0, from Picasso's three starting
//! points — (0.8·area, m, 0.1·area, 2m, m), (0.8·area, peak/√2, 0.1·area,
//! 0.7·d_max, 0.3·d_max), (0.8·area, m, 0.1·area, 0.5·d_max, m), with m the
//! mean of the medians of lpx and lpy (left out without those columns),
//! `area` the trapezoid integral of the histogram and `peak` the centre of
//! its fullest bin — keeping the fit of least squared residual. s is the
//! NeNA precision. The first term is the distance distribution between two
//! independent localizations of one emitter of precision s; the second
//! absorbs short-range correlations.
//!
//! The search uses the table sorted by frame, and within each frame pair the
//! next frame's localizations sorted by x (binary search of x ± d_max), so
//! dense frames cost O(n log n), not O(n²); frames are processed in parallel.

use super::fit::levenberg_marquardt;
use crate::error::{Error, Result};
use crate::locs::Locs;
use rayon::prelude::*;
use std::path::Path;

/// Fewest next-frame pairs [`nena`] fits.
pub const MIN_PAIRS: usize = 100;

/// Options of [`nena`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NenaOptions {
    /// Largest distance histogrammed, nm (default: 1 camera pixel, as Picasso).
    pub d_max_nm: Option<f64>,
    /// Histogram bin, nm (default: d_max / 1000, as Picasso).
    pub bin_nm: Option<f64>,
}

/// The NeNA result: the precision, the histogram and the fit.
#[derive(Debug, Clone, PartialEq)]
pub struct Nena {
    /// The NeNA localization precision s, nm.
    pub precision_nm: f64,
    /// Number of next-frame pairs within d_max.
    pub n_pairs: usize,
    /// Bin centres, nm.
    pub d_nm: Vec<f64>,
    /// Pairs per bin.
    pub counts: Vec<f64>,
    /// The fitted model at the bin centres.
    pub fit: Vec<f64>,
    /// The fitted parameters (ΔA, s, A_c, d_c, s_c), lengths in nm.
    pub params: [f64; 5],
}

impl Nena {
    /// The model of the module documentation at distance `d` (nm).
    pub fn model(params: &[f64; 5], d: f64) -> f64 {
        model_value(params, d)
    }

    /// Plot the histogram and the fit against distance (nm) into `path`
    /// (`.svg` or `.png`). Bins are merged by 10 for display (counts summed,
    /// the fit likewise).
    pub fn plot(&self, path: impl AsRef<Path>) -> Result<()> {
        use crate::plot::{line_plot, LinePlotOptions, Series};
        let group = 10.min(self.d_nm.len().max(1));
        let merge = |v: &[f64]| -> Vec<f64> { v.chunks(group).map(|c| c.iter().sum::<f64>()).collect() };
        let d: Vec<f64> = self
            .d_nm
            .chunks(group)
            .map(|c| c.iter().sum::<f64>() / c.len() as f64)
            .collect();
        line_plot(
            &[
                Series {
                    label: "next-frame neighbours".into(),
                    x: d.clone(),
                    y: merge(&self.counts),
                    ..Default::default()
                },
                Series {
                    label: format!("fit, s = {:.2} nm", self.precision_nm),
                    x: d,
                    y: merge(&self.fit),
                    dashed: true,
                    ..Default::default()
                },
            ],
            path,
            &LinePlotOptions {
                title: Some(format!(
                    "NeNA: σ = {:.2} nm ({} pairs)",
                    self.precision_nm, self.n_pairs
                )),
                xlabel: "distance (nm)".into(),
                ylabel: format!(
                    "pairs per {} nm",
                    crate::plot::fmt_num(self.bin_width() * group as f64)
                ),
                ..Default::default()
            },
        )
    }

    fn bin_width(&self) -> f64 {
        if self.d_nm.len() >= 2 {
            self.d_nm[1] - self.d_nm[0]
        } else {
            self.d_nm.first().map_or(1.0, |d| 2.0 * d)
        }
    }
}

fn model_value(q: &[f64; 5], d: f64) -> f64 {
    let (da, s, ac, dc, sc) = (q[0], q[1], q[2], q[3], q[4]);
    let a = ac + da;
    a * d / (2.0 * s * s) * (-d * d / (4.0 * s * s)).exp()
        + ac / (sc * (2.0 * std::f64::consts::PI).sqrt()) * (-0.5 * ((d - dc) / sc).powi(2)).exp()
}

/// The next-frame neighbour distance histogram: counts per bin of width
/// `bin` over [0, d_max], and the number of pairs. Pairs at exactly d_max
/// fall into the last bin.
pub(crate) fn histogram(locs: &Locs, d_max: f64, bin: f64) -> Result<(Vec<f64>, usize)> {
    let n_bins = (d_max / bin).ceil().max(1.0) as usize;
    let (x, y, frame) = (locs.x(), locs.y(), locs.frame());
    let group: Option<Vec<f64>> = locs.extra("group").map(|c| c.data.to_f64());
    // Rows sorted by (frame, x); NaN positions are left out.
    let mut order: Vec<usize> = (0..locs.len())
        .filter(|&i| x[i].is_finite() && y[i].is_finite())
        .collect();
    order.sort_unstable_by(|&a, &b| frame[a].cmp(&frame[b]).then(x[a].total_cmp(&x[b])));
    // Start of each run of equal frames.
    let mut starts = Vec::new();
    for (k, &i) in order.iter().enumerate() {
        if k == 0 || frame[order[k - 1]] != frame[i] {
            starts.push(k);
        }
    }
    starts.push(order.len());
    let n_runs = starts.len() - 1;
    let d2max = d_max * d_max;
    let chunk = 4096;
    let parts: Vec<Result<(Vec<u64>, usize)>> = (0..n_runs.div_ceil(chunk))
        .into_par_iter()
        .map(|c| {
            crate::interrupt::check()?;
            let mut h = vec![0u64; n_bins];
            let mut pairs = 0;
            for r in c * chunk..((c + 1) * chunk).min(n_runs).min(n_runs.saturating_sub(1)) {
                let (a0, a1, b0, b1) = (starts[r], starts[r + 1], starts[r + 1], starts[r + 2]);
                if frame[order[b0]] != frame[order[a0]] + 1 {
                    continue;
                }
                let next = &order[b0..b1];
                for &i in &order[a0..a1] {
                    let (xi, yi) = (x[i] as f64, y[i] as f64);
                    let lo = next.partition_point(|&j| (x[j] as f64) < xi - d_max);
                    for &j in &next[lo..] {
                        let dx = x[j] as f64 - xi;
                        if dx > d_max {
                            break;
                        }
                        if let Some(g) = &group {
                            if g[i] != g[j] {
                                continue;
                            }
                        }
                        let dy = y[j] as f64 - yi;
                        let d2 = dx * dx + dy * dy;
                        if d2 <= d2max {
                            let k = ((d2.sqrt() / bin) as usize).min(n_bins - 1);
                            h[k] += 1;
                            pairs += 1;
                        }
                    }
                }
            }
            Ok((h, pairs))
        })
        .collect();
    let mut hist = vec![0f64; n_bins];
    let mut pairs = 0;
    for p in parts {
        let (h, n) = p?;
        for (a, b) in hist.iter_mut().zip(h) {
            *a += b as f64;
        }
        pairs += n;
    }
    Ok((hist, pairs))
}

/// NeNA of `locs` (module documentation). Errors when the table has fewer
/// than [`MIN_PAIRS`] next-frame pairs within d_max, or the fit fails.
pub fn nena(locs: &Locs, opt: &NenaOptions) -> Result<Nena> {
    let d_max = match opt.d_max_nm.or(locs.pixel_nm()) {
        Some(v) if v.is_finite() && v > 0.0 => v,
        Some(v) => {
            return Err(Error::arg(
                "d_max_nm",
                format!("must be a positive number, got {v}"),
            ))
        }
        None => {
            return Err(Error::arg(
                "d_max_nm",
                "the table has no camera pixel size; give d_max_nm (Picasso uses 1 camera pixel)",
            ))
        }
    };
    let bin = opt.bin_nm.unwrap_or(d_max / 1000.0);
    if !(bin.is_finite() && bin > 0.0) || d_max / bin > 1e6 {
        return Err(Error::arg(
            "bin_nm",
            format!("must be positive and give at most 10^6 bins up to d_max {d_max} nm, got {bin}"),
        ));
    }
    let (counts, n_pairs) = histogram(locs, d_max, bin)?;
    if n_pairs < MIN_PAIRS {
        return Err(Error::Numeric(format!(
            "NeNA: only {n_pairs} pair(s) of localizations in consecutive frames lie within {d_max} nm; \
             at least {MIN_PAIRS} are needed (a table with more frames, or a larger d_max_nm)"
        )));
    }
    let d: Vec<f64> = (0..counts.len()).map(|k| (k as f64 + 0.5) * bin).collect();
    let (params, fit) = fit_nena(&d, &counts, median_lp(locs))?;
    Ok(Nena {
        precision_nm: params[1],
        n_pairs,
        d_nm: d,
        counts,
        fit,
        params,
    })
}

/// Mean of the medians of lpx and lpy (finite values), when both exist.
fn median_lp(locs: &Locs) -> Option<f64> {
    let med = |name: &str| -> Option<f64> {
        let mut v: Vec<f64> = locs
            .column(name)
            .ok()?
            .into_iter()
            .filter(|v| v.is_finite())
            .collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let n = v.len();
        Some(if n % 2 == 1 {
            v[n / 2]
        } else {
            0.5 * (v[n / 2 - 1] + v[n / 2])
        })
    };
    Some(0.5 * (med("lpx")? + med("lpy")?))
}

/// Fit the model to the histogram (bin centres `d`, `counts`) from
/// Picasso's starting points; the best parameters and the fitted curve.
pub(crate) fn fit_nena(d: &[f64], counts: &[f64], median_lp: Option<f64>) -> Result<([f64; 5], Vec<f64>)> {
    let n = d.len();
    let area: f64 = (1..n)
        .map(|k| 0.5 * (counts[k] + counts[k - 1]) * (d[k] - d[k - 1]))
        .sum();
    let kmax = counts
        .iter()
        .enumerate()
        .fold(
            (0, f64::NEG_INFINITY),
            |b, (k, &v)| if v > b.1 { (k, v) } else { b },
        )
        .0;
    let peak = d[kmax];
    let last = d[n - 1];
    let mut starts = Vec::new();
    if let Some(m) = median_lp.filter(|m| m.is_finite() && *m > 0.0) {
        starts.push([0.8 * area, m, 0.1 * area, 2.0 * m, m]);
    }
    starts.push([0.8 * area, peak / 2f64.sqrt(), 0.1 * area, 0.7 * last, 0.3 * last]);
    if let Some(m) = median_lp.filter(|m| m.is_finite() && *m > 0.0) {
        starts.push([0.8 * area, m, 0.1 * area, 0.5 * last, m]);
    }
    let model = |q: &[f64], r: &mut [f64], jac: &mut [f64]| {
        let (da, s, ac, dc, sc) = (q[0], q[1].max(1e-300), q[2], q[3], q[4].max(1e-300));
        let a = ac + da;
        let norm = 1.0 / (2.0 * std::f64::consts::PI).sqrt();
        for k in 0..n {
            let x = d[k];
            let e1 = (-x * x / (4.0 * s * s)).exp();
            let f1 = x / (2.0 * s * s) * e1; // p_single / a
            let z = (x - dc) / sc;
            let e2 = (-0.5 * z * z).exp();
            let f2 = norm / sc * e2; // p_short / ac
            r[k] = a * f1 + ac * f2 - counts[k];
            let j = &mut jac[5 * k..5 * k + 5];
            j[0] = f1;
            // ∂f1/∂s = f1 · (−2/s + x²/(2 s³))
            j[1] = a * f1 * (-2.0 / s + x * x / (2.0 * s * s * s));
            j[2] = f1 + f2;
            j[3] = ac * f2 * z / sc;
            j[4] = ac * f2 * (z * z - 1.0) / sc;
        }
    };
    let mut best: Option<([f64; 5], f64)> = None;
    let mut errors = Vec::new();
    for p0 in starts {
        if p0.iter().any(|v| !v.is_finite()) {
            continue;
        }
        match levenberg_marquardt(model, &p0, &[0.0; 5], n, 400) {
            Ok(fit) => {
                let q = [
                    fit.params[0],
                    fit.params[1],
                    fit.params[2],
                    fit.params[3],
                    fit.params[4],
                ];
                if fit.cost.is_finite() && q[1] > 0.0 && best.is_none_or(|b| fit.cost < b.1) {
                    best = Some((q, fit.cost));
                }
            }
            Err(e) => errors.push(e.to_string()),
        }
    }
    let (q, _) = best.ok_or_else(|| {
        Error::Numeric(format!(
            "NeNA: the model could not be fitted to the next-frame distance histogram ({})",
            errors.join("; ")
        ))
    })?;
    let fit = d.iter().map(|&x| model_value(&q, x)).collect();
    Ok((q, fit))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::locs::{simulate_microtubules, ColumnData, Metadata, SimOptions};
    use rand::{Rng, SeedableRng};

    fn table(frame: Vec<u32>, x: Vec<f32>, y: Vec<f32>) -> Locs {
        let meta = Metadata {
            pixel_nm: Some(100.0),
            width_nm: 1000.0,
            height_nm: 1000.0,
            ..Default::default()
        };
        Locs::new(frame, x, y, meta).unwrap()
    }

    /// The obviously-correct twin: every ordered pair (i, j) with
    /// frame_j = frame_i + 1 (same group), all pairs checked.
    fn slow_histogram(l: &Locs, d_max: f64, bin: f64) -> (Vec<f64>, usize) {
        let nb = (d_max / bin).ceil() as usize;
        let mut h = vec![0.0; nb];
        let mut n = 0;
        let g = l.extra("group").map(|c| c.data.to_f64());
        for i in 0..l.len() {
            for j in 0..l.len() {
                if l.frame()[j] != l.frame()[i] + 1 {
                    continue;
                }
                if let Some(g) = &g {
                    if g[i] != g[j] {
                        continue;
                    }
                }
                let dx = l.x()[j] as f64 - l.x()[i] as f64;
                let dy = l.y()[j] as f64 - l.y()[i] as f64;
                let d = (dx * dx + dy * dy).sqrt();
                if d <= d_max && d.is_finite() {
                    h[((d / bin) as usize).min(nb - 1)] += 1.0;
                    n += 1;
                }
            }
        }
        (h, n)
    }

    #[test]
    fn histogram_matches_slow_twin() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        let n = 3000;
        let mut frame: Vec<u32> = (0..n).map(|_| rng.random_range(0..60)).collect();
        frame.sort();
        let x: Vec<f32> = (0..n).map(|_| rng.random_range(0.0..600.0f32)).collect();
        let mut y: Vec<f32> = (0..n).map(|_| rng.random_range(0.0..600.0f32)).collect();
        y[7] = f32::NAN;
        let mut l = table(frame, x, y);
        let (h, np) = histogram(&l, 100.0, 0.5).unwrap();
        let (hs, ns) = slow_histogram(&l, 100.0, 0.5);
        assert_eq!(np, ns);
        assert!(np > 1000, "{np}");
        assert_eq!(h, hs);
        // With a group column, pairs across groups are left out.
        let g: Vec<i32> = (0..n).map(|i| i % 3).collect();
        l.add_column("group", None, ColumnData::I32(g)).unwrap();
        let (h, np) = histogram(&l, 100.0, 0.5).unwrap();
        let (hs, ns) = slow_histogram(&l, 100.0, 0.5);
        assert_eq!((h, np), (hs, ns));
    }

    #[test]
    fn fit_recovers_a_synthetic_histogram() {
        // Exact model values: the fit returns the parameters it was made from.
        let truth = [3000.0, 8.0, 400.0, 60.0, 20.0];
        let d: Vec<f64> = (0..1000).map(|k| (k as f64 + 0.5) * 0.108).collect();
        let counts: Vec<f64> = d.iter().map(|&x| model_value(&truth, x)).collect();
        let (q, fit) = fit_nena(&d, &counts, Some(7.0)).unwrap();
        for k in 0..5 {
            assert!((q[k] - truth[k]).abs() < 1e-5 * truth[k].max(1.0), "{q:?}");
        }
        assert!((fit[100] - counts[100]).abs() < 1e-6 * counts[100]);
        // Hand-checked model value: d = 2s: A·(2s)/(2s²)·e^{−1} = A/(s e) for the single term.
        let q1 = [100.0, 5.0, 0.0, 10.0, 1.0];
        assert!((model_value(&q1, 10.0) - 100.0 / (5.0 * std::f64::consts::E)).abs() < 1e-12);
        // Noisy counts (Poisson-like jitter) from a Rayleigh of s = 6: within 3 %.
        let truth = [2.0e4 * 0.1, 6.0, 0.0, 50.0, 10.0];
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let d: Vec<f64> = (0..1000).map(|k| (k as f64 + 0.5) * 0.1).collect();
        let counts: Vec<f64> = d
            .iter()
            .map(|&x| {
                let m = model_value(&truth, x);
                (m + m.sqrt() * rng.random_range(-1.7..1.7)).max(0.0).round()
            })
            .collect();
        let (q, _) = fit_nena(&d, &counts, None).unwrap();
        assert!((q[1] - 6.0).abs() < 0.18, "{q:?}");
    }

    #[test]
    fn simulated_precision_within_ten_percent() {
        // Blinks that last several frames give next-frame pairs of one dye.
        let base = SimOptions {
            blink_continue: 0.6,
            n_locs: 60_000,
            frames: 10_000,
            ..Default::default()
        };
        // One precision for all: NeNA finds it.
        let sim = simulate_microtubules(&SimOptions {
            precision_nm: Some(8.0),
            ..base.clone()
        })
        .unwrap();
        let r = nena(&sim.locs, &NenaOptions::default()).unwrap();
        assert!((r.precision_nm - 8.0).abs() < 0.1 * 8.0, "{}", r.precision_nm);
        assert!(r.n_pairs > 10_000, "{}", r.n_pairs);
        assert_eq!(r.counts.len(), 1000);
        assert!((r.d_nm[0] - 0.054).abs() < 1e-12);
        // Precision from the photon counts (log-normal, σ of ln N = 0.3):
        // a single-σ fit to a mixture lands near the median precision.
        let sim = simulate_microtubules(&SimOptions {
            photons_sigma: 0.3,
            ..base
        })
        .unwrap();
        let r = nena(&sim.locs, &NenaOptions::default()).unwrap();
        let mut lp = sim.locs.column("lpx").unwrap();
        lp.sort_by(f64::total_cmp);
        let median = lp[lp.len() / 2];
        assert!(
            (r.precision_nm - median).abs() < 0.1 * median,
            "{} vs {median}",
            r.precision_nm
        );
    }

    #[test]
    fn errors_are_clear() {
        // Empty table, one frame, NaN positions: too few pairs.
        for l in [
            table(vec![], vec![], vec![]),
            table(vec![0; 50], vec![10.0; 50], vec![10.0; 50]),
            table((0..500).collect(), vec![f32::NAN; 500], vec![1.0; 500]),
        ] {
            let e = nena(&l, &NenaOptions::default()).unwrap_err().to_string();
            assert!(e.contains("pair"), "{e}");
        }
        let mut l = table(vec![0, 1], vec![1.0, 2.0], vec![1.0, 2.0]);
        l.meta.pixel_nm = None;
        let e = nena(&l, &NenaOptions::default()).unwrap_err().to_string();
        assert!(e.contains("d_max_nm"), "{e}");
        let e = nena(
            &l,
            &NenaOptions {
                d_max_nm: Some(100.0),
                bin_nm: Some(0.0),
            },
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("bin_nm"), "{e}");
    }
}
