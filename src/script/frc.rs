//! Bindings for Fourier ring correlation (`FrcCurve`, `frc`) and the image
//! metrics (`mse`, `psnr`, `ssim`, `ms_ssim`, `area_frc`, `evaluate`);
//! METHODS.md §5–6.

use super::api::{float_array, guard, rt_error, Api, Opts, RResult};
use super::image::{num, ImageRef};
use crate::frc::{self, Compat, FrcCurve, FrcOptions, Threshold};
use crate::metrics;
use rhai::{Dynamic, ImmutableString, Map, INT};
use std::sync::Arc;

/// A shared handle to an FRC curve, with the per-repeat resolutions of a
/// table's self-FRC (empty for a single image pair).
#[derive(Clone, Debug)]
pub struct FrcRef(pub Arc<FrcCurve>, pub Arc<Vec<Option<f64>>>);

impl FrcRef {
    /// A single curve.
    pub fn new(c: FrcCurve) -> Self {
        FrcRef(Arc::new(c), Arc::new(Vec::new()))
    }

    /// The mean curve of a self-FRC and its repeats' resolutions.
    pub fn with_repeats(s: crate::frc::table::SelfFrc) -> Self {
        FrcRef(Arc::new(s.curve), Arc::new(s.resolutions))
    }

    fn stats(&self) -> Option<(f64, f64)> {
        crate::frc::table::resolution_stats(&self.1)
    }

    /// One-line summary (resolution at 1/7 of the smoothed curve, size).
    pub fn summary(&self) -> String {
        let mut s = self.0.summary();
        if self.1.len() > 1 {
            if let Some((m, sd)) = self.stats() {
                s.push_str(&format!("; {} repeats: {m:.1} ± {sd:.1} nm", self.1.len()));
            }
        }
        s
    }
}

fn pixel_size(func: &str, a: &ImageRef, b: &ImageRef) -> RResult<f64> {
    let (pa, pb) = (a.0.pixel_nm, b.0.pixel_nm);
    if (pa - pb).abs() > 1e-9 * pa.abs().max(pb.abs()) {
        return Err(rt_error(format!(
            "{func}: the images have different pixel sizes ({pa} nm and {pb} nm)"
        )));
    }
    Ok(pa)
}

/// Parse FRC options (`tukey`, `compat`).
pub fn frc_options(func: &str, map: &Map, default_tukey: bool, extra: &[&str]) -> RResult<FrcOptions> {
    let mut keys = vec!["tukey", "compat"];
    keys.extend_from_slice(extra);
    let o = Opts::new(func, map, &keys)?;
    let compat = o.choice("compat", "standard", &["standard", "frcnet"])?;
    Ok(FrcOptions {
        tukey: o.bool("tukey", default_tukey)?,
        compat: if compat == "frcnet" {
            Compat::Frcnet
        } else {
            Compat::Standard
        },
    })
}

/// Default `max_val` for PSNR/SSIM: 2 for images within [-1, 1] (the
/// network's range), else the target's value range.
fn default_max_val(a: &ImageRef, b: &ImageRef) -> RResult<f64> {
    let lo = a.0.min().unwrap_or(0.0).min(b.0.min().unwrap_or(0.0));
    let hi = a.0.max().unwrap_or(0.0).max(b.0.max().unwrap_or(0.0));
    if lo >= -1.0 && hi <= 1.0 {
        Ok(2.0)
    } else {
        let range = b.0.max().unwrap_or(0.0) - b.0.min().unwrap_or(0.0);
        if range > 0.0 {
            Ok(range)
        } else {
            Err(rt_error(
                "max_val: the target is constant and outside [-1, 1]; pass max_val explicitly",
            ))
        }
    }
}

fn resolution(curve: &FrcCurve, threshold: Threshold, smooth: bool) -> Dynamic {
    match curve.resolution(threshold, smooth) {
        Some(r) => Dynamic::from_float(r),
        None => Dynamic::UNIT,
    }
}

