//! Training records (METHODS.md §7, "Network Training"): one [`EpochReport`]
//! per epoch and the [`History`] of a run. Plain data, shared by the training
//! loop ([`crate::nn::train`], which produces them) and the checkpoints
//! ([`crate::nn::checkpoint`], which store them), so that neither of those
//! two modules depends on the other's types.

use crate::error::{Error, Result};
use crate::nn::loss::LossTerms;
use serde::{Deserialize, Serialize};

/// What one epoch did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochReport {
    /// Epoch number, 1-based.
    pub epoch: usize,
    /// Total optimiser steps after this epoch.
    pub step: u64,
    /// Mean of each loss term over the epoch's steps.
    pub train: LossTerms,
    /// Loss terms on the validation patches (inference mode), if any.
    pub validation: Option<LossTerms>,
    /// Training time since the start (including resumed runs), seconds.
    pub elapsed_s: f64,
    /// Mean time of one step in this epoch, seconds.
    pub step_s: f64,
}

/// The result of [`train`](crate::nn::train::train).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct History {
    /// One report per finished epoch (including those of resumed runs).
    pub epochs: Vec<EpochReport>,
    /// Total optimiser steps.
    pub steps: u64,
    /// Total training time, seconds.
    pub elapsed_s: f64,
    /// Stopped by Ctrl-C.
    pub interrupted: bool,
    /// Epochs already done in the checkpoint this run resumed from.
    pub resumed_from: Option<usize>,
}

impl History {
    /// Per-epoch training values of one term: "total", "ms_ssim", "frc", "l1", "mse".
    pub fn train_loss(&self, term: &str) -> Result<Vec<f64>> {
        self.epochs.iter().map(|e| term_of(&e.train, term)).collect()
    }

    /// Per-epoch validation values of one term (NaN where there was none).
    pub fn validation_loss(&self, term: &str) -> Result<Vec<f64>> {
        self.epochs
            .iter()
            .map(|e| e.validation.as_ref().map_or(Ok(f64::NAN), |v| term_of(v, term)))
            .collect()
    }
}

fn term_of(t: &LossTerms, term: &str) -> Result<f64> {
    Ok(match term {
        "total" => t.total,
        "ms_ssim" => t.ms_ssim,
        "frc" => t.frc,
        "l1" => t.l1,
        "mse" => t.mse,
        _ => {
            return Err(Error::arg(
                "term",
                format!("expected total, ms_ssim, frc, l1 or mse, got {term:?}"),
            ))
        }
    })
}
