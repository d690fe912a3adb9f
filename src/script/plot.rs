//! Bindings for figures: `img.plot`, `plot_frc`, `plot_lines`, `plot_bars`,
//! `plot_panel` (SVG, or PNG by extension).

use super::api::{rt_error, Api, RResult};
use super::frc::FrcRef;
use super::image::ImageRef;
use super::sandbox;
use super::spec::{nested, Check, Opt, Options};
use crate::image::Colormap;
use crate::plot::{
    self, BarOptions, BarSeries, Color, Dash, ErrorStyle, FrcPlotOptions, FrcSeries, HeatmapOptions,
    LegendPos, LinePlotOptions, PanelOptions, Series,
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

/// Parse each string of option `key` with the numerics' `FromStr`.
fn parse_list<T>(o: &Options, key: &str) -> RResult<Vec<T>>
where
    T: std::str::FromStr<Err = crate::Error>,
{
    o.opt_strs(key)?
        .unwrap_or_default()
        .iter()
        .map(|v| {
            v.parse::<T>()
                .map_err(|e| rt_error(format!("{}: option `{key}`: {e}", o.func())))
        })
        .collect()
}

/// A parsed optional string of option `key`.
fn parse_opt<T>(o: &Options, key: &str) -> RResult<Option<T>>
where
    T: std::str::FromStr<Err = crate::Error>,
{
    match o.opt_str(key)? {
        None => Ok(None),
        Some(v) => v
            .parse::<T>()
            .map(Some)
            .map_err(|e| rt_error(format!("{}: option `{key}`: {e}", o.func()))),
    }
}

/// An axis range `[low, high]` if given.
fn lim(o: &Options, key: &str) -> RResult<Option<(f64, f64)>> {
    Ok(o.opt_nums(key)?.map(|v| (v[0], v[1])))
}

/// Colours per series: a series' own `color`, else the options' `colors[i]`,
/// else the default cycle; empty when neither is given (all defaults).
fn merged_colors(own: &[Option<Color>], listed: &[Color]) -> Vec<Color> {
    if own.iter().all(Option::is_none) && listed.is_empty() {
        return Vec::new();
    }
    (0..own.len())
        .map(|i| {
            own[i]
                .or_else(|| listed.get(i).copied())
                .unwrap_or_else(|| plot::PALETTE[i % plot::PALETTE.len()].into())
        })
        .collect()
}

fn legend_opt() -> Opt {
    Opt::choice("legend", "auto", &LegendPos::NAMES)
        .doc("legend position; auto: the first corner that covers no data, else outside right")
}

fn colors_opt() -> Opt {
    Opt::strs("colors").doc(
        "colour of each series in order: \"#rrggbb\", \"C0\"..\"C9\" or a name (red, blue, black, gray, ...)",
    )
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
        Opt::num_opt("vmax_percentile")
            .check(Check::Range(0.0, 100.0))
            .default_text("none: the maximum")
            .doc("without vmax, the top of the colour range is this percentile of the values above the minimum (e.g. 99.5 for sparse renders)"),
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
        colors_opt(),
        Opt::strs("dashes").doc(
            "dash of each series in order: solid, dashed, dotted, dashdot (default: `dashed` of the series)",
        ),
        Opt::nums("xlim", 2)
            .default_text("the data")
            .doc("[low, high] of the x axis; data outside is clipped"),
        Opt::nums("ylim", 2)
            .default_text("the data in the x range")
            .doc("[low, high] of the y axis"),
        Opt::any("integer_x", "true or false")
            .default_text("true when every x is a whole number")
            .doc("x ticks at whole numbers only (counts such as epochs)"),
        Opt::bool("integer_y", d.integer_y).doc("y ticks at whole numbers only"),
        legend_opt(),
    ]
}

fn series_spec() -> Vec<Opt> {
    vec![
        Opt::nums("x", 0).default_text("0, 1, 2, ...").doc("x values"),
        Opt::nums("y", 0).doc("y values (required)"),
        Opt::nums("yerr", 0).doc("error of each y (mean ± sd)"),
        Opt::str("label", "").doc("legend label"),
        Opt::bool("dashed", false).doc("dashed line"),
        Opt::str_opt("color").doc("line colour (overrides the options' `colors`)"),
        Opt::str_opt("dash").doc("solid, dashed, dotted or dashdot (overrides `dashed`)"),
    ]
}

