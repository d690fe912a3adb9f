//! Gaussian kernel density estimate: a separable Gaussian filter (docs/methods.md §3).
//!
//! Matches `scipy.ndimage.gaussian_filter(img, sigma, mode="nearest", truncate=4)`
//! on float32 input:
//! - radius `r = int(4σ + 0.5)`, weights `w_d = exp(-d²/(2σ²))` for `d = -r..=r`,
//!   normalised to sum 1 (computed in f64);
//! - border mode "nearest": samples beyond the edge take the edge value;
//! - axis 0 (along columns) first, then axis 1 (along rows), each accumulated
//!   in f64 and rounded to f32 in between, as scipy stores its intermediate
//!   result in the float32 output array;
//! - σ ≤ 1e-15 leaves the image unchanged (scipy skips such axes).
//!
//! Edge handling folds the weights of all taps that fall beyond an edge onto the
//! edge sample (`T[m] = Σ_{d ≥ m} w_d`), so the cost is O(n·min(2r+1, n)) per line
//! even when the kernel is wider than the image.

use crate::error::{Error, Result};
use ndarray::{Array2, ArrayView2, Axis};
use rayon::prelude::*;

/// Largest accepted `sigma_px` (the kernel then has 8·10⁶ taps).
pub const MAX_SIGMA_PX: f64 = 1.0e6;

/// The normalised 1-D kernel of docs/methods.md §3: weights for offsets `0..=r`
/// (symmetric), and the folded tail sums `tail[m] = Σ_{d=m}^{r} w_d` for
/// `m = 0..=min(r, n_max) + 1` (zero beyond `r`).
struct Kernel1d {
    /// `w[d]` for `d = 0..=r`.
    w: Vec<f64>,
    /// `tail[m] = Σ_{d=m}^{r} w_d`, `m = 0..tail.len()`; zero for larger `m`.
    tail: Vec<f64>,
}

impl Kernel1d {
    fn new(sigma: f64, n_max: usize) -> Kernel1d {
        // scipy: radius = int(truncate * sd + 0.5); phi = exp(-0.5 / sigma2 * x**2); phi /= phi.sum()
        let r = (4.0 * sigma + 0.5) as usize;
        let inv = -0.5 / (sigma * sigma);
        let mut w: Vec<f64> = (0..=r).map(|d| (inv * (d * d) as f64).exp()).collect();
        let total = w[0] + 2.0 * w[1..].iter().sum::<f64>();
        for v in &mut w {
            *v /= total;
        }
        // Tails only matter up to offsets n_max (a line has at most n_max samples).
        let m_max = r.min(n_max) + 1;
        let mut tail = vec![0.0; m_max + 1];
        let mut acc = 0.0;
        for d in (0..=r).rev() {
            acc += w[d];
            if d <= m_max {
                tail[d] = acc;
            }
        }
        Kernel1d { w, tail }
    }

    fn radius(&self) -> usize {
        self.w.len() - 1
    }

    /// `Σ_{d ≥ m} w_d` (the weight of all taps at offset ≥ m).
    fn tail(&self, m: usize) -> f64 {
        self.tail.get(m).copied().unwrap_or(0.0)
    }
}

/// Gaussian kernel density estimate (docs/methods.md §3): a separable Gaussian filter
/// with standard deviation `sigma_px` (pixels), truncated at 4σ
/// (radius `int(4σ + 0.5)`), kernel normalised to sum 1, border mode "nearest".
///
/// Same result as `scipy.ndimage.gaussian_filter(img, sigma_px, mode="nearest",
/// truncate=4)` to float32 rounding. `sigma_px = 0` (or ≤ 1e-15) returns a copy.
/// Non-finite input values propagate to the pixels within the kernel radius.
///
/// Errors: `sigma_px` negative, NaN or above [`MAX_SIGMA_PX`]; an empty image (`img`).
///
/// Example: `gaussian(img.view(), 2.0)?` blurs with σ = 2 px (radius 8).
pub fn gaussian(img: ArrayView2<f32>, sigma_px: f64) -> Result<Array2<f32>> {
    if !(0.0..=MAX_SIGMA_PX).contains(&sigma_px) {
        return Err(Error::arg(
            "sigma_px",
            format!("must be a number in [0, {MAX_SIGMA_PX:e}] pixels, got {sigma_px}"),
        ));
    }
    let (h, w) = img.dim();
    if h == 0 || w == 0 {
        return Err(Error::arg("img", format!("is empty ({w}×{h} pixels)")));
    }
    if sigma_px <= 1e-15 {
        return Ok(img.to_owned());
    }
    let kernel = Kernel1d::new(sigma_px, h.max(w));
    let tmp = filter_axis0(img, &kernel)?;
    filter_axis1(tmp.view(), &kernel)
}

