//! Bindings for the U-Net (`UNet`, `Pairs`, `History`): building, training
//! pairs, training, prediction, checkpoints (METHODS.md §7).

use super::api::{guard, rt_error, Api, Opts, RResult};
use super::image::ImageRef;
use super::locs::LocsRef;
use crate::density::{AkdeOptions, Border};
use crate::image::Image;
use crate::nn::tables::{pairs_from_tables, TablePairOptions, Target};
use crate::nn::{
    self, History, LossWeights, Pairs, PatchOptions, PredictOptions, TrainOptions, UNet, UNetConfig,
};
use crate::plot::{self, LinePlotOptions, Series};
use rhai::{Array, ImmutableString, Map, INT};
use std::path::Path;
use std::sync::Arc;

/// A shared handle to a network.
#[derive(Clone)]
pub struct UNetRef(pub Arc<UNet>);

/// Training pairs with their pixel size and the patch side used in training.
#[derive(Clone)]
pub struct PairsRef {
    /// The full-size input/target images.
    pub pairs: Arc<Pairs>,
    /// Pixel size of the images, nm.
    pub pixel_nm: f64,
    /// Training patch side (pixels).
    pub patch: usize,
}

/// A shared handle to a training history.
#[derive(Clone)]
pub struct HistoryRef(pub Arc<History>);

impl UNetRef {
    /// One-line summary.
    pub fn summary(&self) -> String {
        let c = self.0.config();
        format!(
            "UNet depth {}, {} base filters, {} parameters, on {}",
            c.depth,
            c.filters,
            self.0.param_count(),
            if self.0.device().is_cpu() { "cpu" } else { "cuda" }
        )
    }
}

impl PairsRef {
    /// One-line summary.
    pub fn summary(&self) -> String {
        let shape = self
            .pairs
            .inputs
            .first()
            .map(|a| format!("{}×{}", a.ncols(), a.nrows()))
            .unwrap_or_default();
        format!(
            "Pairs {} of {shape} px @ {} nm, patch {}",
            self.pairs.len(),
            self.pixel_nm,
            self.patch
        )
    }
}

impl HistoryRef {
    /// One-line summary.
    pub fn summary(&self) -> String {
        let h = &self.0;
        let last = h
            .epochs
            .last()
            .map(|e| format!(", last total loss {:.4}", e.train.total))
            .unwrap_or_default();
        format!(
            "History {} epochs, {} steps, {:.1} s{last}{}",
            h.epochs.len(),
            h.steps,
            h.elapsed_s,
            if h.interrupted { " (interrupted)" } else { "" }
        )
    }
}

fn unet_config(m: &Map) -> RResult<(UNetConfig, String)> {
    let o = Opts::new(
        "unet",
        m,
        &[
            "depth",
            "filters",
            "leaky",
            "dropout",
            "bn_momentum",
            "device",
            "seed",
        ],
    )?;
    let d = UNetConfig::default();
    let cfg = UNetConfig {
        depth: o.usize("depth", d.depth)?,
        filters: o.usize("filters", d.filters)?,
        leaky: o.float("leaky", d.leaky)?,
        dropout: o.float("dropout", d.dropout)?,
        seed: o.int("seed", d.seed as i64)?.max(0) as u64,
        bn_momentum: o.float("bn_momentum", d.bn_momentum)?,
        upsample: d.upsample,
    };
    Ok((cfg, o.string("device", "cpu")?))
}

fn akde_opts(m: &Map) -> RResult<AkdeOptions> {
    let o = Opts::new("training_pairs akde", m, &["window", "scale", "border"])?;
    let d = AkdeOptions::default();
    Ok(AkdeOptions {
        window: o.usize("window", d.window)?,
        scale: o.float("scale", d.scale)?,
        border: if o.choice("border", "clip", &["clip", "skip"])? == "skip" {
            Border::Skip
        } else {
            Border::Clip
        },
    })
}

