//! Time one U-Net training step (forward in training mode, MSE loss,
//! backward, Adam update) on the CPU, for `scripts/bench/unet.sh`.
//!
//! `cargo run --release --example bench_unet -- [--size 256] [--depth 8]
//! [--filters 64] [--batch 1] [--steps 5] [--warmup 2] [--mode ours|stock|both|loss]
//! [--upsample transpose|resize_conv] [--loss mse|paper]`
//!
//! `ours`: the im2col/col2im kernels of `locus::nn::ops` and the fused Adam;
//! `stock`: candle's own conv kernels and `candle_nn::AdamW` (weight decay 0).
//! Prints one line per mode: `candle-<mode> step_ms=<median> ...` with the CPU
//! time per step of the main thread (work on one core) and of the rayon pool;
//! `--mode loss` times the paper's loss (forward + backward) instead, and
//! `--loss paper` trains with it instead of the MSE.

use candle_core::{DType, Device, Tensor};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use locus::nn::adam::{Adam, AdamConfig};
use locus::nn::{UNet, UNetConfig};
use std::time::Instant;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "common/proc.rs"]
mod procstat;
use procstat::{keep_freed_memory, peak_rss_mb};

fn arg(args: &[String], key: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == key)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// User + system CPU time of this process in ms (from /proc/self/stat; 0 if unavailable).
fn cpu_ms() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th fields overall, in clock ticks (100 per second on Linux).
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) * 10.0
}

/// CPU time in ms of this process's main thread and of all other threads
/// (the rayon pool), from /proc/self/task/*/stat; zeros if unavailable. The
/// main thread's share is the work that runs on one core.
fn thread_cpu_ms() -> (f64, f64) {
    let me = std::process::id().to_string();
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return (0.0, 0.0);
    };
    let (mut main, mut rest) = (0.0, 0.0);
    for e in dir.flatten() {
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        let tail = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        let f: Vec<&str> = tail.split_whitespace().collect();
        let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        let ms = (ticks(11) + ticks(12)) * 10.0;
        if e.file_name().to_string_lossy() == me {
            main += ms;
        } else {
            rest += ms;
        }
    }
    (main, rest)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

#[allow(clippy::too_many_arguments)]
fn run(
    stock: bool,
    paper_loss: bool,
    cfg: &UNetConfig,
    size: usize,
    batch: usize,
    steps: usize,
    warmup: usize,
) -> locus::Result<f64> {
    let dev = Device::Cpu;
    let mut net = UNet::new(cfg.clone(), &dev)?;
    net.set_stock_ops(stock);
    let x = Tensor::randn(0f32, 1.0, (batch, 1, size, size), &dev)?;
    let y = Tensor::randn(0f32, 1.0, (batch, 1, size, size), &dev)?.tanh()?;
    let vars = net.trainable_vars().to_vec();
    let acfg = AdamConfig::default();
    let mut ours = Adam::new(&vars, acfg)?;
    let mut theirs = AdamW::new(
        vars.iter().map(|(_, v)| v.clone()).collect(),
        ParamsAdamW {
            lr: acfg.lr,
            beta1: acfg.beta1,
            beta2: acfg.beta2,
            eps: acfg.eps,
            weight_decay: 0.0,
        },
    )?;
    let mut times = Vec::new();
    let mut fwd = Vec::new();
    let mut bwd = Vec::new();
    let mut cpu = Vec::new();
    let mut loss_fn = if paper_loss {
        Some(locus::nn::Loss::new(locus::nn::LossWeights::default(), 0.39, 5)?)
    } else {
        None
    };
    let mut threads0 = (0.0, 0.0);
    for i in 0..warmup + steps {
        if i == warmup {
            threads0 = thread_cpu_ms();
        }
        let c0 = cpu_ms();
        let t0 = Instant::now();
        let pred = net.forward(&x, true)?;
        let loss = match loss_fn.as_mut() {
            Some(l) => l.compute(&pred, &y)?.0,
            None => (&pred - &y)?.sqr()?.mean_all()?,
        };
        let _ = loss.to_dtype(DType::F32)?.to_scalar::<f32>()?;
        let t1 = Instant::now();
        let grads = loss.backward()?;
        let t2 = Instant::now();
        if stock {
            theirs.step(&grads)?;
        } else {
            ours.step(&vars, &grads)?;
        }
        let t3 = Instant::now();
        if i >= warmup {
            times.push((t3 - t0).as_secs_f64() * 1e3);
            fwd.push((t1 - t0).as_secs_f64() * 1e3);
            bwd.push((t2 - t1).as_secs_f64() * 1e3);
            cpu.push(cpu_ms() - c0);
        }
    }
    let step = median(times);
    let threads1 = thread_cpu_ms();
    println!(
        "candle-{} step_ms={:.1} cpu_ms={:.0} forward_ms={:.1} backward_ms={:.1} params={} \
         main_thread_cpu_ms={:.0} pool_cpu_ms={:.0} (per step)",
        if stock { "stock" } else { "ours" },
        step,
        median(cpu),
        median(fwd),
        median(bwd),
        net.param_count(),
        (threads1.0 - threads0.0) / steps as f64,
        (threads1.1 - threads0.1) / steps as f64,
    );
    Ok(step)
}

