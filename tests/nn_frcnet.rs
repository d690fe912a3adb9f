//! The U-Net pipeline on the paper's real training pairs
//! (`tests/data/frcnet/spot01_{sub,full}.png`, 512² crops; FRCnet, MIT): random
//! rotated patches from the full 2040² images, a small net, a few steps; the
//! loss on fixed validation patches must go down, and tiled prediction of a
//! larger region must be finite and in [−1, 1].

use locus::nn::{train, Pairs, PatchOptions, PredictOptions, TrainOptions, UNet, UNetConfig};
use ndarray::{s, Array2};
use std::path::{Path, PathBuf};

/// `tests/data/frcnet`: 512² crops of two of the paper's pairs.
fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/frcnet")
}

/// A grayscale PNG (8 or 16 bit) as f32.
fn read_png(path: &Path) -> Array2<f32> {
    let file =
        std::fs::File::open(path).unwrap_or_else(|e| panic!("test data {} is missing: {e}", path.display()));
    let mut reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .expect("png header");
    let mut buf = vec![0u8; reader.output_buffer_size().expect("png size")];
    let info = reader.next_frame(&mut buf).expect("png data");
    let (w, h) = (info.width as usize, info.height as usize);
    assert_eq!(info.color_type, png::ColorType::Grayscale, "{}", path.display());
    let v: Vec<f32> = match info.bit_depth {
        png::BitDepth::Eight => buf[..w * h].iter().map(|&b| b as f32).collect(),
        png::BitDepth::Sixteen => buf[..2 * w * h]
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]) as f32)
            .collect(),
        d => panic!("unexpected bit depth {d:?}"),
    };
    Array2::from_shape_vec((h, w), v).expect("png shape")
}

#[test]
fn trains_on_real_pairs() {
    let dir = data_dir();
    let sub = read_png(&dir.join("spot01_sub.png"));
    let full = read_png(&dir.join("spot01_full.png"));
    assert_eq!(sub.dim(), full.dim());
    // The 512² crop (the densest region of spot01) keeps the test fast.
    let (a, b) = (sub.clone(), full.clone());
    let pairs = Pairs::new(vec![a.clone(), a.clone()], vec![b.clone(), b.clone()]).unwrap();
    let net = UNet::new(
        UNetConfig {
            depth: 4,
            filters: 8,
            ..Default::default()
        },
        &candle_core::Device::Cpu,
    )
    .unwrap();
    let opts = TrainOptions {
        epochs: 12,
        lr: 2e-3,
        ms_ssim_scales: 3,
        patch: PatchOptions::new(64),
        validation: Some(pairs.clone()),
        seed: 3,
        ..Default::default()
    };
    let h = train(&net, &pairs, &opts, &mut |_| {}).unwrap();
    assert_eq!(h.steps, 24);
    let v = h.validation_loss("total").unwrap();
    let (first, last) = (v[0], v[v.len() - 1]);
    eprintln!("validation total per epoch: {v:?}");
    assert!(last < 0.9 * first, "validation loss {first} -> {last}: {v:?}");
    let frc = h.validation_loss("frc").unwrap();
    assert!(frc.iter().all(|f| f.is_finite()));
    // Tiled prediction of a 200 × 150 region.
    let out = net
        .predict(
            a.slice(s![100..300, 50..200]),
            &PredictOptions {
                tile: 64,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(out.dim(), (200, 150));
    assert!(out.iter().all(|v| v.is_finite() && v.abs() <= 1.0));
}
