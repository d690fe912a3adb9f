//! Transposed convolution vs resize-convolution on the paper's real pairs, in
//! the protocol of `examples/paper/fig4a_losses.rhai --real` (quick settings
//! by default): train on all pairs but the last (MS-SSIM + area-FRC + 0.1 L1),
//! predict the centre 512 px crop of the last pair's input (tiles of the patch
//! size) and evaluate against its normalised target (PSNR, MSE, MS-SSIM,
//! area-FRC(0.2)); also the checkerboard measure of the tests: the share of
//! the prediction's non-DC power in the three Nyquist bins.
//!
//! `cargo run --release --example bench_upsample -- --data DIR [--epochs 6]
//! [--patch 176] [--depth 4] [--filters 8] [--lr 2e-3] [--seeds 1,2]`
//!
//! `DIR` holds `*_sub.png` / `*_full.png` pairs (the paper's
//! `frcnet/train`).

use locus::nn::data::{load_png_pairs, normalize};
use locus::nn::{Pairs, PatchOptions, PredictOptions, TrainOptions, UNet, UNetConfig, Upsample};
use ndarray::{s, Array2};
use std::time::Instant;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn sarg(args: &[String], key: &str) -> Option<String> {
    args.iter()
        .position(|a| a == key)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn arg<T: std::str::FromStr>(args: &[String], key: &str, default: T) -> T {
    sarg(args, key).and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Share of the non-DC power of `img` in the Nyquist bins (π,0), (0,π), (π,π).
fn nyquist_share(img: &Array2<f32>) -> f64 {
    let (mut s, mut s2, mut a, mut b, mut c) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for ((i, j), &v) in img.indexed_iter() {
        let v = v as f64;
        let si = if i % 2 == 0 { 1.0 } else { -1.0 };
        let sj = if j % 2 == 0 { 1.0 } else { -1.0 };
        s += v;
        s2 += v * v;
        a += si * v;
        b += sj * v;
        c += si * sj * v;
    }
    let ac = img.len() as f64 * s2 - s * s;
    (a * a + b * b + c * c) / ac.max(1e-30)
}

fn main() -> locus::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let Some(dir) = sarg(&args, "--data") else {
        eprintln!("usage: bench_upsample --data DIR [--epochs 6] [--patch 176] [--depth 4] [--filters 8] [--lr 2e-3] [--seeds 1,2]");
        std::process::exit(2);
    };
    let epochs = arg(&args, "--epochs", 6usize);
    let patch = arg(&args, "--patch", 176usize);
    let depth = arg(&args, "--depth", 4usize);
    let filters = arg(&args, "--filters", 8usize);
    let lr = arg(&args, "--lr", 2e-3f64);
    let seeds: Vec<u64> = sarg(&args, "--seeds")
        .unwrap_or_else(|| "1".into())
        .split(',')
        .filter_map(|v| v.trim().parse().ok())
        .collect();
    let all = load_png_pairs(std::path::Path::new(&dir))?;
    let n = all.len();
    if n < 2 {
        eprintln!("need at least 2 pairs in {dir}");
        std::process::exit(2);
    }
    let train_pairs = Pairs::new(all.inputs[..n - 1].to_vec(), all.targets[..n - 1].to_vec())?;
    let (inp, tgt) = (&all.inputs[n - 1], &all.targets[n - 1]);
    let side = 512usize.min(inp.nrows()).min(inp.ncols());
    let (r0, c0) = ((inp.nrows() - side) / 2, (inp.ncols() - side) / 2);
    let test_in = inp.slice(s![r0..r0 + side, c0..c0 + side]).to_owned();
    let test_tgt = normalize(tgt.slice(s![r0..r0 + side, c0..c0 + side]))?;
    println!(
        "# {} training pairs, held-out {side} px crop; depth {depth} filters {filters} patch {patch} \
         epochs {epochs} lr {lr}; {} rayon threads",
        n - 1,
        rayon::current_num_threads()
    );
    println!(
        "# target Nyquist share {:.5}; normalised input: {:.5}",
        nyquist_share(&test_tgt),
        nyquist_share(&normalize(test_in.view())?)
    );
    println!("upsample     seed  steps  train_s  loss_first  loss_last  PSNR    MSE     MS-SSIM  aFRC(0.2)  nyquist");
    for up in Upsample::ALL {
        for &seed in &seeds {
            let net = UNet::new(
                UNetConfig {
                    depth,
                    filters,
                    seed,
                    bn_momentum: 0.9,
                    upsample: up,
                    ..Default::default()
                },
                &candle_core::Device::Cpu,
            )?;
            let o = TrainOptions {
                epochs,
                lr,
                seed,
                patch: PatchOptions::new(patch),
                ..Default::default()
            };
            let t0 = Instant::now();
            let h = locus::nn::train(&net, &train_pairs, &o, &mut |_| {})?;
            let secs = t0.elapsed().as_secs_f64();
            let pred = net.predict(
                test_in.view(),
                &PredictOptions {
                    tile: patch,
                    ..Default::default()
                },
            )?;
            let m = locus::metrics::evaluate(pred.view(), test_tgt.view(), 2.0, 0.2)?;
            let (first, last) = (
                h.epochs.first().map_or(f64::NAN, |e| e.train.total),
                h.epochs.last().map_or(f64::NAN, |e| e.train.total),
            );
            println!(
                "{:<12} {seed:>4}  {:>5}  {secs:>7.1}  {first:>10.4}  {last:>9.4}  {:>6.2}  {:.4}  {:>7.3}  {:>9.3}  {:.5}",
                up.name(),
                h.steps,
                m.psnr,
                m.mse,
                m.ms_ssim,
                m.area_frc,
                nyquist_share(&pred)
            );
        }
    }
    Ok(())
}
