//! Benchmark of the FRC (docs/methods.md §5), driven by `scripts/bench/frc.sh`.
//!
//! `bench_frc A.npy B.npy OUT.json [REPEATS] [PIXEL_NM]` loads two float32
//! images, then times (best of REPEATS):
//! - `frc`: `locus::frc::frc` (both FFTs, ring sums, LOESS), no Tukey;
//! - `fft2x2`: the two 2-D real-input FFTs alone (`locus::frc::rfft2` twice,
//!   the same cached rustfft/realfft plans, columns written back);
//! - `fft2_packed`: the two FFTs done the cheapest way, as one complex 2-D
//!   FFT of a + i·b (rustfft rows in parallel, then columns gathered in
//!   blocks, transformed and written back) — the FFT work `frc` itself does;
//! - `area_frc`: `locus::frc::area_frc(a, b, 0.2)`;
//! - `ms_ssim`: `locus::metrics::ms_ssim(a, b, 2)` (on the same pair).
//!
//! and writes the timings and the curve to OUT.json for comparison with the
//! numpy reference.
//!
//! Before any of that, the very first `frc` call of the fresh process is
//! timed on its own (wall, CPU, minor page faults), next to the same numbers
//! for a warm call: the first call pays for what later calls reuse (the
//! thread pool, FFT plans, and above all the first touch of the ~270 MB
//! spectrum buffer of a 4096² pair, page by page). The allocator is set up
//! as in the `locus` binary (mimalloc, freed memory kept), so the warm calls
//! are what a script's second `frc` sees.

use locus::frc::{area_frc, frc, rfft2, FrcOptions, Threshold};
use ndarray::Array2;
use ndarray_npy::read_npy;
use rayon::prelude::*;
use rustfft::{num_complex::Complex, FftPlanner};
use std::time::Instant;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "common/proc.rs"]
mod procstat;
use procstat::{cpu_seconds, keep_freed_memory, minor_faults};

/// Wall seconds, CPU seconds and minor page faults of one call.
fn once<T>(f: impl FnOnce() -> T) -> (f64, f64, u64, T) {
    let (c, m) = (cpu_seconds(), minor_faults());
    let t = Instant::now();
    let v = f();
    (
        t.elapsed().as_secs_f64(),
        cpu_seconds() - c,
        minor_faults() - m,
        v,
    )
}

/// Best wall time, best CPU time (seconds) over `repeats` runs, and the last result.
fn best<T>(repeats: usize, mut f: impl FnMut() -> T) -> (f64, T, f64) {
    let mut best = f64::INFINITY;
    let mut best_cpu = f64::INFINITY;
    let mut out = None;
    for _ in 0..repeats.max(1) {
        let c = cpu_seconds();
        let t = Instant::now();
        let v = f();
        best = best.min(t.elapsed().as_secs_f64());
        best_cpu = best_cpu.min(cpu_seconds() - c);
        out = Some(v);
    }
    // `repeats.max(1)` ≥ 1 iterations ran, so `out` is set.
    (best, out.expect("at least one repeat"), best_cpu)
}

