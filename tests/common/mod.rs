//! Helpers shared by the integration tests: run the `locus` binary.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The built `locus` binary.
pub fn locus() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_locus"));
    c.current_dir(repo_root());
    c.env("LOCUS_NO_PROGRESS", "1");
    c
}

/// The repository root (where Cargo.toml is).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Run locus with `args`, return (exit code, stdout, stderr).
pub fn run(args: &[&str]) -> (i32, String, String) {
    let out = locus().args(args).output().expect("the locus binary runs");
    split(out)
}

/// Run locus with `stdin` piped in.
pub fn run_stdin(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = locus()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the locus binary starts");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(stdin.as_bytes())
        .expect("stdin accepts input");
    split(child.wait_with_output().expect("locus finishes"))
}

fn split(out: Output) -> (i32, String, String) {
    let code = out.status.code().unwrap_or(-1);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!stderr.contains("panicked"), "locus panicked:\n{stderr}");
    (code, stdout, stderr)
}

/// Write a script into `dir` and return its path.
pub fn script(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("temp script written");
    p
}

/// A path under the repository's test data (`tests/data/`), with a clear
/// failure when it is missing.
pub fn test_data(rel: &str) -> PathBuf {
    let p = repo_root().join("tests/data").join(rel);
    assert!(p.exists(), "test data file missing: {}", p.display());
    p
}
