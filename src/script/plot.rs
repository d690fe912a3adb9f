//! Bindings for figures: `img.plot`, `plot_frc`, `plot_lines`, `plot_bars`,
//! `plot_panel` (SVG, or PNG by extension).

use super::api::{as_f64, guard, rt_error, Api, Opts, RResult};
use super::frc::FrcRef;
use super::image::ImageRef;
use crate::frc::Threshold;
use crate::image::Colormap;
use crate::plot::{
    self, BarOptions, BarSeries, ErrorStyle, FrcPlotOptions, FrcSeries, FrcThreshold, HeatmapOptions,
};
use crate::plot::{LinePlotOptions, PanelOptions, Series};
use rhai::{Array, Dynamic, ImmutableString, Map};

fn colormap(func: &str, o: &Opts) -> RResult<Colormap> {
    let name = o.string("colormap", "hot")?;
    Colormap::from_name(&name).map_err(|e| rt_error(format!("{func}: {e}")))
}

fn floats(func: &str, what: &str, v: &Dynamic) -> RResult<Vec<f64>> {
    let bad = || rt_error(format!("{func}: `{what}` must be an array of numbers"));
    let arr = v.read_lock::<Array>().ok_or_else(bad)?;
    arr.iter().map(|x| as_f64(x).ok_or_else(bad)).collect()
}

fn size(o: &Opts, default: (u32, u32)) -> RResult<(u32, u32)> {
    match o.opt_floats("size")? {
        None => Ok(default),
        Some(s) if s.len() == 2 && s.iter().all(|v| *v >= 100.0 && *v <= 8000.0) => {
            Ok((s[0] as u32, s[1] as u32))
        }
        Some(s) => Err(rt_error(format!(
            "option `size` must be [width, height] in 100..=8000 pixels, got {s:?}"
        ))),
    }
}

fn heatmap_options(o: &Opts) -> RResult<HeatmapOptions> {
    let d = HeatmapOptions::default();
    Ok(HeatmapOptions {
        colormap: colormap("plot", o)?,
        title: o.opt_string("title")?,
        scalebar_nm: o.opt_float("scalebar_nm")?,
        vmin: o.opt_float("vmin")?,
        vmax: o.opt_float("vmax")?,
        colorbar: o.bool("colorbar", d.colorbar)?,
        colorbar_label: o.opt_string("colorbar_label")?,
        size_px: o.int("size_px", d.size_px as i64)?.clamp(64, 8000) as u32,
        ..d
    })
}

const HEATMAP_KEYS: &[&str] = &[
    "colormap",
    "title",
    "scalebar_nm",
    "vmin",
    "vmax",
    "colorbar",
    "colorbar_label",
    "size_px",
];

