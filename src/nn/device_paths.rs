//! Tests of the code paths a CUDA device takes, run on the CPU
//! ([`crate::nn::ops::with_device_paths`]): candle's own convolutions instead
//! of the im2col ops, BatchNorm and LeakyReLU as tensor ops with their
//! statistics as tensors, Adam's update as tensor ops with its moments as
//! tensors. Each is compared with the fast CPU path (which has its own
//! hand-checked tests) on the same net, data and dropout masks.

use crate::nn::adam::{Adam, AdamConfig};
use crate::nn::loss::{Loss, LossTerms, LossWeights};
use crate::nn::ops::with_device_paths;
use crate::nn::predict::PredictOptions;
use crate::nn::unet::{UNet, UNetConfig};
use candle_core::{DType, Device, Tensor, Var};
use ndarray::Array2;
use std::collections::BTreeMap;

fn config() -> UNetConfig {
    UNetConfig {
        depth: 4,
        filters: 8,
        seed: 11,
        ..Default::default()
    }
}

fn vars(net: &UNet) -> BTreeMap<String, Vec<f32>> {
    let data = net.varmap().data().lock().unwrap();
    data.iter()
        .map(|(k, v)| (k.clone(), v.flatten_all().unwrap().to_vec1::<f32>().unwrap()))
        .collect()
}

fn adam_state(adam: &Adam) -> BTreeMap<String, Vec<f32>> {
    adam.state_tensors()
        .unwrap()
        .into_iter()
        .map(|(k, t)| {
            (
                k,
                t.to_dtype(DType::F32)
                    .unwrap()
                    .flatten_all()
                    .unwrap()
                    .to_vec1::<f32>()
                    .unwrap(),
            )
        })
        .collect()
}

/// Largest |a − b| over all entries, relative to the largest |b| of the same
/// entry (at least `floor`), and the name where it occurs.
fn max_rel(a: &BTreeMap<String, Vec<f32>>, b: &BTreeMap<String, Vec<f32>>, floor: f64) -> (f64, String) {
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    let mut worst = (0.0, String::new());
    for (k, va) in a {
        let vb = &b[k];
        assert_eq!(va.len(), vb.len(), "{k}");
        let scale = vb.iter().fold(floor, |m, v| m.max(v.abs() as f64));
        for (x, y) in va.iter().zip(vb) {
            let d = (*x as f64 - *y as f64).abs() / scale;
            if d > worst.0 || d.is_nan() {
                worst = (d, k.clone());
            }
        }
    }
    worst
}

/// Largest |a − b| over all entries and the name where it occurs.
fn max_abs(a: &BTreeMap<String, Vec<f32>>, b: &BTreeMap<String, Vec<f32>>) -> (f64, String) {
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    let mut worst = (0.0, String::new());
    for (k, va) in a {
        for (x, y) in va.iter().zip(&b[k]) {
            let d = (*x as f64 - *y as f64).abs();
            if d > worst.0 || d.is_nan() {
                worst = (d, k.clone());
            }
        }
    }
    worst
}

/// Adam with ε ≫ |g|: the update lr·m̂/(√v̂ + ε) is then nearly linear in the
/// gradient, so rounding differences between the paths' gradients stay
/// rounding differences in the weights. (With the default ε = 1e-7 the first
/// steps move each weight by ≈ ±lr whatever its gradient's size, which turns
/// the rounding of a gradient near 0 into a difference of up to 2·lr; the
/// update formula itself is checked against textbook Adam below.)
const ADAM: AdamConfig = AdamConfig {
    lr: 0.1,
    beta1: 0.5,
    beta2: 0.999,
    eps: 1.0,
};

struct Run {
    terms: Vec<LossTerms>,
    vars_before: BTreeMap<String, Vec<f32>>,
    vars: BTreeMap<String, Vec<f32>>,
    adam: BTreeMap<String, Vec<f32>>,
}

