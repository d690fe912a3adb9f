use super::*;
use crate::locs::{simulate_microtubules, Metadata, SimOptions};
use rand::{Rng, SeedableRng};

#[test]
fn segment_bounds_like_linspace() {
    // np.linspace(0, 9999, 11).astype(uint32) = 0, 999, 1999, ..., 9999; the
    // last segment also holds frame 9999.
    let b = segment_bounds(10_000, 10);
    assert_eq!(b[0], (0, 999));
    assert_eq!(b[1], (999, 1999));
    assert_eq!(b[9], (8999, 10_000));
    assert_eq!(segment_bounds(5, 2), vec![(0, 2), (2, 5)]);
}

#[test]
fn spline_reproduces_polynomials() {
    // Not-a-knot cubic splines reproduce cubics exactly, inside and beyond the ends.
    let f = |t: f64| 0.5 * t * t * t - 2.0 * t * t + 3.0 * t - 1.0;
    for xs in [
        vec![0.0, 1.0, 2.5, 4.0],
        vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 7.0],
        (0..100).map(|k| k as f64 * 0.1).collect::<Vec<_>>(),
    ] {
        let ys: Vec<f64> = xs.iter().map(|&t| f(t)).collect();
        let s = Spline::not_a_knot(&xs, &ys).unwrap();
        for t in [-1.0, 0.3, 1.7, 3.99, 6.0, 9.5] {
            assert!(
                (s.eval(t) - f(t)).abs() < 1e-8 * (1.0 + f(t).abs()),
                "{t}: {} vs {}",
                s.eval(t),
                f(t)
            );
        }
    }
    // 3 points: the parabola through them; 2: the line; 1: the constant.
    let s = Spline::not_a_knot(&[0.0, 1.0, 3.0], &[1.0, 2.0, 10.0]).unwrap();
    // y = t² + 1
    assert!((s.eval(2.0) - 5.0).abs() < 1e-12 && (s.eval(-1.0) - 2.0).abs() < 1e-12);
    let s = Spline::not_a_knot(&[0.0, 2.0], &[1.0, 5.0]).unwrap();
    assert!((s.eval(3.0) - 7.0).abs() < 1e-12);
    assert_eq!(Spline::not_a_knot(&[4.0], &[2.5]).unwrap().eval(100.0), 2.5);
    assert!(Spline::not_a_knot(&[0.0, 0.0], &[1.0, 2.0]).is_err());
}

#[test]
fn least_squares_hand_checked() {
    // Three segments, inconsistent shifts r01 = 1, r02 = 3, r12 = 1.5:
    // minimising (d1 − 1)² + (d2 − 3)² + (d2 − d1 − 1.5)² gives
    // 2 d1 − d2 = −0.5, −d1 + 2 d2 = 4.5, so d1 = 7/6, d2 = 17/6.
    let pairs = [(0, 1), (0, 2), (1, 2)];
    let r = [(1.0, -1.0), (3.0, -3.0), (1.5, -1.5)];
    let all = [true; 3];
    let d = lsq_shifts(3, &pairs, &r, &all).unwrap();
    assert!(
        (d[1].0 - 7.0 / 6.0).abs() < 1e-12 && (d[2].0 - 17.0 / 6.0).abs() < 1e-12,
        "{d:?}"
    );
    assert!((d[1].1 + 7.0 / 6.0).abs() < 1e-12 && (d[2].1 + 17.0 / 6.0).abs() < 1e-12);
    // Five segments with true drifts 0, 1, 2, 4, 8 (consistent shifts) but
    // one pair wrong by 20: the outlier is dropped and the truth recovered.
    let truth = [0.0, 1.0, 2.0, 4.0, 8.0];
    let mut pairs = Vec::new();
    let mut r = Vec::new();
    for a in 0..5 {
        for b in a + 1..5 {
            pairs.push((a, b));
            r.push((truth[b] - truth[a], 0.5 * (truth[b] - truth[a])));
        }
    }
    r[3].0 += 20.0;
    let (d, used, dropped) = solve_shifts(5, &pairs, &r, 0.1).unwrap();
    assert_eq!((used, dropped), (9, 1));
    for k in 0..5 {
        assert!(
            (d[k].0 - truth[k]).abs() < 1e-9 && (d[k].1 - 0.5 * truth[k]).abs() < 1e-9,
            "{d:?}"
        );
    }
    // Dropping would disconnect segment 1 (its only pair is bad): all kept.
    let pairs = [(0, 1), (0, 2), (1, 2)];
    let (_, used, dropped) = solve_shifts(3, &pairs[..2], &[(1.0, 0.0), (50.0, 0.0)], 0.1).unwrap();
    assert_eq!((used, dropped), (2, 0));
}

