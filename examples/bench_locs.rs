//! Timing of the localization-table hot paths, for `scripts/bench/locs.sh`.
//!
//! `cargo run --release --example bench_locs -- <picasso.hdf5> [n_render] [repeats]`
//!
//! Prints one `name seconds` line per measurement (best of `repeats`):
//! loading the given Picasso file, rendering `n_render` (default 10 M)
//! uniform random localizations into a 4096 × 4096 grid of 10 nm pixels,
//! and saving and loading the loaded table as a ThunderSTORM CSV.
//!
//! `bench_locs make-csv <path.csv> <n>` writes an `n`-row ThunderSTORM table
//! (the columns ThunderSTORM writes, seeded); `bench_locs csv <path.csv>
//! [repeats]` times loading it (`load_csv_big seconds rows N rows_per_s R`).

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
    match args.get(1).map(String::as_str) {
        Some("make-csv") if args.len() == 4 => return make_csv(&args[2], args[3].parse()?),
        Some("csv") if args.len() >= 3 => {
            let repeats: usize = args.get(3).map_or(Ok(3), |s| s.parse())?.max(1);
            let (t, res) = best(repeats, || Locs::load(&args[2], None, None));
            let n = res?.0.len();
            println!("load_csv_big {t:.4} rows {n} rows_per_s {:.0}", n as f64 / t);
            return Ok(());
        }
        _ => {}
    }
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
    let _ = std::fs::remove_file(dir.join("bench_locs.csv.yaml"));

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

/// An `n`-row table with ThunderSTORM's columns, saved as CSV (no sidecar:
/// ThunderSTORM's own files have none).
fn make_csv(path: &str, n: usize) -> Result<(), Box<dyn std::error::Error>> {
    use locus::locs::ColumnData;
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let mut frame: Vec<u32> = (0..n).map(|_| rng.random_range(0..20_000)).collect();
    frame.sort_unstable();
    let x: Vec<f32> = (0..n).map(|_| rng.random_range(0.0..40_000.0)).collect();
    let y: Vec<f32> = (0..n).map(|_| rng.random_range(0.0..40_000.0)).collect();
    let mut l = Locs::new(frame, x, y, Metadata::default())?;
    let mut col = |name: &str, unit: Option<&str>, lo: f64, hi: f64| {
        let v: Vec<f64> = (0..n).map(|_| rng.random_range(lo..hi)).collect();
        l.add_column(name, unit, ColumnData::F64(v))
    };
    col("sigma", Some("nm"), 80.0, 200.0)?;
    col("intensity", Some("photon"), 100.0, 10_000.0)?;
    col("offset", Some("photon"), 0.0, 200.0)?;
    col("bkgstd", Some("photon"), 1.0, 30.0)?;
    col("uncertainty_xy", Some("nm"), 2.0, 40.0)?;
    l.save(path)?;
    let _ = std::fs::remove_file(format!("{path}.yaml"));
    Ok(())
}

fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
    let d = std::env::temp_dir().join(format!("locus-bench-{}", std::process::id()));
    std::fs::create_dir_all(&d)?;
    Ok(d)
}
