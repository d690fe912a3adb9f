//! Metric tests: slow per-pixel twins, hand values, and numbers from the
//! numpy transcription of TensorFlow's SSIM (`scripts/reference/frc.py`).

use super::ssim::ssim_per_channel;
use super::*;
use crate::frc::tests::hash_image;
use ndarray::Array2;

/// The test pair of `scripts/reference/frc.py testvals` ("metrics h×w"):
/// base = sin(r/7)·cos(c/11); a = f32(base + 0.3·u₇), b = f32(base + 0.3·u₈).
fn pair(h: usize, w: usize) -> (Array2<f32>, Array2<f32>) {
    let base = Array2::from_shape_fn((h, w), |(r, c)| (r as f64 / 7.0).sin() * (c as f64 / 11.0).cos());
    let mk = |seed| {
        let u = hash_image(h, w, seed);
        Array2::from_shape_fn((h, w), |(r, c)| (base[(r, c)] + 0.3 * u[(r, c)] as f64) as f32)
    };
    (mk(7), mk(8))
}

/// Direct per-pixel SSIM with the full 2-D kernel (TF's `_ssim_helper`).
fn slow_ssim(x: &Array2<f64>, y: &Array2<f64>, max_val: f64) -> (f64, f64) {
    let g = gaussian_1d();
    let (h, w) = x.dim();
    let (c1, c2) = ((0.01 * max_val).powi(2), (0.03 * max_val).powi(2));
    let (mut ss, mut sc, mut m) = (0.0, 0.0, 0.0);
    for r in 0..=h - 11 {
        for c in 0..=w - 11 {
            let (mut mx, mut my, mut mxy, mut mxxyy) = (0.0, 0.0, 0.0, 0.0);
            for i in 0..11 {
                for j in 0..11 {
                    let k = g[i] * g[j];
                    let (a, b) = (x[(r + i, c + j)], y[(r + i, c + j)]);
                    mx += k * a;
                    my += k * b;
                    mxy += k * a * b;
                    mxxyy += k * (a * a + b * b);
                }
            }
            let l = (2.0 * mx * my + c1) / (mx * mx + my * my + c1);
            let cs = (2.0 * (mxy - mx * my) + c2) / (mxxyy - mx * mx - my * my + c2);
            ss += l * cs;
            sc += cs;
            m += 1.0;
        }
    }
    (ss / m, sc / m)
}

#[test]
fn gaussian_window_is_tf_kernel() {
    let g = gaussian_1d();
    assert!((g.iter().sum::<f64>() - 1.0).abs() < 1e-15);
    assert!((g[5] / g[4] - (0.5f64 / 2.25).exp()).abs() < 1e-12);
    assert_eq!(g[0], g[10]);
    // The constants the training loss shares with the metric.
    assert_eq!(ssim::ms_ssim_min_side(5), MS_SSIM_MIN_SIDE);
    assert_eq!(ssim::ms_ssim_min_side(1), 11);
    assert_eq!(ssim::ms_ssim_min_side(2), 21);
    let (c1, c2) = ssim::stability_constants(2.0);
    assert!((c1 - 4e-4).abs() < 1e-15 && (c2 - 3.6e-3).abs() < 1e-15);
}

#[test]
fn separable_filter_matches_per_pixel_twin() {
    let (a, b) = pair(23, 30);
    let (x, y) = (a.mapv(f64::from), b.mapv(f64::from));
    for max_val in [1.0, 2.0] {
        let fast = ssim_per_channel(x.view(), y.view(), max_val);
        let slow = slow_ssim(&x, &y, max_val);
        assert!((fast.0 - slow.0).abs() < 1e-12, "{fast:?} vs {slow:?}");
        assert!((fast.1 - slow.1).abs() < 1e-12, "{fast:?} vs {slow:?}");
    }
}

/// Numbers from `/work/venv/bin/python scripts/reference/frc.py testvals`
/// (lines "metrics 171x165" and "metrics 40x52"; the numpy transcription of
/// TF's ssim / ssim_multiscale, max_val = 2).
#[test]
fn matches_numpy_tf_transcription() {
    let (a, b) = pair(171, 165);
    assert!((mse(a.view(), b.view()).unwrap() - 0.015021475270232523).abs() < 1e-12);
    assert!((psnr(a.view(), b.view(), 2.0).unwrap() - 24.25347404181892).abs() < 1e-9);
    assert!((ssim(a.view(), b.view(), 2.0).unwrap() - 0.6380880662239289).abs() < 1e-10);
    assert!((ms_ssim(a.view(), b.view(), 2.0).unwrap() - 0.9693748150823503).abs() < 1e-10);
    let (a, b) = pair(40, 52);
    assert!((ssim(a.view(), b.view(), 2.0).unwrap() - 0.6495471071796695).abs() < 1e-10);
    assert!((psnr(a.view(), b.view(), 2.0).unwrap() - 24.398053035008402).abs() < 1e-9);
}