fn image_pairs(items: &Array) -> RResult<Option<(Pairs, f64)>> {
    let mut inputs = Vec::new();
    let mut targets = Vec::new();
    let mut px = None;
    for (i, item) in items.iter().enumerate() {
        let Some(pair) = item.read_lock::<Array>() else {
            return Ok(None);
        };
        let get = |k: usize| -> RResult<ImageRef> {
            pair.get(k)
                .and_then(|v| v.read_lock::<ImageRef>().map(|r| r.clone()))
                .ok_or_else(|| {
                    rt_error(format!(
                        "training_pairs: item {i} must be [input_image, target_image]"
                    ))
                })
        };
        if pair.len() != 2 {
            return Err(rt_error(format!(
                "training_pairs: item {i} must be [input_image, target_image]"
            )));
        }
        let (a, b) = (get(0)?, get(1)?);
        px.get_or_insert(a.0.pixel_nm);
        inputs.push(a.0.data.clone());
        targets.push(b.0.data.clone());
    }
    let pairs = guard("training_pairs", || Pairs::new(inputs, targets))?;
    Ok(Some((pairs, px.unwrap_or(1.0))))
}

fn weights(m: &Map) -> RResult<LossWeights> {
    let o = Opts::new("train loss", m, &["ms_ssim", "frc", "l1", "mse"])?;
    Ok(LossWeights {
        ms_ssim: o.float("ms_ssim", 0.0)?,
        frc: o.float("frc", 0.0)?,
        l1: o.float("l1", 0.0)?,
        mse: o.float("mse", 0.0)?,
    })
}

fn train(net: &UNetRef, pairs: &PairsRef, m: &Map) -> RResult<HistoryRef> {
    let o = Opts::new(
        "train",
        m,
        &[
            "epochs",
            "batch",
            "lr",
            "beta1",
            "beta2",
            "loss",
            "frc_fraction",
            "validation",
            "checkpoint",
            "checkpoint_every",
            "resume",
            "seed",
            "patch",
            "crop",
            "rotate",
            "ms_ssim_scales",
            "quiet",
        ],
    )?;
    let d = TrainOptions::default();
    let validation = match o.raw("validation") {
        None => None,
        Some(v) => Some(
            (*v.read_lock::<PairsRef>()
                .ok_or_else(|| {
                    rt_error("train: option `validation` must be Pairs (from training_pairs or load_pairs)")
                })?
                .pairs)
                .clone(),
        ),
    };
    let patch = o.usize("patch", pairs.patch)?;
    let opts = TrainOptions {
        epochs: o.usize("epochs", d.epochs)?,
        batch: o.usize("batch", d.batch)?,
        lr: o.float("lr", d.lr)?,
        beta1: o.float("beta1", d.beta1)?,
        beta2: o.float("beta2", d.beta2)?,
        eps: d.eps,
        weights: match o.opt_map("loss")? {
            Some(l) => weights(&l)?,
            None => d.weights,
        },
        frc_fraction: o.float("frc_fraction", d.frc_fraction)?,
        ms_ssim_scales: o.usize("ms_ssim_scales", d.ms_ssim_scales)?,
        patch: PatchOptions {
            patch,
            crop: o.opt_int("crop")?.map(|c| c.max(0) as usize),
            rotate: o.bool("rotate", true)?,
        },
        validation,
        checkpoint: o.opt_string("checkpoint")?.map(Into::into),
        checkpoint_every: o.usize("checkpoint_every", d.checkpoint_every)?,
        resume: o.bool("resume", false)?,
        seed: o.int("seed", 0)?.max(0) as u64,
    };
    let quiet = o.bool("quiet", false)?;
    let mut report = |e: &nn::EpochReport| {
        if quiet {
            return;
        }
        let v = e
            .validation
            .map(|v| format!(", validation {:.4}", v.total))
            .unwrap_or_default();
        println!(
            "epoch {:>4}  step {:>6}  loss {:.4} (ms_ssim {:.4}, frc {:.4}, l1 {:.4}, mse {:.4}){v}  {:.2} s/step",
            e.epoch, e.step, e.train.total, e.train.ms_ssim, e.train.frc, e.train.l1, e.train.mse, e.step_s
        );
    };
    let h = guard("train", || {
        if let Some(ck) = &opts.checkpoint {
            crate::script::sandbox::check_write(ck)?;
        }
        nn::train(&net.0, &pairs.pairs, &opts, &mut report)
    })?;
    if h.interrupted {
        eprintln!(
            "train: interrupted after {} steps{}",
            h.steps,
            if opts.checkpoint.is_some() {
                "; checkpoint saved"
            } else {
                ""
            }
        );
    }
    Ok(HistoryRef(Arc::new(h)))
}

