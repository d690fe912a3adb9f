//! A stable-Rust mutation fuzzer for locus's file readers (no nightly, so no
//! cargo-fuzz): it mutates seed files (byte flips, interesting values,
//! truncation, insertion, deletion, duplication) and feeds them in-process
//! to the Picasso HDF5+YAML loader, the ThunderSTORM CSV loader or the image
//! loaders under `catch_unwind`.
//!
//! ```text
//! cargo run --release --example fuzz_readers -- TARGET SECONDS [SEED]
//!     TARGET: picasso | csv | image
//! ```
//! An input that panics or takes more than 2 s is saved to
//! `tests/fuzz_corpus/<target>/` (as `panic-*` or `slow-*`; a slow input
//! stops the run, since a stuck reader cannot be interrupted). Each input is
//! also written to `tests/fuzz_corpus/<target>/.current` before it runs, so an
//! input that kills the process (an abort on allocation failure) is kept as
//! `crash-*` by the next run. Besides, one small mutant per distinct error
//! message is kept (`err-*`, at most 40) as a replay corpus; the normal test
//! suite (`tests/fuzz_corpus.rs`) loads every file there and requires an
//! error or a table, never a panic.

use locus::image::Image;
use locus::locs::{Locs, Metadata};
use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// xorshift64*: small, deterministic per seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const INTERESTING: &[&[u8]] = &[
    &[0],
    &[0xff],
    &[0x7f],
    &[0x80],
    &[0xff, 0xff],
    &[0, 0x80],
    &[0xff, 0xff, 0xff, 0xff],
    &[0xff, 0xff, 0xff, 0x7f],
    &[0, 0, 0, 0x80],
    &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
    &[0, 0x10, 0xa5, 0xd4, 0xe8, 0, 0, 0], // 10^12
];

const TEXT_TOKENS: &[&str] = &[
    ",",
    "\n",
    "\"",
    "NaN",
    "inf",
    "-inf",
    "1e999",
    "-1",
    "0",
    "18446744073709551616",
    "x [nm]",
    "frame",
    "\r\n",
    "",
    "Pixelsize: ",
    "---\n",
    ": [",
    "{",
    "\t",
    "\u{feff}",
];

/// Apply 1 to 4 random mutations.
fn mutate(rng: &mut Rng, input: &[u8], text: bool) -> Vec<u8> {
    let mut b = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = b.len();
        match rng.below(if text { 9 } else { 8 }) {
            0 if len > 0 => {
                let i = rng.below(len);
                b[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                b[i] = rng.next() as u8;
            }
            2 if len > 0 => {
                let v = INTERESTING[rng.below(INTERESTING.len())];
                let i = rng.below(len);
                for (k, &x) in v.iter().enumerate() {
                    if i + k < len {
                        b[i + k] = x;
                    }
                }
            }
            3 => b.truncate(rng.below(len + 1)),
            4 => {
                let i = rng.below(len + 1);
                let n = 1 + rng.below(16);
                let ins: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                b.splice(i..i, ins);
            }
            5 if len > 0 => {
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(64));
                b.drain(i..i + n);
            }
            6 if len > 0 => {
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(256));
                let chunk = b[i..i + n].to_vec();
                let j = rng.below(len + 1);
                b.splice(j..j, chunk);
            }
            7 if len >= 8 => {
                // A plausible little-endian size field: a copy of a u32/u64 made huge.
                let i = rng.below(len - 8);
                let v = u64::from_le_bytes(b[i..i + 8].try_into().unwrap_or([0; 8]));
                let v = v.wrapping_mul(1 + rng.below(1 << 20) as u64);
                b[i..i + 8].copy_from_slice(&v.to_le_bytes());
            }
            _ => {
                let t = TEXT_TOKENS[rng.below(TEXT_TOKENS.len())].as_bytes();
                let i = rng.below(len + 1);
                b.splice(i..i, t.iter().copied());
            }
        }
    }
    b
}

fn small_table(n: usize, seed: u64) -> Locs {
    let mut r = Rng(seed | 1);
    let frame: Vec<u32> = (0..n as u32).collect();
    let x: Vec<f32> = (0..n).map(|_| (r.below(10_000)) as f32 / 3.0).collect();
    let y: Vec<f32> = (0..n).map(|_| (r.below(10_000)) as f32 / 3.0).collect();
    let meta = Metadata {
        pixel_nm: Some(108.0),
        width_nm: 3456.0,
        height_nm: 3456.0,
        n_frames: n as u32,
        ..Metadata::default()
    };
    let mut l = Locs::new(frame, x, y, meta).expect("valid columns");
    let photons: Vec<f32> = (0..n).map(|i| 100.0 + i as f32).collect();
    let _ = l.add_column("photons", None, locus::locs::ColumnData::F32(photons));
    l
}