/// `steps` training steps (forward in training mode with fixed dropout masks,
/// MS-SSIM + area-FRC + L1 + MSE loss, backward, Adam) from the same start.
fn train_steps(x: &Tensor, y: &Tensor, steps: usize) -> Run {
    let net = UNet::new(config(), &Device::Cpu).unwrap();
    let vars_before = vars(&net);
    let trainable = net.trainable_vars().to_vec();
    let mut adam = Adam::new(&trainable, ADAM).unwrap();
    let weights = LossWeights {
        ms_ssim: 1.0,
        frc: 1.0,
        l1: 0.1,
        mse: 0.5,
    };
    let mut loss = Loss::new(weights, 0.39, 3).unwrap();
    let mut terms = Vec::new();
    for s in 0..steps {
        net.reseed_dropout(100 + s as u64);
        let pred = net.forward(x, true).unwrap();
        let (total, t) = loss.compute(&pred, y).unwrap();
        adam.step(&trainable, &total.backward().unwrap()).unwrap();
        terms.push(t);
    }
    Run {
        terms,
        vars_before,
        vars: vars(&net),
        adam: adam_state(&adam),
    }
}

#[test]
fn training_steps_match_the_fast_path() {
    let x = Tensor::randn(0f32, 1.0, (2, 1, 64, 64), &Device::Cpu)
        .unwrap()
        .tanh()
        .unwrap();
    let y = Tensor::randn(0f32, 1.0, (2, 1, 64, 64), &Device::Cpu)
        .unwrap()
        .tanh()
        .unwrap();
    let fast = train_steps(&x, &y, 3);
    let dev = with_device_paths(|| train_steps(&x, &y, 3));
    // The flag is reset afterwards.
    assert!(crate::nn::ops::fast_cpu(&Device::Cpu));
    assert_eq!(fast.vars_before, dev.vars_before);
    for (a, b) in fast.terms.iter().zip(&dev.terms) {
        for (name, u, v) in [
            ("total", a.total, b.total),
            ("ms_ssim", a.ms_ssim, b.ms_ssim),
            ("frc", a.frc, b.frc),
            ("l1", a.l1, b.l1),
            ("mse", a.mse, b.mse),
        ] {
            assert!(
                u.is_finite() && (u - v).abs() <= 1e-5 * v.abs().max(1e-3),
                "{name}: {u} vs {v}"
            );
        }
    }
    // The loss moved: the steps did something.
    assert!((fast.terms[0].total - fast.terms[2].total).abs() > 1e-4);
    // Weights and BatchNorm running statistics (every variable of the net)
    // and Adam's moments after three steps: the paths differ by a small
    // fraction of how far the variables moved.
    let moved = max_abs(&fast.vars, &fast.vars_before).0;
    assert!(moved > 1e-3, "{moved}");
    // 1 % of the movement: parallel reductions sum in varying order, and
    // three Adam steps amplify that to a few 1e-3 of the movement at times
    // (seen: 2.3e-3 in one run of twelve).
    let (d, at) = max_abs(&fast.vars, &dev.vars);
    assert!(
        d < 1e-2 * moved,
        "variables differ by {d} at {at} (moved up to {moved})"
    );
    let (d, at) = max_rel(&fast.adam, &dev.adam, 1e-6);
    assert!(d < 1e-3, "Adam state differs by {d} (relative) at {at}");
    assert_eq!(fast.adam["step"], vec![3.0]);
}