/// One complex 2-D FFT of a + i·b with rustfft (rows, then 16-column blocks
/// gathered, transformed and scattered back), rayon-parallel.
fn fft2_packed(a: &Array2<f32>, b: &Array2<f32>) -> Vec<Complex<f64>> {
    let (h, w) = a.dim();
    let mut planner = FftPlanner::<f64>::new();
    let (prow, pcol) = (planner.plan_fft_forward(w), planner.plan_fft_forward(h));
    // Huge-page backed, as in locus' FRC.
    let mut z = locus::frc::filled_huge(h * w, Complex::new(0.0, 0.0));
    for ((d, &u), &v) in z.iter_mut().zip(a.iter()).zip(b.iter()) {
        *d = Complex::new(u as f64, v as f64);
    }
    z.par_chunks_mut(w).for_each_init(
        || vec![Complex::new(0.0, 0.0); prow.get_inplace_scratch_len()],
        |s, row| prow.process_with_scratch(row, s),
    );
    let cols: Vec<(usize, Vec<Complex<f64>>)> = (0..w)
        .into_par_iter()
        .step_by(16)
        .map_init(
            || vec![Complex::new(0.0, 0.0); pcol.get_inplace_scratch_len()],
            |s, x0| {
                let cb = 16.min(w - x0);
                let mut buf = vec![Complex::new(0.0, 0.0); cb * h];
                for y in 0..h {
                    for c in 0..cb {
                        buf[c * h + y] = z[y * w + x0 + c];
                    }
                }
                pcol.process_with_scratch(&mut buf, s);
                (x0, buf)
            },
        )
        .collect();
    for (x0, buf) in cols {
        let cb = 16.min(w - x0);
        for y in 0..h {
            for c in 0..cb {
                z[y * w + x0 + c] = buf[c * h + y];
            }
        }
    }
    z
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // As the locus binary does (src/main.rs).
    keep_freed_memory();
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: bench_frc A.npy B.npy OUT.json [REPEATS] [PIXEL_NM]");
        std::process::exit(2);
    }
    let a: Array2<f32> = read_npy(&args[1])?;
    let b: Array2<f32> = read_npy(&args[2])?;
    let repeats: usize = args.get(4).map(|s| s.parse()).transpose()?.unwrap_or(3);
    let pixel_nm: f64 = args.get(5).map(|s| s.parse()).transpose()?.unwrap_or(10.0);

    // The first call of the process (thread pool, plans, first touch of the
    // buffers), then one warm call measured the same way.
    let (t_first, c_first, f_first, r) = once(|| frc(a.view(), b.view(), pixel_nm, &FrcOptions::default()));
    r?;
    let (t_second, c_second, f_second, r) =
        once(|| frc(a.view(), b.view(), pixel_nm, &FrcOptions::default()));
    r?;
    let (t_fft, _, c_fft) = best(repeats, || {
        let fa = rfft2(a.view()).map(|f| f[(0, 0)]);
        let fb = rfft2(b.view()).map(|f| f[(0, 0)]);
        (fa, fb)
    });
    let (t_packed, _, c_packed) = best(repeats, || fft2_packed(&a, &b)[0]);
    let (t_frc, curve, c_frc) = best(repeats, || {
        frc(a.view(), b.view(), pixel_nm, &FrcOptions::default())
    });
    let curve = curve?;
    let (t_area, area, _) = best(repeats, || area_frc(a.view(), b.view(), 0.2));
    let (t_ms, ms, _) = best(repeats, || locus::metrics::ms_ssim(a.view(), b.view(), 2.0));
    let json = serde_json::json!({
        "n": curve.n,
        "threads": rayon::current_num_threads(),
        "seconds_frc": t_frc,
        "seconds_frc_first": t_first,
        "cpu_frc_first": c_first,
        "faults_frc_first": f_first,
        "seconds_frc_second": t_second,
        "cpu_frc_second": c_second,
        "faults_frc_second": f_second,
        "seconds_fft2x2": t_fft,
        "seconds_fft2_packed": t_packed,
        "cpu_frc": c_frc,
        "cpu_fft2x2": c_fft,
        "cpu_fft2_packed": c_packed,
        "seconds_area_frc": t_area,
        "seconds_ms_ssim": t_ms,
        "values": curve.values,
        "smoothed": curve.smoothed,
        "counts": curve.ring_counts,
        "resolution": curve.resolution(Threshold::default(), true),
        "resolution_raw": curve.resolution(Threshold::default(), false),
        "area02": area?,
        "ms_ssim": ms?,
    });
    std::fs::write(&args[3], serde_json::to_string(&json)?)?;
    println!(
        "locus first frc call of the process: {t_first:.3} s wall, {c_first:.2} s CPU, {f_first} minor faults; \
         second call: {t_second:.3} s wall, {c_second:.2} s CPU, {f_second} minor faults"
    );
    println!(
        "locus (rayon {} threads): frc {:.3} s, two rfft2 {:.3} s, packed complex fft2 {:.3} s, \
         area_frc {:.3} s, ms_ssim {:.3} s",
        rayon::current_num_threads(),
        t_frc,
        t_fft,
        t_packed,
        t_area,
        t_ms
    );
    Ok(())
}