pub fn register(api: &mut Api) {
    api.ty::<FrcRef>("FrcCurve");
    api.engine()
        .register_fn("to_string", |c: &mut FrcRef| c.summary());
    api.engine().register_fn("to_debug", |c: &mut FrcRef| c.summary());
    api.category("FRC");

    let frc_doc = "Fourier ring correlation of two images of the same shape and pixel size (METHODS.md §5): rings by floor binning of the centred frequency grid, FRC(q) = Re sum F1 F2* / sqrt(sum |F1|^2 sum |F2|^2), frequency q/(N p) in nm^-1, LOESS-smoothed as Picasso. A non-square pair is zero-padded to square.\nOptions: tukey (Picasso's Tukey mask, default false), compat: \"standard\" (default) or \"frcnet\" (the paper code's rings and |numerator|).\nExample: let c = frc(pred, target); print(c.resolution());";
    api.func(
        "frc",
        None,
        "frc(a, b)",
        &["a: Image", "b: Image"],
        frc_doc,
        |a: ImageRef, b: ImageRef| -> RResult<FrcRef> {
            let p = pixel_size("frc", &a, &b)?;
            guard("frc", || {
                frc::frc(a.0.data.view(), b.0.data.view(), p, &FrcOptions::default())
            })
            .map(FrcRef::new)
        },
    );
    api.func(
        "frc",
        None,
        "frc(a, b, opts)",
        &["a: Image", "b: Image", "opts: Map"],
        frc_doc,
        |a: ImageRef, b: ImageRef, m: Map| -> RResult<FrcRef> {
            let p = pixel_size("frc", &a, &b)?;
            let opts = frc_options("frc", &m, false, &[])?;
            guard("frc", || frc::frc(a.0.data.view(), b.0.data.view(), p, &opts)).map(FrcRef::new)
        },
    );
    api.getter(
        "freq",
        "FrcCurve",
        "Spatial frequency of each ring in nm^-1 (an array, a copy).\nExample: let f = curve.freq;",
        |c: &mut FrcRef| float_array(c.0.freq.iter().copied()),
    );
    api.getter(
        "values",
        "FrcCurve",
        "The raw FRC value of each ring (an array, a copy).\nExample: let v = curve.values;",
        |c: &mut FrcRef| float_array(c.0.values.iter().copied()),
    );
    api.getter(
        "smoothed",
        "FrcCurve",
        "The LOESS-smoothed FRC (statsmodels lowess, Picasso's span rule), one value per ring.\nExample: let s = curve.smoothed;",
        |c: &mut FrcRef| float_array(c.0.smoothed.iter().copied()),
    );
    api.getter(
        "ring_pixels",
        "FrcCurve",
        "Number of Fourier pixels in each ring (used by the half-bit threshold).\nExample: curve.ring_pixels",
        |c: &mut FrcRef| {
            c.0.ring_counts
                .iter()
                .map(|&n| Dynamic::from(n as INT))
                .collect::<rhai::Array>()
        },
    );
    api.getter(
        "resolutions",
        "FrcCurve",
        "Resolution (nm) of each repeat of a table's self-FRC (() where a repeat has no crossing); empty for frc(a, b).\nExample: curve.resolutions",
        |c: &mut FrcRef| c.1.iter().map(|r| r.map(Dynamic::from_float).unwrap_or(Dynamic::UNIT)).collect::<rhai::Array>(),
    );
    api.getter(
        "resolution_mean",
        "FrcCurve",
        "Mean resolution (nm) over the repeats of a self-FRC (the single curve's resolution otherwise), or ().\nExample: curve.resolution_mean",
        |c: &mut FrcRef| match c.stats() {
            Some((m, _)) => Dynamic::from_float(m),
            None => resolution(&c.0, Threshold::default(), true),
        },
    );
    api.getter(
        "resolution_sd",
        "FrcCurve",
        "Sample standard deviation (nm) of the repeats' resolutions (0 for one repeat), or () without a crossing.\nExample: curve.resolution_sd",
        |c: &mut FrcRef| match c.stats() {
            Some((_, sd)) => Dynamic::from_float(sd),
            None => Dynamic::UNIT,
        },
    );
    api.getter(
        "n",
        "FrcCurve",
        "Side N in pixels of the (padded) square images.\nExample: curve.n",
        |c: &mut FrcRef| c.0.n as INT,
    );
    api.getter(
        "pixel_nm",
        "FrcCurve",
        "Pixel size of the images in nm.\nExample: curve.pixel_nm",
        |c: &mut FrcRef| c.0.pixel_nm,
    );
    let res_doc = "Resolution in nm where the curve first falls below the threshold (linear interpolation between rings, 1/f), or () when it never does (METHODS.md §5).\nOptions: threshold: 0.143 (any number; default 1/7) or \"half_bit\"; smooth: true (default; the LOESS curve) or false (raw).\nExample: let r = curve.resolution(#{ threshold: \"half_bit\" });";
    api.func(
        "resolution",
        Some("FrcCurve"),
        "curve.resolution()",
        &["curve: FrcCurve"],
        res_doc,
        |c: &mut FrcRef| resolution(&c.0, Threshold::default(), true),
    );
    api.func(
        "resolution",
        Some("FrcCurve"),
        "curve.resolution(opts)",
        &["curve: FrcCurve", "opts: Map"],
        res_doc,
        |c: &mut FrcRef, m: Map| -> RResult<Dynamic> {
            let o = Opts::new("resolution", &m, &["threshold", "smooth"])?;
            let smooth = o.bool("smooth", true)?;
            let threshold = match o.raw("threshold") {
                None => Threshold::default(),
                Some(v) if v.is_string() => {
                    let s = v.clone().into_string().unwrap_or_default();
                    match s.as_str() {
                        "half_bit" | "half-bit" => Threshold::HalfBit,
                        "1/7" => Threshold::default(),
                        _ => {
                            return Err(rt_error(format!(
                                "resolution: option `threshold` must be a number or \"half_bit\", got \"{s}\""
                            )))
                        }
                    }
                }
                Some(v) => {
                    let t = num("resolution", "threshold", v)?;
                    if !(t > 0.0 && t < 1.0) {
                        return Err(rt_error(format!(
                            "resolution: option `threshold` must be in (0, 1), got {t}"
                        )));
                    }
                    Threshold::Fixed(t)
                }
            };
            Ok(resolution(&c.0, threshold, smooth))
        },
    );
    api.func(
        "area",
        Some("FrcCurve"),
        "curve.area(fraction)",
        &["curve: FrcCurve", "fraction: f64"],
        "Area-FRC: the mean FRC over rings 1..floor(fraction N/2), fraction of Nyquist in (0, 1] (METHODS.md §5). 1 for identical images, about 0 for unrelated ones; the paper's loss is 1 - area.\nExample: curve.area(0.2)",
        |c: &mut FrcRef, f: Dynamic| -> RResult<f64> {
            let f = num("area", "fraction", &f)?;
            guard("area", || c.0.area(f))
        },
    );
    api.func(
        "save",
        Some("FrcCurve"),
        "curve.save(path)",
        &["curve: FrcCurve", "path: &str"],
        "Write the curve as CSV (freq_nm_inv, frc, smoothed, ring_pixels, threshold), atomically.\nExample: curve.save(\"frc.csv\");",
        |c: &mut FrcRef, p: ImmutableString| guard("save", || {
            crate::script::sandbox::check_write(p.as_str())?;
            c.0.to_csv(p.as_str())
        }),
    );

    api.category("Metrics");
    api.func(
        "mse",
        None,
        "mse(a, b)",
        &["a: Image", "b: Image"],
        "Mean squared error of two images of the same shape.\nExample: mse(pred, target)",
        |a: ImageRef, b: ImageRef| guard("mse", || metrics::mse(a.0.data.view(), b.0.data.view())),
    );
    let psnr_doc = "Peak signal-to-noise ratio 10 log10(max_val^2 / MSE) in dB (METHODS.md §6). max_val defaults to 2 for images within [-1, 1] (the network's range), else to the target's value range. Identical images give infinity.\nExample: psnr(pred, target, 2.0)";
    api.func(
        "psnr",
        None,
        "psnr(a, b)",
        &["a: Image", "b: Image"],
        psnr_doc,
        |a: ImageRef, b: ImageRef| {
            let m = default_max_val(&a, &b)?;
            guard("psnr", || metrics::psnr(a.0.data.view(), b.0.data.view(), m))
        },
    );
    api.func(
        "psnr",
        None,
        "psnr(a, b, max_val)",
        &["a: Image", "b: Image", "max_val: f64"],
        psnr_doc,
        |a: ImageRef, b: ImageRef, m: Dynamic| -> RResult<f64> {
            let m = num("psnr", "max_val", &m)?;
            guard("psnr", || metrics::psnr(a.0.data.view(), b.0.data.view(), m))
        },
    );
    let ssim_doc = "Structural similarity with TensorFlow's conventions (11×11 Gaussian window, sigma 1.5, VALID filtering, C1 = (0.01 max_val)^2, C2 = (0.03 max_val)^2; METHODS.md §6). max_val as for psnr. Sides must be >= 11 px.\nExample: ssim(pred, target)";
    api.func(
        "ssim",
        None,
        "ssim(a, b)",
        &["a: Image", "b: Image"],
        ssim_doc,
        |a: ImageRef, b: ImageRef| {
            let m = default_max_val(&a, &b)?;
            guard("ssim", || metrics::ssim(a.0.data.view(), b.0.data.view(), m))
        },
    );
    api.func(
        "ssim",
        None,
        "ssim(a, b, max_val)",
        &["a: Image", "b: Image", "max_val: f64"],
        ssim_doc,
        |a: ImageRef, b: ImageRef, m: Dynamic| -> RResult<f64> {
            let m = num("ssim", "max_val", &m)?;
            guard("ssim", || metrics::ssim(a.0.data.view(), b.0.data.view(), m))
        },
    );
    let ms_doc = "Multi-scale SSIM as tf.image.ssim_multiscale: 5 scales with weights (0.0448, 0.2856, 0.3001, 0.2363, 0.1333), 2×2 average pooling between scales (METHODS.md §6). Sides must be >= 161 px. max_val as for psnr.\nExample: ms_ssim(pred, target)";
    api.func(
        "ms_ssim",
        None,
        "ms_ssim(a, b)",
        &["a: Image", "b: Image"],
        ms_doc,
        |a: ImageRef, b: ImageRef| {
            let m = default_max_val(&a, &b)?;
            guard("ms_ssim", || {
                metrics::ms_ssim(a.0.data.view(), b.0.data.view(), m)
            })
        },
    );
    api.func(
        "ms_ssim",
        None,
        "ms_ssim(a, b, max_val)",
        &["a: Image", "b: Image", "max_val: f64"],
        ms_doc,
        |a: ImageRef, b: ImageRef, m: Dynamic| -> RResult<f64> {
            let m = num("ms_ssim", "max_val", &m)?;
            guard("ms_ssim", || {
                metrics::ms_ssim(a.0.data.view(), b.0.data.view(), m)
            })
        },
    );
    api.func(
        "area_frc",
        None,
        "area_frc(a, b, fraction)",
        &["a: Image", "b: Image", "fraction: f64"],
        "Area-FRC of two images up to `fraction` of Nyquist (no Tukey mask, standard rings): frc(a, b).area(fraction) (METHODS.md §5).\nExample: area_frc(sparse, dense, 0.2)",
        |a: ImageRef, b: ImageRef, f: Dynamic| -> RResult<f64> {
            let f = num("area_frc", "fraction", &f)?;
            guard("area_frc", || frc::area_frc(a.0.data.view(), b.0.data.view(), f))
        },
    );
    let eval_doc = "The paper's evaluation of a prediction against its target: #{ mse, psnr, ms_ssim, area_frc }. Options: max_val (default as for psnr), frc_fraction (default 0.2).\nExample: let m = evaluate(net.predict(input), target); print(m.psnr);";
    let evaluate = |a: &ImageRef, b: &ImageRef, max_val: f64, fraction: f64| -> RResult<Map> {
        let e = guard("evaluate", || {
            metrics::evaluate(a.0.data.view(), b.0.data.view(), max_val, fraction)
        })?;
        let mut m = Map::new();
        m.insert("mse".into(), Dynamic::from_float(e.mse));
        m.insert("psnr".into(), Dynamic::from_float(e.psnr));
        m.insert("ms_ssim".into(), Dynamic::from_float(e.ms_ssim));
        m.insert("area_frc".into(), Dynamic::from_float(e.area_frc));
        Ok(m)
    };
    api.func(
        "evaluate",
        None,
        "evaluate(prediction, target)",
        &["prediction: Image", "target: Image"],
        eval_doc,
        move |a: ImageRef, b: ImageRef| -> RResult<Map> { evaluate(&a, &b, default_max_val(&a, &b)?, 0.2) },
    );
    api.func(
        "evaluate",
        None,
        "evaluate(prediction, target, opts)",
        &["prediction: Image", "target: Image", "opts: Map"],
        eval_doc,
        move |a: ImageRef, b: ImageRef, m: Map| -> RResult<Map> {
            let o = Opts::new("evaluate", &m, &["max_val", "frc_fraction"])?;
            let max_val = match o.opt_float("max_val")? {
                Some(v) => v,
                None => default_max_val(&a, &b)?,
            };
            evaluate(&a, &b, max_val, o.float("frc_fraction", 0.2)?)
        },
    );
}
