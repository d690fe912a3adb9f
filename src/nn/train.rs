//! The training loop (docs/methods.md §7; paper "Network Training").
//!
//! Each epoch visits every training pair once in a seeded random order, in
//! batches of `batch`; each visit cuts a fresh random patch
//! ([`crate::nn::data::make_patch`]: crop, common rotation, centre crop,
//! normalisation). One step = forward in training mode, the weighted loss
//! ([`crate::nn::loss::Loss`]), backward, one Adam update
//! ([`crate::nn::adam::Adam`]). After each epoch the mean of every loss term
//! over its steps and, with validation pairs, every term on the validation
//! patches (inference mode; the same seeded patches every epoch) are reported
//! to the callback and kept in the [`History`].
//!
//! Checkpoints ([`crate::nn::checkpoint`]) are written every
//! `checkpoint_every` epochs, at the end and on Ctrl-C. Ctrl-C
//! ([`crate::interrupt::is_requested`]) stops after the current step; the
//! history comes back with `interrupted = true` (the request flag stays set
//! for the caller to see). With `resume`, an existing checkpoint's weights,
//! Adam state, step count and history are loaded and training continues with
//! the next unfinished epoch (an interrupted epoch is restarted; its finished
//! steps still count); `epochs` is the total, not the number still to run.
//! Without `resume` an existing checkpoint at the path is overwritten; with
//! `resume` and no checkpoint there yet, training starts from scratch.
//! Without a checkpoint path nothing is saved, also not on Ctrl-C.

use crate::error::{Error, Result};
use crate::nn::adam::{Adam, AdamConfig};
use crate::nn::checkpoint::{self, TrainState};
use crate::nn::data::{make_batch, shuffled, Pairs, PatchOptions};
use crate::nn::history::{EpochReport, History};
use crate::nn::loss::{Loss, LossTerms, LossWeights};
use crate::nn::unet::UNet;
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::path::PathBuf;
use std::time::Instant;

/// Options of [`train`].
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Total number of epochs (passes over the training pairs; default 1).
    pub epochs: usize,
    /// Patches per step (default 1).
    pub batch: usize,
    /// Adam learning rate (default 2e-4).
    pub lr: f64,
    /// Adam β1 (default 0.5).
    pub beta1: f64,
    /// Adam β2 (default 0.999).
    pub beta2: f64,
    /// Adam ε (default 1e-7).
    pub eps: f64,
    /// Loss term weights (default MS-SSIM 1, FRC 1, L1 0.1, MSE 0).
    pub weights: LossWeights,
    /// Fraction of Nyquist of the area-FRC loss (default 0.39).
    pub frc_fraction: f64,
    /// MS-SSIM scales (default 5, needs patches ≥ 161 px).
    pub ms_ssim_scales: usize,
    /// Patch cutting (default: 512 px patches from 768 px crops, rotated).
    pub patch: PatchOptions,
    /// Pairs for the per-epoch validation losses (default none).
    pub validation: Option<Pairs>,
    /// Checkpoint path (default none).
    pub checkpoint: Option<PathBuf>,
    /// Write the checkpoint every this many epochs (default 1).
    pub checkpoint_every: usize,
    /// Continue from the checkpoint if it exists (default false).
    pub resume: bool,
    /// Seed of the shuffling, patches and dropout (default 0).
    pub seed: u64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            epochs: 1,
            batch: 1,
            lr: 2e-4,
            beta1: 0.5,
            beta2: 0.999,
            eps: 1e-7,
            weights: LossWeights::default(),
            frc_fraction: 0.39,
            ms_ssim_scales: 5,
            patch: PatchOptions::new(512),
            validation: None,
            checkpoint: None,
            checkpoint_every: 1,
            resume: false,
            seed: 0,
        }
    }
}

impl TrainOptions {
    fn adam(&self) -> AdamConfig {
        AdamConfig {
            lr: self.lr,
            beta1: self.beta1,
            beta2: self.beta2,
            eps: self.eps,
        }
    }
}

