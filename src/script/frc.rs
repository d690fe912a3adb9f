//! Bindings for Fourier ring correlation (`FrcCurve`, `frc`) and the image
//! metrics (`mse`, `psnr`, `ssim`, `ms_ssim`, `area_frc`, `evaluate`);
//! docs/methods.md §5–6.

use super::api::{float_array, rt_error, Api, Handle, RResult};
use super::image::ImageRef;
use super::sandbox;
use super::spec::{Check, Opt, Options};
use crate::frc::{self, Compat, FrcCurve, FrcOptions, Threshold};
use crate::metrics;
use rhai::{Dynamic, Map, INT};
use std::sync::Arc;

/// A shared handle to an FRC curve (for a table's self-FRC the mean curve,
/// which carries its repeats' resolutions and warnings).
#[derive(Clone, Debug)]
pub struct FrcRef(pub Arc<FrcCurve>);

impl FrcRef {
    /// A single curve.
    pub fn new(c: FrcCurve) -> Self {
        FrcRef(Arc::new(c))
    }

    /// The mean curve of a self-FRC (it carries the repeats' resolutions).
    pub fn with_repeats(s: crate::frc::table::SelfFrc) -> Self {
        FrcRef(Arc::new(s.curve))
    }
}

impl Handle for FrcRef {
    const TYPE: &'static str = "FrcCurve";
    const VAR: &'static str = "curve";
    fn summary(&self) -> String {
        self.0.summary()
    }
}

/// The FRC options shared by `frc(a, b)` and `locs.frc()`: the Tukey mask
/// (default on for a table's halves, off for two images) and the ring rule.
pub fn frc_spec(tukey: bool) -> Vec<Opt> {
    vec![
        Opt::bool("tukey", tukey).doc("multiply both images by Picasso's Tukey mask (nfac 8) first"),
        Opt::choice("compat", Compat::default().name(), Compat::NAMES)
            .doc("\"frcnet\": the paper code's rings and |numerator|"),
    ]
}

/// Read the options of [`frc_spec`].
pub fn frc_options(o: &Options) -> RResult<FrcOptions> {
    Ok(FrcOptions {
        tukey: o.bool("tukey")?,
        compat: o.parse("compat")?,
    })
}

/// A threshold given as a number in (0, 1) or a name ("1/7", "half_bit").
pub fn threshold(func: &str, v: Option<&Dynamic>) -> RResult<Threshold> {
    let text = match v {
        None => return Ok(Threshold::default()),
        Some(v) => match super::api::as_f64(v) {
            Some(x) => x.to_string(),
            None => v.clone().into_string().map_err(|_| {
                rt_error(format!(
                    "{func}: option `threshold` must be a number in (0, 1) or one of \"1/7\", \"half_bit\", got {v}"
                ))
            })?,
        },
    };
    text.parse::<Threshold>()
        .map_err(|e| rt_error(format!("{func}: option `threshold`: {e}")))
}

fn pixel_size(a: &ImageRef, b: &ImageRef) -> RResult<f64> {
    let (pa, pb) = (a.0.pixel_nm, b.0.pixel_nm);
    if (pa - pb).abs() > 1e-9 * pa.abs().max(pb.abs()) {
        return Err(rt_error(format!(
            "frc: the images have different pixel sizes ({pa} nm and {pb} nm)"
        )));
    }
    Ok(pa)
}

fn opt_resolution(r: Option<f64>) -> Dynamic {
    r.map(Dynamic::from_float).unwrap_or(Dynamic::UNIT)
}

/// The `max_val` option of the metrics, or the default of [`metrics::default_max_val`].
fn max_val(c: &super::api::Call, a: &ImageRef, b: &ImageRef, given: Option<f64>) -> RResult<f64> {
    match given {
        Some(m) => Ok(m),
        None => c.run(|| metrics::default_max_val(a.0.data.view(), b.0.data.view())),
    }
}

