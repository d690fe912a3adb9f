//! The U-Net's differentiable area-FRC (truncated DFT as matrix products)
//! equals the FFT-based `frc::area_frc` (docs/methods.md §5, §7) to 1e-4.

use candle_core::{DType, Device, Tensor};
use locus::frc::area_frc;
use locus::nn::AreaFrc;
use ndarray::Array2;
use rand::{Rng, SeedableRng};

fn images(h: usize, w: usize, seed: u64) -> (Array2<f32>, Array2<f32>) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    // A shared smooth structure plus independent noise: FRC between 0 and 1.
    let base = Array2::from_shape_fn((h, w), |(r, c)| {
        ((r as f32 * 0.21).sin() + (c as f32 * 0.13).cos()) * 0.5
    });
    let a = &base + &Array2::from_shape_fn((h, w), |_| rng.random_range(-0.5f32..0.5));
    let b = &base + &Array2::from_shape_fn((h, w), |_| rng.random_range(-0.5f32..0.5));
    (a, b)
}

fn tensor(a: &Array2<f32>) -> Tensor {
    let (h, w) = a.dim();
    Tensor::from_iter(a.iter().copied(), &Device::Cpu)
        .unwrap()
        .reshape((1, 1, h, w))
        .unwrap()
}

#[test]
fn dft_area_frc_equals_fft_area_frc() {
    for (h, w, fraction, seed) in [
        (64, 64, 0.39, 1),
        (96, 96, 0.2, 2),
        (65, 65, 0.5, 3),
        (128, 128, 1.0, 4),
    ] {
        let (a, b) = images(h, w, seed);
        let fft = area_frc(a.view(), b.view(), fraction).unwrap();
        let dft = AreaFrc::new(h, w, fraction, &Device::Cpu).unwrap();
        let v = dft.area(&tensor(&a), &tensor(&b)).unwrap();
        let v = v
            .flatten_all()
            .unwrap()
            .to_dtype(DType::F64)
            .unwrap()
            .to_vec1::<f64>()
            .unwrap()[0];
        assert!(
            (v - fft).abs() < 1e-4,
            "{h}x{w} φ={fraction}: DFT {v} vs FFT {fft}"
        );
        assert!(fft > 0.05 && fft < 0.99, "a non-trivial test case: {fft}");
    }
}
