//! The GPU check and benchmark scripts (scripts/gpu/) run through the binary
//! with the CPU device and small sizes, and a CUDA device that cannot be used
//! fails with one line. On a GPU machine `scripts/gpu/run.sh` runs the same
//! scripts with `--device=cuda` at full size (docs/gpu.md).
mod common;
use common::*;

#[test]
fn check_script_passes_cpu_against_cpu() {
    let dir = tempfile::tempdir().unwrap();
    let out = format!("--out={}", dir.path().display());
    let (code, stdout, stderr) = run(&["run", "scripts/gpu/check.rhai", "--device=cpu", "--quick", &out]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    // Five comparisons, each exact with the same device on both sides.
    let oks: Vec<&str> = stdout.lines().filter(|l| l.starts_with("ok ")).collect();
    assert_eq!(oks.len(), 5, "{stdout}");
    assert!(
        oks.iter().all(|l| l.contains("max relative difference 0.0 ")),
        "{stdout}"
    );
    assert!(
        stdout.contains("all 5 checks passed (cpu against cpu)"),
        "{stdout}"
    );
    // The checkpoint trained "on the device" was written and read back.
    assert!(dir.path().join("trained-on-device.safetensors").is_file());
    assert!(dir.path().join("trained-on-device.safetensors.json").is_file());
}

#[test]
fn bench_script_measures_on_the_cpu() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("bench.csv");
    let out = format!("--out={}", csv.display());
    let (code, stdout, stderr) = run(&[
        "run",
        "scripts/gpu/bench.rhai",
        "--device=cpu",
        "--quick",
        "--steps=2",
        &out,
    ]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let text = std::fs::read_to_string(&csv).unwrap();
    let rows: Vec<Vec<&str>> = text.lines().skip(1).map(|l| l.split(',').collect()).collect();
    // Quick: training at 64² with batch 1 and 2, then one prediction.
    assert_eq!(rows.len(), 3, "{text}");
    let cases: Vec<(&str, &str, &str, &str)> = rows.iter().map(|r| (r[0], r[1], r[2], r[3])).collect();
    assert_eq!(
        cases,
        [
            ("cpu", "train", "64", "1"),
            ("cpu", "train", "64", "2"),
            ("cpu", "predict", "256", "4")
        ]
    );
    for r in &rows {
        assert_eq!(r.len(), 7, "{r:?}");
        let secs: f64 = r[5].parse().unwrap();
        let rate: f64 = r[6].parse().unwrap();
        assert!(secs > 0.0 && rate > 0.0, "{r:?}");
        if r[1] == "train" {
            assert_eq!(r[4], "2", "{r:?}");
            assert!((rate * secs - 2.0).abs() < 1e-6, "{r:?}");
        }
    }
    assert!(stdout.contains("train 64² batch 2:"), "{stdout}");
}

#[test]
fn gpu_scripts_reject_unknown_arguments() {
    for s in ["scripts/gpu/check.rhai", "scripts/gpu/bench.rhai"] {
        let (code, _, err) = run(&["run", s, "--devise=cpu"]);
        assert_eq!(code, 1, "{s}: {err}");
        assert!(err.contains("unknown argument --devise=cpu"), "{s}: {err}");
    }
}

/// A CUDA device that cannot be used (no CUDA in this build, or the build's
/// stub driver, or no GPU) is a one-line error (plus the host's source line
/// and caret), never a panic or backtrace, also with RUST_BACKTRACE set.
#[test]
fn unusable_cuda_device_fails_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.safetensors");
    let (code, _, err) = run(&[
        "-e",
        &format!(
            "unet(#{{ depth: 2, filters: 2 }}).save({:?})",
            model.to_str().unwrap()
        ),
    ]);
    assert_eq!(code, 0, "{err}");
    for code_text in [
        "unet(#{ device: \"cuda\" })".to_string(),
        format!(
            "load_unet({:?}, #{{ device: \"cuda\" }})",
            model.to_str().unwrap()
        ),
    ] {
        let out = locus()
            .args(["-e", &code_text])
            .env("RUST_BACKTRACE", "1")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        if out.status.success() {
            // A build with CUDA on a machine with a GPU.
            continue;
        }
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(
            !err.contains("panicked") && !err.contains("backtrace") && !err.contains("   0: "),
            "{err}"
        );
        assert!(err.lines().count() <= 3, "{err}");
        let first = err.lines().next().unwrap_or("");
        assert!(first.contains("device: "), "{err}");
        assert!(
            first.contains("--features cuda") || first.contains("no usable CUDA driver or device"),
            "{err}"
        );
    }
}