pub fn register(api: &mut Api) {
    api.handle::<FrcRef>();
    api.category("FRC");

    api.fun("frc")
        .handle::<ImageRef>("a")
        .handle::<ImageRef>("b")
        .opts(frc_spec(false))
        .doc("Fourier ring correlation of two images of the same shape and pixel size (docs/methods.md §5): rings by floor binning of the centred frequency grid, FRC(q) = Re sum F1 F2* / sqrt(sum |F1|^2 sum |F2|^2), frequency q/(N p) in nm^-1, LOESS-smoothed as Picasso. A non-square pair is zero-padded to square.")
        .example("let c = frc(img, img.gaussian(1.0)); print(c.resolution());")
        .call(|c| {
            let (a, b) = (c.handle::<ImageRef>("a")?, c.handle::<ImageRef>("b")?);
            let p = pixel_size(&a, &b)?;
            let opts = frc_options(&c.opts()?)?;
            c.run(|| frc::frc(a.0.data.view(), b.0.data.view(), p, &opts))
                .map(FrcRef::new)
        });
    api.prop(
        "freq",
        "Spatial frequency of each ring in nm^-1 (an array, a copy).",
        "let f = curve.freq;",
        |c: &FrcRef| float_array(c.0.freq.iter().copied()),
    );
    api.prop(
        "values",
        "The raw FRC value of each ring (an array, a copy).",
        "let v = curve.values;",
        |c: &FrcRef| float_array(c.0.values.iter().copied()),
    );
    api.prop(
        "smoothed",
        "The LOESS-smoothed FRC (statsmodels lowess, Picasso's span rule), one value per ring.",
        "let s = curve.smoothed;",
        |c: &FrcRef| float_array(c.0.smoothed.iter().copied()),
    );
    api.prop(
        "ring_pixels",
        "Number of Fourier pixels in each ring (used by the half-bit threshold).",
        "curve.ring_pixels",
        |c: &FrcRef| {
            c.0.ring_counts
                .iter()
                .map(|&n| Dynamic::from(n as INT))
                .collect::<rhai::Array>()
        },
    );
    api.prop(
        "resolutions",
        "Resolution (nm; 1/7, smoothed) of each repeat of a table's self-FRC (() where a repeat has no crossing); empty for frc(a, b).",
        "curve.resolutions",
        |c: &FrcRef| {
            c.0.repeat_resolutions
                .iter()
                .map(|r| opt_resolution(*r))
                .collect::<rhai::Array>()
        },
    );
    api.prop(
        "repeats",
        "Number of independent curves behind this one: the repeats of a table's self-FRC, 1 for frc(a, b).",
        "curve.repeats",
        |c: &FrcRef| c.0.repeats() as INT,
    );
    api.prop(
        "crossed",
        "How many of the repeats cross 1/7 (smoothed); for frc(a, b) 1 when the curve crosses, else 0. Report it with the resolution: \"k of n repeats crossed\".",
        "curve.crossed",
        |c: &FrcRef| c.0.crossed() as INT,
    );
    api.prop(
        "warnings",
        "What a reader of the resolution should know (docs/methods.md §5): the smoothed curve rises back above 1/7 + 3/sqrt(ring pixels) after its first crossing (with the frequency), a repeat's resolution lies outside the Tukey fences of the repeats. An array of strings, empty when all is well; also in the summary, the CSV and the plot.",
        "curve.warnings",
        |c: &FrcRef| {
            c.0.warnings
                .iter()
                .map(|w| Dynamic::from(w.clone()))
                .collect::<rhai::Array>()
        },
    );
    api.prop(
        "resolution_mean",
        "Mean resolution (nm) over the repeats of a self-FRC that cross 1/7 (see curve.crossed; the single curve's resolution for frc(a, b)), or () when none crosses. Not the mean curve's resolution: that is curve.resolution().",
        "curve.resolution_mean",
        |c: &FrcRef| match c.0.repeat_stats() {
            Some(st) => opt_resolution(st.mean_nm),
            None => opt_resolution(c.0.resolution(Threshold::default(), true)),
        },
    );
    api.prop(
        "resolution_sd",
        "Sample standard deviation (nm) of the crossing repeats' resolutions, or () for fewer than 2 crossing repeats (never the sd of one value).",
        "curve.resolution_sd",
        |c: &FrcRef| opt_resolution(c.0.repeat_stats().and_then(|st| st.sd_nm)),
    );
    api.prop(
        "n",
        "Side N in pixels of the (padded) square images.",
        "curve.n",
        |c: &FrcRef| c.0.n as INT,
    );
    api.prop(
        "pixel_nm",
        "Pixel size of the images in nm.",
        "curve.pixel_nm",
        |c: &FrcRef| c.0.pixel_nm,
    );
    api.method::<FrcRef>("resolution")
        .opts(vec![
            Opt::any("threshold", "a number in (0, 1), \"1/7\" or \"half_bit\"")
                .default_text("1/7")
                .doc("the threshold: fixed, or the half-bit curve"),
            Opt::bool("smooth", true).doc("read the LOESS curve (false: the raw one)"),
        ])
        .doc("Resolution in nm where the curve first falls below the threshold (linear interpolation between rings, 1/f), or () when it never does (docs/methods.md §5).")
        .example("let r = curve.resolution(#{ threshold: \"half_bit\" });")
        .call(|c| {
            let curve = c.recv::<FrcRef>()?;
            let o = c.opts()?;
            let t = threshold("resolution", o.raw("threshold"))?;
            Ok(opt_resolution(curve.0.resolution(t, o.bool("smooth")?)))
        });
    api.method::<FrcRef>("area")
        .num("fraction")
        .doc("Area-FRC: the mean FRC over rings 1..floor(fraction N/2), fraction of Nyquist in (0, 1] (docs/methods.md §5). 1 for identical images, about 0 for unrelated ones; the paper's loss is 1 - area.")
        .example("curve.area(0.2)")
        .call(|c| {
            let (curve, f) = (c.recv::<FrcRef>()?, c.num("fraction")?);
            c.run(|| curve.0.area(f))
        });
    api.method::<FrcRef>("save")
        .str("path")
        .doc("Write the curve as CSV, atomically: first comment lines starting with # (the summary; for repeats \"# repeats: n, crossed: k, resolutions_nm: ...\"; one \"# warning: ...\" line per warning; read with e.g. pandas.read_csv(path, comment=\"#\")), then the columns ring, freq_nm_inv, frc, smoothed, ring_pixels, threshold_half_bit.")
        .example("curve.save(\"frc.csv\");")
        .call(|c| {
            let (curve, p) = (c.recv::<FrcRef>()?, c.str("path")?);
            c.run(|| {
                sandbox::check_write(&p)?;
                curve.0.to_csv(&p)
            })
        });

    api.category("Metrics");
    api.fun("mse")
        .handle::<ImageRef>("a")
        .handle::<ImageRef>("b")
        .doc("Mean squared error of two images of the same shape.")
        .example("mse(img, img.gaussian(1.0))")
        .call(|c| {
            let (a, b) = (c.handle::<ImageRef>("a")?, c.handle::<ImageRef>("b")?);
            c.run(|| metrics::mse(a.0.data.view(), b.0.data.view()))
        });
    api.fun("psnr")
        .handle::<ImageRef>("a")
        .handle::<ImageRef>("b")
        .optional()
        .num("max_val")
        .doc("Peak signal-to-noise ratio 10 log10(max_val^2 / MSE) in dB (docs/methods.md §6). max_val defaults to 2 for images within [-1, 1] (the network's range), else to the target's (b's) value range. Identical images give infinity.")
        .example("psnr(img.normalize(), img.gaussian(1.0).normalize(), 2.0)")
        .call(|c| {
            let (a, b) = (c.handle::<ImageRef>("a")?, c.handle::<ImageRef>("b")?);
            let m = max_val(c, &a, &b, c.opt_num("max_val")?)?;
            c.run(|| metrics::psnr(a.0.data.view(), b.0.data.view(), m))
        });
    api.fun("ssim")
        .handle::<ImageRef>("a")
        .handle::<ImageRef>("b")
        .optional()
        .num("max_val")
        .doc("Structural similarity with TensorFlow's conventions (11×11 Gaussian window, sigma 1.5, VALID filtering, C1 = (0.01 max_val)^2, C2 = (0.03 max_val)^2; docs/methods.md §6). max_val as for psnr. Sides must be >= 11 px.")
        .example("ssim(img, img.gaussian(1.0))")
        .call(|c| {
            let (a, b) = (c.handle::<ImageRef>("a")?, c.handle::<ImageRef>("b")?);
            let m = max_val(c, &a, &b, c.opt_num("max_val")?)?;
            c.run(|| metrics::ssim(a.0.data.view(), b.0.data.view(), m))
        });
    api.fun("ms_ssim")
        .handle::<ImageRef>("a")
        .handle::<ImageRef>("b")
        .optional()
        .num("max_val")
        .doc("Multi-scale SSIM as tf.image.ssim_multiscale: 5 scales with weights (0.0448, 0.2856, 0.3001, 0.2363, 0.1333), 2×2 average pooling between scales (docs/methods.md §6). Sides must be >= 161 px. max_val as for psnr.")
        .example("ms_ssim(img, img.gaussian(1.0))")
        .call(|c| {
            let (a, b) = (c.handle::<ImageRef>("a")?, c.handle::<ImageRef>("b")?);
            let m = max_val(c, &a, &b, c.opt_num("max_val")?)?;
            c.run(|| metrics::ms_ssim(a.0.data.view(), b.0.data.view(), m))
        });
    api.fun("area_frc")
        .handle::<ImageRef>("a")
        .handle::<ImageRef>("b")
        .num("fraction")
        .doc("Area-FRC of two images up to `fraction` of Nyquist (no Tukey mask, standard rings): frc(a, b).area(fraction) (docs/methods.md §5).")
        .example("area_frc(img, img.gaussian(1.0), 0.2)")
        .call(|c| {
            let (a, b) = (c.handle::<ImageRef>("a")?, c.handle::<ImageRef>("b")?);
            let f = c.num("fraction")?;
            c.run(|| frc::area_frc(a.0.data.view(), b.0.data.view(), f))
        });
    api.fun("evaluate")
        .handle::<ImageRef>("prediction")
        .handle::<ImageRef>("target")
        .opts(vec![
            Opt::num_opt("max_val")
                .check(Check::Gt(0.0))
                .default_text("as for psnr")
                .doc("value range for PSNR and MS-SSIM"),
            Opt::num("frc_fraction", 0.2)
                .check(Check::Fraction)
                .doc("area-FRC up to this fraction of Nyquist"),
        ])
        .doc("The paper's evaluation of a prediction against its target: #{ mse, psnr, ms_ssim, area_frc }.")
        .example("let m = evaluate(img.normalize(), img.gaussian(1.0).normalize()); print(m.psnr);")
        .call(|c| {
            let (a, b) = (
                c.handle::<ImageRef>("prediction")?,
                c.handle::<ImageRef>("target")?,
            );
            let o = c.opts()?;
            let m = max_val(c, &a, &b, o.opt_num("max_val")?)?;
            let fraction = o.num("frc_fraction")?;
            let e = c.run(|| metrics::evaluate(a.0.data.view(), b.0.data.view(), m, fraction))?;
            let mut out = Map::new();
            out.insert("mse".into(), Dynamic::from_float(e.mse));
            out.insert("psnr".into(), Dynamic::from_float(e.psnr));
            out.insert("ms_ssim".into(), Dynamic::from_float(e.ms_ssim));
            out.insert("area_frc".into(), Dynamic::from_float(e.area_frc));
            Ok(out)
        });
}
