//! The U-Net of the paper in candle (docs/methods.md §7; paper "Deep Neural
//! Network" and "Network Training").
//!
//! * [`unet`]: the pix2pix generator ([`UNet`], [`UNetConfig`], [`Upsample`]);
//!   [`predict`]: inference with tiling ([`UNet::predict`], [`PredictOptions`]).
//! * [`loss`]: MS-SSIM, differentiable area-FRC, L1, MSE and their weighted sum.
//! * [`data`]: training pairs, random rotated patches, normalisation, batches.
//! * [`train`]: the training loop with validation, progress, Ctrl-C and resume;
//!   [`history`]: its per-epoch records and their loss-curve figure.
//! * [`checkpoint`]: safetensors weights + JSON sidecar (+ optimiser state).
//! * [`adam`]: Adam with a fused in-place update on the CPU.
//! * [`ops`]: im2col/col2im convolution kernels for the CPU.
//!
//! Threads on the CPU: the convolutions (GEMMs of the `gemm` crate,
//! im2col/col2im), BatchNorm, LeakyReLU, Adam and the cutting of a batch's
//! patches run on rayon's global pool (`RAYON_NUM_THREADS`; results do not
//! depend on its size, see `train`'s tests). candle's own element-wise ops
//! (the loss, skip concatenations, gradient sums) use candle's separate pool
//! (`CANDLE_NUM_THREADS`, default the core count), whose caller spin-waits
//! for its workers: on a machine with more runnable threads than cores that
//! spinning burnt about half the CPU time of a training step (measured on 2
//! loaded cores: 410–500 ms of CPU per step with the default, 210 ms with
//! `CANDLE_NUM_THREADS=1`, and a shorter step).

pub mod adam;
pub mod checkpoint;
pub mod data;
pub mod history;
pub mod loss;
pub mod ops;
pub mod predict;
pub mod tables;
pub mod train;
pub mod unet;

pub use data::{make_patch, normalize, Pairs, PatchOptions};
pub use history::{EpochReport, History, HistoryPlotOptions};
pub use loss::{AreaFrc, Loss, LossTerms, LossWeights};
pub use predict::PredictOptions;
pub use train::{train, TrainOptions};
pub use unet::{UNet, UNetConfig, Upsample};

use crate::error::{Error, Result};
use candle_core::Device;

/// The compute device for `"cpu"` or `"cuda"` (`"cuda:N"` for GPU N). CUDA
/// needs a build with `--features cuda`.
pub fn device(name: &str) -> Result<Device> {
    let name = name.trim().to_ascii_lowercase();
    if name == "cpu" {
        return Ok(Device::Cpu);
    }
    let ordinal = match name.as_str() {
        "cuda" | "gpu" => Some(0),
        s => s.strip_prefix("cuda:").and_then(|n| n.parse::<usize>().ok()),
    };
    match ordinal {
        Some(i) => {
            if cfg!(feature = "cuda") {
                Ok(Device::new_cuda(i)?)
            } else {
                Err(Error::arg(
                    "device",
                    "this locus was built without CUDA support; rebuild with `cargo build --release --features cuda`",
                ))
            }
        }
        None => Err(Error::arg(
            "device",
            format!("expected \"cpu\", \"cuda\" or \"cuda:N\", got {name:?}"),
        )),
    }
}

#[cfg(test)]
pub(crate) mod tests_util {
    use candle_core::{DType, Tensor};

    /// Largest absolute element difference.
    pub fn max_abs_diff(a: &Tensor, b: &Tensor) -> f64 {
        (a - b)
            .and_then(|d| d.abs())
            .and_then(|d| d.flatten_all())
            .and_then(|d| d.max(0))
            .and_then(|d| d.to_dtype(DType::F64))
            .and_then(|d| d.to_scalar::<f64>())
            .unwrap_or(f64::INFINITY)
    }

    #[test]
    fn device_selection() {
        assert!(super::device("cpu").is_ok());
        let e = super::device("cuda").unwrap_err().to_string();
        if !cfg!(feature = "cuda") {
            assert!(e.contains("--features cuda"), "{e}");
        }
        assert!(super::device("tpu").is_err());
    }
}
