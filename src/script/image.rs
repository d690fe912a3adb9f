//! Bindings for `Image`: properties, statistics, arithmetic, file I/O,
//! terminal display and density estimation (METHODS.md §1, §3, §4, §7).

use super::api::{as_f64, guard, rt_error, Api, Opts, RResult};
use crate::density::{self, AkdeOptions, Border};
use crate::image::colormap::Colormap;
use crate::image::Image;
use rhai::{Dynamic, ImmutableString, Map, INT};
use std::sync::Arc;

/// A shared handle to an image: cloning it never copies the pixels.
#[derive(Clone, Debug)]
pub struct ImageRef(pub Arc<Image>);

impl ImageRef {
    /// Wrap an image.
    pub fn new(img: Image) -> Self {
        ImageRef(Arc::new(img))
    }

    /// One-line summary: shape, pixel size, sum and range. Never the data.
    pub fn summary(&self) -> String {
        let img = &self.0;
        let (lo, hi) = (img.min().unwrap_or(f64::NAN), img.max().unwrap_or(f64::NAN));
        format!(
            "Image {}×{} px @ {} nm, sum {}, range [{}, {}]",
            img.width(),
            img.height(),
            super::values::format_float(img.pixel_nm),
            super::values::format_float(img.sum()),
            super::values::format_float(lo),
            super::values::format_float(hi)
        )
    }
}

/// A number argument (integers accepted) with an error naming it.
pub fn num(func: &str, arg: &str, v: &Dynamic) -> RResult<f64> {
    as_f64(v).ok_or_else(|| {
        rt_error(format!(
            "{func}: `{arg}` must be a number, got {} ({})",
            v,
            v.type_name()
        ))
    })
}

fn akde_options(func: &str, map: &Map) -> RResult<AkdeOptions> {
    let o = Opts::new(func, map, &["window", "scale", "border"])?;
    let d = AkdeOptions::default();
    let border = o.choice("border", "clip", &["clip", "skip"])?;
    Ok(AkdeOptions {
        window: o.usize("window", d.window)?,
        scale: o.float("scale", d.scale)?,
        border: if border == "skip" {
            Border::Skip
        } else {
            Border::Clip
        },
    })
}

fn with_data(img: &Image, data: ndarray::Array2<f32>) -> ImageRef {
    ImageRef::new(Image {
        data,
        pixel_nm: img.pixel_nm,
        origin_nm: img.origin_nm,
    })
}

fn colormap(func: &str, name: &str) -> RResult<Colormap> {
    Colormap::from_name(name).map_err(|e| rt_error(format!("{func}: {e}")))
}