/// Seed inputs for `target`: (bytes, extension, yaml bytes for Picasso).
fn seeds(target: &str, tmp: &Path) -> Vec<(Vec<u8>, String, Vec<u8>)> {
    let mut out = Vec::new();
    match target {
        "picasso" => {
            for (i, n) in [3usize, 10, 40].into_iter().enumerate() {
                let p = tmp.join(format!("seed{i}.hdf5"));
                small_table(n, i as u64 + 7).save(&p).expect("seed table saves");
                let y = std::fs::read(p.with_extension("yaml")).unwrap_or_default();
                out.push((std::fs::read(&p).unwrap_or_default(), "hdf5".into(), y));
            }
            let real = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/picasso");
            for name in ["testdata_locs", "raw_movie_locs"] {
                let h = real.join(format!("{name}.hdf5"));
                match (
                    std::fs::read(&h),
                    std::fs::read(real.join(format!("{name}.yaml"))),
                ) {
                    (Ok(h), Ok(y)) => out.push((h, "hdf5".into(), y)),
                    _ => eprintln!("seed {} missing, skipped", h.display()),
                }
            }
        }
        "csv" => {
            for (i, n) in [2usize, 10].into_iter().enumerate() {
                let p = tmp.join(format!("seed{i}.csv"));
                small_table(n, i as u64 + 3).save(&p).expect("seed table saves");
                out.push((std::fs::read(&p).unwrap_or_default(), "csv".into(), Vec::new()));
            }
            let hand = "\"id\",\"frame\",\"x [nm]\",\"y [nm]\",\"sigma [nm]\",\"intensity [photon]\",\"uncertainty [nm]\"\n1,1,100.5,200.25,120,1000,10\n2,3,5e2,7.5e1,110,900.5,12\n";
            out.push((hand.as_bytes().to_vec(), "csv".into(), Vec::new()));
        }
        _ => {
            let img = Image::new(
                ndarray::Array2::from_shape_fn((12, 16), |(r, c)| ((r * 16 + c) % 37) as f32),
                10.0,
            );
            for ext in ["tif", "png", "npy"] {
                let p = tmp.join(format!("seed.{ext}"));
                img.save(&p).expect("seed image saves");
                out.push((std::fs::read(&p).unwrap_or_default(), ext.into(), Vec::new()));
            }
            let p16 = tmp.join("seed16.png");
            if img.save_png(&p16, locus::image::io::PngDepth::Sixteen).is_ok() {
                out.push((std::fs::read(&p16).unwrap_or_default(), "png".into(), Vec::new()));
            }
        }
    }
    out
}

/// Run one input; Ok(message or "ok") or Err(panic message).
fn exec(target: &str, dir: &Path, data: &[u8], ext: &str, yaml: &[u8]) -> Result<String, String> {
    let p = dir.join(format!("input.{ext}"));
    if std::fs::write(&p, data).is_err() {
        return Ok("write failed".into());
    }
    if target == "picasso" {
        let _ = std::fs::write(p.with_extension("yaml"), yaml);
    }
    let r = catch_unwind(AssertUnwindSafe(|| match target {
        "picasso" | "csv" => Locs::load(&p, None, None).map(|_| ()),
        _ => locus::image::io::load_image(&p).map(|_| ()),
    }));
    match r {
        Ok(Ok(())) => Ok("ok".into()),
        Ok(Err(e)) => Ok(e.to_string()),
        Err(e) => Err(e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "panic".into())),
    }
}

/// An error message without paths and numbers: one class per kind of error.
fn class(msg: &str, dir: &Path) -> String {
    let m = msg.replace(&dir.display().to_string(), "");
    let m: String = m.chars().filter(|c| !c.is_ascii_digit()).collect();
    m.chars().take(60).collect()
}

fn hash(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &x| {
        (h ^ x as u64).wrapping_mul(0x100_0000_01b3)
    })
}