pub fn register(api: &mut Api) {
    api.category("Plots");
    let plot_doc = "Draw the image as a heat map with a colour bar and a scale bar; .svg (the pixels embedded as a raster) or .png. Options: colormap (\"hot\" default, \"viridis\", \"magma\", \"inferno\", \"gray\"), title, scalebar_nm (default: a 1-2-5 length near a fifth of the width; <= 0 for none), vmin, vmax (colour range), colorbar (default true), colorbar_label, size_px (default 640).\nExample: img.plot(\"render.svg\", #{ title: \"10 nm render\", scalebar_nm: 1000.0 });";
    api.func(
        "plot",
        Some("Image"),
        "img.plot(path)",
        &["img: Image", "path: &str"],
        plot_doc,
        |i: &mut ImageRef, p: ImmutableString| {
            guard("plot", || {
                crate::script::sandbox::check_write(p.as_str())?;
                plot::heatmap(&i.0, p.as_str(), &HeatmapOptions::default())
            })
        },
    );
    api.func(
        "plot",
        Some("Image"),
        "img.plot(path, opts)",
        &["img: Image", "path: &str", "opts: Map"],
        plot_doc,
        |i: &mut ImageRef, p: ImmutableString, m: Map| -> RResult<()> {
            let o = Opts::new("plot", &m, HEATMAP_KEYS)?;
            let opts = heatmap_options(&o)?;
            guard("plot", || {
                crate::script::sandbox::check_write(p.as_str())?;
                plot::heatmap(&i.0, p.as_str(), &opts)
            })
        },
    );

    let frc_doc = "Plot FRC curves (SVG or PNG): x = spatial frequency in nm^-1 up to Nyquist, y from -0.2 to 1.05; each curve raw (light) and LOESS-smoothed (dark) in its colour, the dashed 1/7 line, a marker and drop line at each crossing, \"Resolution: X nm\" in the legend. Options: labels (one per curve), title, threshold (true: draw the 1/7 line; \"half_bit\": the half-bit curve and resolutions; false: none), size [w, h].\nExample: plot_frc([c1, c2], \"frc.svg\", #{ labels: [\"random\", \"frames\"] });";
    let plot_frc = |curves: &Array, path: &str, m: &Map| -> RResult<()> {
        let o = Opts::new("plot_frc", m, &["labels", "title", "threshold", "size"])?;
        let labels = o.opt_strings("labels")?.unwrap_or_default();
        if !labels.is_empty() && labels.len() != curves.len() {
            return Err(rt_error(format!(
                "plot_frc: {} labels for {} curves",
                labels.len(),
                curves.len()
            )));
        }
        let (show, half_bit) = match o.raw("threshold") {
            None => (true, false),
            Some(v) if v.is_bool() => (v.as_bool().unwrap_or(true), false),
            Some(v) if v.clone().into_string().is_ok_and(|s| s == "half_bit") => (true, true),
            Some(v) => {
                return Err(rt_error(format!(
                    "plot_frc: option `threshold` must be true, false or \"half_bit\", got {v}"
                )))
            }
        };
        let mut series = Vec::new();
        for (i, c) in curves.iter().enumerate() {
            let c = c.read_lock::<FrcRef>().ok_or_else(|| {
                rt_error(format!(
                    "plot_frc: item {i} is a {}, not an FrcCurve",
                    c.type_name()
                ))
            })?;
            let curve = &c.0;
            let (threshold, resolution) = if half_bit {
                (
                    Some(FrcThreshold::Curve(
                        curve
                            .ring_counts
                            .iter()
                            .map(|&n| crate::frc::half_bit(n))
                            .collect(),
                    )),
                    curve.resolution(Threshold::HalfBit, true),
                )
            } else {
                (
                    Some(FrcThreshold::Fixed(1.0 / 7.0)),
                    curve.resolution(Threshold::default(), true),
                )
            };
            series.push(FrcSeries {
                label: labels.get(i).cloned().unwrap_or_default(),
                freq_nm_inv: curve.freq.clone(),
                values: curve.values.clone(),
                smoothed: Some(curve.smoothed.clone()),
                resolution_nm: resolution,
                threshold,
            });
        }
        let opts = FrcPlotOptions {
            title: o.opt_string("title")?,
            show_threshold: show,
            size: size(&o, (820, 560))?,
            ..Default::default()
        };
        guard("plot_frc", || {
            crate::script::sandbox::check_write(path)?;
            plot::plot_frc(&series, path, &opts)
        })
    };
    api.func(
        "plot_frc",
        None,
        "plot_frc(curves, path)",
        &["curves: Array", "path: &str"],
        frc_doc,
        move |c: Array, p: ImmutableString| plot_frc(&c, p.as_str(), &Map::new()),
    );
    api.func(
        "plot_frc",
        None,
        "plot_frc(curves, path, opts)",
        &["curves: Array", "path: &str", "opts: Map"],
        frc_doc,
        move |c: Array, p: ImmutableString, m: Map| plot_frc(&c, p.as_str(), &m),
    );

    api.func(
        "plot_lines",
        None,
        "plot_lines(series, path, opts)",
        &["series: Array", "path: &str", "opts: Map"],
        "Line chart (SVG or PNG) of series given as maps #{ x: [...], y: [...], yerr: [...] (optional, mean ± sd), label: \"...\", dashed: false }. Options: title, xlabel, ylabel, log_x, log_y, error_style (\"band\" default or \"bars\"), markers (default false), size [w, h].\nExample: plot_lines([#{ x: fr, y: res, yerr: sd, label: \"1/7 cut-off\" }], \"fig.svg\", #{ xlabel: \"fraction\", log_x: true });",
        |s: Array, p: ImmutableString, m: Map| -> RResult<()> {
            let o = Opts::new(
                "plot_lines",
                &m,
                &["title", "xlabel", "ylabel", "log_x", "log_y", "error_style", "markers", "size"],
            )?;
            let mut series = Vec::new();
            for (i, item) in s.iter().enumerate() {
                let map = item
                    .read_lock::<Map>()
                    .ok_or_else(|| rt_error(format!("plot_lines: series {i} must be a map #{{ x, y, label }}")))?;
                let so = Opts::new("plot_lines series", &map, &["x", "y", "yerr", "label", "dashed"])?;
                let y = floats("plot_lines", "y", so.raw("y").ok_or_else(|| rt_error(format!("plot_lines: series {i} has no `y`")))?)?;
                let x = match so.raw("x") {
                    Some(v) => floats("plot_lines", "x", v)?,
                    None => (0..y.len()).map(|k| k as f64).collect(),
                };
                let yerr = match so.raw("yerr") {
                    Some(v) => Some(floats("plot_lines", "yerr", v)?),
                    None => None,
                };
                series.push(Series { label: so.string("label", "")?, x, y, yerr, dashed: so.bool("dashed", false)? });
            }
            let d = LinePlotOptions::default();
            let opts = LinePlotOptions {
                title: o.opt_string("title")?,
                xlabel: o.string("xlabel", "")?,
                ylabel: o.string("ylabel", "")?,
                log_x: o.bool("log_x", false)?,
                log_y: o.bool("log_y", false)?,
                error_style: if o.choice("error_style", "band", &["band", "bars"])? == "bars" {
                    ErrorStyle::Bars
                } else {
                    ErrorStyle::Band
                },
                markers: o.bool("markers", d.markers)?,
                size: size(&o, d.size)?,
                ..d
            };
            guard("plot_lines", || {
                crate::script::sandbox::check_write(p.as_str())?;
                plot::line_plot(&series, p.as_str(), &opts)
            })
        },
    );

    api.func(
        "plot_bars",
        None,
        "plot_bars(groups, series, path, opts)",
        &["groups: Array", "series: Array", "path: &str", "opts: Map"],
        "Grouped bar chart (SVG or PNG): `groups` names the positions along x; each series is #{ label, values: [one per group], err: [optional] }. Options: title, xlabel, ylabel, size [w, h].\nExample: plot_bars([\"PSNR\", \"MS-SSIM\"], [#{ label: \"FRC\", values: [21.0, 0.8] }], \"bars.svg\", #{});",
        |g: Array, s: Array, p: ImmutableString, m: Map| -> RResult<()> {
            let o = Opts::new("plot_bars", &m, &["title", "xlabel", "ylabel", "size"])?;
            let groups: Vec<String> = g.iter().map(|v| v.to_string()).collect();
            let mut series = Vec::new();
            for (i, item) in s.iter().enumerate() {
                let map = item
                    .read_lock::<Map>()
                    .ok_or_else(|| rt_error(format!("plot_bars: series {i} must be a map #{{ label, values }}")))?;
                let so = Opts::new("plot_bars series", &map, &["label", "values", "err"])?;
                let values = floats(
                    "plot_bars",
                    "values",
                    so.raw("values").ok_or_else(|| rt_error(format!("plot_bars: series {i} has no `values`")))?,
                )?;
                let err = match so.raw("err") {
                    Some(v) => Some(floats("plot_bars", "err", v)?),
                    None => None,
                };
                series.push(BarSeries { label: so.string("label", "")?, values, err });
            }
            let opts = BarOptions {
                title: o.opt_string("title")?,
                ylabel: o.string("ylabel", "")?,
                xlabel: o.string("xlabel", "")?,
                size: size(&o, (820, 560))?,
                ..Default::default()
            };
            guard("plot_bars", || {
                crate::script::sandbox::check_write(p.as_str())?;
                plot::bar_chart(&groups, &series, p.as_str(), &opts)
            })
        },
    );

    api.func(
        "plot_panel",
        None,
        "plot_panel(images, titles, path, opts)",
        &["images: Array", "titles: Array", "path: &str", "opts: Map"],
        "Several images side by side, each with its title (SVG or PNG). Options: colormap, cols (images per row), scalebar_nm, vmin, vmax (shared colour range; default each image its own), colorbar (default false), title, size_px (default 320 per image).\nExample: plot_panel([input, pred, target], [\"input\", \"prediction\", \"target\"], \"panel.svg\", #{ scalebar_nm: 500.0 });",
        |imgs: Array, titles: Array, p: ImmutableString, m: Map| -> RResult<()> {
            let o = Opts::new(
                "plot_panel",
                &m,
                &["colormap", "cols", "scalebar_nm", "vmin", "vmax", "colorbar", "title", "size_px"],
            )?;
            if titles.len() != imgs.len() {
                return Err(rt_error(format!("plot_panel: {} titles for {} images", titles.len(), imgs.len())));
            }
            let mut items = Vec::new();
            for (i, (im, t)) in imgs.iter().zip(titles.iter()).enumerate() {
                let im = im
                    .read_lock::<ImageRef>()
                    .ok_or_else(|| rt_error(format!("plot_panel: item {i} is a {}, not an Image", im.type_name())))?;
                items.push(((*im.0).clone(), t.to_string()));
            }
            let d = PanelOptions::default();
            let cols = o.opt_int("cols")?.map(|c| c.clamp(1, 64) as usize);
            let opts = PanelOptions {
                colormap: colormap("plot_panel", &o)?,
                cols,
                scalebar_nm: o.opt_float("scalebar_nm")?,
                vmin: o.opt_float("vmin")?,
                vmax: o.opt_float("vmax")?,
                colorbar: o.bool("colorbar", d.colorbar)?,
                title: o.opt_string("title")?,
                size_px: o.int("size_px", d.size_px as i64)?.clamp(32, 4000) as u32,
                ..d
            };
            guard("plot_panel", || {
                crate::script::sandbox::check_write(p.as_str())?;
                plot::panel(&items, p.as_str(), &opts)
            })
        },
    );
}