fn mix(seed: u64, a: u64, b: u64) -> u64 {
    // splitmix64-style mixing of (seed, a, b) into an independent stream seed.
    let mut z = seed ^ a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn check_options(net: &UNet, pairs: &Pairs, o: &TrainOptions, loss: &Loss) -> Result<()> {
    pairs.validate()?;
    if let Some(v) = &o.validation {
        v.validate()
            .map_err(|e| Error::arg("validation", e.to_string()))?;
    }
    if o.batch == 0 {
        return Err(Error::arg("batch", "must be at least 1"));
    }
    if o.checkpoint_every == 0 {
        return Err(Error::arg("checkpoint_every", "must be at least 1"));
    }
    if o.resume && o.checkpoint.is_none() {
        return Err(Error::arg("resume", "needs a checkpoint path"));
    }
    if let Some(dir) = o.checkpoint.as_ref().and_then(|p| p.parent()) {
        if !dir.as_os_str().is_empty() && !dir.is_dir() {
            return Err(Error::arg(
                "checkpoint",
                format!("folder {} does not exist", dir.display()),
            ));
        }
    }
    o.adam().validate()?;
    let p = o.patch.patch;
    let m = net.config().size_multiple();
    if p == 0 || !p.is_multiple_of(m) {
        return Err(Error::arg(
            "patch",
            format!("must be a positive multiple of 2^depth = {m}, got {p}"),
        ));
    }
    loss.check_size(p, p)?;
    for (what, set) in [("pairs", Some(pairs)), ("validation", o.validation.as_ref())] {
        if let Some(set) = set {
            for a in &set.inputs {
                o.patch
                    .check(a.dim().0, a.dim().1)
                    .map_err(|e| Error::arg(what, e.to_string()))?;
            }
        }
    }
    Ok(())
}

/// Mean loss terms of `net` on the validation patches (inference mode).
fn validate(net: &UNet, val: &Pairs, o: &TrainOptions, loss: &mut Loss) -> Result<LossTerms> {
    let mut rng = StdRng::seed_from_u64(mix(o.seed, 0xa11d, 0));
    let mut sum = LossTerms::default();
    let mut n = 0usize;
    let idx: Vec<usize> = (0..val.len()).collect();
    for chunk in idx.chunks(o.batch) {
        crate::interrupt::check()?;
        let (x, y) = make_batch(val, chunk, &o.patch, &mut rng, net.device())?;
        let pred = net.forward(&x, false)?;
        let (_, terms) = loss.compute(&pred, &y)?;
        sum = sum.add(&terms.scale(chunk.len() as f64));
        n += chunk.len();
    }
    Ok(sum.scale(1.0 / n.max(1) as f64))
}

/// Train `net` on `pairs` (see the module doc); `on_epoch` is called after
/// every epoch (e.g. to print the losses).
pub fn train(
    net: &UNet,
    pairs: &Pairs,
    opts: &TrainOptions,
    on_epoch: &mut dyn FnMut(&EpochReport),
) -> Result<History> {
    train_with_stop(net, pairs, opts, on_epoch, &crate::interrupt::is_requested)
}

/// [`train`] with the stop request read from `stop` instead of the Ctrl-C flag.
fn train_with_stop(
    net: &UNet,
    pairs: &Pairs,
    opts: &TrainOptions,
    on_epoch: &mut dyn FnMut(&EpochReport),
    stop: &dyn Fn() -> bool,
) -> Result<History> {
    let mut loss = Loss::new(opts.weights, opts.frc_fraction, opts.ms_ssim_scales)?;
    check_options(net, pairs, opts, &loss)?;
    let vars = net.trainable_vars().to_vec();
    let mut adam = Adam::new(&vars, opts.adam())?;
    let mut history = History::default();
    let mut start_epoch = 0;
    let mut elapsed0 = 0.0;
    if let (true, Some(path)) = (opts.resume, &opts.checkpoint) {
        if checkpoint::sidecar_path(path).is_file() {
            let side = checkpoint::read_sidecar(path)?;
            if &side.config != net.config() {
                return Err(Error::arg(
                    "resume",
                    format!(
                        "checkpoint {} has architecture {:?}, the net has {:?}",
                        path.display(),
                        side.config,
                        net.config()
                    ),
                ));
            }
            let Some(state) = side.training else {
                return Err(Error::format(path, "holds no training state to resume from"));
            };
            checkpoint::load_weights(net, path)?;
            adam.load(&checkpoint::adam_path(path))?;
            if adam.step_count() != state.step {
                // The three files of a checkpoint are each replaced atomically,
                // but not together: a process killed between two renames leaves
                // an optimiser state one checkpoint ahead of the sidecar. The
                // weights are usable; continue with fresh Adam moments rather
                // than refuse to resume.
                eprintln!(
                    "train: {}: the optimiser state is at step {} but the checkpoint at step {} \
                     (a save was interrupted); resuming with fresh Adam moments",
                    path.display(),
                    adam.step_count(),
                    state.step
                );
                adam = Adam::new(&vars, opts.adam())?;
            }
            adam.config = opts.adam();
            start_epoch = state.epoch;
            elapsed0 = state.elapsed_s;
            history.epochs = state.history;
            history.steps = state.step;
            history.resumed_from = Some(state.epoch);
        }
    }
    let t0 = Instant::now();
    let elapsed = |t0: &Instant| elapsed0 + t0.elapsed().as_secs_f64();
    let n = pairs.len();
    let steps_per_epoch = n.div_ceil(opts.batch);
    let remaining = opts.epochs.saturating_sub(start_epoch) * steps_per_epoch;
    let progress = crate::progress::Progress::new(remaining as u64, "train");
    let save = |history: &History, epoch: usize, adam: &Adam, secs: f64| -> Result<()> {
        if let Some(path) = &opts.checkpoint {
            let state = TrainState {
                epoch,
                step: history.steps,
                adam: adam.config,
                history: history.epochs.clone(),
                elapsed_s: secs,
            };
            checkpoint::save(net, path, Some((&state, adam)))?;
        }
        Ok(())
    };
    for epoch in start_epoch..opts.epochs {
        let mut rng = StdRng::seed_from_u64(mix(opts.seed, epoch as u64, 1));
        net.reseed_dropout(mix(opts.seed, epoch as u64, 2));
        let order = shuffled(n, &mut rng);
        let mut sum = LossTerms::default();
        let mut count = 0usize;
        let te = Instant::now();
        let mut steps_here = 0u64;
        for chunk in order.chunks(opts.batch) {
            let (x, y) = make_batch(pairs, chunk, &opts.patch, &mut rng, net.device())?;
            let pred = net.forward(&x, true)?;
            let (total, terms) = loss.compute(&pred, &y)?;
            if !terms.total.is_finite() {
                return Err(Error::Numeric(format!(
                    "training loss became {} at step {} (epoch {}); lower the learning rate",
                    terms.total,
                    history.steps + 1,
                    epoch + 1
                )));
            }
            let grads = total.backward()?;
            adam.step(&vars, &grads)?;
            history.steps += 1;
            steps_here += 1;
            sum = sum.add(&terms.scale(chunk.len() as f64));
            count += chunk.len();
            progress.inc(1);
            progress.set_message(format!(
                "epoch {}/{} loss {:.4} (ms-ssim {:.4} frc {:.4} l1 {:.4})",
                epoch + 1,
                opts.epochs,
                terms.total,
                terms.ms_ssim,
                terms.frc,
                terms.l1
            ));
            if stop() {
                history.interrupted = true;
                history.elapsed_s = elapsed(&t0);
                save(&history, epoch, &adam, history.elapsed_s)?;
                return Ok(history);
            }
        }
        let validation = match &opts.validation {
            Some(v) => Some(validate(net, v, opts, &mut loss)?),
            None => None,
        };
        let report = EpochReport {
            epoch: epoch + 1,
            step: history.steps,
            train: sum.scale(1.0 / count.max(1) as f64),
            validation,
            elapsed_s: elapsed(&t0),
            step_s: te.elapsed().as_secs_f64() / steps_here.max(1) as f64,
        };
        history.epochs.push(report.clone());
        history.elapsed_s = report.elapsed_s;
        on_epoch(&report);
        if (epoch + 1) % opts.checkpoint_every == 0 || epoch + 1 == opts.epochs {
            save(&history, epoch + 1, &adam, report.elapsed_s)?;
        }
    }
    history.elapsed_s = elapsed(&t0);
    Ok(history)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::unet::UNetConfig;
    use candle_core::Device;
    use ndarray::Array2;

    /// Synthetic pairs: sparse random dots (input) and their blurred density
    /// (target), like a histogram and its KDE.
    pub(super) fn synthetic(n: usize, side: usize, seed: u64) -> Pairs {
        use rand::Rng;
        let mut rng = StdRng::seed_from_u64(seed);
        let mut inputs = Vec::new();
        let mut targets = Vec::new();
        for _ in 0..n {
            // a few bright lines as "filaments"
            let mut dens = Array2::<f32>::zeros((side, side));
            for _ in 0..4 {
                let (y0, x0) = (
                    rng.random_range(0.0..side as f32),
                    rng.random_range(0.0..side as f32),
                );
                let a: f32 = rng.random_range(0.0..std::f32::consts::PI);
                for t in 0..(2 * side) {
                    let s = t as f32 - side as f32;
                    let (y, x) = (y0 + s * a.sin(), x0 + s * a.cos());
                    for dy in -2i32..=2 {
                        for dx in -2i32..=2 {
                            let (yy, xx) = (y as i32 + dy, x as i32 + dx);
                            if yy >= 0 && xx >= 0 && (yy as usize) < side && (xx as usize) < side {
                                dens[[yy as usize, xx as usize]] +=
                                    (-((dy * dy + dx * dx) as f32) / 2.0).exp();
                            }
                        }
                    }
                }
            }
            let mx = dens.iter().cloned().fold(0.0f32, f32::max).max(1e-6);
            let sparse = dens.mapv(|d| {
                if rng.random::<f32>() < 0.5 * d / mx {
                    1.0
                } else {
                    0.0
                }
            });
            inputs.push(sparse);
            targets.push(dens);
        }
        Pairs::new(inputs, targets).unwrap()
    }

    pub(super) fn small_net() -> UNet {
        UNet::new(
            UNetConfig {
                depth: 4,
                filters: 8,
                ..Default::default()
            },
            &Device::Cpu,
        )
        .unwrap()
    }

    pub(super) fn opts(epochs: usize) -> TrainOptions {
        TrainOptions {
            epochs,
            lr: 2e-3,
            ms_ssim_scales: 3,
            patch: PatchOptions {
                patch: 64,
                crop: Some(64),
                rotate: false,
            },
            ..Default::default()
        }
    }

    #[test]
    fn thirty_steps_lower_the_loss() {
        let pairs = synthetic(2, 64, 1);
        // One pair per step: 15 epochs × 2 pairs = 30 steps; measure the
        // loss on the training patches before and after in inference mode.
        let net = small_net();
        let o = TrainOptions {
            validation: Some(pairs.clone()),
            ..opts(15)
        };
        let mut loss = Loss::new(o.weights, o.frc_fraction, o.ms_ssim_scales).unwrap();
        let before = validate(&net, &pairs, &o, &mut loss).unwrap();
        let mut seen = 0;
        let h = train(&net, &pairs, &o, &mut |_| seen += 1).unwrap();
        assert_eq!(seen, 15);
        assert_eq!(h.steps, 30);
        assert!(!h.interrupted);
        let first = h.epochs[0].train.total;
        let last = h.epochs.last().unwrap().train.total;
        let after = h.epochs.last().unwrap().validation.unwrap().total;
        assert!(
            after <= 0.7 * before.total,
            "validation {} -> {after}",
            before.total
        );
        assert!(last <= 0.7 * first, "training {first} -> {last}");
        assert_eq!(h.train_loss("frc").unwrap().len(), 15);
        assert!(h.train_loss("nope").is_err());
    }

    #[test]
    fn resize_conv_net_trains() {
        // The same 30-step task with resize-convolution upsampling.
        let pairs = synthetic(2, 64, 1);
        let net = UNet::new(
            UNetConfig {
                depth: 4,
                filters: 8,
                upsample: crate::nn::unet::Upsample::ResizeConv,
                ..Default::default()
            },
            &Device::Cpu,
        )
        .unwrap();
        let o = TrainOptions {
            validation: Some(pairs.clone()),
            ..opts(15)
        };
        let mut loss = Loss::new(o.weights, o.frc_fraction, o.ms_ssim_scales).unwrap();
        let before = validate(&net, &pairs, &o, &mut loss).unwrap();
        let h = train(&net, &pairs, &o, &mut |_| {}).unwrap();
        let first = h.epochs[0].train.total;
        let last = h.epochs.last().unwrap().train.total;
        let after = h.epochs.last().unwrap().validation.unwrap().total;
        assert!(
            after <= 0.7 * before.total,
            "validation {} -> {after}",
            before.total
        );
        assert!(last <= 0.7 * first, "training {first} -> {last}");
    }

    #[test]
    fn same_losses_with_one_or_two_threads() {
        // The GEMMs, im2col/col2im, BatchNorm, Adam and the patch cutting run
        // on rayon's pool: the training must not depend on its size.
        let pairs = synthetic(3, 64, 5);
        let o = TrainOptions {
            batch: 2,
            patch: PatchOptions {
                patch: 48,
                crop: Some(64),
                rotate: true,
            },
            ..opts(3)
        };
        let v: Vec<f32> = (0..48 * 48)
            .map(|k| ((k * 37 % 101) as f32 / 50.0) - 1.0)
            .collect();
        let x = candle_core::Tensor::from_vec(v, (1, 1, 48, 48), &Device::Cpu).unwrap();
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let net = small_net();
                let h = train(&net, &pairs, &o, &mut |_| {}).unwrap();
                (h, net.forward(&x, false).unwrap())
            })
        };
        let (h1, y1) = run(1);
        let (h2, y2) = run(2);
        assert_eq!(h1.steps, 6);
        for (a, b) in h1.epochs.iter().zip(&h2.epochs) {
            assert!(
                (a.train.total - b.train.total).abs() < 1e-5,
                "epoch {}: {} vs {}",
                a.epoch,
                a.train.total,
                b.train.total
            );
        }
        let d = crate::nn::tests_util::max_abs_diff(&y1, &y2);
        assert!(d < 1e-5, "predictions differ by {d}");
    }

    #[test]
    fn resume_continues_steps_and_adam_state() {
        let pairs = synthetic(2, 64, 2);
        let dir = tempfile::tempdir().unwrap();
        let ck = dir.path().join("ck.safetensors");
        // Reference: 3 epochs in one go.
        let a = small_net();
        let ha = train(&a, &pairs, &opts(3), &mut |_| {}).unwrap();
        // 2 epochs with a checkpoint, then resume to 3 in a fresh net.
        let b = small_net();
        let o = TrainOptions {
            checkpoint: Some(ck.clone()),
            ..opts(2)
        };
        let hb = train(&b, &pairs, &o, &mut |_| {}).unwrap();
        assert_eq!(hb.steps, 4);
        let side = checkpoint::read_sidecar(&ck).unwrap();
        assert_eq!(side.training.as_ref().unwrap().step, 4);
        let c = small_net();
        let o = TrainOptions {
            checkpoint: Some(ck.clone()),
            resume: true,
            ..opts(3)
        };
        let hc = train(&c, &pairs, &o, &mut |_| {}).unwrap();
        assert_eq!(hc.resumed_from, Some(2));
        assert_eq!(hc.steps, 6);
        assert_eq!(hc.epochs.len(), 3);
        // Same weights as the uninterrupted run (Adam state restored exactly).
        let x = candle_core::Tensor::randn(0f32, 1.0, (1, 1, 64, 64), &Device::Cpu).unwrap();
        let ya = a.forward(&x, false).unwrap();
        let yc = c.forward(&x, false).unwrap();
        let d = crate::nn::tests_util::max_abs_diff(&ya, &yc);
        assert!(d < 1e-5, "resumed run differs by {d}");
        assert_eq!(ha.epochs[2].train.total, hc.epochs[2].train.total);
        // Without the Adam state, resuming is refused.
        std::fs::remove_file(checkpoint::adam_path(&ck)).unwrap();
        assert!(train(&small_net(), &pairs, &o, &mut |_| {}).is_err());
    }

    #[test]
    fn interrupt_saves_and_flags() {
        let pairs = synthetic(2, 64, 3);
        let dir = tempfile::tempdir().unwrap();
        let ck = dir.path().join("ck.safetensors");
        let net = small_net();
        let o = TrainOptions {
            checkpoint: Some(ck.clone()),
            ..opts(5)
        };
        // The process-wide Ctrl-C flag would stop the other tests running in
        // parallel: inject the request instead.
        let h = train_with_stop(&net, &pairs, &o, &mut |_| {}, &|| true).unwrap();
        assert!(h.interrupted);
        assert_eq!(h.steps, 1);
        let st = checkpoint::read_sidecar(&ck).unwrap().training.unwrap();
        assert_eq!((st.epoch, st.step), (0, 1));
    }

    #[test]
    fn option_errors() {
        let pairs = synthetic(1, 64, 4);
        let net = small_net();
        let bad = |o: TrainOptions| train(&net, &pairs, &o, &mut |_| {}).unwrap_err().to_string();
        assert!(bad(TrainOptions { batch: 0, ..opts(1) }).contains("batch"));
        assert!(bad(TrainOptions { lr: -1.0, ..opts(1) }).contains("lr"));
        let e = bad(TrainOptions {
            patch: PatchOptions {
                patch: 40,
                crop: Some(40),
                rotate: false,
            },
            ..opts(1)
        });
        assert!(e.contains("multiple of 2^depth = 16"), "{e}");
        let e = bad(TrainOptions {
            ms_ssim_scales: 5,
            ..opts(1)
        });
        assert!(e.contains("161"), "{e}");
        let e = bad(TrainOptions {
            patch: PatchOptions::new(64),
            ..opts(1)
        });
        assert!(e.contains("crop"), "{e}");
        assert!(bad(TrainOptions {
            resume: true,
            ..opts(1)
        })
        .contains("checkpoint"));
        let e = bad(TrainOptions {
            checkpoint: Some("/nonexistent-locus-dir/ck.safetensors".into()),
            ..opts(1)
        });
        assert!(e.contains("does not exist"), "{e}");
    }
}