pub fn register(api: &mut Api) {
    api.ty::<ImageRef>("Image");
    api.engine()
        .register_fn("to_string", |i: &mut ImageRef| i.summary());
    api.engine()
        .register_fn("to_debug", |i: &mut ImageRef| i.summary());
    api.category("Images");

    api.getter(
        "width",
        "Image",
        "Number of columns (pixels).\nExample: img.width",
        |i: &mut ImageRef| i.0.width() as INT,
    );
    api.getter(
        "height",
        "Image",
        "Number of rows (pixels).\nExample: img.height",
        |i: &mut ImageRef| i.0.height() as INT,
    );
    api.getter(
        "pixel_nm",
        "Image",
        "Pixel size in nm.\nExample: img.pixel_nm",
        |i: &mut ImageRef| i.0.pixel_nm,
    );
    api.getter(
        "origin_nm",
        "Image",
        "Position [x0, y0] in nm of the top-left corner of pixel (0, 0) (METHODS.md §1).\nExample: img.origin_nm",
        |i: &mut ImageRef| -> rhai::Array { vec![Dynamic::from(i.0.origin_nm.0), Dynamic::from(i.0.origin_nm.1)] },
    );

    api.func(
        "sum",
        Some("Image"),
        "img.sum()",
        &["img: Image"],
        "Sum of all pixel values (accumulated in f64).\nExample: let n = img.sum();",
        |i: &mut ImageRef| i.0.sum(),
    );
    api.func(
        "max",
        Some("Image"),
        "img.max()",
        &["img: Image"],
        "Largest pixel value.\nExample: img.max()",
        |i: &mut ImageRef| guard("max", || i.0.max()),
    );
    api.func(
        "min",
        Some("Image"),
        "img.min()",
        &["img: Image"],
        "Smallest pixel value.\nExample: img.min()",
        |i: &mut ImageRef| guard("min", || i.0.min()),
    );
    api.func(
        "mean",
        Some("Image"),
        "img.mean()",
        &["img: Image"],
        "Mean pixel value.\nExample: img.mean()",
        |i: &mut ImageRef| guard("mean", || i.0.mean()),
    );
    api.func(
        "std",
        Some("Image"),
        "img.std()",
        &["img: Image"],
        "Standard deviation of the pixel values (population, n in the denominator).\nExample: img.std()",
        |i: &mut ImageRef| guard("std", || i.0.std()),
    );
    api.func(
        "get",
        Some("Image"),
        "img.get(col, row)",
        &["img: Image", "col: i64", "row: i64"],
        "The value of pixel (col, row); col counts from the left, row from the top (METHODS.md §1).\nExample: img.get(10, 20)",
        |i: &mut ImageRef, c: INT, r: INT| guard("get", || i.0.get(c, r).map(|v| v as f64)),
    );
    api.func(
        "crop",
        Some("Image"),
        "img.crop(col, row, w, h)",
        &["img: Image", "col: i64", "row: i64", "w: i64", "h: i64"],
        "The w×h pixel region whose top-left pixel is (col, row); the origin moves with it.\nExample: let roi = img.crop(100, 100, 256, 256);",
        |i: &mut ImageRef, c: INT, r: INT, w: INT, h: INT| guard("crop", || i.0.crop(c, r, w, h).map(ImageRef::new)),
    );
    api.func(
        "normalize",
        Some("Image"),
        "img.normalize()",
        &["img: Image"],
        "Scale to [-1, 1]: x -> 2(x - min)/max(x - min) - 1 (METHODS.md §7, the network's input scaling). A constant image gives -1 everywhere.\nExample: let x = img.normalize();",
        |i: &mut ImageRef| guard("normalize", || i.0.normalize().map(ImageRef::new)),
    );
    api.func(
        "threshold",
        Some("Image"),
        "img.threshold(t)",
        &["img: Image", "t: f64"],
        "Set values below t to 0 (the paper removed isolated localizations with img[img < 2] = 0 before smoothing).\nExample: let clean = hist.threshold(2.0);",
        |i: &mut ImageRef, t: Dynamic| -> RResult<ImageRef> { Ok(ImageRef::new(i.0.threshold(num("threshold", "t", &t)?))) },
    );
    api.func(
        "gaussian",
        Some("Image"),
        "img.gaussian(sigma_px)",
        &["img: Image", "sigma_px: f64"],
        "Gaussian KDE: separable Gaussian filter with sigma in pixels, truncated at 4 sigma, border \"nearest\" (METHODS.md §3; equals scipy.ndimage.gaussian_filter(mode=\"nearest\", truncate=4)).\nExample: let kde = hist.gaussian(1.0);",
        |i: &mut ImageRef, s: Dynamic| -> RResult<ImageRef> {
            let sigma = num("gaussian", "sigma_px", &s)?;
            guard("gaussian", || density::gaussian(i.0.data.view(), sigma)).map(|d| with_data(&i.0, d))
        },
    );
    let akde_doc = "Anisotropic adaptive KDE of the paper (eqs. 3-5, METHODS.md §4): every non-zero pixel spreads its value with a Gaussian kernel whose covariance is the intensity-weighted covariance of its k×k window, normalised to unit Frobenius norm and multiplied by `scale`.\nOptions: window (odd >= 3, default 11), scale (variance factor, default 1.0), border: \"clip\" (default; keeps all mass) or \"skip\" (the paper code: sources within window/2 of the edge are dropped).\nExample: let dens = hist.threshold(2.0).akde(#{ window: 11, scale: 2.0 });";
    api.func(
        "akde",
        Some("Image"),
        "img.akde()",
        &["img: Image"],
        akde_doc,
        |i: &mut ImageRef| {
            guard("akde", || density::akde(i.0.data.view(), &AkdeOptions::default()))
                .map(|d| with_data(&i.0, d))
        },
    );
    api.func(
        "akde",
        Some("Image"),
        "img.akde(opts)",
        &["img: Image", "opts: Map"],
        akde_doc,
        |i: &mut ImageRef, m: Map| -> RResult<ImageRef> {
            let opts = akde_options("akde", &m)?;
            guard("akde", || density::akde(i.0.data.view(), &opts)).map(|d| with_data(&i.0, d))
        },
    );

    // Arithmetic.
    let arith_doc = "Pixel-wise arithmetic: img + img, img - img, img * img (same shape), img + x, img - x, img * x, img / x, x * img, x + img, x - img. The result keeps the left image's pixel size and origin.\nExample: let diff = pred - target;";
    api.func(
        "+",
        Some("Image"),
        "img + other",
        &["a: Image", "b: Image"],
        arith_doc,
        |a: ImageRef, b: ImageRef| guard("+", || a.0.add(&b.0).map(ImageRef::new)),
    );
    api.func(
        "-",
        Some("Image"),
        "img - other",
        &["a: Image", "b: Image"],
        arith_doc,
        |a: ImageRef, b: ImageRef| guard("-", || a.0.sub(&b.0).map(ImageRef::new)),
    );
    api.func(
        "*",
        Some("Image"),
        "img * other",
        &["a: Image", "b: Image"],
        arith_doc,
        |a: ImageRef, b: ImageRef| guard("*", || a.0.mul(&b.0).map(ImageRef::new)),
    );
    for (op, sig) in [
        ("+", "img + x"),
        ("-", "img - x"),
        ("*", "img * x"),
        ("/", "img / x"),
    ] {
        let f = move |a: ImageRef, k: Dynamic| -> RResult<ImageRef> {
            let k = num(op, "x", &k)?;
            match op {
                "+" => Ok(ImageRef::new(a.0.add_scalar(k))),
                "-" => Ok(ImageRef::new(a.0.sub_scalar(k))),
                "*" => Ok(ImageRef::new(a.0.mul_scalar(k))),
                _ => guard("/", || a.0.div_scalar(k).map(ImageRef::new)),
            }
        };
        api.func(op, Some("Image"), sig, &["a: Image", "x: f64"], arith_doc, f);
    }
    for (op, sig) in [("+", "x + img"), ("-", "x - img"), ("*", "x * img")] {
        let f = move |k: Dynamic, a: ImageRef| -> RResult<ImageRef> {
            let k = num(op, "x", &k)?;
            Ok(ImageRef::new(match op {
                "+" => a.0.add_scalar(k),
                "-" => a.0.rsub_scalar(k),
                _ => a.0.mul_scalar(k),
            }))
        };
        api.func(op, None, sig, &["x: f64", "a: Image"], arith_doc, f);
    }

    api.func(
        "line_profile",
        Some("Image"),
        "img.line_profile(x0, y0, x1, y1, opts)",
        &["img: Image", "x0: f64", "y0: f64", "x1: f64", "y1: f64", "opts: Map"],
        "Intensity along the segment (x0, y0) -> (x1, y1) in pixel coordinates (column, row; pixel centres at +0.5), bilinear, averaged across a band. Returns #{ distance_nm: [...], values: [...] }. Options: samples (default: one per pixel of length), width_px (band width, default 1).\nExample: let p = img.line_profile(10.0, 50.5, 90.0, 50.5, #{ width_px: 5 });",
        |i: &mut ImageRef, x0: Dynamic, y0: Dynamic, x1: Dynamic, y1: Dynamic, m: Map| -> RResult<Map> {
            let f = "line_profile";
            let (x0, y0, x1, y1) = (num(f, "x0", &x0)?, num(f, "y0", &y0)?, num(f, "x1", &x1)?, num(f, "y1", &y1)?);
            let o = Opts::new(f, &m, &["samples", "width_px"])?;
            let len = ((x1 - x0).powi(2) + (y1 - y0).powi(2)).sqrt();
            let samples = o.usize("samples", (len.ceil() as usize + 1).max(2))?;
            let width = o.usize("width_px", 1)?;
            let prof = guard(f, || i.0.line_profile((x0, y0), (x1, y1), samples, width))?;
            let mut out = Map::new();
            out.insert("distance_nm".into(), super::api::float_array(prof.iter().map(|p| p.0)).into());
            out.insert("values".into(), super::api::float_array(prof.iter().map(|p| p.1)).into());
            Ok(out)
        },
    );
    api.func(
        "column_means",
        Some("Image"),
        "img.column_means()",
        &["img: Image"],
        "The mean of each column, left to right (a profile across vertical structures such as the Figure 4C filament pair).\nExample: let prof = img.column_means();",
        |i: &mut ImageRef| super::api::float_array(i.0.column_means()),
    );
    api.func(
        "row_means",
        Some("Image"),
        "img.row_means()",
        &["img: Image"],
        "The mean of each row, top to bottom.\nExample: let prof = img.row_means();",
        |i: &mut ImageRef| super::api::float_array(i.0.row_means()),
    );

    // Files and display.
    api.func(
        "save",
        Some("Image"),
        "img.save(path)",
        &["img: Image", "path: &str"],
        "Write the image: .tif/.tiff (float32 with the pixel size, as Fiji reads it), .png (8-bit, scaled to the full range), .npy (float32). The file is replaced atomically.\nExample: img.save(\"render.tif\");",
        |i: &mut ImageRef, p: ImmutableString| guard("save", || {
            crate::script::sandbox::check_write(p.as_str())?;
            i.0.save(p.as_str())
        }),
    );
    api.func(
        "load_image",
        None,
        "load_image(path)",
        &["path: &str"],
        "Read an image: .tif/.tiff (8/16/32-bit integer or float; pixel size from the ImageJ tags), .png (8/16-bit; the raw values, e.g. localization counts), .npy (2-D float32/float64).\nExample: let sub = load_image(\"../shared/data/frcnet/train/spot01_sub.png\");",
        |p: ImmutableString| guard("load_image", || {
            crate::script::sandbox::check_read(p.as_str())?;
            crate::image::io::load_image(p.as_str()).map(ImageRef::new)
        }),
    );
    api.func(
        "load_image",
        None,
        "load_image(path, opts)",
        &["path: &str", "opts: Map"],
        "Read an image and set its pixel size: options pixel_nm (nm).\nExample: let sub = load_image(\"spot01_sub.png\", #{ pixel_nm: 10.0 });",
        |p: ImmutableString, m: Map| -> RResult<ImageRef> {
            let o = Opts::new("load_image", &m, &["pixel_nm"])?;
            let mut img = guard("load_image", || {
                crate::script::sandbox::check_read(p.as_str())?;
                crate::image::io::load_image(p.as_str())
            })?;
            if let Some(px) = o.opt_float("pixel_nm")? {
                if !(px.is_finite() && px > 0.0) {
                    return Err(rt_error(format!("load_image: option `pixel_nm` must be > 0, got {px}")));
                }
                img.pixel_nm = px;
            }
            Ok(ImageRef::new(img))
        },
    );
    api.func(
        "zeros",
        None,
        "zeros(width, height, pixel_nm)",
        &["width: i64", "height: i64", "pixel_nm: f64"],
        "A width×height image of zeros with the given pixel size (nm).\nExample: let canvas = zeros(512, 512, 10.0);",
        |w: INT, h: INT, p: Dynamic| -> RResult<ImageRef> {
            let p = num("zeros", "pixel_nm", &p)?;
            if w <= 0 || h <= 0 || w > 65536 || h > 65536 {
                return Err(rt_error(format!("zeros: width and height must be in 1..=65536, got {w}×{h}")));
            }
            Ok(ImageRef::new(Image::new(ndarray::Array2::zeros((h as usize, w as usize)), p)))
        },
    );
    api.func(
        "show",
        Some("Image"),
        "img.show()",
        &["img: Image"],
        "Draw the image in the terminal (kitty/iTerm/sixel graphics where supported, Unicode half-blocks otherwise), colormap \"hot\".\nExample: img.show();",
        |i: &mut ImageRef| guard("show", || i.0.show(Colormap::Hot)),
    );
    api.func(
        "show",
        Some("Image"),
        "img.show(opts)",
        &["img: Image", "opts: Map"],
        "Draw the image in the terminal; options colormap (\"hot\", \"viridis\", \"magma\", \"inferno\", \"gray\").\nExample: img.show(#{ colormap: \"viridis\" });",
        |i: &mut ImageRef, m: Map| -> RResult<()> {
            let o = Opts::new("show", &m, &["colormap"])?;
            let cm = colormap("show", &o.string("colormap", "hot")?)?;
            guard("show", || i.0.show(cm))
        },
    );
}
