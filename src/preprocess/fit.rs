//! Small dense solvers shared by the preprocessing numerics: a linear solver
//! with partial pivoting (the least-squares systems of the drift estimate)
//! and a Levenberg–Marquardt least-squares fit with lower bounds (the NeNA
//! fit and the sub-pixel cross-correlation peak), in the manner of
//! `scipy.optimize.curve_fit` (Moré 1978; bounds by projection).

use crate::error::{Error, Result};

/// Solve the n × n system `a · x = b` (row-major `a`) by Gaussian
/// elimination with partial pivoting. Errors when the matrix is singular
/// (a pivot below 1e-12 times the largest entry).
pub(crate) fn solve(mut a: Vec<f64>, mut b: Vec<f64>, n: usize) -> Result<Vec<f64>> {
    if a.len() != n * n || b.len() != n {
        return Err(Error::Shape(format!(
            "solve: {} matrix entries and {} right-hand sides for n = {n}",
            a.len(),
            b.len()
        )));
    }
    let scale = a.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if !(scale.is_finite()) || scale == 0.0 {
        return Err(Error::Numeric("solve: the matrix is zero or not finite".into()));
    }
    for col in 0..n {
        let (piv, max) = (col..n)
            .map(|r| (r, a[r * n + col].abs()))
            .fold((col, -1.0), |acc, v| if v.1 > acc.1 { v } else { acc });
        if max <= 1e-12 * scale {
            return Err(Error::Numeric(format!(
                "solve: the matrix is singular (pivot {max:.3e} in column {col})"
            )));
        }
        if piv != col {
            for k in 0..n {
                a.swap(piv * n + k, col * n + k);
            }
            b.swap(piv, col);
        }
        let d = a[col * n + col];
        for r in col + 1..n {
            let f = a[r * n + col] / d;
            if f != 0.0 {
                for k in col..n {
                    a[r * n + k] -= f * a[col * n + k];
                }
                b[r] -= f * b[col];
            }
        }
    }
    let mut x = vec![0.0; n];
    for r in (0..n).rev() {
        let s: f64 = (r + 1..n).map(|k| a[r * n + k] * x[k]).sum();
        x[r] = (b[r] - s) / a[r * n + r];
    }
    Ok(x)
}

/// The outcome of [`levenberg_marquardt`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LmFit {
    /// Best parameters.
    pub params: Vec<f64>,
    /// Sum of squared residuals at `params`.
    pub cost: f64,
}

