//! Bindings for `Image`: properties, statistics, arithmetic, file I/O,
//! terminal display and density estimation (docs/methods.md §1, §3, §4, §7).

use super::api::{float_array, Api, Handle};
use super::sandbox;
use super::spec::{Check, Opt};
use crate::density::{self, AkdeOptions, Border};
use crate::image::colormap::Colormap;
use crate::image::Image;
use rhai::{Dynamic, Map, INT};
use std::sync::Arc;

/// A shared handle to an image: cloning it never copies the pixels.
#[derive(Clone, Debug)]
pub struct ImageRef(pub Arc<Image>);

impl ImageRef {
    /// Wrap an image.
    pub fn new(img: Image) -> Self {
        ImageRef(Arc::new(img))
    }

    /// The same grid (pixel size, origin) with new pixel values.
    pub fn with_data(&self, data: ndarray::Array2<f32>) -> ImageRef {
        ImageRef::new(Image {
            data,
            pixel_nm: self.0.pixel_nm,
            origin_nm: self.0.origin_nm,
        })
    }
}

impl Handle for ImageRef {
    const TYPE: &'static str = "Image";
    const VAR: &'static str = "img";
    fn summary(&self) -> String {
        self.0.to_string()
    }
}

/// The options of `akde` (also nested in `training_pairs`).
pub fn akde_spec() -> Vec<Opt> {
    let d = AkdeOptions::default();
    vec![
        Opt::count("window", d.window)
            .check(Check::OddAtLeast(3))
            .unit("px")
            .doc("window size k"),
        Opt::num("scale", d.scale)
            .check(Check::Gt(0.0))
            .doc("variance factor c (multiplies the normalised covariance)"),
        Opt::choice("border", d.border.as_str(), Border::NAMES).doc(
            "\"clip\" keeps all mass; \"skip\" drops sources within window/2 of the edge, as the paper code",
        ),
    ]
}

/// Read `akde` options parsed against [`akde_spec`].
pub fn akde_options(o: &super::spec::Options) -> super::api::RResult<AkdeOptions> {
    Ok(AkdeOptions {
        window: o.count("window")?,
        scale: o.num("scale")?,
        border: o.parse("border")?,
    })
}

fn show_spec() -> Vec<Opt> {
    let d = crate::image::ShowOptions::default();
    vec![
        Opt::choice("colormap", d.colormap.name(), &Colormap::NAMES).doc("colour map"),
        Opt::num_opt("vmin")
            .default_text("the minimum")
            .doc("value at the bottom of the colour range"),
        Opt::num_opt("vmax")
            .default_text("the `percentile` of the values above the minimum")
            .doc("value at the top of the colour range"),
        Opt::num("percentile", d.percentile)
            .check(Check::Range(0.0, 100.0))
            .doc(
                "percentile for the default vmax (100: the maximum); 99.5 shows sparse renders with contrast",
            ),
    ]
}

