//! Replays `tests/fuzz_corpus/<target>/` (inputs kept by
//! `examples/fuzz_readers.rs`: ones that once panicked, aborted or hung,
//! and one mutant per kind of error): every file must load or give an
//! error, never panic, and within a few seconds.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn files(target: &str, exts: &[&str]) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz_corpus")
        .join(target);
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            !name.starts_with('.')
                && p.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| exts.contains(&e))
        })
        .collect();
    out.sort();
    out
}

fn replay(target: &str, exts: &[&str], load: impl Fn(&Path) -> locus::Result<()>) {
    let files = files(target, exts);
    assert!(!files.is_empty(), "no {target} corpus files");
    let mut bad = Vec::new();
    for f in &files {
        let t0 = Instant::now();
        let r = catch_unwind(AssertUnwindSafe(|| load(f)));
        if r.is_err() {
            bad.push(format!("{}: panicked", f.display()));
        }
        if t0.elapsed() > Duration::from_secs(5) {
            bad.push(format!("{}: took {:?}", f.display(), t0.elapsed()));
        }
    }
    assert!(
        bad.is_empty(),
        "{} of {} inputs failed:\n{}",
        bad.len(),
        files.len(),
        bad.join("\n")
    );
}

#[test]
fn picasso_corpus_never_panics() {
    replay("picasso", &["hdf5"], |p| {
        locus::locs::Locs::load(p, None, None).map(|_| ())
    });
}

#[test]
fn csv_corpus_never_panics() {
    replay("csv", &["csv"], |p| {
        locus::locs::Locs::load(p, None, None).map(|_| ())
    });
}

#[test]
fn image_corpus_never_panics() {
    replay("image", &["tif", "png", "npy"], |p| {
        locus::image::io::load_image(p).map(|_| ())
    });
}
