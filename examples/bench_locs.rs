//! Timing of the localization-table hot paths, for `scripts/bench/locs.sh`.
//!
//! `cargo run --release --example bench_locs -- <picasso.hdf5> [n_render] [repeats]`
//!
//! Prints one `name seconds` line per measurement (best of `repeats`):
//! loading the given Picasso file, rendering `n_render` (default 10 M)
//! uniform random localizations into a 4096 × 4096 grid of 10 nm pixels,
//! and saving and loading the loaded table as a ThunderSTORM CSV.

use locus::locs::{Locs, Metadata, RenderOptions};
use rand::{Rng, SeedableRng};
use std::time::Instant;

fn best<T>(repeats: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut out = None;
    for _ in 0..repeats {
        let t = Instant::now();
        let r = f();
        best = best.min(t.elapsed().as_secs_f64());
        out = Some(r);
    }
    (best, out.expect("repeats >= 1"))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 2 {
        eprintln!("usage: bench_locs <picasso.hdf5> [n_render] [repeats]");
        std::process::exit(2);
    }
    let n_render: usize = args.get(2).map_or(Ok(10_000_000), |s| s.parse())?;
    let repeats: usize = args.get(3).map_or(Ok(3), |s| s.parse())?.max(1);
    println!("threads {}", rayon::current_num_threads());

    let (t, res) = best(repeats, || Locs::load(&args[1], None, None));
    let (locs, _) = res?;
    println!("load_hdf5 {t:.4} rows {}", locs.len());

    let dir = tempfile_dir()?;
    let csv = dir.join("bench_locs.csv");
    let (t, r) = best(repeats, || locs.save(&csv));
    r?;
    println!("save_csv {t:.4} rows {}", locs.len());
    let (t, res) = best(repeats, || Locs::load(&csv, None, None));
    let (back, _) = res?;
    println!("load_csv {t:.4} rows {}", back.len());
    let _ = std::fs::remove_file(&csv);

    let size = 4096.0 * 10.0;
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let x: Vec<f32> = (0..n_render)
        .map(|_| rng.random_range(0.0..size as f32))
        .collect();
    let y: Vec<f32> = (0..n_render)
        .map(|_| rng.random_range(0.0..size as f32))
        .collect();
    let meta = Metadata {
        pixel_nm: Some(100.0),
        width_nm: size,
        height_nm: size,
        ..Default::default()
    };
    let big = Locs::new(vec![0; n_render], x, y, meta)?;
    let opt = RenderOptions::with_pixel(10.0);
    let (t, res) = best(repeats, || big.render(&opt));
    let (img, dropped) = res?;
    println!(
        "render {t:.4} locs {n_render} shape {}x{} sum {} dropped {dropped}",
        img.width(),
        img.height(),
        img.data.sum()
    );
    Ok(())
}

fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
    let d = std::env::temp_dir().join(format!("locus-bench-{}", std::process::id()));
    std::fs::create_dir_all(&d)?;
    Ok(d)
}
