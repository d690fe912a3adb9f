//! The pretrained model shipped in `models/` (trained by scripts/train_model.sh;
//! provenance in models/locus_frcnet.provenance.json): it loads, predicts a
//! known crop of a real input to stored values, and reconstructs the
//! Picasso sample tables through examples/reconstruct.rhai.
mod common;
use common::*;
use locus::nn::{PredictOptions, UNet};

const MODEL: &str = "models/locus_frcnet.safetensors";

/// mean, max and out[10, 20] of the prediction of the crop.
const EXPECTED: (f64, f64, f64) = (-0.842813, 0.936828, -0.987907);

#[test]
fn shipped_model_predicts_a_known_crop() {
    let net =
        UNet::load(repo_root().join(MODEL), &candle_core::Device::Cpu).expect("the shipped model loads");
    let img = locus::image::io::load_image(test_data("frcnet/spot04_sub.png")).unwrap();
    let crop = img.crop(128, 128, 256, 256).unwrap();
    let out = net
        .predict(
            crop.data.view(),
            &PredictOptions {
                tile: 256,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(out.dim(), (256, 256));
    let mean = out.iter().map(|&v| v as f64).sum::<f64>() / out.len() as f64;
    let max = out.iter().cloned().fold(f32::MIN, f32::max) as f64;
    let corner = out[[10, 20]] as f64;
    eprintln!("mean {mean:.6}, max {max:.6}, out[10, 20] {corner:.6}");
    // Stored when the model was trained (tolerance for BLAS/thread differences).
    let (want_mean, want_max, want_corner) = EXPECTED;
    assert!((mean - want_mean).abs() < 1e-3, "mean {mean} vs {want_mean}");
    assert!((max - want_max).abs() < 1e-3, "max {max} vs {want_max}");
    assert!(
        (corner - want_corner).abs() < 1e-3,
        "out[10, 20] {corner} vs {want_corner}"
    );
}

#[test]
fn reconstruct_example_runs_on_the_picasso_samples() {
    for f in [
        "raw_movie_locs.hdf5",
        "raw_movie_locs_picked.hdf5",
        "testdata_locs.hdf5",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let input = test_data(&format!("picasso/{f}"));
        let (code, out, err) = run(&[
            "run",
            "examples/reconstruct.rhai",
            input.to_str().unwrap(),
            &format!("--out={}", dir.path().display()),
        ]);
        assert_eq!(code, 0, "{f}: {err}");
        assert!(out.contains("reconstruction: Image"), "{f}: {out}");
        for name in ["reconstruction.tif", "panel.png", "frc.svg", "frc.csv"] {
            assert!(dir.path().join(name).exists(), "{f}: {name} missing");
        }
        let rec = locus::image::io::load_image(dir.path().join("reconstruction.tif")).unwrap();
        assert!(rec.max().unwrap() <= 1.0 && rec.min().unwrap() >= -1.0);
    }
}
