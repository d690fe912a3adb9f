//! Training records (docs/methods.md §7, "Network Training"): one [`EpochReport`]
//! per epoch and the [`History`] of a run, shared by the training loop
//! ([`crate::nn::train`], which produces them) and the checkpoints
//! ([`crate::nn::checkpoint`], which store them), so that neither of those
//! two modules depends on the other's types; and their figures (the
//! per-epoch loss curves, [`History::plot`]).

use crate::error::{Error, Result};
use crate::nn::loss::LossTerms;
use crate::plot::{self, LinePlotOptions, Series};
use serde::{Deserialize, Serialize};
use std::path::Path;

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

/// Options of [`History::plot`].
#[derive(Debug, Clone, Default)]
pub struct HistoryPlotOptions {
    /// Title (default "Training losses").
    pub title: Option<String>,
    /// Loss terms to draw (default: "total" and every term with a non-zero value).
    pub terms: Option<Vec<String>>,
    /// Logarithmic y axis.
    pub log_y: bool,
}

impl History {
    /// The terms drawn by default: "total" and every term that is non-zero
    /// in the first epoch.
    pub fn active_terms(&self) -> Vec<String> {
        let mut t = vec!["total".to_string()];
        if let Some(e) = self.epochs.first() {
            for (name, v) in [
                ("ms_ssim", e.train.ms_ssim),
                ("frc", e.train.frc),
                ("l1", e.train.l1),
                ("mse", e.train.mse),
            ] {
                if v.is_finite() && v != 0.0 {
                    t.push(name.into());
                }
            }
        }
        t
    }

    /// One series per term: training (solid) and, where there was
    /// validation, validation (dashed), against the epoch number.
    pub fn loss_series(&self, terms: &[String]) -> Result<Vec<Series>> {
        let x: Vec<f64> = self.epochs.iter().map(|e| e.epoch as f64).collect();
        let mut series = Vec::new();
        for t in terms {
            series.push(Series {
                label: format!("{t} (train)"),
                x: x.clone(),
                y: self.train_loss(t)?,
                yerr: None,
                dashed: false,
            });
            let v = self.validation_loss(t)?;
            if v.iter().any(|x| x.is_finite()) {
                series.push(Series {
                    label: format!("{t} (validation)"),
                    x: x.clone(),
                    y: v,
                    yerr: None,
                    dashed: true,
                });
            }
        }
        Ok(series)
    }

    /// Plot the loss curves per epoch (SVG or PNG by extension).
    pub fn plot(&self, path: impl AsRef<Path>, opts: &HistoryPlotOptions) -> Result<()> {
        let terms = opts.terms.clone().unwrap_or_else(|| self.active_terms());
        let series = self.loss_series(&terms)?;
        let lp = LinePlotOptions {
            title: opts.title.clone().or_else(|| Some("Training losses".into())),
            xlabel: "epoch".into(),
            ylabel: "loss".into(),
            log_y: opts.log_y,
            markers: self.epochs.len() < 30,
            ..Default::default()
        };
        plot::line_plot(&series, path.as_ref(), &lp)
    }
}

impl std::fmt::Display for History {
    /// One line: epochs, steps, time, last total loss.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "History {} epochs, {} steps, {:.1} s",
            self.epochs.len(),
            self.steps,
            self.elapsed_s
        )?;
        if let Some(e) = self.epochs.last() {
            write!(f, ", last total loss {:.4}", e.train.total)?;
        }
        if self.interrupted {
            write!(f, " (interrupted)")?;
        }
        Ok(())
    }
}

impl std::fmt::Display for EpochReport {
    /// The line training prints after each epoch.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let t = &self.train;
        write!(
            f,
            "epoch {:>4}  step {:>6}  loss {:.4} (ms_ssim {:.4}, frc {:.4}, l1 {:.4}, mse {:.4})",
            self.epoch, self.step, t.total, t.ms_ssim, t.frc, t.l1, t.mse
        )?;
        if let Some(v) = &self.validation {
            write!(f, ", validation {:.4}", v.total)?;
        }
        write!(f, "  {:.2} s/step", self.step_s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(total: f64, frc: f64) -> LossTerms {
        LossTerms {
            total,
            ms_ssim: 0.0,
            frc,
            l1: 0.0,
            mse: 0.0,
        }
    }

    #[test]
    fn series_follow_the_active_terms() {
        let mut h = History::default();
        for (i, (t, f)) in [(1.0, 0.5), (0.8, 0.4)].into_iter().enumerate() {
            h.epochs.push(EpochReport {
                epoch: i + 1,
                step: (i as u64 + 1) * 4,
                train: terms(t, f),
                validation: None,
                elapsed_s: 0.1 * (i as f64 + 1.0),
                step_s: 0.1,
            });
        }
        assert_eq!(h.active_terms(), vec!["total".to_string(), "frc".to_string()]);
        let s = h.loss_series(&h.active_terms()).unwrap();
        assert_eq!(s.len(), 2, "no validation series without validation");
        assert_eq!(s[1].y, vec![0.5, 0.4]);
        assert_eq!(s[0].x, vec![1.0, 2.0]);
        let dir = tempfile::tempdir().unwrap();
        h.plot(dir.path().join("h.svg"), &HistoryPlotOptions::default())
            .unwrap();
        assert!(dir.path().join("h.svg").exists());
    }
}
