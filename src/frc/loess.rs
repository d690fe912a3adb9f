//! LOESS smoothing of FRC curves, exactly as statsmodels' `lowess` computes it
//! (`statsmodels.nonparametric.lowess(endog, exog, frac, it, delta=0)`), which
//! is what Picasso uses to smooth its FRC curves (docs/methods.md §5).
//!
//! Reference: Cleveland, W. S. (1979), "Robust locally weighted regression
//! and smoothing scatterplots", JASA 74 (368), 829–836; the neighbour
//! selection, weight normalisation and degenerate-case rules follow
//! statsmodels' `_smoothers_lowess.pyx`:
//! - k = ⌊frac·n + 1e-10⌋ nearest points (clamped to 2..=n), chosen by sliding
//!   a window of k consecutive points right while the point to fit is past
//!   the midpoint of the window's first point and the point after the window;
//! - radius = the larger distance from the fitted x to the window's ends;
//!   tricube weights (1 − (d/radius)³)³ times the robustness weights,
//!   normalised to sum 1; fewer than two weights > 1e-12 → the fit is y itself;
//! - local linear fit through the projection weights
//!   p_j = w_j (1 + (x − x̄_w)(x_j − x̄_w)/max(Σw(x_j − x̄_w)², 1e-12));
//! - `it` robustness iterations: residual weights bisquare(min(|r|/(6·median|r|), 1)),
//!   or, when the median is 0, weight 0 for every non-zero residual.

/// The LOESS span (number of points) for an FRC curve of an `n` × `n` image,
/// Picasso's rule: max(⌈⌊n/2⌋/20⌉, 5), rounded up to the next odd number.
pub fn loess_span(n: usize) -> usize {
    let s = (n / 2).div_ceil(20).max(5);
    if s.is_multiple_of(2) {
        s + 1
    } else {
        s
    }
}

/// Smooth `y` against increasing `x` with statsmodels' `lowess(y, x, frac,
/// it)` (delta = 0): local linear regression with tricube weights over the
/// ⌊frac·n⌋ nearest points and `it` bisquare robustness iterations. Returns
/// the fitted values in the order of `x` (which must be sorted increasing;
/// FRC ring indices are). `frac` is clamped to [0, 1].
pub fn lowess(y: &[f64], x: &[f64], frac: f64, it: usize) -> Vec<f64> {
    let n = x.len().min(y.len());
    if n == 0 {
        return Vec::new();
    }
    let frac = frac.clamp(0.0, 1.0);
    let k = ((frac * n as f64 + 1e-10) as usize).clamp(2, n.max(2)).min(n);
    let mut resid_w = vec![1.0; n];
    let mut fit = vec![0.0; n];
    let mut w = vec![0.0; n];
    for _ in 0..=it {
        let mut left = 0usize;
        let mut right = k;
        for i in 0..n {
            let xv = x[i];
            // update_neighborhood
            while right < n && xv > (x[left] + x[right]) / 2.0 {
                left += 1;
                right += 1;
            }
            let radius = (xv - x[left]).max(x[right - 1] - xv);
            // calculate_weights
            let mut sum_w = 0.0;
            let mut nonzero = 0;
            for j in left..right {
                let d = (x[j] - xv).abs() / radius;
                let t = 1.0 - d * d * d;
                let wj = t * t * t * resid_w[j];
                w[j] = wj;
                sum_w += wj;
                if wj > 1e-12 {
                    nonzero += 1;
                }
            }
            if nonzero < 2 {
                fit[i] = y[i];
                continue;
            }
            for wj in &mut w[left..right] {
                *wj /= sum_w;
            }
            // calculate_y_fit
            let mut xbar = 0.0;
            for j in left..right {
                xbar += w[j] * x[j];
            }
            let mut var = 0.0;
            for j in left..right {
                var += w[j] * (x[j] - xbar) * (x[j] - xbar);
            }
            let var = var.max(1e-12);
            let mut f = 0.0;
            for j in left..right {
                let p = w[j] * (1.0 + (xv - xbar) * (x[j] - xbar) / var);
                f += p * y[j];
            }
            fit[i] = f;
        }
        resid_w = residual_weights(&y[..n], &fit);
    }
    fit
}

/// statsmodels' `calculate_residual_weights`: bisquare of the residuals in
/// units of 6 × their median (numpy's median: mean of the two middle values
/// for even n).
fn residual_weights(y: &[f64], fit: &[f64]) -> Vec<f64> {
    let mut r: Vec<f64> = y.iter().zip(fit).map(|(a, b)| (a - b).abs()).collect();
    let mut sorted = r.clone();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let n = sorted.len();
    let median = if n % 2 == 1 {
        sorted[n / 2]
    } else {
        0.5 * (sorted[n / 2 - 1] + sorted[n / 2])
    };
    if median == 0.0 {
        for v in &mut r {
            *v = if *v > 0.0 { 1.0 } else { 0.0 };
        }
    } else {
        let scale = 6.0 * median;
        for v in &mut r {
            *v /= scale;
        }
    }
    r.iter()
        .map(|&v| {
            let v = v.min(1.0);
            let t = 1.0 - v * v;
            t * t
        })
        .collect()
}

