//! Bindings for the U-Net (`UNet`, `Pairs`, `History`): building, training
//! pairs, training, prediction, checkpoints (docs/methods.md §7).

use super::api::{float_array, rt_error, Api, Call, Handle, RResult};
use super::image::{akde_options, akde_spec, ImageRef};
use super::locs::LocsRef;
use super::sandbox;
use super::spec::{nested, Check, Opt};
use crate::density::AkdeOptions;
use crate::image::Image;
use crate::nn::tables::{pairs_from_tables, TablePairOptions, Target};
use crate::nn::{
    self, History, HistoryPlotOptions, LossWeights, Pairs, PatchOptions, PredictOptions, TrainOptions, UNet,
    UNetConfig, Upsample,
};
use rhai::{Array, INT};
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

impl Handle for UNetRef {
    const TYPE: &'static str = "UNet";
    const VAR: &'static str = "net";
    fn summary(&self) -> String {
        self.0.to_string()
    }
}

impl Handle for PairsRef {
    const TYPE: &'static str = "Pairs";
    const VAR: &'static str = "pairs";
    fn summary(&self) -> String {
        format!(
            "{} @ {} nm, patch {}",
            self.pairs,
            crate::fmt::float_short(self.pixel_nm),
            self.patch
        )
    }
}

impl Handle for HistoryRef {
    const TYPE: &'static str = "History";
    const VAR: &'static str = "history";
    fn summary(&self) -> String {
        self.0.to_string()
    }
}

fn unet_spec() -> Vec<Opt> {
    let d = UNetConfig::default();
    vec![
        Opt::count("depth", d.depth)
            .check(Check::Range(1.0, 10.0))
            .doc("encoder blocks D; inputs must be divisible by 2^D"),
        Opt::count("filters", d.filters)
            .check(Check::Range(1.0, 1024.0))
            .doc("filters of the first block (doubling up to 8×)"),
        Opt::num("leaky", d.leaky)
            .check(Check::Range(0.0, 0.99))
            .doc("encoder LeakyReLU slope (the paper code: 0.3)"),
        Opt::num("dropout", d.dropout)
            .check(Check::Range(0.0, 0.95))
            .doc("dropout of the first 3 decoder blocks in training"),
        Opt::num("bn_momentum", d.bn_momentum)
            .check(Check::Range(0.0, 0.9999))
            .doc("BatchNorm momentum (Keras convention; 0.9 suits short trainings)"),
        Opt::choice("upsample", d.upsample.name(), &Upsample::NAMES).doc(
            "decoder upsampling: \"transpose\" (ConvTranspose 4×4/2, the paper's) or \"resize_conv\" \
             (nearest ×2 then Conv 3×3, no checkerboard texture)",
        ),
        Opt::choice("device", "cpu", &["cpu", "cuda"]).doc("\"cuda\" needs a build with --features cuda"),
        Opt::seed(d.seed),
    ]
}

fn device_spec() -> Vec<Opt> {
    vec![Opt::choice("device", "cpu", &["cpu", "cuda"]).doc("\"cuda\" needs a build with --features cuda")]
}

fn pairs_spec() -> Vec<Opt> {
    let d = TablePairOptions::default();
    vec![
        Opt::num("pixel_nm", d.pixel_nm)
            .check(Check::Gt(0.0))
            .unit("nm")
            .doc("render pixel size (tables)"),
        Opt::count("patch", PatchOptions::default().patch)
            .check(Check::Ge(8.0))
            .unit("px")
            .doc("training patch side"),
        Opt::choice("target", "akde", &["akde", "gaussian"]).doc("target density (tables)"),
        Opt::map("akde")
            .default_text("#{ window: 11, scale: 1.0 }")
            .doc("AKDE options of the target"),
        Opt::num("sigma_px", 0.5)
            .check(Check::Gt(0.0))
            .unit("px")
            .doc("sigma of a Gaussian target"),
        Opt::num("threshold", d.threshold)
            .check(Check::Ge(0.0))
            .doc("render values below this are set to 0 before the target"),
        Opt::nums("fraction", 2)
            .check(Check::Fraction)
            .default_text("[0.05, 0.3]")
            .doc("range of the input's fraction of localizations"),
        Opt::count("per_table", d.per_table)
            .check(Check::Ge(1.0))
            .doc("input windows per table"),
        Opt::seed(d.seed),
    ]
}

