//! A training run killed with SIGKILL at a random moment after its first
//! checkpoint leaves a checkpoint that loads, and `resume: true` finishes the
//! run from it.

mod common;

use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const EPOCHS: usize = 30;

fn script(dir: &Path, ck: &Path, resume: bool) -> std::path::PathBuf {
    let s = dir.join(if resume { "resume.rhai" } else { "train.rhai" });
    std::fs::write(
        &s,
        format!(
            "let a = zeros(128, 128, 10.0) + 1.0;\n\
             let p = training_pairs([[a, a], [a, a], [a, a], [a, a]], #{{ patch: 64 }});\n\
             let n = unet(#{{ depth: 4, filters: 16, seed: 1 }});\n\
             let h = n.train(p, #{{ epochs: {EPOCHS}, seed: 2, loss: #{{ ms_ssim: 0.0, l1: 1.0 }}, checkpoint: {:?}, resume: {resume} }});\n\
             print(`epochs ${{h.epochs}} steps ${{h.steps}}`);\n",
            ck.to_str().unwrap()
        ),
    )
    .unwrap();
    s
}

#[test]
fn checkpoint_survives_sigkill_and_resume_finishes() {
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("model.safetensors");
    let mut child = common::locus()
        .args(["run", script(dir.path(), &ck, false).to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while !ck.is_file() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "training ended before a checkpoint"
        );
        assert!(t0.elapsed() < Duration::from_secs(60), "no checkpoint after 60 s");
        std::thread::sleep(Duration::from_millis(5));
    }
    // A random moment within the next ~0.6 s (several checkpoint writes).
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    std::thread::sleep(Duration::from_millis((nanos % 600) as u64));
    let still_running = child.try_wait().unwrap().is_none();
    let pid = child.id().to_string();
    std::process::Command::new("kill")
        .args(["-KILL", &pid])
        .status()
        .unwrap();
    let _ = child.wait();
    assert!(still_running, "training finished before SIGKILL: make it longer");
    // The checkpoint loads (from Rust and from a script).
    let net = locus::nn::UNet::load(&ck, &candle_core::Device::Cpu);
    assert!(
        net.is_ok(),
        "checkpoint after SIGKILL does not load: {:?}",
        net.err()
    );
    let (code, _out, err) = common::run(&["-e", &format!("load_unet({:?}).depth", ck.to_str().unwrap())]);
    assert_eq!(code, 0, "{err}");
    // No temporary files left beside it are mistaken for checkpoints; resume finishes.
    let out = common::locus()
        .args(["run", script(dir.path(), &ck, true).to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "resume failed:\n{stderr}");
    assert!(
        stdout.contains(&format!("epochs {EPOCHS}")),
        "resume did not finish all epochs:\n{stdout}\n{stderr}"
    );
}
