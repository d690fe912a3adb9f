//! Every script under examples/ runs (quick mode) and succeeds.
//!
//! Each example takes `--quick` (small sizes) and `--out=DIR` (where its files
//! go). The examples assert their own results; this test also checks that
//! each one wrote the files it promises (listed in `EXPECTED`).
mod common;
use common::*;
use std::path::{Path, PathBuf};

/// Files each example must write into its output folder.
const EXPECTED: &[(&str, &[&str])] = &[
    ("hello.rhai", &[]),
    (
        "quickstart.rhai",
        &["render.png", "render.tif", "sim.hdf5", "sim.yaml", "frc.svg"],
    ),
    ("akde_vs_gaussian.rhai", &["panel.svg", "profile.svg"]),
    (
        "columns.rhai",
        &["with_sigma.hdf5", "with_sigma.yaml", "photons.svg", "sxsy.svg"],
    ),
    (
        "preprocess.rhai",
        &[
            "drift.svg",
            "drift.csv",
            "nena.svg",
            "render_precision.png",
            "frc.svg",
        ],
    ),
    (
        "reconstruct.rhai",
        &["reconstruction.tif", "panel.png", "frc.svg", "frc.csv"],
    ),
    (
        "frc_resolution.rhai",
        &["frc.svg", "frc_random.csv", "frc_frames.csv"],
    ),
    (
        "train_unet.rhai",
        &[
            "loss.svg",
            "panel.svg",
            "unet.safetensors",
            "unet.safetensors.json",
            "unet_final.safetensors",
            "unet_final.safetensors.json",
        ],
    ),
    (
        "fig1_akde.rhai",
        &["fig1c_panel.svg", "fig1c_profiles.svg", "fig1c_fwhm.svg"],
    ),
    (
        "fig2_frc_vs_fraction.rhai",
        &["fig2a_cutoff.svg", "fig2b_halves.svg", "fig2c_area.svg"],
    ),
    (
        "fig3d_targets.rhai",
        &[
            "fig3d_loss.svg",
            "fig3d_akde_history.svg",
            "fig3d_gaussian_history.svg",
        ],
    ),
    (
        "fig4a_losses.rhai",
        &["fig4a_metrics.svg", "fig4a_psnr.svg", "fig4a_predictions.svg"],
    ),
    (
        "fig4c_two_filaments.rhai",
        &["fig4c_profiles.svg", "fig4c_pairs.svg"],
    ),
];

fn examples(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("examples/ exists") {
        let p = e.unwrap().path();
        if p.is_dir() {
            examples(&p, out);
        } else if p.extension().is_some_and(|x| x == "rhai") {
            out.push(p);
        }
    }
}

#[test]
fn every_example_runs() {
    let mut all = Vec::new();
    examples(&repo_root().join("examples"), &mut all);
    all.sort();
    assert!(!all.is_empty());
    let tmp = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for p in &all {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        let out_dir = tmp.path().join(name.trim_end_matches(".rhai"));
        let rel = p.strip_prefix(repo_root()).unwrap();
        let (code, stdout, stderr) = run(&[
            "run",
            rel.to_str().unwrap(),
            "--quick",
            &format!("--out={}", out_dir.display()),
        ]);
        if code != 0 {
            failures.push(format!("{}: exit {code}\n{stdout}\n{stderr}", rel.display()));
            continue;
        }
        if let Some((_, files)) = EXPECTED.iter().find(|(n, _)| *n == name) {
            for f in *files {
                let fp = out_dir.join(f);
                match std::fs::metadata(&fp) {
                    Ok(m) if m.len() > 0 => {}
                    _ => failures.push(format!("{}: did not write {}", rel.display(), fp.display())),
                }
            }
        }
    }
    assert!(failures.is_empty(), "examples failed:\n{}", failures.join("\n\n"));
}

/// The standard mode of Figure 4C (scripts/paper/standard.sh) at a toy size:
/// the dSTORM-like simulation, the training and the 20-simulation analysis
/// run end to end and write the results table, whatever the claim's verdict.
#[test]
fn fig4c_standard_mode_writes_its_table() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fig4c");
    let (_code, stdout, stderr) = run(&[
        "run",
        "examples/paper/fig4c_two_filaments.rhai",
        "--standard",
        "--sims=1",
        "--epochs=2",
        &format!("--out={}", out.display()),
    ]);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stdout.contains("trained 128 steps on 4 hard simulated tables"),
        "{stdout}\n{stderr}"
    );
    let table = std::fs::read_to_string(out.join("fig4c_standard.md")).expect("the table is written");
    for m in ["| net |", "| gaussian |", "| full |"] {
        assert!(table.contains(m), "{table}");
    }
    assert!(out.join("fig4c_profiles.svg").is_file());
}
