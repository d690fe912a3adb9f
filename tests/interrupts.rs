//! Ctrl-C (SIGINT) stops long native work promptly: `locus run` on a script
//! doing a long AKDE, FRC of large images, or training gets SIGINT about 1 s
//! into the work and must exit within 2 s with a clear message; training
//! must have written its checkpoint first.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// Start `locus run script`, wait for the line "start" on stdout, wait
/// `delay`, send SIGINT; return (seconds from SIGINT to exit, exit code,
/// stderr).
fn interrupt_after(script: &Path, delay: Duration) -> (f64, Option<i32>, String) {
    let mut child: Child = common::locus()
        .args(["run", script.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        let n = out.read_line(&mut line).unwrap();
        assert!(n > 0, "the script ended before printing `start`");
        if line.trim() == "start" {
            break;
        }
    }
    std::thread::sleep(delay);
    assert!(
        child.try_wait().unwrap().is_none(),
        "the work finished before the interrupt: make it longer"
    );
    let pid = child.id().to_string();
    let t0 = Instant::now();
    let st = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(st.success());
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if t0.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let took = t0.elapsed().as_secs_f64();
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    (took, status.code(), err)
}

fn dense_npy(path: &Path, side: usize) {
    let data = ndarray::Array2::from_shape_fn((side, side), |(r, c)| {
        ((r.wrapping_mul(7919) ^ c.wrapping_mul(104_729)) % 1000) as f32 / 1000.0
    });
    locus::image::Image::new(data, 10.0).save(path).unwrap();
}

fn check(what: &str, took: f64, code: Option<i32>, err: &str) {
    eprintln!("{what}: exited {took:.2} s after SIGINT; stderr:\n{err}");
    assert!(took < 2.0, "{what}: exited {took:.2} s after SIGINT\n{err}");
    assert_eq!(code, Some(1), "{what}: exit code\n{err}");
    assert!(err.contains("interrupted"), "{what}: no clear message:\n{err}");
    assert!(!err.contains("panicked"), "{what}: {err}");
}

#[test]
fn sigint_stops_akde() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("dense.npy");
    dense_npy(&img, 6000);
    let s = dir.path().join("akde.rhai");
    std::fs::write(
        &s,
        format!(
            "let a = load_image({:?});\nprint(\"start\");\nlet b = a.akde(#{{ window: 11, scale: 10.0 }});\nlet c = b.akde(#{{ window: 11, scale: 10.0 }});\n",
            img.to_str().unwrap()
        ),
    )
    .unwrap();
    let (took, code, err) = interrupt_after(&s, Duration::from_millis(800));
    check("akde", took, code, &err);
    assert!(err.contains("akde"), "{err}");
}

#[test]
fn sigint_stops_frc() {
    let dir = tempfile::tempdir().unwrap();
    let s = dir.path().join("frc.rhai");
    std::fs::write(
        &s,
        "let a = zeros(8192, 8192, 10.0) + 1.0;\nprint(\"start\");\nlet c = frc(a, a);\nlet d = frc(a, a);\n",
    )
    .unwrap();
    let (took, code, err) = interrupt_after(&s, Duration::from_millis(1000));
    check("frc", took, code, &err);
}

#[test]
fn sigint_stops_training_after_a_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("model.safetensors");
    let s = dir.path().join("train.rhai");
    std::fs::write(
        &s,
        format!(
            "let a = zeros(128, 128, 10.0) + 1.0;\n\
             let p = training_pairs([[a, a]], #{{ patch: 64 }});\n\
             let n = unet(#{{ depth: 4, filters: 16, seed: 1 }});\n\
             print(\"start\");\n\
             let h = n.train(p, #{{ epochs: 100000, loss: #{{ ms_ssim: 0.0, l1: 1.0 }}, checkpoint: {:?} }});\n\
             print(\"after train\");\n",
            ck.to_str().unwrap()
        ),
    )
    .unwrap();
    let (took, code, err) = interrupt_after(&s, Duration::from_millis(1000));
    check("train", took, code, &err);
    assert!(ck.is_file(), "no checkpoint written on Ctrl-C\n{err}");
    let net = locus::nn::UNet::load(&ck, &candle_core::Device::Cpu);
    assert!(net.is_ok(), "checkpoint does not load: {:?}", net.err());
}