/// Direct spatial cross-correlation C(τ) = Σ_u a(u) b(u + τ), zero outside.
fn slow_correlation(a: &[f32], b: &[f32], h: usize, w: usize, half: usize) -> Vec<f32> {
    let side = 2 * half + 1;
    let mut out = vec![0f32; side * side];
    for ty in -(half as isize)..=half as isize {
        for tx in -(half as isize)..=half as isize {
            let mut s = 0f64;
            for r in 0..h as isize {
                for c in 0..w as isize {
                    let (r2, c2) = (r + ty, c + tx);
                    if r2 >= 0 && c2 >= 0 && r2 < h as isize && c2 < w as isize {
                        s += a[(r * w as isize + c) as usize] as f64
                            * b[(r2 * w as isize + c2) as usize] as f64;
                    }
                }
            }
            out[((ty + half as isize) as usize) * side + (tx + half as isize) as usize] = s as f32;
        }
    }
    out
}

#[test]
fn fft_correlation_matches_direct_sum() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(2);
    let (h, w, half) = (13, 17, 5);
    let a: Vec<f32> = (0..h * w).map(|_| rng.random_range(0.0..1.0)).collect();
    let b: Vec<f32> = (0..h * w).map(|_| rng.random_range(0.0..1.0)).collect();
    // Zero padding to at least the image plus the window: no wrap-around.
    let fft = Fft2::new(fast_len(h + half + 1), fast_len(w + half + 1));
    let (fa, fb) = (fft.forward(&a, h, w).unwrap(), fft.forward(&b, h, w).unwrap());
    let mut s = fft.scratch();
    let fast = fft.correlate_window(&fa, &fb, half, &mut s).unwrap();
    let slow = slow_correlation(&a, &b, h, w, half);
    for (k, (x, y)) in fast.iter().zip(&slow).enumerate() {
        assert!((x - y).abs() < 1e-4 * (1.0 + y.abs()), "lag {k}: {x} vs {y}");
    }
    // An odd padded width (the C2R path without a Nyquist column).
    let fft = Fft2::new(25, 27);
    let (fa, fb) = (fft.forward(&a, h, w).unwrap(), fft.forward(&b, h, w).unwrap());
    let fast = fft.correlate_window(&fa, &fb, half, &mut fft.scratch()).unwrap();
    for (x, y) in fast.iter().zip(&slow) {
        assert!((x - y).abs() < 1e-4 * (1.0 + y.abs()));
    }
}

#[test]
fn peak_finds_sub_pixel_shift() {
    // b is a shifted by (2.3, −1.6) px: the correlation peaks there.
    let (h, w) = (40, 40);
    let blob = |cx: f64, cy: f64| -> Vec<f32> {
        let mut v = vec![0f32; h * w];
        for r in 0..h {
            for c in 0..w {
                for &(px, py, amp) in &[(12.0, 15.0, 1.0), (25.0, 22.0, 0.7), (18.0, 28.0, 0.5)] {
                    let (dx, dy) = (c as f64 - px - cx, r as f64 - py - cy);
                    v[r * w + c] += (amp * (-(dx * dx + dy * dy) / (2.0 * 1.5 * 1.5)).exp()) as f32;
                }
            }
        }
        v
    };
    let (a, b) = (blob(0.0, 0.0), blob(2.3, -1.6));
    let fft = Fft2::new(64, 64);
    let (fa, fb) = (fft.forward(&a, h, w).unwrap(), fft.forward(&b, h, w).unwrap());
    let win = fft.correlate_window(&fa, &fb, 10, &mut fft.scratch()).unwrap();
    let (sx, sy) = peak(&win, 10, 8);
    assert!((sx - 2.3).abs() < 0.05 && (sy + 1.6).abs() < 0.05, "{sx} {sy}");
    // An all-zero correlation: no shift.
    assert_eq!(peak(&vec![0.0; 21 * 21], 10, 8), (0.0, 0.0));
}

fn drifted(drift_nm: f64, seed: u64) -> crate::locs::Simulation {
    simulate_microtubules(&SimOptions {
        seed,
        n_locs: 50_000,
        frames: 10_000,
        drift_nm,
        ..Default::default()
    })
    .unwrap()
}