fn bar_series_spec() -> Vec<Opt> {
    vec![
        Opt::str("label", "").doc("legend label"),
        Opt::nums("values", 0).doc("one value per group (required)"),
        Opt::nums("err", 0).doc("error bar of each value"),
        Opt::str_opt("color").doc("bar colour (overrides the options' `colors`)"),
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
                vmax_percentile: o.opt_num("vmax_percentile")?,
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
            colors_opt(),
            legend_opt(),
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
                colors: parse_list(&o, "colors")?,
                legend: o.parse("legend")?,
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
            let (mut own_colors, mut own_dashes) = (Vec::new(), Vec::new());
            for (i, map) in maps("plot_lines", "series", &items)?.into_iter().enumerate() {
                let so = nested("plot_lines series", series_spec(), map)?;
                own_colors.push(parse_opt::<Color>(&so, "color")?);
                own_dashes.push(parse_opt::<Dash>(&so, "dash")?);
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
            let listed: Vec<Dash> = parse_list(&o, "dashes")?;
            let dashes = if own_dashes.iter().all(Option::is_none) && listed.is_empty() {
                Vec::new()
            } else {
                (0..series.len())
                    .map(|i| {
                        own_dashes[i]
                            .or_else(|| listed.get(i).copied())
                            .unwrap_or(if series[i].dashed { Dash::Dashed } else { Dash::Solid })
                    })
                    .collect()
            };
            let integer_x = match o.raw("integer_x") {
                None => None,
                Some(v) => Some(v.as_bool().map_err(|_| {
                    rt_error(format!("plot_lines: option `integer_x` must be true or false, got {v}"))
                })?),
            };
            let opts = LinePlotOptions {
                title: o.opt_str("title")?,
                xlabel: o.str("xlabel")?,
                ylabel: o.str("ylabel")?,
                log_x: o.bool("log_x")?,
                log_y: o.bool("log_y")?,
                error_style: o.parse("error_style")?,
                markers: o.bool("markers")?,
                size: size(&o, d.size)?,
                colors: merged_colors(&own_colors, &parse_list(&o, "colors")?),
                dashes,
                xlim: lim(&o, "xlim")?,
                ylim: lim(&o, "ylim")?,
                integer_x,
                integer_y: o.bool("integer_y")?,
                legend: o.parse("legend")?,
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
            colors_opt(),
            Opt::nums("ylim", 2).default_text("0 and the data").doc("[low, high] of the y axis"),
            Opt::bool("shared_y", true).doc("one y axis for all groups; false: each group its own axis (groups of different scale, e.g. MS-SSIM and MSE)"),
            legend_opt(),
        ])
        .doc("Grouped bar chart (SVG or PNG): `groups` names the positions along x; each series is #{ label, values: [one per group], err: [optional] }.")
        .example("plot_bars([\"PSNR\", \"MS-SSIM\"], [#{ label: \"FRC\", values: [21.0, 0.8] }], \"bars.svg\");")
        .call(|c| {
            let (g, items, p) = (c.array("groups")?, c.array("series")?, c.str("path")?);
            let groups: Vec<String> = g.iter().map(|v| v.to_string()).collect();
            let mut series = Vec::new();
            let mut own_colors = Vec::new();
            for (i, map) in maps("plot_bars", "series", &items)?.into_iter().enumerate() {
                let so = nested("plot_bars series", bar_series_spec(), map)?;
                own_colors.push(parse_opt::<Color>(&so, "color")?);
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
                colors: merged_colors(&own_colors, &parse_list(&o, "colors")?),
                ylim: lim(&o, "ylim")?,
                shared_y: o.bool("shared_y")?,
                legend: o.parse("legend")?,
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
            Opt::bool("colorbar", pd.colorbar).doc("a colour bar beside each image (one for the panel with shared_scale)"),
            Opt::str_opt("colorbar_label").doc("label beside the colour bar(s)"),
            Opt::bool("shared_scale", pd.shared_scale)
                .doc("one colour range for all images (lowest bottom to highest top of their ranges) and one colour bar"),
            Opt::num_opt("vmax_percentile")
                .check(Check::Range(0.0, 100.0))
                .default_text("none: the maximum")
                .doc("without vmax, the top of each colour range is this percentile of the values above the minimum"),
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
                colorbar_label: o.opt_str("colorbar_label")?,
                shared_scale: o.bool("shared_scale")?,
                vmax_percentile: o.opt_num("vmax_percentile")?,
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