/// Time the paper's loss (MS-SSIM 5 scales + area-FRC + 0.1·L1), forward and
/// backward, on `size`² images.
fn time_loss(size: usize, batch: usize) -> locus::Result<()> {
    use locus::nn::{Loss, LossWeights};
    let dev = Device::Cpu;
    let x = candle_core::Var::from_tensor(&Tensor::randn(0f32, 0.5, (batch, 1, size, size), &dev)?.tanh()?)?;
    let y = Tensor::randn(0f32, 0.5, (batch, 1, size, size), &dev)?.tanh()?;
    let mut loss = Loss::new(LossWeights::default(), 0.39, 5)?;
    let frc_op = locus::nn::AreaFrc::new(size, size, 0.39, &dev)?;
    let (mut t, mut ssim, mut frc) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..5 {
        let t0 = Instant::now();
        let (total, _) = loss.compute(x.as_tensor(), &y)?;
        let _ = total.backward()?;
        t.push(t0.elapsed().as_secs_f64() * 1e3);
        let t0 = Instant::now();
        let m = locus::nn::loss::ms_ssim(x.as_tensor(), &y, 2.0, 5)?.sum_all()?;
        let _ = m.backward()?;
        ssim.push(t0.elapsed().as_secs_f64() * 1e3);
        let t0 = Instant::now();
        let f = frc_op.area(x.as_tensor(), &y)?.sum_all()?;
        let _ = f.backward()?;
        frc.push(t0.elapsed().as_secs_f64() * 1e3);
    }
    println!(
        "loss (paper weights) fwd+bwd_ms={:.1}: ms_ssim {:.1}, area_frc {:.1}",
        median(t),
        median(ssim),
        median(frc)
    );
    Ok(())
}

fn main() -> locus::Result<()> {
    keep_freed_memory();
    let args: Vec<String> = std::env::args().collect();
    let size = arg(&args, "--size", 256);
    let sarg = |key: &str| {
        args.iter()
            .position(|a| a == key)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let cfg = UNetConfig {
        depth: arg(&args, "--depth", 8),
        filters: arg(&args, "--filters", 64),
        upsample: sarg("--upsample")
            .map(|u| u.parse())
            .transpose()?
            .unwrap_or_default(),
        ..Default::default()
    };
    let paper_loss = sarg("--loss").as_deref() == Some("paper");
    let batch = arg(&args, "--batch", 1);
    let steps = arg(&args, "--steps", 5).max(1);
    let warmup = arg(&args, "--warmup", 2);
    let mode = args
        .iter()
        .position(|a| a == "--mode")
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| "ours".into());
    println!(
        "# U-Net depth {} filters {} upsample {} input {size}x{size} batch {batch}, loss {}, {} threads",
        cfg.depth,
        cfg.filters,
        cfg.upsample,
        if paper_loss { "paper" } else { "mse" },
        rayon::current_num_threads()
    );
    if mode == "ours" || mode == "both" {
        run(false, paper_loss, &cfg, size, batch, steps, warmup)?;
    }
    if mode == "stock" || mode == "both" {
        run(true, paper_loss, &cfg, size, batch, steps, warmup)?;
    }
    if mode == "loss" {
        time_loss(size, batch)?;
    }
    if mode == "predict" {
        predict(&cfg, size, arg(&args, "--image", 2048), steps)?;
    }
    Ok(())
}

/// Tiled prediction of an `n`² image with `tile`-px tiles (overlap tile/4,
/// linear ramps; nn::predict): median wall time over `steps` runs after one
/// warm-up, and the process's peak RSS.
fn predict(cfg: &UNetConfig, tile: usize, n: usize, steps: usize) -> locus::Result<()> {
    use locus::nn::PredictOptions;
    let net = UNet::new(cfg.clone(), &Device::Cpu)?;
    let img = ndarray::Array2::from_shape_fn((n, n), |(y, x)| ((x * 7 + y * 13) % 17) as f32);
    let opts = PredictOptions {
        tile,
        ..Default::default()
    };
    let _ = net.predict(img.view(), &opts)?;
    let mut times = Vec::new();
    for _ in 0..steps {
        let t = Instant::now();
        let out = net.predict(img.view(), &opts)?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
        assert_eq!(out.dim(), (n, n));
    }
    times.sort_by(f64::total_cmp);
    println!(
        "candle-predict predict_ms={:.0} peak_rss_mb={:.0} image={n} tile={tile}",
        times[times.len() / 2],
        peak_rss_mb()
    );
    Ok(())
}
