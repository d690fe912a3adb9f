//! Checkpoints: a U-Net's weights in safetensors plus a JSON sidecar.
//!
//! For a checkpoint `path` (e.g. `model.safetensors`):
//!
//! * `path`: every variable of the net by name (convolution weights, BatchNorm
//!   scales/shifts **and running statistics**), candle's safetensors writer;
//! * `path.json`: `{"format": "locus-unet", "version": 1, "config": {…},
//!   "training": {…} | null}` — the [`UNetConfig`] and, for training
//!   checkpoints, the [`TrainState`] (epochs done, steps, history);
//! * `path.adam` (training checkpoints only): the Adam moments and step count
//!   (safetensors), so that a resumed run continues exactly.
//!
//! Each file is written to `<file>.tmp-<pid>` and renamed into place; the
//! weights (and optimiser state) are written before the JSON, so a complete
//! sidecar always describes complete weights.

use crate::error::{Error, Result};
use crate::nn::adam::{Adam, AdamConfig};
use crate::nn::history::EpochReport;
use crate::nn::unet::{UNet, UNetConfig};
use candle_core::{DType, Device};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

const FORMAT: &str = "locus-unet";
const VERSION: u32 = 1;

/// Training progress stored with a checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainState {
    /// Completed epochs.
    pub epoch: usize,
    /// Optimiser steps taken (including those of an interrupted epoch).
    pub step: u64,
    /// Adam hyper-parameters in use.
    pub adam: AdamConfig,
    /// Per-epoch reports so far.
    pub history: Vec<EpochReport>,
    /// Training time so far in seconds.
    pub elapsed_s: f64,
}

/// The JSON sidecar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sidecar {
    /// Always `"locus-unet"`.
    pub format: String,
    /// Format version (1).
    pub version: u32,
    /// The architecture.
    pub config: UNetConfig,
    /// Training state, for checkpoints written by training.
    pub training: Option<TrainState>,
}

/// `<path>.json`.
pub fn sidecar_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".json");
    PathBuf::from(s)
}

/// `<path>.adam`.
pub fn adam_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".adam");
    PathBuf::from(s)
}

fn tmp_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(format!(".tmp-{}", std::process::id()));
    PathBuf::from(s)
}

/// Write with `write` to a temporary file beside `path`, then rename.
fn atomic<F: FnOnce(&Path) -> Result<()>>(path: &Path, write: F) -> Result<()> {
    let tmp = tmp_path(path);
    if let Err(e) = write(&tmp) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })
}

/// Save `net` (and, when training, its state and optimiser) to `path`.
pub fn save(net: &UNet, path: &Path, training: Option<(&TrainState, &Adam)>) -> Result<()> {
    if let Some(dir) = path.parent() {
        if !dir.as_os_str().is_empty() && !dir.is_dir() {
            return Err(Error::io(
                path,
                std::io::Error::new(std::io::ErrorKind::NotFound, "the folder does not exist"),
            ));
        }
    }
    atomic(path, |tmp| {
        net.varmap()
            .save(tmp)
            .map_err(|e| Error::format(path, format!("cannot write weights: {e}")))
    })?;
    if let Some((_, adam)) = training {
        let p = adam_path(path);
        atomic(&p, |tmp| adam.save(tmp))?;
    }
    let side = Sidecar {
        format: FORMAT.into(),
        version: VERSION,
        config: net.config().clone(),
        training: training.map(|(s, _)| s.clone()),
    };
    let json = serde_json::to_string_pretty(&side)
        .map_err(|e| Error::Nn(format!("cannot serialise the checkpoint sidecar: {e}")))?;
    let sp = sidecar_path(path);
    atomic(&sp, |tmp| {
        std::fs::write(tmp, json).map_err(|e| Error::io(&sp, e))
    })
}

/// Read and check the sidecar of checkpoint `path`.
pub fn read_sidecar(path: &Path) -> Result<Sidecar> {
    let sp = sidecar_path(path);
    let text = std::fs::read_to_string(&sp).map_err(|e| Error::io(&sp, e))?;
    let side: Sidecar = serde_json::from_str(&text)
        .map_err(|e| Error::format(&sp, format!("not a locus U-Net sidecar: {e}")))?;
    if side.format != FORMAT {
        return Err(Error::format(
            &sp,
            format!("format is {:?}, expected {FORMAT:?}", side.format),
        ));
    }
    if side.version != VERSION {
        return Err(Error::format(
            &sp,
            format!("unsupported version {}", side.version),
        ));
    }
    side.config.validate()?;
    Ok(side)
}

/// Load the weights of checkpoint `path` into `net` (same architecture) and
/// check that the BatchNorm running statistics are finite.
pub fn load_weights(net: &UNet, path: &Path) -> Result<()> {
    if !path.is_file() {
        return Err(Error::io(
            path,
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such checkpoint file"),
        ));
    }
    let mut vm = net.varmap().clone();
    vm.load(path)
        .map_err(|e| Error::format(path, format!("cannot load weights: {e}")))?;
    for (name, v) in net
        .varmap()
        .data()
        .lock()
        .map_err(|_| Error::Nn("variable map poisoned".into()))?
        .iter()
    {
        let s = v
            .as_tensor()
            .sum_all()?
            .to_dtype(DType::F64)?
            .to_scalar::<f64>()?;
        if !s.is_finite() {
            return Err(Error::format(
                path,
                format!("{name} holds NaN or infinite values"),
            ));
        }
    }
    Ok(())
}