fn loss_spec() -> Vec<Opt> {
    vec![
        Opt::num("ms_ssim", 0.0)
            .check(Check::Ge(0.0))
            .doc("weight of 1 - MS-SSIM"),
        Opt::num("frc", 0.0)
            .check(Check::Ge(0.0))
            .doc("weight of 1 - area-FRC"),
        Opt::num("l1", 0.0)
            .check(Check::Ge(0.0))
            .doc("weight of the L1 loss"),
        Opt::num("mse", 0.0)
            .check(Check::Ge(0.0))
            .doc("weight of the MSE loss"),
    ]
}

fn train_spec() -> Vec<Opt> {
    let d = TrainOptions::default();
    vec![
        Opt::count("epochs", d.epochs)
            .check(Check::Ge(1.0))
            .doc("passes over the pairs"),
        Opt::count("batch", d.batch)
            .check(Check::Ge(1.0))
            .doc("patches per step"),
        Opt::num("lr", d.lr)
            .check(Check::Gt(0.0))
            .doc("Adam learning rate"),
        Opt::num("beta1", d.beta1)
            .check(Check::Range(0.0, 0.9999))
            .doc("Adam beta1"),
        Opt::num("beta2", d.beta2)
            .check(Check::Range(0.0, 0.9999999))
            .doc("Adam beta2"),
        Opt::map("loss")
            .default_text("#{ ms_ssim: 1.0, frc: 1.0, l1: 0.1 }")
            .doc("loss weights #{ ms_ssim, frc, l1, mse } (given keys only; the others 0)"),
        Opt::num("frc_fraction", d.frc_fraction)
            .check(Check::Fraction)
            .doc("area-FRC up to this fraction of Nyquist"),
        Opt::count("ms_ssim_scales", d.ms_ssim_scales)
            .check(Check::Range(1.0, 5.0))
            .doc("MS-SSIM scales (5 needs patches >= 161 px)"),
        Opt::count_opt("patch")
            .check(Check::Ge(8.0))
            .default_text("the pairs' patch")
            .unit("px")
            .doc("patch side"),
        Opt::count_opt("crop")
            .unit("px")
            .default_text("ceil(1.5 patch)")
            .doc("side of the random crop before rotation (>= patch)"),
        Opt::bool("rotate", d.patch.rotate).doc("random rotation of each patch"),
        Opt::handle::<PairsRef>("validation").doc("pairs evaluated after each epoch"),
        Opt::str_opt("checkpoint").doc("path of a .safetensors checkpoint (with a .json sidecar)"),
        Opt::count("checkpoint_every", d.checkpoint_every)
            .check(Check::Ge(1.0))
            .doc("epochs between checkpoints"),
        Opt::bool("resume", d.resume).doc("continue from the checkpoint"),
        Opt::seed(d.seed),
        Opt::bool("quiet", false).doc("no line per epoch"),
    ]
}

fn predict_spec() -> Vec<Opt> {
    let d = PredictOptions::default();
    vec![
        Opt::count("tile", d.tile)
            .check(Check::Ge(8.0))
            .unit("px")
            .doc("tile side (use the training patch)"),
        Opt::count_opt("overlap")
            .unit("px")
            .default_text("tile/4")
            .doc("overlap of neighbouring tiles (< tile)"),
        Opt::count("batch", d.batch)
            .check(Check::Ge(1.0))
            .doc("tiles per forward pass"),
    ]
}

fn image_pairs(items: &Array) -> RResult<Option<(Pairs, f64)>> {
    let mut inputs = Vec::new();
    let mut targets = Vec::new();
    let mut px = None;
    for (i, item) in items.iter().enumerate() {
        let Some(pair) = item.read_lock::<Array>() else {
            return Ok(None);
        };
        let bad = || {
            rt_error(format!(
                "training_pairs: item {i} must be [input_image, target_image]"
            ))
        };
        if pair.len() != 2 {
            return Err(bad());
        }
        let get = |k: usize| -> RResult<ImageRef> {
            pair[k].read_lock::<ImageRef>().map(|r| r.clone()).ok_or_else(bad)
        };
        let (a, b) = (get(0)?, get(1)?);
        px.get_or_insert(a.0.pixel_nm);
        inputs.push(a.0.data.clone());
        targets.push(b.0.data.clone());
    }
    let pairs = super::api::guard("training_pairs", || Pairs::new(inputs, targets))?;
    Ok(Some((pairs, px.unwrap_or(1.0))))
}

