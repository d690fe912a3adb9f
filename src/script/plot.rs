//! Bindings for figures: `img.plot`, `plot_frc`, `plot_lines`, `plot_bars`,
//! `plot_panel` (SVG, or PNG by extension).

use super::api::{rt_error, Api, RResult};
use super::frc::FrcRef;
use super::image::ImageRef;
use super::sandbox;
use super::spec::{nested, Check, Opt, Options};
use crate::image::Colormap;
use crate::plot::{
    self, BarOptions, BarSeries, ErrorStyle, FrcPlotOptions, FrcSeries, HeatmapOptions, LinePlotOptions,
    PanelOptions, Series,
};
use rhai::{Array, Map};

fn size_opt(default: (u32, u32)) -> Opt {
    Opt::nums("size", 2)
        .check(Check::Range(100.0, 8000.0))
        .unit("px")
        .default_text(if default == (820, 560) {
            "[820, 560]"
        } else {
            "[760, 520]"
        })
        .doc("[width, height] of the figure")
}

fn size(o: &Options, default: (u32, u32)) -> RResult<(u32, u32)> {
    Ok(o.opt_nums("size")?
        .map(|s| (s[0] as u32, s[1] as u32))
        .unwrap_or(default))
}

fn heatmap_spec() -> Vec<Opt> {
    let d = HeatmapOptions::default();
    vec![
        Opt::choice("colormap", d.colormap.name(), &Colormap::NAMES).doc("colour map"),
        Opt::str_opt("title").doc("title above the image"),
        Opt::num_opt("scalebar_nm")
            .unit("nm")
            .default_text("a 1-2-5 length near a fifth of the width")
            .doc("scale bar length; <= 0 for none"),
        Opt::num_opt("vmin")
            .default_text("the image minimum")
            .doc("value at the bottom of the colour range"),
        Opt::num_opt("vmax")
            .default_text("the image maximum")
            .doc("value at the top of the colour range"),
        Opt::bool("colorbar", d.colorbar).doc("draw a colour bar"),
        Opt::str_opt("colorbar_label").doc("label of the colour bar"),
        Opt::count("size_px", d.size_px as usize)
            .check(Check::Range(64.0, 8000.0))
            .unit("px")
            .doc("side of the image area"),
    ]
}

fn line_spec() -> Vec<Opt> {
    let d = LinePlotOptions::default();
    vec![
        Opt::str_opt("title").doc("title"),
        Opt::str("xlabel", "").doc("x axis label"),
        Opt::str("ylabel", "").doc("y axis label"),
        Opt::bool("log_x", false).doc("logarithmic x axis"),
        Opt::bool("log_y", false).doc("logarithmic y axis"),
        Opt::choice("error_style", "band", ErrorStyle::NAMES).doc("how yerr is drawn"),
        Opt::bool("markers", d.markers).doc("a marker at each point"),
        size_opt(d.size),
    ]
}

fn series_spec() -> Vec<Opt> {
    vec![
        Opt::nums("x", 0).default_text("0, 1, 2, ...").doc("x values"),
        Opt::nums("y", 0).doc("y values (required)"),
        Opt::nums("yerr", 0).doc("error of each y (mean ± sd)"),
        Opt::str("label", "").doc("legend label"),
        Opt::bool("dashed", false).doc("dashed line"),
    ]
}

fn bar_series_spec() -> Vec<Opt> {
    vec![
        Opt::str("label", "").doc("legend label"),
        Opt::nums("values", 0).doc("one value per group (required)"),
        Opt::nums("err", 0).doc("error bar of each value"),
    ]
}

fn maps(func: &str, what: &str, items: &Array) -> RResult<Vec<Map>> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            item.read_lock::<Map>()
                .map(|m| m.clone())
                .ok_or_else(|| rt_error(format!("{func}: {what} {i} must be a map #{{ ... }}, got {item}")))
        })
        .collect()
}

fn write_check(p: &str) -> crate::Result<()> {
    sandbox::check_write(p)
}