fn save(out: &Path, kind: &str, data: &[u8], ext: &str, yaml: &[u8], target: &str) -> PathBuf {
    let name = format!("{kind}-{:016x}", hash(data) ^ hash(yaml).rotate_left(7));
    let p = out.join(format!("{name}.{ext}"));
    let _ = std::fs::write(&p, data);
    if target == "picasso" {
        let _ = std::fs::write(out.join(format!("{name}.yaml")), yaml);
    }
    p
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let target = args.get(1).map(String::as_str).unwrap_or("picasso").to_string();
    if !["picasso", "csv", "image"].contains(&target.as_str()) {
        eprintln!("usage: fuzz_readers picasso|csv|image SECONDS [SEED]");
        std::process::exit(2);
    }
    let secs: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(60);
    let seed: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
    });
    let out = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz_corpus")
        .join(&target);
    let _ = std::fs::create_dir_all(&out);
    // An input left from a run that died.
    let current = out.join(".current");
    if let Ok(data) = std::fs::read(&current) {
        let ext = std::fs::read_to_string(out.join(".current_ext")).unwrap_or_else(|_| "bin".into());
        let yaml = std::fs::read(out.join(".current_yaml")).unwrap_or_default();
        let p = save(&out, "crash", &data, ext.trim(), &yaml, &target);
        eprintln!("the previous run died on an input: kept as {}", p.display());
    }
    std::panic::set_hook(Box::new(|_| {}));
    std::env::set_var("LOCUS_NO_PROGRESS", "1");
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let seeds = seeds(&target, tmp.path());
    let mut rng = Rng(seed | 1);
    let mut classes: HashSet<String> = HashSet::new();
    let mut kept = 0usize;
    // Watchdog: an input running > 2 s is saved by the main loop's
    // `.current` file; the watchdog reports it and ends the process.
    let started = Arc::new(AtomicU64::new(0));
    let epoch = Instant::now();
    {
        let started = started.clone();
        let out = out.clone();
        let target = target.clone();
        std::thread::spawn(move || loop {
            std::thread::sleep(Duration::from_millis(200));
            let s = started.load(Ordering::SeqCst);
            if s > 0 && epoch.elapsed().as_millis() as u64 > s + 2000 {
                let data = std::fs::read(out.join(".current")).unwrap_or_default();
                let ext = std::fs::read_to_string(out.join(".current_ext")).unwrap_or_default();
                let yaml = std::fs::read(out.join(".current_yaml")).unwrap_or_default();
                let p = save(&out, "slow", &data, ext.trim(), &yaml, &target);
                let _ = std::fs::remove_file(out.join(".current"));
                eprintln!("an input took > 2 s: kept as {}", p.display());
                std::process::exit(3);
            }
        });
    }
    let t0 = Instant::now();
    let (mut execs, mut panics, mut oks) = (0u64, 0u64, 0u64);
    while t0.elapsed() < Duration::from_secs(secs) {
        let (data, ext, yaml) = &seeds[rng.below(seeds.len())];
        let text = target == "csv";
        let (m, y) = if target == "picasso" && rng.below(5) == 0 {
            (data.clone(), mutate(&mut rng, yaml, true))
        } else {
            (mutate(&mut rng, data, text), yaml.clone())
        };
        let _ = std::fs::write(&current, &m);
        let _ = std::fs::write(out.join(".current_ext"), ext);
        let _ = std::fs::write(out.join(".current_yaml"), &y);
        started.store(epoch.elapsed().as_millis() as u64 + 1, Ordering::SeqCst);
        let r = exec(&target, tmp.path(), &m, ext, &y);
        started.store(0, Ordering::SeqCst);
        execs += 1;
        match r {
            Ok(msg) if msg == "ok" => oks += 1,
            Ok(msg) => {
                let c = class(&msg, tmp.path());
                if kept < 40 && m.len() <= 16 * 1024 && classes.insert(c) {
                    save(&out, "err", &m, ext, &y, &target);
                    kept += 1;
                }
            }
            Err(msg) => {
                panics += 1;
                let p = save(&out, "panic", &m, ext, &y, &target);
                eprintln!("PANIC ({msg}): kept as {}", p.display());
            }
        }
    }
    let _ = std::fs::remove_file(&current);
    let _ = std::fs::remove_file(out.join(".current_ext"));
    let _ = std::fs::remove_file(out.join(".current_yaml"));
    println!(
        "{target}: {execs} executions in {:.0} s ({oks} loaded, {panics} panics, {kept} new error classes kept), seed {seed}",
        t0.elapsed().as_secs_f64()
    );
}
