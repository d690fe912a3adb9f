//! The test data shipped with the repository (`tests/data/`, see its README):
//! real Picasso tables and crops of the paper's training pairs. Tests find
//! them here, never outside the repository.
use std::path::PathBuf;

/// Path of `rel` under `tests/data/`; panics (failing the test) with the
/// missing path named when it is absent.
pub fn path(rel: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel);
    assert!(p.exists(), "test data file missing: {}", p.display());
    p
}