pub fn register(api: &mut Api) {
    api.category("Plots");
    api.method::<ImageRef>("plot")
        .str("path")
        .opts(heatmap_spec())
        .doc("Draw the image as a heat map with a colour bar and a scale bar; .svg (the pixels embedded as a raster) or .png.")
        .example("img.plot(\"render.svg\", #{ title: \"10 nm render\", scalebar_nm: 1000.0 });")
        .call(|c| {
            let (i, p) = (c.recv::<ImageRef>()?, c.str("path")?);
            let o = c.opts()?;
            let d = HeatmapOptions::default();
            let opts = HeatmapOptions {
                colormap: o.parse("colormap")?,
                title: o.opt_str("title")?,
                scalebar_nm: o.opt_num("scalebar_nm")?,
                vmin: o.opt_num("vmin")?,
                vmax: o.opt_num("vmax")?,
                colorbar: o.bool("colorbar")?,
                colorbar_label: o.opt_str("colorbar_label")?,
                size_px: o.count("size_px")? as u32,
                max_raster_px: d.max_raster_px,
            };
            c.run(|| {
                write_check(&p)?;
                plot::heatmap(&i.0, &p, &opts)
            })
        });

    api.fun("plot_frc")
        .array("curves")
        .str("path")
        .opts(vec![
            Opt::strs("labels").doc("one legend label per curve"),
            Opt::str_opt("title").doc("title"),
            Opt::any("threshold", "true, false or \"half_bit\"")
                .default_text("true")
                .doc("true: the 1/7 line; \"half_bit\": the half-bit curve and its resolutions; false: none"),
            size_opt((820, 560)),
        ])
        .doc("Plot FRC curves (SVG or PNG): x = spatial frequency in nm^-1 up to Nyquist, y from -0.2 to 1.05; each curve raw (light) and LOESS-smoothed (dark) in its colour, the threshold, a marker and drop line at each crossing, \"Resolution: X nm\" in the legend. `curves` is an array, even for one curve.")
        .example("plot_frc([curve], \"frc.svg\", #{ labels: [\"self-FRC\"] });")
        .call(|c| {
            let (curves, path) = (c.array("curves")?, c.str("path")?);
            let o = c.opts()?;
            let labels = o.opt_strs("labels")?.unwrap_or_default();
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
                Some(v) => match super::frc::threshold("plot_frc", Some(v))? {
                    crate::frc::Threshold::HalfBit => (true, true),
                    crate::frc::Threshold::Fixed(t) if (t - 1.0 / 7.0).abs() < 1e-3 => (true, false),
                    crate::frc::Threshold::Fixed(t) => {
                        return Err(rt_error(format!(
                            "plot_frc: option `threshold` draws 1/7 or the half-bit curve; got {t}"
                        )))
                    }
                },
            };
            let mut series = Vec::new();
            for (i, item) in curves.iter().enumerate() {
                let curve = item.read_lock::<FrcRef>().ok_or_else(|| {
                    rt_error(format!(
                        "plot_frc: item {i} of `curves` is a {}, not an FrcCurve",
                        super::api::type_label(item)
                    ))
                })?;
                let label = labels.get(i).cloned().unwrap_or_default();
                series.push(FrcSeries::from_curve(&curve.0, label, half_bit));
            }
            let opts = FrcPlotOptions {
                title: o.opt_str("title")?,
                show_threshold: show,
                size: size(&o, (820, 560))?,
            };
            c.run(|| {
                write_check(&path)?;
                plot::plot_frc(&series, &path, &opts)
            })
        });

    api.fun("plot_lines")
        .array("series")
        .str("path")
        .opts(line_spec())
        .doc("Line chart (SVG or PNG) of series given as maps #{ x: [...], y: [...], yerr: [...] (optional, mean ± sd), label: \"...\", dashed: false }.")
        .example("plot_lines([#{ x: [1, 2, 3], y: [3.0, 2.0, 2.5], label: \"loss\" }], \"fig.svg\", #{ xlabel: \"epoch\" });")
        .call(|c| {
            let (items, p) = (c.array("series")?, c.str("path")?);
            let mut series = Vec::new();
            for (i, map) in maps("plot_lines", "series", &items)?.into_iter().enumerate() {
                let so = nested("plot_lines series", series_spec(), map)?;
                let y = so
                    .opt_nums("y")?
                    .ok_or_else(|| rt_error(format!("plot_lines: series {i} has no `y`")))?;
                let x = so.opt_nums("x")?.unwrap_or_else(|| (0..y.len()).map(|k| k as f64).collect());
                series.push(Series {
                    label: so.str("label")?,
                    x,
                    y,
                    yerr: so.opt_nums("yerr")?,
                    dashed: so.bool("dashed")?,
                });
            }
            let o = c.opts()?;
            let d = LinePlotOptions::default();
            let opts = LinePlotOptions {
                title: o.opt_str("title")?,
                xlabel: o.str("xlabel")?,
                ylabel: o.str("ylabel")?,
                log_x: o.bool("log_x")?,
                log_y: o.bool("log_y")?,
                error_style: o.parse("error_style")?,
                markers: o.bool("markers")?,
                size: size(&o, d.size)?,
            };
            c.run(|| {
                write_check(&p)?;
                plot::line_plot(&series, &p, &opts)
            })
        });

    api.fun("plot_bars")
        .array("groups")
        .array("series")
        .str("path")
        .opts(vec![
            Opt::str_opt("title").doc("title"),
            Opt::str("xlabel", "").doc("x axis label"),
            Opt::str("ylabel", "").doc("y axis label"),
            size_opt((820, 560)),
        ])
        .doc("Grouped bar chart (SVG or PNG): `groups` names the positions along x; each series is #{ label, values: [one per group], err: [optional] }.")
        .example("plot_bars([\"PSNR\", \"MS-SSIM\"], [#{ label: \"FRC\", values: [21.0, 0.8] }], \"bars.svg\");")
        .call(|c| {
            let (g, items, p) = (c.array("groups")?, c.array("series")?, c.str("path")?);
            let groups: Vec<String> = g.iter().map(|v| v.to_string()).collect();
            let mut series = Vec::new();
            for (i, map) in maps("plot_bars", "series", &items)?.into_iter().enumerate() {
                let so = nested("plot_bars series", bar_series_spec(), map)?;
                let values = so
                    .opt_nums("values")?
                    .ok_or_else(|| rt_error(format!("plot_bars: series {i} has no `values`")))?;
                series.push(BarSeries {
                    label: so.str("label")?,
                    values,
                    err: so.opt_nums("err")?,
                });
            }
            let o = c.opts()?;
            let opts = BarOptions {
                title: o.opt_str("title")?,
                ylabel: o.str("ylabel")?,
                xlabel: o.str("xlabel")?,
                size: size(&o, (820, 560))?,
            };
            c.run(|| {
                write_check(&p)?;
                plot::bar_chart(&groups, &series, &p, &opts)
            })
        });

    let pd = PanelOptions::default();
    let max_raster_px = pd.max_raster_px;
    api.fun("plot_panel")
        .array("images")
        .array("titles")
        .str("path")
        .opts(vec![
            Opt::choice("colormap", pd.colormap.name(), &Colormap::NAMES).doc("colour map"),
            Opt::count_opt("cols").check(Check::Range(1.0, 64.0)).default_text("all in one row").doc("images per row"),
            Opt::num_opt("scalebar_nm").unit("nm").doc("scale bar length in each image"),
            Opt::num_opt("vmin").default_text("each image its own").doc("shared bottom of the colour range"),
            Opt::num_opt("vmax").default_text("each image its own").doc("shared top of the colour range"),
            Opt::bool("colorbar", pd.colorbar).doc("a colour bar beside each image"),
            Opt::str_opt("title").doc("title above the panel"),
            Opt::count("size_px", pd.size_px as usize)
                .check(Check::Range(32.0, 4000.0))
                .unit("px")
                .doc("side of each image"),
        ])
        .doc("Several images side by side, each with its title (SVG or PNG).")
        .example("plot_panel([img, img.gaussian(1.0)], [\"render\", \"Gaussian KDE\"], \"panel.svg\", #{ scalebar_nm: 500.0 });")
        .call(move |c| {
            let (imgs, titles, p) = (c.array("images")?, c.array("titles")?, c.str("path")?);
            if titles.len() != imgs.len() {
                return Err(rt_error(format!(
                    "plot_panel: {} titles for {} images",
                    titles.len(),
                    imgs.len()
                )));
            }
            let mut items = Vec::new();
            for (i, (im, t)) in imgs.iter().zip(titles.iter()).enumerate() {
                let im = im.read_lock::<ImageRef>().ok_or_else(|| {
                    rt_error(format!(
                        "plot_panel: item {i} of `images` is a {}, not an Image",
                        super::api::type_label(im)
                    ))
                })?;
                items.push(((*im.0).clone(), t.to_string()));
            }
            let o = c.opts()?;
            let opts = PanelOptions {
                colormap: o.parse("colormap")?,
                cols: o.opt_count("cols")?,
                scalebar_nm: o.opt_num("scalebar_nm")?,
                vmin: o.opt_num("vmin")?,
                vmax: o.opt_num("vmax")?,
                colorbar: o.bool("colorbar")?,
                title: o.opt_str("title")?,
                size_px: o.count("size_px")? as u32,
                max_raster_px,
            };
            c.run(|| {
                write_check(&p)?;
                plot::panel(&items, &p, &opts)
            })
        });
}