#[test]
fn identical_images_and_relu() {
    let (a, _) = pair(170, 180);
    assert!((ssim(a.view(), a.view(), 2.0).unwrap() - 1.0).abs() < 1e-12);
    assert!((ms_ssim(a.view(), a.view(), 2.0).unwrap() - 1.0).abs() < 1e-12);
    assert_eq!(psnr(a.view(), a.view(), 2.0).unwrap(), f64::INFINITY);
    assert_eq!(mse(a.view(), a.view()).unwrap(), 0.0);
    // An inverted image has negative structure at every scale: ReLU → 0.
    let neg = a.mapv(|v| -v);
    assert_eq!(ms_ssim(a.view(), neg.view(), 2.0).unwrap(), 0.0);
    let (x, y) = (a.mapv(f64::from), neg.mapv(f64::from));
    assert!(ssim_per_channel(x.view(), y.view(), 2.0).1 < 0.0);
    let e = evaluate(a.view(), a.view(), 2.0, 0.2).unwrap();
    assert_eq!(e.mse, 0.0);
    assert!((e.ms_ssim - 1.0).abs() < 1e-12 && (e.area_frc - 1.0).abs() < 1e-12);
}

#[test]
fn hand_values() {
    let a = Array2::from_shape_vec((1, 4), vec![0.0f32, 1.0, 2.0, 3.0]).unwrap();
    let b = Array2::from_shape_vec((1, 4), vec![1.0f32, 1.0, 0.0, 3.0]).unwrap();
    // (1 + 0 + 4 + 0)/4
    assert_eq!(mse(a.view(), b.view()).unwrap(), 1.25);
    assert!((psnr(a.view(), b.view(), 2.0).unwrap() - 10.0 * (4.0f64 / 1.25).log10()).abs() < 1e-12);
}

#[test]
fn pyramid_uses_symmetric_padding() {
    // A 170×161 pair: compare against an explicit pyramid built by hand.
    let (a, b) = pair(170, 161);
    let (mut x, mut y) = (a.mapv(f64::from), b.mapv(f64::from));
    let mut want = 1.0;
    for (k, &p) in POWER_FACTORS.iter().enumerate() {
        if k > 0 {
            for m in [&mut x, &mut y] {
                let (h, w) = m.dim();
                // Symmetric pad: repeat the last row/column when odd.
                let (ph, pw) = (h + h % 2, w + w % 2);
                let padded = Array2::from_shape_fn((ph, pw), |(r, c)| m[(r.min(h - 1), c.min(w - 1))]);
                *m = Array2::from_shape_fn((ph / 2, pw / 2), |(r, c)| {
                    (padded[(2 * r, 2 * c)]
                        + padded[(2 * r + 1, 2 * c)]
                        + padded[(2 * r, 2 * c + 1)]
                        + padded[(2 * r + 1, 2 * c + 1)])
                        / 4.0
                });
            }
        }
        let (s, cs) = slow_ssim(&x, &y, 2.0);
        want *= if k == 4 { s } else { cs }.max(0.0).powf(p);
    }
    assert_eq!(x.dim(), (11, 11));
    let got = ms_ssim(a.view(), b.view(), 2.0).unwrap();
    assert!((got - want).abs() < 1e-12, "{got} vs {want}");
}

#[test]
fn errors() {
    let small = Array2::<f32>::zeros((10, 40));
    let e = ssim(small.view(), small.view(), 2.0).unwrap_err().to_string();
    assert!(e.contains("at least 11×11") && e.contains("40×10"), "{e}");
    let mid = Array2::<f32>::zeros((160, 200));
    let e = ms_ssim(mid.view(), mid.view(), 2.0).unwrap_err().to_string();
    assert!(e.contains("161") && e.contains("200×160"), "{e}");
    assert!(evaluate(mid.view(), mid.view(), 2.0, 0.2)
        .unwrap_err()
        .to_string()
        .contains("161"));
    let other = Array2::<f32>::zeros((160, 201));
    assert!(matches!(mse(mid.view(), other.view()), Err(Error::Shape(_))));
    let mut nan = mid.clone();
    nan[(1, 2)] = f32::INFINITY;
    assert!(psnr(mid.view(), nan.view(), 2.0)
        .unwrap_err()
        .to_string()
        .starts_with("b:"));
    assert!(psnr(mid.view(), mid.view(), 0.0)
        .unwrap_err()
        .to_string()
        .starts_with("max_val"));
    let empty = Array2::<f32>::zeros((0, 0));
    assert!(mse(empty.view(), empty.view())
        .unwrap_err()
        .to_string()
        .contains("empty"));
}