#[test]
fn prediction_matches_the_fast_path() {
    let net = UNet::new(config(), &Device::Cpu).unwrap();
    // Train-mode forward once so the running statistics are not the defaults.
    let x = Tensor::randn(0f32, 1.0, (2, 1, 32, 32), &Device::Cpu).unwrap();
    net.forward(&x, true).unwrap();
    let img = Array2::from_shape_fn((70, 90), |(i, j)| {
        ((i * 7 + j * 3) % 23) as f32 + (i as f32 * 0.1).sin()
    });
    let opts = PredictOptions {
        tile: 32,
        overlap: Some(8),
        batch: 3,
    };
    let fast = net.predict(img.view(), &opts).unwrap();
    let dev = with_device_paths(|| net.predict(img.view(), &opts).unwrap());
    let d = (&fast - &dev).iter().fold(0f32, |m, v| m.max(v.abs()));
    let spread = fast.iter().fold(0f32, |m, v| m.max(v.abs()));
    assert!(spread > 1e-2, "{spread}");
    assert!(d < 1e-5, "{d}");
}

/// Textbook Adam in f64 on Σ (θ − c)², the reference for both update paths.
fn textbook(cfg: AdamConfig, c: &[f64], steps: i32) -> Vec<f64> {
    let mut state = vec![(0.0f64, 0.0f64, 0.0f64); c.len()]; // (θ, m, v)
    for t in 1..=steps {
        for ((th, m, v), &ci) in state.iter_mut().zip(c) {
            let g = 2.0 * (*th - ci);
            *m = cfg.beta1 * *m + (1.0 - cfg.beta1) * g;
            *v = cfg.beta2 * *v + (1.0 - cfg.beta2) * g * g;
            let mh = *m / (1.0 - cfg.beta1.powi(t));
            let vh = *v / (1.0 - cfg.beta2.powi(t));
            *th -= cfg.lr * mh / (vh.sqrt() + cfg.eps);
        }
    }
    state.into_iter().map(|s| s.0).collect()
}

/// θ equals the textbook sequence after `steps` steps.
fn assert_textbook(theta: &Var, cfg: AdamConfig, c: &[f64], steps: i32) {
    let want = textbook(cfg, c, steps);
    let got = theta.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert!((*g as f64 - w).abs() < 1e-5, "step {steps}, {i}: {g} vs {w}");
    }
}

fn adam_run(theta: &Var, adam: &mut Adam, c: &Tensor, steps: usize) {
    let vars = vec![("theta".to_string(), theta.clone())];
    for _ in 0..steps {
        let loss = (theta.as_tensor() - c).unwrap().sqr().unwrap().sum_all().unwrap();
        adam.step(&vars, &loss.backward().unwrap()).unwrap();
    }
}

#[test]
fn adam_tensor_path_matches_textbook_and_resumes_across_paths() {
    let c = [0.5f64, -1.0, 2.0, 0.0, 3.0, -0.25];
    let target = Tensor::from_vec(
        c.iter().map(|&v| v as f32).collect::<Vec<_>>(),
        (2, 3),
        &Device::Cpu,
    )
    .unwrap();
    let cfg = AdamConfig {
        lr: 0.1,
        ..Default::default()
    };
    let theta = Var::zeros((2, 3), DType::F32, &Device::Cpu).unwrap();
    let vars = vec![("theta".to_string(), theta.clone())];
    // The tensor path (the optimiser is created inside the scope).
    let mut dev = with_device_paths(|| Adam::new(&vars, cfg).unwrap());
    adam_run(&theta, &mut dev, &target, 10);
    assert_textbook(&theta, cfg, &c, 10);
    // Its state (a GPU training checkpoint) resumes on the fused CPU path and
    // the other way round, continuing the textbook sequence.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("state.adam");
    dev.save(&p).unwrap();
    let mut fused = Adam::new(&vars, cfg).unwrap();
    fused.load(&p).unwrap();
    assert_eq!(fused.step_count(), 10);
    assert_eq!(adam_state(&fused), adam_state(&dev));
    adam_run(&theta, &mut fused, &target, 5);
    assert_textbook(&theta, cfg, &c, 15);
    fused.save(&p).unwrap();
    let mut back = with_device_paths(|| Adam::new(&vars, cfg).unwrap());
    back.load(&p).unwrap();
    adam_run(&theta, &mut back, &target, 5);
    assert_textbook(&theta, cfg, &c, 20);
}