#[test]
fn rcc_recovers_simulated_drift() {
    let sim = drifted(150.0, 3);
    let truth = sim.drift.clone().unwrap();
    assert_eq!(truth.n_frames(), 10_000);
    let peak_x = truth.x_nm.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let peak_y = truth.y_nm.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    assert!((peak_x.max(peak_y) - 150.0).abs() < 1e-9);
    let (fixed, est) = undrift(&sim.locs, &UndriftOptions::default()).unwrap();
    assert_eq!(est.segments.len(), 10);
    assert_eq!(est.pairs_used + est.pairs_dropped, 45);
    let (rx, ry) = est.rms_difference(&truth);
    assert!(rx < 4.0 && ry < 4.0, "residual {rx} {ry} nm");
    // Without correction the error is the drift itself.
    let zero = Drift::new(vec![0.0; 10_000], vec![0.0; 10_000]).unwrap();
    let (zx, zy) = zero.rms_difference(&truth);
    assert!(zx.max(zy) > 5.0 * rx.max(ry), "{zx} {zy}");
    // The corrected table: same rows, history records the operation.
    assert_eq!(fixed.len(), sim.locs.len());
    assert_eq!(fixed.columns(), sim.locs.columns());
    assert!(fixed
        .meta
        .history
        .last()
        .unwrap()
        .starts_with("undrift(segment_frames 1000"));
    let f = fixed.frame()[500] as usize;
    assert!((fixed.x()[500] as f64 - (sim.locs.x()[500] as f64 - est.x_nm[f])).abs() < 1e-3);
    // A finer grid also works.
    let opt = UndriftOptions {
        pixel_nm: Some(40.0),
        min_blur_px: 1.0,
        ..Default::default()
    };
    let (_, est) = undrift(&sim.locs, &opt).unwrap();
    let (rx, ry) = est.rms_difference(&truth);
    assert!(rx < 8.0 && ry < 8.0, "residual {rx} {ry} nm");
}

#[test]
fn drift_files_and_apply() {
    let dir = tempfile::tempdir().unwrap();
    let d = Drift::new(vec![0.0, 1.5, -2.25], vec![0.5, 0.0, 1e-3]).unwrap();
    let p = dir.path().join("drift.csv");
    d.save_csv(&p).unwrap();
    assert_eq!(
        std::fs::read_to_string(&p).unwrap(),
        "frame,x_nm,y_nm\n0,0.0,0.5\n1,1.5,0.0\n2,-2.25,0.001\n"
    );
    for ext in ["svg", "png"] {
        let f = dir.path().join(format!("drift.{ext}"));
        d.plot(&f).unwrap();
        assert!(std::fs::metadata(&f).unwrap().len() > 1000);
    }
    let svg = std::fs::read_to_string(dir.path().join("drift.svg")).unwrap();
    assert!(svg.contains("frame") && svg.contains("drift (nm)"));
    let meta = Metadata {
        pixel_nm: Some(100.0),
        ..Default::default()
    };
    let l = Locs::new(vec![2, 0], vec![10.0, 10.0], vec![5.0, 5.0], meta).unwrap();
    let c = d.apply(&l).unwrap();
    assert_eq!(c.x(), &[12.25, 10.0]);
    assert_eq!(c.y(), &[4.999, 4.5]);
    let short = Drift::new(vec![0.0], vec![0.0]).unwrap();
    assert!(short.apply(&l).unwrap_err().to_string().contains("frame 2"));
    assert!(Drift::new(vec![0.0], vec![]).is_err());
}

#[test]
fn undrift_errors_are_clear() {
    let meta = || Metadata {
        pixel_nm: Some(100.0),
        width_nm: 1000.0,
        height_nm: 1000.0,
        n_frames: 5000,
        ..Default::default()
    };
    let opt = UndriftOptions::default();
    let empty = Locs::empty(meta());
    assert!(undrift(&empty, &opt).unwrap_err().to_string().contains("empty"));
    // One frame: fewer than 2 segments.
    let one = Locs::new(
        vec![0; 3],
        vec![1.0, 2.0, 3.0],
        vec![1.0; 3],
        Metadata {
            n_frames: 1,
            ..meta()
        },
    )
    .unwrap();
    assert!(undrift(&one, &opt)
        .unwrap_err()
        .to_string()
        .contains("segment_frames"));
    // NaN positions only.
    let nan = Locs::new(vec![0, 4000], vec![f32::NAN; 2], vec![1.0; 2], meta()).unwrap();
    assert!(undrift(&nan, &opt).unwrap_err().to_string().contains("finite"));
    // Localizations in only one segment.
    let lone = Locs::new(vec![0, 1], vec![100.0, 200.0], vec![100.0; 2], meta()).unwrap();
    assert!(undrift(&lone, &opt)
        .unwrap_err()
        .to_string()
        .contains("segments hold"));
    // No camera pixel size and none given: the default pixel is 50 nm.
    let mut nop = lone.clone();
    nop.meta.pixel_nm = None;
    // (the segment images then use 50 nm pixels)
    assert_eq!((default_pixel_nm(&nop), default_pixel_nm(&lone)), (50.0, 50.0));
    assert!(undrift(&nop, &opt)
        .unwrap_err()
        .to_string()
        .contains("segments hold"));
    for bad in [
        UndriftOptions {
            segment_frames: 0,
            ..Default::default()
        },
        UndriftOptions {
            max_shift_px: 0,
            ..Default::default()
        },
        UndriftOptions {
            min_blur_px: f64::NAN,
            ..Default::default()
        },
        UndriftOptions {
            pixel_nm: Some(-1.0),
            ..Default::default()
        },
    ] {
        assert!(undrift(&lone, &bad).is_err());
    }
    // A table without lpx/lpy works (blur = min_blur) and NaN rows are ignored.
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let n = 4000;
    let mut frame: Vec<u32> = (0..n).map(|_| rng.random_range(0..5000)).collect();
    frame.sort();
    let mut x: Vec<f32> = (0..n).map(|i| 200.0 + (i % 7) as f32 * 90.0).collect();
    let y: Vec<f32> = (0..n).map(|i| 200.0 + (i % 5) as f32 * 120.0).collect();
    x[10] = f32::NAN;
    let l = Locs::new(frame, x, y, meta()).unwrap();
    let (_, d) = undrift(&l, &opt).unwrap();
    assert_eq!(d.n_frames(), 5000);
    let worst = d.x_nm.iter().chain(&d.y_nm).fold(0.0f64, |m, v| m.max(v.abs()));
    assert!(
        worst < 5.0,
        "a static pattern has no drift: {worst} {:?}",
        d.segments
    );
}