pub fn register(api: &mut Api) {
    api.handle::<ImageRef>();
    api.category("Images");

    api.prop(
        "width",
        "Number of columns (pixels).",
        "img.width",
        |i: &ImageRef| i.0.width() as INT,
    );
    api.prop(
        "height",
        "Number of rows (pixels).",
        "img.height",
        |i: &ImageRef| i.0.height() as INT,
    );
    api.prop("pixel_nm", "Pixel size in nm.", "img.pixel_nm", |i: &ImageRef| {
        i.0.pixel_nm
    });
    api.prop(
        "origin_nm",
        "Position [x0, y0] in nm of the top-left corner of pixel (0, 0) (docs/methods.md §1).",
        "img.origin_nm",
        |i: &ImageRef| -> rhai::Array {
            vec![Dynamic::from(i.0.origin_nm.0), Dynamic::from(i.0.origin_nm.1)]
        },
    );

    api.method::<ImageRef>("sum")
        .doc("Sum of all pixel values (accumulated in f64).")
        .example("let n = img.sum();")
        .call(|c| Ok(c.recv::<ImageRef>()?.0.sum()));
    api.method::<ImageRef>("max")
        .doc("Largest pixel value.")
        .example("img.max()")
        .call(|c| {
            let i = c.recv::<ImageRef>()?;
            c.run(|| i.0.max())
        });
    api.method::<ImageRef>("min")
        .doc("Smallest pixel value.")
        .example("img.min()")
        .call(|c| {
            let i = c.recv::<ImageRef>()?;
            c.run(|| i.0.min())
        });
    api.method::<ImageRef>("mean")
        .doc("Mean pixel value.")
        .example("img.mean()")
        .call(|c| {
            let i = c.recv::<ImageRef>()?;
            c.run(|| i.0.mean())
        });
    api.method::<ImageRef>("std")
        .doc("Standard deviation of the pixel values (population, n in the denominator).")
        .example("img.std()")
        .call(|c| {
            let i = c.recv::<ImageRef>()?;
            c.run(|| i.0.std())
        });
    api.method::<ImageRef>("get")
        .int("col")
        .int("row")
        .doc(
            "The value of pixel (col, row); col counts from the left, row from the top (docs/methods.md §1).",
        )
        .example("img.get(10, 20)")
        .call(|c| {
            let i = c.recv::<ImageRef>()?;
            let (col, row) = (c.int("col")?, c.int("row")?);
            c.run(|| i.0.get(col, row).map(|v| v as f64))
        });
    api.method::<ImageRef>("crop")
        .int("col")
        .int("row")
        .int("w")
        .int("h")
        .doc("The w×h pixel region whose top-left pixel is (col, row); the origin moves with it. A region reaching outside the image is an error.")
        .example("let roi = img.crop(10, 10, 64, 64);")
        .call(|c| {
            let i = c.recv::<ImageRef>()?;
            let (col, row, w, h) = (c.int("col")?, c.int("row")?, c.int("w")?, c.int("h")?);
            c.run(|| i.0.crop(col, row, w, h).map(ImageRef::new))
        });
    api.method::<ImageRef>("normalize")
        .doc("Scale to [-1, 1]: x -> 2(x - min)/max(x - min) - 1 (docs/methods.md §7, the network's input scaling). A constant image gives -1 everywhere.")
        .example("let x = img.normalize();")
        .call(|c| {
            let i = c.recv::<ImageRef>()?;
            c.run(|| i.0.normalize().map(ImageRef::new))
        });
    api.method::<ImageRef>("threshold")
        .num("t")
        .doc("Set values below t to 0 (the paper removed isolated localizations with img[img < 2] = 0 before smoothing).")
        .example("let clean = img.threshold(2.0);")
        .call(|c| Ok(ImageRef::new(c.recv::<ImageRef>()?.0.threshold(c.num("t")?))));
    api.method::<ImageRef>("gaussian")
        .num("sigma_px")
        .doc("Gaussian KDE: separable Gaussian filter with sigma in pixels, truncated at 4 sigma, border \"nearest\" (docs/methods.md §3; equals scipy.ndimage.gaussian_filter(mode=\"nearest\", truncate=4)).")
        .example("let kde = img.gaussian(1.0);")
        .call(|c| {
            let i = c.recv::<ImageRef>()?;
            let sigma = c.num("sigma_px")?;
            c.run(|| density::gaussian(i.0.data.view(), sigma))
                .map(|d| i.with_data(d))
        });
    api.method::<ImageRef>("akde")
        .opts(akde_spec())
        .doc("Anisotropic adaptive KDE of the paper (eqs. 3-5, docs/methods.md §4): every non-zero pixel spreads its value with a Gaussian kernel whose covariance is the intensity-weighted covariance of its k×k window, normalised to unit Frobenius norm and multiplied by `scale`. The total intensity is kept (border \"clip\").")
        .example("let dens = img.threshold(2.0).akde(#{ window: 11, scale: 2.0 });")
        .call(|c| {
            let i = c.recv::<ImageRef>()?;
            let opts = akde_options(&c.opts()?)?;
            c.run(|| density::akde(i.0.data.view(), &opts))
                .map(|d| i.with_data(d))
        });

    // Arithmetic: one help entry for all operators.
    let arith_doc = "Pixel-wise arithmetic: img + img, img - img, img * img (same shape), img + x, img - x, img * x, img / x, x + img, x - img, x * img. The result keeps the left image's pixel size and origin.";
    let arith_example = "let diff = img - img * 0.5;";
    api.category("Images");
    for op in ["+", "-", "*"] {
        api.fun(op)
            .handle::<ImageRef>("a")
            .handle::<ImageRef>("b")
            .sig("img + img, img - img, img * img, img ± x, img * x, img / x, x ± img, x * img")
            .doc(arith_doc)
            .example(arith_example)
            .call(move |c| {
                let (a, b) = (c.handle::<ImageRef>("a")?, c.handle::<ImageRef>("b")?);
                c.run(|| match op {
                    "+" => a.0.add(&b.0),
                    "-" => a.0.sub(&b.0),
                    _ => a.0.mul(&b.0),
                })
                .map(ImageRef::new)
            });
    }
    for op in ["+", "-", "*", "/"] {
        api.fun(op)
            .handle::<ImageRef>("a")
            .num("x")
            .sig("img + img, img - img, img * img, img ± x, img * x, img / x, x ± img, x * img")
            .doc(arith_doc)
            .example(arith_example)
            .call(move |c| {
                let (a, k) = (c.handle::<ImageRef>("a")?, c.num("x")?);
                Ok(ImageRef::new(match op {
                    "+" => a.0.add_scalar(k),
                    "-" => a.0.sub_scalar(k),
                    "*" => a.0.mul_scalar(k),
                    _ => return c.run(|| a.0.div_scalar(k)).map(ImageRef::new),
                }))
            });
    }
    for op in ["+", "-", "*"] {
        api.fun(op)
            .num("x")
            .handle::<ImageRef>("a")
            .sig("img + img, img - img, img * img, img ± x, img * x, img / x, x ± img, x * img")
            .doc(arith_doc)
            .example(arith_example)
            .call(move |c| {
                let (k, a) = (c.num("x")?, c.handle::<ImageRef>("a")?);
                Ok(ImageRef::new(match op {
                    "+" => a.0.add_scalar(k),
                    "-" => a.0.rsub_scalar(k),
                    _ => a.0.mul_scalar(k),
                }))
            });
    }

    api.method::<ImageRef>("line_profile")
        .num("x0")
        .num("y0")
        .num("x1")
        .num("y1")
        .opts(vec![
            Opt::count_opt("samples")
                .check(Check::Ge(2.0))
                .default_text("one per pixel of length")
                .doc("number of points along the segment"),
            Opt::count("width_px", 1).check(Check::Ge(1.0)).unit("px").doc("band width averaged across the line"),
        ])
        .doc("Intensity along the segment (x0, y0) -> (x1, y1) in pixel coordinates (column, row; pixel centres at +0.5), bilinear, averaged across a band. Returns #{ distance_nm: [...], values: [...] }.")
        .example("let p = img.line_profile(10.0, 50.5, 90.0, 50.5, #{ width_px: 5 });")
        .call(|c| {
            let i = c.recv::<ImageRef>()?;
            let (x0, y0, x1, y1) = (c.num("x0")?, c.num("y0")?, c.num("x1")?, c.num("y1")?);
            let o = c.opts()?;
            let samples = o
                .opt_count("samples")?
                .unwrap_or_else(|| crate::image::profile::default_samples((x0, y0), (x1, y1)));
            let width = o.count("width_px")?;
            let prof = c.run(|| i.0.line_profile((x0, y0), (x1, y1), samples, width))?;
            let mut out = Map::new();
            out.insert("distance_nm".into(), float_array(prof.iter().map(|p| p.0)).into());
            out.insert("values".into(), float_array(prof.iter().map(|p| p.1)).into());
            Ok(out)
        });
    api.method::<ImageRef>("column_means")
        .doc("The mean of each column, left to right (a profile across vertical structures such as the Figure 4C filament pair).")
        .example("let prof = img.column_means();")
        .call(|c| Ok(float_array(c.recv::<ImageRef>()?.0.column_means())));
    api.method::<ImageRef>("row_means")
        .doc("The mean of each row, top to bottom.")
        .example("let prof = img.row_means();")
        .call(|c| Ok(float_array(c.recv::<ImageRef>()?.0.row_means())));
    let pd = crate::image::profile::PairOptions::default();
    api.fun("resolved_pair")
        .array("profile")
        .num("pixel_nm")
        .num("distance_nm")
        .opts(vec![
            Opt::num_opt("centre_nm")
                .unit("nm")
                .default_text("the middle of the profile")
                .doc("where the pair is centred, from the start of the profile"),
            Opt::num("tolerance", pd.tolerance)
                .check(Check::Range(0.01, 0.49))
                .doc("a peak must lie within +- tolerance * distance of its filament"),
            Opt::num("noise_sigmas", pd.noise_sigmas)
                .check(Check::Ge(0.0))
                .doc("the dip and the peaks (above the background) must exceed this many noise sds"),
            Opt::num("min_dip_ratio", pd.min_dip_ratio)
                .check(Check::Range(0.0, 0.99))
                .doc("the dip must also be this fraction of the lower peak's height"),
            Opt::bool("smooth", pd.smooth).doc("3-point moving average first (pass the profile unsmoothed)"),
            Opt::num_opt("background_gap_nm")
                .check(Check::Ge(0.0))
                .unit("nm")
                .default_text("one FWHM of each peak")
                .doc("background samples lie this far outside each peak"),
            Opt::num_opt("x0_nm")
                .unit("nm")
                .default_text("pixel_nm / 2")
                .doc("position of the first sample"),
        ])
        .doc("Are two parallel filaments distance_nm apart resolved in this profile across them (the Figure 4C test)? Resolved when each filament has a peak (a local maximum) within +- distance/4 of where it should be, and the dip between the peaks and both peaks' heights above the background beside the pair exceed 3 noise sds (noise: the larger of the background's sd and a local estimate from the samples between the peaks), the dip being also >= 10 % of the lower peak. Returns #{ resolved, peaks_nm: [a, b], peaks (sample indices), dip, dip_ratio, dip_sigmas, background, noise, background_samples, reason } (() where not computed; reason says why not resolved).")
        .example("let t = resolved_pair(img.column_means(), img.pixel_nm, 80.0); print(t.reason);")
        .call(|c| {
            let items = c.array("profile")?;
            let mut profile = Vec::with_capacity(items.len());
            for (i, v) in items.iter().enumerate() {
                profile.push(super::api::as_f64(v).ok_or_else(|| {
                    super::api::rt_error(format!(
                        "resolved_pair: argument `profile`: item {i} is a {}, not a number",
                        v.type_name()
                    ))
                })?);
            }
            let (p, d) = (c.num("pixel_nm")?, c.num("distance_nm")?);
            let o = c.opts()?;
            let opts = crate::image::profile::PairOptions {
                tolerance: o.num("tolerance")?,
                noise_sigmas: o.num("noise_sigmas")?,
                min_dip_ratio: o.num("min_dip_ratio")?,
                smooth: o.bool("smooth")?,
                background_gap_nm: o.opt_num("background_gap_nm")?,
                x0_nm: o.opt_num("x0_nm")?,
            };
            let x0 = opts.x0_nm.unwrap_or(p / 2.0);
            let centre = match o.opt_num("centre_nm")? {
                Some(v) => v,
                None => x0 + profile.len().saturating_sub(1) as f64 * p / 2.0,
            };
            let t = c.run(|| crate::image::profile::resolved_pair(&profile, p, centre, d, &opts))?;
            let unit_or = |v: Option<f64>| v.map(Dynamic::from_float).unwrap_or(Dynamic::UNIT);
            let idx = |v: Option<usize>| v.map(|i| Dynamic::from(i as INT)).unwrap_or(Dynamic::UNIT);
            let mut out = Map::new();
            out.insert("resolved".into(), Dynamic::from_bool(t.resolved));
            out.insert(
                "peaks_nm".into(),
                Dynamic::from_array(t.peaks_nm.iter().map(|v| unit_or(*v)).collect()),
            );
            out.insert(
                "peaks".into(),
                Dynamic::from_array(t.peaks.iter().map(|v| idx(*v)).collect()),
            );
            out.insert("dip".into(), idx(t.dip));
            out.insert("dip_ratio".into(), Dynamic::from_float(t.dip_ratio));
            out.insert("dip_sigmas".into(), Dynamic::from_float(t.dip_sigmas));
            out.insert("background".into(), unit_or(t.background));
            out.insert("noise".into(), unit_or(t.noise));
            out.insert("background_samples".into(), Dynamic::from(t.background_samples as INT));
            out.insert("reason".into(), Dynamic::from(t.reason));
            out.insert("centre_nm".into(), Dynamic::from_float(centre));
            Ok(out)
        });

    // Files and display.
    api.method::<ImageRef>("save")
        .str("path")
        .doc("Write the image: .tif/.tiff (float32 with the pixel size, as Fiji reads it), .png (8-bit, scaled to the full range), .npy (float32). The file is replaced atomically.")
        .example("img.save(\"render.tif\");")
        .call(|c| {
            let (i, p) = (c.recv::<ImageRef>()?, c.str("path")?);
            c.run(|| {
                sandbox::check_write(&p)?;
                i.0.save(&p)
            })
        });
    api.fun("load_image")
        .str("path")
        .opts(vec![Opt::num_opt("pixel_nm")
            .check(Check::Gt(0.0))
            .unit("nm")
            .default_text("from the TIFF tags, else 1")
            .doc("pixel size")])
        .doc("Read an image: .tif/.tiff (8/16/32-bit integer or float; pixel size from the ImageJ tags), .png (8/16-bit; the raw values, e.g. localization counts), .npy (2-D float32/float64).")
        .example("img.save(\"x.npy\"); let back = load_image(\"x.npy\", #{ pixel_nm: 10.0 });")
        .call(|c| {
            let p = c.str("path")?;
            let o = c.opts()?;
            let mut img = c.run(|| {
                sandbox::check_read(&p)?;
                crate::image::io::load_image(&p)
            })?;
            if let Some(px) = o.opt_num("pixel_nm")? {
                img.pixel_nm = px;
            }
            Ok(ImageRef::new(img))
        });
    api.fun("zeros")
        .int("width")
        .int("height")
        .num("pixel_nm")
        .doc("A width×height image of zeros with the given pixel size (nm).")
        .example("let canvas = zeros(512, 512, 10.0);")
        .call(|c| {
            let (w, h, p) = (c.int("width")?, c.int("height")?, c.num("pixel_nm")?);
            c.run(|| Image::zeros(w, h, p).map(ImageRef::new))
        });
    api.method::<ImageRef>("show")
        .opts(show_spec())
        .doc("Draw the image in the terminal (kitty/iTerm/sixel graphics where supported, Unicode half-blocks otherwise); prints a one-line description when the output is not a terminal.")
        .example("img.show(#{ colormap: \"viridis\", percentile: 99.0 });")
        .call(|c| {
            let i = c.recv::<ImageRef>()?;
            let o = c.opts()?;
            let opts = crate::image::ShowOptions {
                colormap: o.parse("colormap")?,
                vmin: o.opt_num("vmin")?,
                vmax: o.opt_num("vmax")?,
                percentile: o.num("percentile")?,
            };
            c.run(|| i.0.show_with(&opts))
        });
}