impl UNet {
    /// Save the weights (with BatchNorm running statistics) to `path`
    /// (safetensors) and the configuration to `path.json`.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        save(self, path.as_ref(), None)
    }

    /// Load a net saved by [`UNet::save`] or by training onto `device`.
    pub fn load(path: impl AsRef<Path>, device: &Device) -> Result<UNet> {
        let path = path.as_ref();
        let side = read_sidecar(path)?;
        let net = UNet::new(side.config, device)?;
        load_weights(&net, path)?;
        Ok(net)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::predict::PredictOptions;
    use ndarray::Array2;

    #[test]
    fn save_load_identical_predictions() {
        let cfg = UNetConfig {
            depth: 3,
            filters: 4,
            seed: 5,
            ..Default::default()
        };
        let net = UNet::new(cfg.clone(), &Device::Cpu).unwrap();
        // Change the running statistics so that they matter.
        let x = candle_core::Tensor::randn(0f32, 1.0, (2, 1, 16, 16), &Device::Cpu).unwrap();
        net.forward(&x, true).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.safetensors");
        net.save(&p).unwrap();
        assert!(sidecar_path(&p).is_file());
        let loaded = UNet::load(&p, &Device::Cpu).unwrap();
        assert_eq!(loaded.config(), &cfg);
        let img = Array2::from_shape_fn((24, 40), |(i, j)| ((i * 5 + j * 3) % 7) as f32);
        let o = PredictOptions {
            tile: 16,
            ..Default::default()
        };
        assert_eq!(
            net.predict(img.view(), &o).unwrap(),
            loaded.predict(img.view(), &o).unwrap()
        );
        // A fresh net with another seed differs (the test can fail).
        let other = UNet::new(
            UNetConfig {
                seed: 6,
                ..cfg.clone()
            },
            &Device::Cpu,
        )
        .unwrap();
        assert_ne!(
            net.predict(img.view(), &o).unwrap(),
            other.predict(img.view(), &o).unwrap()
        );
        // No temporary files left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[test]
    fn upsample_is_recorded_and_old_sidecars_load_as_transpose() {
        use crate::nn::unet::Upsample;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("rc.safetensors");
        let cfg = UNetConfig {
            depth: 3,
            filters: 4,
            upsample: Upsample::ResizeConv,
            ..Default::default()
        };
        let net = UNet::new(cfg.clone(), &Device::Cpu).unwrap();
        net.save(&p).unwrap();
        let text = std::fs::read_to_string(sidecar_path(&p)).unwrap();
        assert!(text.contains("\"upsample\": \"resize_conv\""), "{text}");
        let loaded = UNet::load(&p, &Device::Cpu).unwrap();
        assert_eq!(loaded.config().upsample, Upsample::ResizeConv);
        let img = Array2::from_shape_fn((16, 16), |(i, j)| ((i * 3 + j) % 5) as f32);
        let o = PredictOptions {
            tile: 16,
            ..Default::default()
        };
        assert_eq!(
            net.predict(img.view(), &o).unwrap(),
            loaded.predict(img.view(), &o).unwrap()
        );
        // A sidecar written before the option existed (no "upsample" key)
        // describes a transposed-convolution net and loads as one.
        let q = dir.path().join("old.safetensors");
        let old = UNet::new(
            UNetConfig {
                upsample: Upsample::Transpose,
                ..cfg.clone()
            },
            &Device::Cpu,
        )
        .unwrap();
        old.save(&q).unwrap();
        let mut side: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(sidecar_path(&q)).unwrap()).unwrap();
        side["config"].as_object_mut().unwrap().remove("upsample");
        std::fs::write(sidecar_path(&q), serde_json::to_string(&side).unwrap()).unwrap();
        assert_eq!(
            UNet::load(&q, &Device::Cpu).unwrap().config().upsample,
            Upsample::Transpose
        );
        // Weights of one upsampling with the sidecar of the other: an error.
        std::fs::copy(&p, &q).unwrap();
        assert!(UNet::load(&q, &Device::Cpu).is_err());
    }

    #[test]
    fn load_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("none.safetensors");
        let e = UNet::load(&p, &Device::Cpu).unwrap_err().to_string();
        assert!(e.contains("none.safetensors.json"), "{e}");
        std::fs::write(sidecar_path(&p), "{\"format\": 3}").unwrap();
        let e = UNet::load(&p, &Device::Cpu).unwrap_err().to_string();
        assert!(e.contains("not a locus U-Net sidecar"), "{e}");
        // Sidecar of one architecture, weights of another.
        let a = UNet::new(
            UNetConfig {
                depth: 3,
                filters: 4,
                ..Default::default()
            },
            &Device::Cpu,
        )
        .unwrap();
        let b = UNet::new(
            UNetConfig {
                depth: 3,
                filters: 8,
                ..Default::default()
            },
            &Device::Cpu,
        )
        .unwrap();
        a.save(&p).unwrap();
        b.varmap().save(&p).unwrap();
        assert!(UNet::load(&p, &Device::Cpu).is_err());
        assert!(a.save(dir.path().join("missing/dir/m.safetensors")).is_err());
    }
}