fn device(c: &Call, name: &str) -> RResult<candle_core::Device> {
    c.run(|| nn::device(name))
}

fn train(c: &Call) -> RResult<HistoryRef> {
    let net = c.recv::<UNetRef>()?;
    let pairs = c.handle::<PairsRef>("pairs")?;
    let o = c.opts()?;
    let d = TrainOptions::default();
    let weights = match o.opt_map("loss")? {
        Some(m) => {
            let w = nested("train loss", loss_spec(), m)?;
            LossWeights {
                ms_ssim: w.num("ms_ssim")?,
                frc: w.num("frc")?,
                l1: w.num("l1")?,
                mse: w.num("mse")?,
            }
        }
        None => d.weights,
    };
    let patch = o.opt_count("patch")?.unwrap_or(pairs.patch);
    let crop = o.opt_count("crop")?;
    if let Some(cr) = crop {
        if cr < patch {
            return Err(rt_error(format!(
                "train: option `crop` must be >= the patch ({patch}), got {cr}"
            )));
        }
    }
    let opts = TrainOptions {
        epochs: o.count("epochs")?,
        batch: o.count("batch")?,
        lr: o.num("lr")?,
        beta1: o.num("beta1")?,
        beta2: o.num("beta2")?,
        eps: d.eps,
        weights,
        frc_fraction: o.num("frc_fraction")?,
        ms_ssim_scales: o.count("ms_ssim_scales")?,
        patch: PatchOptions {
            patch,
            crop,
            rotate: o.bool("rotate")?,
        },
        validation: o
            .opt_handle::<PairsRef>("validation")?
            .map(|v| (*v.pairs).clone()),
        checkpoint: o.opt_str("checkpoint")?.map(Into::into),
        checkpoint_every: o.count("checkpoint_every")?,
        resume: o.bool("resume")?,
        seed: o.seed()?,
    };
    let quiet = o.bool("quiet")?;
    let mut report = |e: &nn::EpochReport| {
        if !quiet {
            crate::progress::println(&e.to_string());
        }
    };
    let h = c.run(|| {
        if let Some(ck) = &opts.checkpoint {
            sandbox::check_write(ck)?;
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

pub fn register(api: &mut Api) {
    api.handle::<UNetRef>()
        .handle::<PairsRef>()
        .handle::<HistoryRef>();
    api.category("Deep learning");

    api.fun("unet")
        .opts(unet_spec())
        .doc("A pix2pix U-Net generator (docs/methods.md §7): `depth` encoder blocks Conv 4×4/2 -> BatchNorm -> LeakyReLU, mirrored decoder with skip connections and dropout in its first 3 blocks, tanh output. The decoder upsamples with transposed convolutions (the paper's) or, with `upsample: \"resize_conv\"`, nearest-neighbour ×2 + Conv 3×3 (Odena et al. 2016), which avoids the checkerboard texture.")
        .example("let small = unet(#{ depth: 4, filters: 8, seed: 1, upsample: \"resize_conv\" });")
        .call(|c| {
            let o = c.opts()?;
            let cfg = UNetConfig {
                depth: o.count("depth")?,
                filters: o.count("filters")?,
                leaky: o.num("leaky")?,
                dropout: o.num("dropout")?,
                seed: o.seed()?,
                bn_momentum: o.num("bn_momentum")?,
                upsample: o.parse("upsample")?,
            };
            let dev = device(c, &o.str("device")?)?;
            c.run(|| UNet::new(cfg, &dev)).map(|n| UNetRef(Arc::new(n)))
        });
    api.prop(
        "params",
        "Number of trainable parameters.",
        "net.params",
        |n: &UNetRef| n.0.param_count() as INT,
    );
    api.prop(
        "depth",
        "Number of encoder blocks.",
        "net.depth",
        |n: &UNetRef| n.0.config().depth as INT,
    );

    api.fun("training_pairs")
        .array("items")
        .opts(pairs_spec())
        .doc("Training pairs as in the paper (docs/methods.md §7): from an array of tables, input = histogram of a random time window holding a fraction of the localizations, target = AKDE (or Gaussian KDE) of the thresholded full table, same grid; or from an array of [input, target] image pairs. Random crops, the same random rotation for both and normalisation happen per training step.")
        .example("let tp = training_pairs([sim], #{ pixel_nm: 20.0, patch: 64, per_table: 2 });")
        .call(|c| {
            let items = c.array("items")?;
            let o = c.opts()?;
            let patch = o.count("patch")?;
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
                        super::api::type_label(it)
                    ))
                })?;
                tables.push(l.locs.clone());
            }
            let target = match o.str("target")?.as_str() {
                "gaussian" => Target::Gaussian(o.num("sigma_px")?),
                _ => Target::Akde(match o.opt_map("akde")? {
                    Some(a) => akde_options(&nested("training_pairs akde", akde_spec(), a)?)?,
                    None => AkdeOptions::default(),
                }),
            };
            let d = TablePairOptions::default();
            let fraction = o.opt_nums("fraction")?.map(|f| (f[0], f[1])).unwrap_or(d.fraction);
            let opts = TablePairOptions {
                pixel_nm: o.num("pixel_nm")?,
                target,
                threshold: o.num("threshold")?,
                fraction,
                per_table: o.count("per_table")?,
                seed: o.seed()?,
            };
            let refs: Vec<&crate::locs::Locs> = tables.iter().map(|t| t.as_ref()).collect();
            let pairs = c.run(|| pairs_from_tables(&refs, &opts))?;
            Ok(PairsRef {
                pairs: Arc::new(pairs),
                pixel_nm: opts.pixel_nm,
                patch,
            })
        });
    api.fun("load_pairs")
        .str("dir")
        .doc("Read the *_sub.png (sparse input) / *_full.png (dense target) pairs in a folder, like the paper's training data (10 nm pixels; patch 512). Pairs whose sizes differ by a pixel or two are cropped to the common size.")
        .example("let real = load_pairs(\"tests/data/frcnet\");")
        .call(|c| {
            let dir = c.str("dir")?;
            let pairs = c.run(|| {
                sandbox::check_read(&dir)?;
                nn::data::load_png_pairs(Path::new(&dir))
            })?;
            Ok(PairsRef {
                pairs: Arc::new(pairs),
                pixel_nm: 10.0,
                patch: PatchOptions::default().patch,
            })
        });
    api.prop(
        "len",
        "Number of input/target pairs.",
        "pairs.len",
        |p: &PairsRef| p.pairs.len() as INT,
    );
    api.prop(
        "patch",
        "Training patch side in pixels.",
        "pairs.patch",
        |p: &PairsRef| p.patch as INT,
    );
    for (name, doc) in [
        ("input", "The i-th input image (full size, raw values)."),
        ("target", "The i-th target image (full size)."),
    ] {
        api.method::<PairsRef>(name)
            .int("i")
            .doc(doc)
            .example(if name == "input" {
                "let x = pairs.input(0);"
            } else {
                "let y = pairs.target(0);"
            })
            .call(move |c| {
                let p = c.recv::<PairsRef>()?;
                let i = c.int("i")?;
                let list = if name == "input" {
                    &p.pairs.inputs
                } else {
                    &p.pairs.targets
                };
                let a = usize::try_from(i)
                    .ok()
                    .and_then(|i| list.get(i))
                    .ok_or_else(|| rt_error(format!("{name}: index {i} out of range 0..{}", list.len())))?;
                Ok(ImageRef::new(Image::new(a.clone(), p.pixel_nm)))
            });
    }
    api.method::<PairsRef>("slice")
        .int("start")
        .int("end")
        .doc("The pairs start..end (to hold some out for validation).")
        .example("let val = pairs.slice(0, 1); let tr = pairs.slice(1, pairs.len);")
        .call(|c| {
            let p = c.recv::<PairsRef>()?;
            let (a, b) = (c.int("start")?, c.int("end")?);
            let idx = |v: i64| usize::try_from(v).unwrap_or(usize::MAX);
            let sub = c.run(|| p.pairs.slice(idx(a), idx(b)))?;
            Ok(PairsRef {
                pairs: Arc::new(sub),
                ..p.clone()
            })
        });

    api.method::<UNetRef>("train")
        .handle::<PairsRef>("pairs")
        .opts(train_spec())
        .doc("Train the net on pairs with Adam on a weighted loss w_ssim (1 - MS-SSIM) + w_frc (1 - area-FRC) + w_l1 L1 + w_mse MSE (docs/methods.md §7). Every step cuts random rotated patches. Returns the History. Ctrl-C stops after the current step (saving the checkpoint).")
        .example("let h = net.train(pairs, #{ epochs: 1, loss: #{ ms_ssim: 1.0, frc: 1.0, l1: 0.1 }, ms_ssim_scales: 2, quiet: true });")
        .call(train);
    api.method::<UNetRef>("predict")
        .handle::<ImageRef>("img")
        .opts(predict_spec())
        .doc("Reconstruct an image of any size: normalised to [-1, 1] as in training, processed in overlapping tiles blended without seams, inference mode (no dropout). Output in [-1, 1].")
        .example("let pred = net.predict(img, #{ tile: 64 });")
        .call(|c| {
            let (net, img) = (c.recv::<UNetRef>()?, c.handle::<ImageRef>("img")?);
            let o = c.opts()?;
            let tile = o.count("tile")?;
            let overlap = o.opt_count("overlap")?;
            if let Some(ov) = overlap {
                if ov >= tile {
                    return Err(rt_error(format!(
                        "predict: option `overlap` must be < the tile ({tile}), got {ov}"
                    )));
                }
            }
            let opts = PredictOptions {
                tile,
                overlap,
                batch: o.count("batch")?,
            };
            let out = c.run(|| net.0.predict(img.0.data.view(), &opts))?;
            Ok(img.with_data(out))
        });
    api.method::<UNetRef>("save")
        .str("path")
        .doc("Save the weights (BatchNorm running statistics included) as safetensors and the configuration as path.json, atomically.")
        .example("net.save(\"model.safetensors\");")
        .call(|c| {
            let (net, p) = (c.recv::<UNetRef>()?, c.str("path")?);
            c.run(|| {
                sandbox::check_write(&p)?;
                net.0.save(&p)
            })
        });
    api.fun("load_unet")
        .str("path")
        .opts(device_spec())
        .doc("Load a net saved by net.save or by training (reads path and path.json).")
        .example("net.save(\"m.safetensors\"); let back = load_unet(\"m.safetensors\");")
        .call(|c| {
            let p = c.str("path")?;
            let dev = device(c, &c.opts()?.str("device")?)?;
            c.run(|| {
                sandbox::check_read(&p)?;
                UNet::load(&p, &dev)
            })
            .map(|n| UNetRef(Arc::new(n)))
        });

    api.prop(
        "epochs",
        "Number of finished epochs.",
        "history.epochs",
        |h: &HistoryRef| h.0.epochs.len() as INT,
    );
    api.prop(
        "steps",
        "Total optimiser steps.",
        "history.steps",
        |h: &HistoryRef| h.0.steps as INT,
    );
    api.prop(
        "interrupted",
        "Whether training was stopped by Ctrl-C.",
        "history.interrupted",
        |h: &HistoryRef| h.0.interrupted,
    );
    api.method::<HistoryRef>("loss")
        .str("term")
        .doc("Per-epoch training loss of one term: \"total\", \"ms_ssim\", \"frc\", \"l1\" or \"mse\" (array of floats; unweighted terms, weighted total).")
        .example("let frc = history.loss(\"frc\");")
        .call(|c| {
            let (h, t) = (c.recv::<HistoryRef>()?, c.str("term")?);
            c.run(|| h.0.train_loss(&t)).map(float_array)
        });
    api.method::<HistoryRef>("validation_loss")
        .str("term")
        .doc("Per-epoch validation loss of one term (NaN for epochs without validation).")
        .example("history.validation_loss(\"total\")")
        .call(|c| {
            let (h, t) = (c.recv::<HistoryRef>()?, c.str("term")?);
            c.run(|| h.0.validation_loss(&t)).map(float_array)
        });
    api.method::<HistoryRef>("plot")
        .str("path")
        .opts(vec![
            Opt::str_opt("title")
                .default_text("\"Training losses\"")
                .doc("title"),
            Opt::strs("terms")
                .default_text("total and every non-zero term")
                .doc("loss terms to draw"),
            Opt::bool("log_y", false).doc("logarithmic y axis"),
        ])
        .doc("Plot the loss curves per epoch (train solid, validation dashed) as SVG or PNG.")
        .example("history.plot(\"losses.svg\");")
        .call(|c| {
            let (h, p) = (c.recv::<HistoryRef>()?, c.str("path")?);
            let o = c.opts()?;
            let opts = HistoryPlotOptions {
                title: o.opt_str("title")?,
                terms: o.opt_strs("terms")?,
                log_y: o.bool("log_y")?,
            };
            c.run(|| {
                sandbox::check_write(&p)?;
                h.0.plot(&p, &opts)
            })
        });
}
