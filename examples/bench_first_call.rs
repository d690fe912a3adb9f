//! The first call of an operation in a fresh process against its warm calls
//! (issue: "a script calls FRC once"), driven by `scripts/bench/first_call.sh`.
//!
//! `bench_first_call OP INPUTS... [REPEATS]` with OP one of
//! - `frc A.npy B.npy`: `locus::frc::frc` of two float32 images (pixel 10 nm);
//! - `akde IMG.npy`: `locus::density::akde`, window 11, scale 1, clip border;
//! - `render XY.npy`: `Locs::render` at 10 nm of the N × 2 float32 (x, y) nm
//!   positions (a 40.96 µm field: 4096² pixels);
//! - `ms_ssim A.npy B.npy`: `locus::metrics::ms_ssim` (max_val 2).
//!
//! Loading the inputs is not timed. Prints one JSON line: the first call's
//! wall and CPU seconds and minor page faults, the second call's, and the
//! best of REPEATS warm calls. The allocator is set up as in the `locus`
//! binary (mimalloc, freed memory kept), so the warm calls are what a
//! script's later calls see.

use locus::density::{akde, AkdeOptions};
use locus::frc::{frc, FrcOptions};
use locus::locs::{Locs, Metadata, RenderOptions};
use ndarray::Array2;
use ndarray_npy::read_npy;
use std::time::Instant;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "common/proc.rs"]
mod procstat;
use procstat::{cpu_seconds, keep_freed_memory, minor_faults};

/// Wall seconds, CPU seconds and minor faults of one call.
fn once(f: &mut dyn FnMut() -> f64) -> (f64, f64, f64, f64) {
    let (c0, m0) = (cpu_seconds(), minor_faults());
    let t = Instant::now();
    let v = f();
    let wall = t.elapsed().as_secs_f64();
    (wall, cpu_seconds() - c0, (minor_faults() - m0) as f64, v)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    keep_freed_memory();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage_text = "usage: bench_first_call frc|akde|render|ms_ssim INPUTS... [REPEATS]";
    let op = args.first().ok_or(usage_text)?.clone();
    let n_inputs = match op.as_str() {
        "frc" | "ms_ssim" => 2,
        "akde" | "render" => 1,
        _ => return Err(usage_text.into()),
    };
    if args.len() < 1 + n_inputs {
        return Err(usage_text.into());
    }
    let repeats: usize = args.get(1 + n_inputs).map_or(Ok(5), |s| s.parse())?;
    let load = |i: usize| -> Result<Array2<f32>, Box<dyn std::error::Error>> { Ok(read_npy(&args[1 + i])?) };
    let mut call: Box<dyn FnMut() -> f64> = match op.as_str() {
        "frc" => {
            let (a, b) = (load(0)?, load(1)?);
            Box::new(move || {
                frc(a.view(), b.view(), 10.0, &FrcOptions::default())
                    .map(|c| c.values.len() as f64)
                    .unwrap_or(f64::NAN)
            })
        }
        "ms_ssim" => {
            let (a, b) = (load(0)?, load(1)?);
            Box::new(move || locus::metrics::ms_ssim(a.view(), b.view(), 2.0).unwrap_or(f64::NAN))
        }
        "akde" => {
            let img = load(0)?;
            let opts = AkdeOptions::default();
            Box::new(move || {
                akde(img.view(), &opts)
                    .map(|o| o.sum() as f64)
                    .unwrap_or(f64::NAN)
            })
        }
        _ => {
            let xy = load(0)?;
            let size = 4096.0 * 10.0;
            let meta = Metadata {
                pixel_nm: Some(100.0),
                width_nm: size,
                height_nm: size,
                ..Default::default()
            };
            let n = xy.nrows();
            let locs = Locs::new(vec![0; n], xy.column(0).to_vec(), xy.column(1).to_vec(), meta)?;
            let opt = RenderOptions::with_pixel(10.0);
            Box::new(move || {
                locs.render(&opt)
                    .map(|(img, _)| img.data.sum() as f64)
                    .unwrap_or(f64::NAN)
            })
        }
    };
    let first = once(&mut call);
    let second = once(&mut call);
    let mut warm = f64::INFINITY;
    for _ in 0..repeats.max(1) {
        warm = warm.min(once(&mut call).0);
    }
    if !first.3.is_finite() {
        return Err(format!("{op} failed on these inputs").into());
    }
    println!(
        "{{\"op\": \"{op}\", \"first\": {:.5}, \"first_cpu\": {:.3}, \"first_faults\": {}, \"second\": {:.5}, \
         \"second_faults\": {}, \"warm\": {warm:.5}, \"threads\": {}, \"check\": {}}}",
        first.0,
        first.1,
        first.2,
        second.0,
        second.2,
        rayon::current_num_threads(),
        first.3
    );
    Ok(())
}