/// Filter along axis 0 (each column), vectorised across columns: every output
/// row is a weighted sum of input rows.
fn filter_axis0(img: ArrayView2<f32>, k: &Kernel1d) -> Result<Array2<f32>> {
    let (h, w) = img.dim();
    let r = k.radius();
    let mut out = Array2::<f32>::zeros((h, w));
    out.axis_iter_mut(Axis(0))
        .into_par_iter()
        .enumerate()
        .try_for_each_init(
            || vec![0.0f64; w],
            |acc, (i, mut out_row)| -> Result<()> {
                if i % 64 == 0 {
                    crate::interrupt::check()?;
                }
                acc.iter_mut().for_each(|a| *a = 0.0);
                let lo = i.saturating_sub(r);
                let hi = (i + r).min(h - 1);
                for j in lo..=hi {
                    let wd = k.w[i.abs_diff(j)];
                    add_scaled(acc, img.row(j), wd);
                }
                // Taps beyond the top edge (offsets ≤ -(i+1)) all read row 0.
                let t = k.tail(i + 1);
                if t != 0.0 {
                    add_scaled(acc, img.row(0), t);
                }
                // Taps beyond the bottom edge (offsets ≥ h-i) all read row h-1.
                let t = k.tail(h - i);
                if t != 0.0 {
                    add_scaled(acc, img.row(h - 1), t);
                }
                for (o, a) in out_row.iter_mut().zip(acc.iter()) {
                    *o = *a as f32;
                }
                Ok(())
            },
        )?;
    Ok(out)
}

/// `acc += wd · row` (row converted to f64).
fn add_scaled(acc: &mut [f64], row: ndarray::ArrayView1<f32>, wd: f64) {
    match row.as_slice() {
        Some(s) => acc.iter_mut().zip(s).for_each(|(a, &v)| *a += wd * v as f64),
        None => acc
            .iter_mut()
            .zip(row.iter())
            .for_each(|(a, &v)| *a += wd * v as f64),
    }
}