/// Smooth an FRC curve the way Picasso does: `lowess(values, rings, frac =
/// span/len, it = 3)` with `span = loess_span(n)`.
pub fn smooth_frc(values: &[f64], rings: &[f64], n: usize) -> Vec<f64> {
    if values.is_empty() {
        return Vec::new();
    }
    let frac = loess_span(n) as f64 / values.len() as f64;
    lowess(values, rings, frac, 3)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frc::tests::splitmix;

    /// y_i = exp(−i/20) + 0.2(u_i − 0.5), u_i = splitmix64(1000 + i), as in
    /// `scripts/reference/frc.py testvals`.
    fn curve(n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| (-(i as f64) / 20.0).exp() + 0.2 * (splitmix(1000 + i as u64) - 0.5))
            .collect()
    }

    #[test]
    fn span_rule() {
        // max(⌈⌊N/2⌋/20⌉, 5), rounded up to odd.
        assert_eq!(loess_span(8), 5);
        assert_eq!(loess_span(100), 5);
        assert_eq!(loess_span(240), 7); // 120/20 = 6 → 7
        assert_eq!(loess_span(256), 7); // ⌈6.4⌉ = 7
        assert_eq!(loess_span(512), 13); // ⌈12.8⌉ = 13
        assert_eq!(loess_span(520), 13);
        assert_eq!(loess_span(4096), 103); // ⌈102.4⌉
        assert_eq!(loess_span(4000), 101); // 100 → 101
    }

    /// Values printed by statsmodels 0.14 (`lowess(y, x, frac=span/len, it=3,
    /// delta=0)`) through `/work/venv/bin/python scripts/reference/frc.py testvals`
    /// (lines "lowess n=… N=…").
    #[test]
    fn matches_statsmodels() {
        type Case<'a> = (usize, usize, &'a [(usize, f64)]);
        let cases: [Case; 2] = [
            (
                64,
                128,
                &[
                    (0, 0.9413605015446884),
                    (4, 0.8743695353891976),
                    (8, 0.7345573053366445),
                    (12, 0.4936459899792619),
                    (16, 0.4810784542947483),
                    (20, 0.36272746999405586),
                    (24, 0.308000001671645),
                    (28, 0.3221378440453524),
                    (32, 0.18211620334671272),
                    (36, 0.1252765932462478),
                    (40, 0.12375989798268983),
                    (44, 0.0994591772635003),
                    (48, 0.03978019044242959),
                    (52, 0.04505895103633401),
                    (56, 0.08985243216198713),
                    (60, -0.03281930229723663),
                    (63, -0.006551382706162681),
                ],
            ),
            (
                256,
                512,
                &[
                    (0, 0.9777777618592167),
                    (16, 0.446755661670471),
                    (32, 0.17500478980047965),
                    (48, 0.06501615198498269),
                    (64, 0.0028779546319028402),
                    (80, 0.005818705905064236),
                    (96, -0.011002225301577835),
                    (112, 0.028700743592214483),
                    (128, -0.012514987368767851),
                    (144, -0.0246640198140398),
                    (160, 0.001772111978936247),
                    (176, 0.018957965380878412),
                    (192, -0.0017635405833709334),
                    (208, -0.0568926418713266),
                    (224, -0.0045404340851260445),
                    (240, 0.024369369829686374),
                    (255, -0.01896587184464048),
                ],
            ),
        ];
        for (n, n_img, want) in cases {
            let y = curve(n);
            let x: Vec<f64> = (0..n).map(|i| i as f64).collect();
            let s = smooth_frc(&y, &x, n_img);
            for &(i, v) in want {
                assert!((s[i] - v).abs() < 1e-12, "n={n} i={i}: {} vs {v}", s[i]);
            }
        }
    }

    /// A slow, direct local-linear fit (weighted least squares by normal
    /// equations) with the k nearest points and no robustness iterations.
    #[test]
    fn it0_is_weighted_local_linear_regression() {
        let y = curve(40);
        let x: Vec<f64> = (0..40).map(|i| (i as f64).powf(1.1)).collect();
        let k = 9;
        let fast = lowess(&y, &x, k as f64 / 40.0, 0);
        for i in 0..40 {
            // k nearest by distance (ties cannot occur with this x).
            let mut idx: Vec<usize> = (0..40).collect();
            idx.sort_by(|&a, &b| (x[a] - x[i]).abs().total_cmp(&(x[b] - x[i]).abs()));
            let nb = &idx[..k];
            let rad = nb.iter().map(|&j| (x[j] - x[i]).abs()).fold(0.0, f64::max);
            let (mut sw, mut swx, mut swy, mut swxx, mut swxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for &j in nb {
                let d: f64 = (x[j] - x[i]).abs() / rad;
                let w = (1.0 - d.powi(3)).powi(3);
                sw += w;
                swx += w * x[j];
                swy += w * y[j];
                swxx += w * x[j] * x[j];
                swxy += w * x[j] * y[j];
            }
            let slope = (sw * swxy - swx * swy) / (sw * swxx - swx * swx);
            let icpt = (swy - slope * swx) / sw;
            let want = icpt + slope * x[i];
            assert!((fast[i] - want).abs() < 1e-10, "i={i}: {} vs {want}", fast[i]);
        }
    }

    #[test]
    fn degenerate_inputs() {
        assert!(lowess(&[], &[], 0.5, 3).is_empty());
        assert_eq!(lowess(&[2.5], &[0.0], 0.5, 3), vec![2.5]);
        // A straight line is reproduced exactly.
        let x: Vec<f64> = (0..20).map(|i| i as f64).collect();
        let y: Vec<f64> = x.iter().map(|v| 3.0 - 0.5 * v).collect();
        for (a, b) in lowess(&y, &x, 0.3, 3).iter().zip(&y) {
            assert!((a - b).abs() < 1e-9);
        }
    }
}