fn predict(net: &UNetRef, img: &ImageRef, m: &Map) -> RResult<ImageRef> {
    let o = Opts::new("predict", m, &["tile", "overlap", "batch"])?;
    let d = PredictOptions::default();
    let opts = PredictOptions {
        tile: o.usize("tile", d.tile)?,
        overlap: o.opt_int("overlap")?.map(|v| v.max(0) as usize),
        batch: o.usize("batch", d.batch)?,
    };
    let out = guard("predict", || net.0.predict(img.0.data.view(), &opts))?;
    Ok(ImageRef::new(Image {
        data: out,
        pixel_nm: img.0.pixel_nm,
        origin_nm: img.0.origin_nm,
    }))
}

fn history_plot(h: &History, path: &str, m: &Map) -> RResult<()> {
    let o = Opts::new("plot", m, &["title", "terms", "log_y"])?;
    let terms = o.opt_strings("terms")?.unwrap_or_else(|| {
        let mut t = vec!["total".to_string()];
        if let Some(e) = h.epochs.first() {
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
    });
    let x: Vec<f64> = h.epochs.iter().map(|e| e.epoch as f64).collect();
    let mut series = Vec::new();
    for t in &terms {
        let y = guard("plot", || h.train_loss(t))?;
        series.push(Series {
            label: format!("{t} (train)"),
            x: x.clone(),
            y,
            yerr: None,
            dashed: false,
        });
        let v = guard("plot", || h.validation_loss(t))?;
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
    let opts = LinePlotOptions {
        title: o.opt_string("title")?.or_else(|| Some("Training losses".into())),
        xlabel: "epoch".into(),
        ylabel: "loss".into(),
        log_y: o.bool("log_y", false)?,
        markers: x.len() < 30,
        ..Default::default()
    };
    guard("plot", || {
        crate::script::sandbox::check_write(path)?;
        plot::line_plot(&series, path, &opts)
    })
}

pub fn register(api: &mut Api) {
    api.ty::<UNetRef>("UNet")
        .ty::<PairsRef>("Pairs")
        .ty::<HistoryRef>("History");
    api.engine()
        .register_fn("to_string", |n: &mut UNetRef| n.summary());
    api.engine()
        .register_fn("to_string", |p: &mut PairsRef| p.summary());
    api.engine()
        .register_fn("to_string", |h: &mut HistoryRef| h.summary());
    api.category("Deep learning");

    let unet_doc = "A pix2pix U-Net generator (METHODS.md §7): `depth` encoder blocks Conv 4×4/2 -> BatchNorm -> LeakyReLU, mirrored decoder with skip connections and dropout in its first 3 blocks, tanh output. Options: depth (default 8), filters (base, default 64, doubling to 8×), leaky (0.3), dropout (0.5), bn_momentum (0.99, Keras convention; 0.9 suits short trainings), device (\"cpu\" or \"cuda\"; cuda needs a build with --features cuda), seed. Inputs must have sides divisible by 2^depth.\nExample: let net = unet(#{ depth: 5, filters: 16, seed: 1 });";
    api.func("unet", None, "unet()", &[], unet_doc, || -> RResult<UNetRef> {
        let dev = guard("unet", || nn::device("cpu"))?;
        guard("unet", || UNet::new(UNetConfig::default(), &dev)).map(|n| UNetRef(Arc::new(n)))
    });
    api.func(
        "unet",
        None,
        "unet(opts)",
        &["opts: Map"],
        unet_doc,
        |m: Map| -> RResult<UNetRef> {
            let (cfg, dev) = unet_config(&m)?;
            let dev = guard("unet", || nn::device(&dev))?;
            guard("unet", || UNet::new(cfg, &dev)).map(|n| UNetRef(Arc::new(n)))
        },
    );
    api.getter(
        "params",
        "UNet",
        "Number of trainable parameters.\nExample: net.params",
        |n: &mut UNetRef| n.0.param_count() as INT,
    );
    api.getter(
        "depth",
        "UNet",
        "Number of encoder blocks.\nExample: net.depth",
        |n: &mut UNetRef| n.0.config().depth as INT,
    );

    let pairs_doc = "Training pairs as in the paper (METHODS.md §7): from an array of tables, input = histogram of a random time window holding a fraction of the localizations, target = AKDE (or Gaussian KDE) of the thresholded full table, same grid; or from an array of [input, target] image pairs. Random crops, the same random rotation for both and normalisation happen per training step. Options: pixel_nm (10), patch (training patch side, default 512), target: \"akde\" (default) or \"gaussian\", akde: #{ window, scale, border }, sigma_px (Gaussian target, default 0.5), threshold (2; values below set to 0), fraction: [0.05, 0.3], per_table (16), seed.\nExample: let pairs = training_pairs([locs], #{ pixel_nm: 10.0, patch: 128, per_table: 8 });";
    api.func(
        "training_pairs",
        None,
        "training_pairs(items, opts)",
        &["items: Array", "opts: Map"],
        pairs_doc,
        |items: Array, m: Map| -> RResult<PairsRef> {
            let o = Opts::new(
                "training_pairs",
                &m,
                &[
                    "pixel_nm",
                    "patch",
                    "target",
                    "akde",
                    "sigma_px",
                    "threshold",
                    "fraction",
                    "per_table",
                    "seed",
                ],
            )?;
            let patch = o.usize("patch", 512)?;
            if items.is_empty() {
                return Err(rt_error("training_pairs: no tables or image pairs given"));
            }
            if let Some((pairs, px)) = image_pairs(&items)? {
                return Ok(PairsRef {
                    pairs: Arc::new(pairs),
                    pixel_nm: px,
                    patch,
                });
            }
            let mut tables = Vec::new();
            for (i, it) in items.iter().enumerate() {
                let l = it.read_lock::<LocsRef>().ok_or_else(|| {
                    rt_error(format!(
                        "training_pairs: item {i} is a {}; expected Locs or [input, target] images",
                        it.type_name()
                    ))
                })?;
                tables.push(l.locs.clone());
            }
            let d = TablePairOptions::default();
            let target = match o.choice("target", "akde", &["akde", "gaussian"])?.as_str() {
                "gaussian" => Target::Gaussian(o.float("sigma_px", 0.5)?),
                _ => Target::Akde(match o.opt_map("akde")? {
                    Some(a) => akde_opts(&a)?,
                    None => AkdeOptions::default(),
                }),
            };
            let fraction = match o.opt_floats("fraction")? {
                Some(f) if f.len() == 2 => (f[0], f[1]),
                Some(f) => {
                    return Err(rt_error(format!(
                        "training_pairs: option `fraction` must be [lo, hi], got {f:?}"
                    )))
                }
                None => d.fraction,
            };
            let opts = TablePairOptions {
                pixel_nm: o.float("pixel_nm", d.pixel_nm)?,
                target,
                threshold: o.float("threshold", d.threshold)?,
                fraction,
                per_table: o.usize("per_table", d.per_table)?,
                seed: o.int("seed", 0)?.max(0) as u64,
            };
            let refs: Vec<&crate::locs::Locs> = tables.iter().map(|t| t.as_ref()).collect();
            let pairs = guard("training_pairs", || pairs_from_tables(&refs, &opts))?;
            Ok(PairsRef {
                pairs: Arc::new(pairs),
                pixel_nm: opts.pixel_nm,
                patch,
            })
        },
    );
    api.func(
        "load_pairs",
        None,
        "load_pairs(dir)",
        &["dir: &str"],
        "Read the *_sub.png (sparse input) / *_full.png (dense target) pairs in a folder, like the paper's data in ../shared/data/frcnet/train/ (10 nm pixels; patch 512). Pairs whose sizes differ by a pixel or two are cropped to the common size.\nExample: let pairs = load_pairs(\"../shared/data/frcnet/train\");",
        |dir: ImmutableString| -> RResult<PairsRef> {
            let pairs = guard("load_pairs", || {
                crate::script::sandbox::check_read(dir.as_str())?;
                nn::data::load_png_pairs(Path::new(dir.as_str()))
            })?;
            Ok(PairsRef { pairs: Arc::new(pairs), pixel_nm: 10.0, patch: 512 })
        },
    );
    api.getter(
        "len",
        "Pairs",
        "Number of input/target pairs.\nExample: pairs.len",
        |p: &mut PairsRef| p.pairs.len() as INT,
    );
    api.getter(
        "patch",
        "Pairs",
        "Training patch side in pixels.\nExample: pairs.patch",
        |p: &mut PairsRef| p.patch as INT,
    );
    api.func(
        "input",
        Some("Pairs"),
        "pairs.input(i)",
        &["pairs: Pairs", "i: i64"],
        "The i-th input image (full size, raw values).\nExample: let x = pairs.input(0);",
        |p: &mut PairsRef, i: INT| -> RResult<ImageRef> {
            let a = usize::try_from(i)
                .ok()
                .and_then(|i| p.pairs.inputs.get(i))
                .ok_or_else(|| rt_error(format!("input: index {i} out of range 0..{}", p.pairs.len())))?;
            Ok(ImageRef::new(Image::new(a.clone(), p.pixel_nm)))
        },
    );
    api.func(
        "target",
        Some("Pairs"),
        "pairs.target(i)",
        &["pairs: Pairs", "i: i64"],
        "The i-th target image (full size).\nExample: let y = pairs.target(0);",
        |p: &mut PairsRef, i: INT| -> RResult<ImageRef> {
            let a = usize::try_from(i)
                .ok()
                .and_then(|i| p.pairs.targets.get(i))
                .ok_or_else(|| rt_error(format!("target: index {i} out of range 0..{}", p.pairs.len())))?;
            Ok(ImageRef::new(Image::new(a.clone(), p.pixel_nm)))
        },
    );
    api.func(
        "slice",
        Some("Pairs"),
        "pairs.slice(start, end)",
        &["pairs: Pairs", "start: i64", "end: i64"],
        "The pairs start..end (to hold some out for validation).\nExample: let val = pairs.slice(0, 2); let tr = pairs.slice(2, pairs.len);",
        |p: &mut PairsRef, a: INT, b: INT| -> RResult<PairsRef> {
            let n = p.pairs.len() as INT;
            if a < 0 || b > n || a >= b {
                return Err(rt_error(format!("slice: need 0 <= start < end <= {n}, got {a}..{b}")));
            }
            let (a, b) = (a as usize, b as usize);
            let sub = Pairs { inputs: p.pairs.inputs[a..b].to_vec(), targets: p.pairs.targets[a..b].to_vec() };
            Ok(PairsRef { pairs: Arc::new(sub), ..p.clone() })
        },
    );

    let train_doc = "Train the net on pairs with Adam (lr 2e-4, beta1 0.5) on a weighted loss w_ssim (1 - MS-SSIM) + w_frc (1 - area-FRC) + w_l1 L1 + w_mse MSE (METHODS.md §7). Every step cuts random rotated patches. Returns the History. Ctrl-C stops after the current step (saving the checkpoint).\nOptions: epochs (1), batch (1), lr, beta1, beta2, loss: #{ ms_ssim: 1.0, frc: 1.0, l1: 0.1, mse: 0.0 } (given keys only; others 0), frc_fraction (0.39), ms_ssim_scales (5; needs patches >= 161 px), patch (default the pairs'), crop, rotate (true), validation: Pairs, checkpoint: path (.safetensors, with .json sidecar), checkpoint_every (1), resume (false), seed, quiet (false).\nExample: let h = net.train(pairs, #{ epochs: 20, loss: #{ ms_ssim: 1.0, frc: 1.0, l1: 0.1 }, checkpoint: \"model.safetensors\" });";
    api.func(
        "train",
        Some("UNet"),
        "net.train(pairs)",
        &["net: UNet", "pairs: Pairs"],
        train_doc,
        |n: &mut UNetRef, p: PairsRef| train(n, &p, &Map::new()),
    );
    api.func(
        "train",
        Some("UNet"),
        "net.train(pairs, opts)",
        &["net: UNet", "pairs: Pairs", "opts: Map"],
        train_doc,
        |n: &mut UNetRef, p: PairsRef, m: Map| train(n, &p, &m),
    );
    let predict_doc = "Reconstruct an image of any size: normalised to [-1, 1] as in training, processed in overlapping tiles blended without seams, inference mode (no dropout). Output in [-1, 1]. Options: tile (default 256; use the training patch), overlap (default tile/4), batch (tiles per pass, 1).\nExample: let pred = net.predict(sparse, #{ tile: 256 });";
    api.func(
        "predict",
        Some("UNet"),
        "net.predict(img)",
        &["net: UNet", "img: Image"],
        predict_doc,
        |n: &mut UNetRef, i: ImageRef| predict(n, &i, &Map::new()),
    );
    api.func(
        "predict",
        Some("UNet"),
        "net.predict(img, opts)",
        &["net: UNet", "img: Image", "opts: Map"],
        predict_doc,
        |n: &mut UNetRef, i: ImageRef, m: Map| predict(n, &i, &m),
    );
    api.func(
        "save",
        Some("UNet"),
        "net.save(path)",
        &["net: UNet", "path: &str"],
        "Save the weights (BatchNorm running statistics included) as safetensors and the configuration as path.json, atomically.\nExample: net.save(\"model.safetensors\");",
        |n: &mut UNetRef, p: ImmutableString| guard("save", || {
            crate::script::sandbox::check_write(p.as_str())?;
            n.0.save(p.as_str())
        }),
    );
    let load_doc = "Load a net saved by net.save or by training (reads path and path.json). Options: device (\"cpu\" default, or \"cuda\").\nExample: let net = load_unet(\"model.safetensors\");";
    api.func(
        "load_unet",
        None,
        "load_unet(path)",
        &["path: &str"],
        load_doc,
        |p: ImmutableString| -> RResult<UNetRef> {
            let dev = guard("load_unet", || nn::device("cpu"))?;
            guard("load_unet", || {
                crate::script::sandbox::check_read(p.as_str())?;
                UNet::load(p.as_str(), &dev)
            })
            .map(|n| UNetRef(Arc::new(n)))
        },
    );
    api.func(
        "load_unet",
        None,
        "load_unet(path, opts)",
        &["path: &str", "opts: Map"],
        load_doc,
        |p: ImmutableString, m: Map| -> RResult<UNetRef> {
            let o = Opts::new("load_unet", &m, &["device"])?;
            let name = o.string("device", "cpu")?;
            let dev = guard("load_unet", || nn::device(&name))?;
            guard("load_unet", || {
                crate::script::sandbox::check_read(p.as_str())?;
                UNet::load(p.as_str(), &dev)
            })
            .map(|n| UNetRef(Arc::new(n)))
        },
    );

    api.getter(
        "epochs",
        "History",
        "Number of finished epochs.\nExample: history.epochs",
        |h: &mut HistoryRef| h.0.epochs.len() as INT,
    );
    api.getter(
        "steps",
        "History",
        "Total optimiser steps.\nExample: history.steps",
        |h: &mut HistoryRef| h.0.steps as INT,
    );
    api.getter(
        "interrupted",
        "History",
        "Whether training was stopped by Ctrl-C.\nExample: history.interrupted",
        |h: &mut HistoryRef| h.0.interrupted,
    );
    let loss_doc = "Per-epoch training loss of one term: \"total\", \"ms_ssim\", \"frc\", \"l1\" or \"mse\" (array of floats; unweighted terms, weighted total).\nExample: let frc = history.loss(\"frc\");";
    api.func(
        "loss",
        Some("History"),
        "history.loss(term)",
        &["history: History", "term: &str"],
        loss_doc,
        |h: &mut HistoryRef, t: ImmutableString| {
            guard("loss", || h.0.train_loss(t.as_str())).map(super::api::float_array)
        },
    );
    api.func(
        "validation_loss",
        Some("History"),
        "history.validation_loss(term)",
        &["history: History", "term: &str"],
        "Per-epoch validation loss of one term (NaN for epochs without validation).\nExample: history.validation_loss(\"total\")",
        |h: &mut HistoryRef, t: ImmutableString| guard("validation_loss", || h.0.validation_loss(t.as_str())).map(super::api::float_array),
    );
    let hplot_doc = "Plot the loss curves per epoch (train solid, validation dashed) as SVG or PNG. Options: title, terms (default total and every non-zero term), log_y.\nExample: history.plot(\"losses.svg\");";
    api.func(
        "plot",
        Some("History"),
        "history.plot(path)",
        &["history: History", "path: &str"],
        hplot_doc,
        |h: &mut HistoryRef, p: ImmutableString| history_plot(&h.0, p.as_str(), &Map::new()),
    );
    api.func(
        "plot",
        Some("History"),
        "history.plot(path, opts)",
        &["history: History", "path: &str", "opts: Map"],
        hplot_doc,
        |h: &mut HistoryRef, p: ImmutableString, m: Map| history_plot(&h.0, p.as_str(), &m),
    );
}