/// Filter along axis 1 (each row), rows in parallel; each row is filtered as
/// shifted multiply-adds over an f64 copy.
fn filter_axis1(img: ArrayView2<f32>, k: &Kernel1d) -> Result<Array2<f32>> {
    let (h, w) = img.dim();
    let r = k.radius();
    let rr = r.min(w - 1);
    let mut out = Array2::<f32>::zeros((h, w));
    out.axis_iter_mut(Axis(0))
        .into_par_iter()
        .enumerate()
        .try_for_each_init(
            || (vec![0.0f64; w], vec![0.0f64; w]),
            |(line, acc), (i, mut out_row)| -> Result<()> {
                if i % 64 == 0 {
                    crate::interrupt::check()?;
                }
                for (l, &v) in line.iter_mut().zip(img.row(i).iter()) {
                    *l = v as f64;
                }
                let w0 = k.w[0];
                for (a, &v) in acc.iter_mut().zip(line.iter()) {
                    *a = w0 * v;
                }
                for d in 1..=rr {
                    let wd = k.w[d];
                    // acc[c] += wd * line[c + d] for c + d < w
                    for (a, &v) in acc[..w - d].iter_mut().zip(&line[d..]) {
                        *a += wd * v;
                    }
                    // acc[c] += wd * line[c - d] for c >= d
                    for (a, &v) in acc[d..].iter_mut().zip(&line[..w - d]) {
                        *a += wd * v;
                    }
                }
                // Taps beyond the edges read the edge samples.
                let (first, last) = (line[0], line[w - 1]);
                for (c, a) in acc.iter_mut().enumerate() {
                    let tl = k.tail(c + 1);
                    let tr = k.tail(w - c);
                    if tl != 0.0 {
                        *a += tl * first;
                    }
                    if tr != 0.0 {
                        *a += tr * last;
                    }
                }
                for (o, a) in out_row.iter_mut().zip(acc.iter()) {
                    *o = *a as f32;
                }
                Ok(())
            },
        )?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    /// Direct 2-D convolution with "nearest" borders: out(i, j) = Σ_{a,b} w_a w_b I(clamp(i+a), clamp(j+b)),
    /// with the weights computed here from the formula (in f64, no rounding between axes).
    fn direct(img: &Array2<f32>, sigma: f64) -> Array2<f64> {
        let (h, w) = img.dim();
        let r = (4.0 * sigma + 0.5) as i64;
        let wts: Vec<f64> = (-r..=r)
            .map(|d| (-(d * d) as f64 / (2.0 * sigma * sigma)).exp())
            .collect();
        let sum: f64 = wts.iter().sum();
        let wts: Vec<f64> = wts.iter().map(|v| v / sum).collect();
        let mut out = Array2::<f64>::zeros((h, w));
        for i in 0..h as i64 {
            for j in 0..w as i64 {
                let mut acc = 0.0;
                for a in -r..=r {
                    for b in -r..=r {
                        let ii = (i + a).clamp(0, h as i64 - 1) as usize;
                        let jj = (j + b).clamp(0, w as i64 - 1) as usize;
                        acc += wts[(a + r) as usize] * wts[(b + r) as usize] * img[[ii, jj]] as f64;
                    }
                }
                out[[i as usize, j as usize]] = acc;
            }
        }
        out
    }

    fn test_image(h: usize, w: usize, seed: u64) -> Array2<f32> {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        Array2::from_shape_fn((h, w), |_| {
            if rng.random::<f32>() < 0.3 {
                rng.random_range(0.0..10.0)
            } else {
                0.0
            }
        })
    }

    fn max_rel_err(a: &Array2<f32>, b: &Array2<f64>) -> f64 {
        let scale = b.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        a.iter()
            .zip(b.iter())
            .fold(0.0f64, |m, (x, y)| m.max((*x as f64 - y).abs()))
            / scale
    }

    #[test]
    fn matches_direct_convolution() {
        // sigma 0.3 (radius 1), 1.0 (radius 4), 2.5 (radius 10 > width 9: every tap folds), 7 (radius 28)
        for (k, &sigma) in [0.3, 1.0, 2.5, 7.0].iter().enumerate() {
            for &(h, w) in &[(13usize, 9usize), (1, 17), (20, 1), (31, 40)] {
                let img = test_image(h, w, 10 + k as u64);
                let fast = gaussian(img.view(), sigma).unwrap();
                let slow = direct(&img, sigma);
                let e = max_rel_err(&fast, &slow);
                assert!(e < 1e-6, "sigma {sigma} shape {h}x{w}: rel err {e}");
            }
        }
    }

    #[test]
    fn matches_scipy() {
        // Values from /work/venv (scipy 1.17.1):
        //   python -c "import numpy as np, scipy.ndimage as nd; a=np.zeros((5,6),np.float32);
        //   a[1,2]=4; a[0,5]=1; a[4,0]=2; a[3,3]=0.5;
        //   np.set_printoptions(precision=9, floatmode='unique');
        //   print(repr(nd.gaussian_filter(a, 1.0, mode='nearest', truncate=4)))"
        let mut a = Array2::<f32>::zeros((5, 6));
        a[[1, 2]] = 4.0;
        a[[0, 5]] = 1.0;
        a[[4, 0]] = 2.0;
        a[[3, 3]] = 0.5;
        let expected = array![
            [0.05245429, 0.23449442, 0.38987714, 0.27604482, 0.26300448, 0.49366987],
            [0.09266442, 0.3903737, 0.64506257, 0.4145411, 0.18300825, 0.21874079],
            [
                0.13471112,
                0.27593666,
                0.42253196,
                0.2864308,
                0.099145986,
                0.051780533
            ],
            [
                0.43296623,
                0.24366203,
                0.1696409,
                0.13484679,
                0.061379194,
                0.014920401
            ],
            [
                0.9800147,
                0.43124375,
                0.11826563,
                0.058950983,
                0.030459657,
                0.006704332
            ]
        ];
        let got = gaussian(a.view(), 1.0).unwrap();
        for (g, e) in got.iter().zip(expected.iter()) {
            assert!((g - e).abs() <= 2e-7 * e.abs().max(1e-3), "{g} vs {e}");
        }
    }

    #[test]
    fn zero_sigma_copies_and_mass_conserved_in_interior() {
        let img = test_image(8, 8, 3);
        assert_eq!(gaussian(img.view(), 0.0).unwrap(), img);
        // A point far from the borders keeps its mass (kernel sums to 1).
        let mut p = Array2::<f32>::zeros((40, 40));
        p[[20, 20]] = 1.0;
        let g = gaussian(p.view(), 2.0).unwrap();
        assert!((g.sum() - 1.0).abs() < 1e-6);
        // Separable kernel: centre / neighbour ratio = exp(1/(2σ²)) for σ = 2.
        let ratio = g[[20, 20]] / g[[20, 21]];
        assert!((ratio as f64 - (1.0f64 / 8.0).exp()).abs() < 1e-5);
    }

    #[test]
    fn errors() {
        let img = test_image(4, 4, 1);
        for s in [-1.0, f64::NAN, 2e6] {
            let e = gaussian(img.view(), s).unwrap_err().to_string();
            assert!(e.starts_with("sigma_px"), "{e}");
        }
        let empty = Array2::<f32>::zeros((0, 5));
        assert!(gaussian(empty.view(), 1.0)
            .unwrap_err()
            .to_string()
            .starts_with("img"));
    }
}