#[test]
#[ignore]
fn diag_drift_accuracy() {
    for (seed, amp, frames, n_locs, seg) in [
        (10u64, 50.0, 20_000u32, 100_000usize, 1000u32),
        (11, 100.0, 20_000, 100_000, 1000),
        (12, 200.0, 20_000, 100_000, 1000),
        (3, 150.0, 10_000, 50_000, 1000),
    ] {
        let sim = simulate_microtubules(&SimOptions {
            seed,
            n_locs,
            frames,
            precision_nm: Some(8.0),
            drift_nm: amp,
            ..Default::default()
        })
        .unwrap();
        let truth = sim.drift.clone().unwrap();
        // Floor: the spline through the true segment means (over the localizations).
        let n_seg = (frames as f64 / seg as f64).round() as usize;
        let b = segment_bounds(frames, n_seg);
        let mut t = vec![];
        let mut mx = vec![];
        let mut my = vec![];
        for &(a, e) in &b {
            let rows: Vec<usize> = (0..sim.locs.len())
                .filter(|&i| sim.locs.frame()[i] >= a && sim.locs.frame()[i] < e)
                .collect();
            t.push((a as f64 + e as f64 - 1.0) / 2.0);
            mx.push(
                rows.iter()
                    .map(|&i| truth.x_nm[sim.locs.frame()[i] as usize])
                    .sum::<f64>()
                    / rows.len() as f64,
            );
            my.push(
                rows.iter()
                    .map(|&i| truth.y_nm[sim.locs.frame()[i] as usize])
                    .sum::<f64>()
                    / rows.len() as f64,
            );
        }
        let fr: Vec<f64> = (0..frames).map(|f| f as f64).collect();
        let ideal = Drift::new(
            Spline::not_a_knot(&t, &mx).unwrap().eval_many(&fr),
            Spline::not_a_knot(&t, &my).unwrap().eval_many(&fr),
        )
        .unwrap();
        println!(
            "amp {amp}: floor (true segment means) {:?}",
            ideal.rms_difference(&truth)
        );
        for (p, blur) in [(108.0, 1.0), (54.0, 0.5)] {
            {
                let t0 = std::time::Instant::now();
                let est = estimate_drift(
                    &sim.locs,
                    &UndriftOptions {
                        pixel_nm: Some(p),
                        min_blur_px: blur,
                        ..Default::default()
                    },
                )
                .unwrap();
                let el = t0.elapsed().as_secs_f64();
                // segment errors vs true means
                let mut ex = vec![];
                let mut ey = vec![];
                for (k, s) in est.segments.iter().enumerate() {
                    ex.push(s.1 - mx[k]);
                    ey.push(s.2 - my[k]);
                }
                let rm = |v: &[f64]| {
                    let m = v.iter().sum::<f64>() / v.len() as f64;
                    (v.iter().map(|a| (a - m).powi(2)).sum::<f64>() / v.len() as f64).sqrt()
                };
                println!(
                    "  p {p} blur {blur}: rms {:?}, segment rms ({:.3}, {:.3}), dropped {}, {el:.3} s",
                    est.rms_difference(&truth),
                    rm(&ex),
                    rm(&ey),
                    est.pairs_dropped
                );
            }
        }
    }
}
