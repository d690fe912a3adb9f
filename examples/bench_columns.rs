//! Timing of vectorised columns and masks, for `scripts/bench/columns.sh`.
//!
//! `cargo run --release --example bench_columns -- [n_rows] [repeats]`
//!
//! Builds an `n_rows`-row table (default 10 M) shaped like a Picasso file
//! (frame sorted in 0..20000, ten f32 columns uniform in [0, 1)) and prints
//! one `name seconds` line per measurement (best of `repeats`, default 5):
//! `col` (three columns as f64 series), `mask` (the 3-term mask
//! `(photons > 0.5) & (sx < 0.8) | (frame < 2000)` from those series),
//! `where` (the selected rows as a new table) and `filter` (all three).

use locus::locs::series::CmpOp;
use locus::locs::{ColumnData, Locs, Mask, Metadata, Series};
use rand::{Rng, SeedableRng};
use std::time::Instant;

const COLUMNS: [&str; 8] = [
    "photons",
    "sx",
    "sy",
    "bg",
    "lpx",
    "lpy",
    "ellipticity",
    "net_gradient",
];

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

fn mask(p: &Series, sx: &Series, frame: &Series) -> locus::Result<Mask> {
    p.compare_scalar(CmpOp::Gt, 0.5)
        .and(&sx.compare_scalar(CmpOp::Lt, 0.8))?
        .or(&frame.compare_scalar(CmpOp::Lt, 2000.0))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).map_or(Ok(10_000_000), |s| s.parse())?;
    let repeats: usize = args.get(2).map_or(Ok(5), |s| s.parse())?.max(1);
    println!("threads {}", rayon::current_num_threads());

    let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    let mut frame: Vec<u32> = (0..n).map(|_| rng.random_range(0..20000)).collect();
    frame.sort_unstable();
    let mut uniform = || -> Vec<f32> { (0..n).map(|_| rng.random_range(0.0..1.0)).collect() };
    let (x, y) = (uniform(), uniform());
    let meta = Metadata {
        pixel_nm: Some(100.0),
        ..Default::default()
    };
    let mut locs = Locs::new(frame, x, y, meta)?;
    for name in COLUMNS {
        locs.add_column(name, None, ColumnData::F32(uniform()))?;
    }

    let (t, cols) = best(repeats, || -> locus::Result<_> {
        Ok((locs.col("photons")?, locs.col("sx")?, locs.col("frame")?))
    });
    let (p, sx, frame) = cols?;
    println!("col {t:.4} rows {n} columns 3");
    let (t, m) = best(repeats, || mask(&p, &sx, &frame));
    let m = m?;
    println!("mask {t:.4} rows {n} selected {}", m.count());
    let (t, sel) = best(repeats, || locs.where_mask(&m));
    println!("where {t:.4} rows {}", sel?.len());
    let (t, sel) = best(repeats, || -> locus::Result<Locs> {
        let m = mask(&locs.col("photons")?, &locs.col("sx")?, &locs.col("frame")?)?;
        locs.where_mask(&m)
    });
    println!("filter {t:.4} rows {}", sel?.len());
    Ok(())
}