/// Minimise Σ r_k(p)² over p ≥ `lower` (element-wise) by Levenberg–Marquardt
/// with Marquardt's diagonal scaling; steps that leave the bounds are
/// projected back onto them. `model(p, r, jac)` fills the m residuals and the
/// m × n Jacobian (row-major, ∂r_k/∂p_j). Stops when the relative decrease of
/// the cost falls below 1e-12, the step below 1e-12 relative to p, or after
/// `max_iter` iterations. Errors when the model gives non-finite values at
/// the start.
pub(crate) fn levenberg_marquardt(
    model: impl Fn(&[f64], &mut [f64], &mut [f64]),
    p0: &[f64],
    lower: &[f64],
    m: usize,
    max_iter: usize,
) -> Result<LmFit> {
    let n = p0.len();
    let mut p: Vec<f64> = p0.iter().zip(lower).map(|(&v, &l)| v.max(l)).collect();
    let mut r = vec![0.0; m];
    let mut jac = vec![0.0; m * n];
    model(&p, &mut r, &mut jac);
    let mut cost: f64 = r.iter().map(|v| v * v).sum();
    if !cost.is_finite() || jac.iter().any(|v| !v.is_finite()) {
        return Err(Error::Numeric(
            "fit: the model is not finite at the initial guess".into(),
        ));
    }
    let mut lambda = 1e-3;
    let mut r_new = vec![0.0; m];
    let mut jac_new = vec![0.0; m * n];
    for _ in 0..max_iter {
        // Normal equations JᵀJ δ = −Jᵀr.
        let mut jtj = vec![0.0; n * n];
        let mut jtr = vec![0.0; n];
        for k in 0..m {
            let row = &jac[k * n..(k + 1) * n];
            for a in 0..n {
                jtr[a] += row[a] * r[k];
                for b in a..n {
                    jtj[a * n + b] += row[a] * row[b];
                }
            }
        }
        for a in 0..n {
            for b in 0..a {
                jtj[a * n + b] = jtj[b * n + a];
            }
        }
        // Active set: parameters at their bound that the descent direction
        // −Jᵀr pushes further down are held there; the step is solved for the others.
        let free: Vec<usize> = (0..n).filter(|&a| !(p[a] <= lower[a] && jtr[a] > 0.0)).collect();
        if free.is_empty() {
            break;
        }
        let nf = free.len();
        let mut improved = false;
        for _ in 0..30 {
            let mut lhs = vec![0.0; nf * nf];
            for (u, &a) in free.iter().enumerate() {
                for (v, &b) in free.iter().enumerate() {
                    lhs[u * nf + v] = jtj[a * n + b];
                }
                let d = jtj[a * n + a];
                lhs[u * nf + u] += lambda * if d > 0.0 { d } else { 1.0 };
            }
            let Ok(reduced) = solve(lhs, free.iter().map(|&a| -jtr[a]).collect(), nf) else {
                lambda *= 10.0;
                continue;
            };
            let mut delta = vec![0.0; n];
            for (u, &a) in free.iter().enumerate() {
                delta[a] = reduced[u];
            }
            let trial: Vec<f64> = p
                .iter()
                .zip(&delta)
                .zip(lower)
                .map(|((&v, &d), &l)| (v + d).max(l))
                .collect();
            model(&trial, &mut r_new, &mut jac_new);
            let c: f64 = r_new.iter().map(|v| v * v).sum();
            if c.is_finite() && c <= cost {
                let step: f64 = trial
                    .iter()
                    .zip(&p)
                    .map(|(a, b)| ((a - b) / b.abs().max(1e-300)).abs())
                    .fold(0.0, f64::max);
                let rel = (cost - c) / cost.max(1e-300);
                p = trial;
                std::mem::swap(&mut r, &mut r_new);
                std::mem::swap(&mut jac, &mut jac_new);
                cost = c;
                lambda = (lambda / 3.0).max(1e-12);
                improved = true;
                if rel < 1e-12 || step < 1e-12 {
                    return Ok(LmFit { params: p, cost });
                }
                break;
            }
            lambda *= 4.0;
            if lambda > 1e16 {
                break;
            }
        }
        if !improved {
            break;
        }
    }
    Ok(LmFit { params: p, cost })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solve_hand_checked() {
        // 2x + y = 5, x − y = 1 → x = 2, y = 1 (needs a row swap for the pivot).
        let x = solve(vec![0.0, 1.0, 2.0, 1.0], vec![1.0, 3.0], 2).unwrap();
        assert!((x[0] - 1.0).abs() < 1e-12 && (x[1] - 1.0).abs() < 1e-12, "{x:?}");
        let x = solve(vec![2.0, 1.0, 1.0, -1.0], vec![5.0, 1.0], 2).unwrap();
        assert!((x[0] - 2.0).abs() < 1e-12 && (x[1] - 1.0).abs() < 1e-12, "{x:?}");
        assert!(solve(vec![1.0, 2.0, 2.0, 4.0], vec![1.0, 2.0], 2).is_err());
        assert!(solve(vec![1.0], vec![1.0, 2.0], 1).is_err());
    }

    #[test]
    fn lm_fits_an_exponential_and_respects_bounds() {
        // y = 3 exp(−0.5 t): exact data, start far away.
        let t: Vec<f64> = (0..20).map(|k| k as f64 * 0.25).collect();
        let y: Vec<f64> = t.iter().map(|&v| 3.0 * (-0.5 * v).exp()).collect();
        let model = |p: &[f64], r: &mut [f64], j: &mut [f64]| {
            for k in 0..t.len() {
                let e = (-p[1] * t[k]).exp();
                r[k] = p[0] * e - y[k];
                j[2 * k] = e;
                j[2 * k + 1] = -p[0] * t[k] * e;
            }
        };
        let fit = levenberg_marquardt(model, &[1.0, 2.0], &[0.0, 0.0], t.len(), 200).unwrap();
        assert!(
            (fit.params[0] - 3.0).abs() < 1e-8 && (fit.params[1] - 0.5).abs() < 1e-8,
            "{fit:?}"
        );
        // A bound that excludes the optimum: the rate is held at its lower bound 1.
        let fit = levenberg_marquardt(model, &[1.0, 2.0], &[0.0, 1.0], t.len(), 200).unwrap();
        assert!((fit.params[1] - 1.0).abs() < 1e-12, "{fit:?}");
        // Least squares of a·e^{−t} on the data: a = Σ y e^{−t} / Σ e^{−2t}.
        let num: f64 = t.iter().zip(&y).map(|(&v, &w)| w * (-v).exp()).sum();
        let den: f64 = t.iter().map(|&v| (-2.0 * v).exp()).sum();
        assert!(
            (fit.params[0] - num / den).abs() < 1e-8,
            "{} vs {}",
            fit.params[0],
            num / den
        );
    }
}
