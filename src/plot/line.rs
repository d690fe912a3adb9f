//! Line plots: loss curves, line profiles, mean ± standard deviation.
//!
//! Each [`Series`] is a polyline in its own colour (tab10 palette, or
//! [`LinePlotOptions::colors`]), solid or dashed, with an optional error
//! `yerr` drawn as a shaded band (default) or as error bars. Axes can be
//! logarithmic and limited (`xlim`, `ylim`: data outside is clipped);
//! non-finite points are skipped, and on a log axis so are points ≤ 0 (a
//! series left with no point is an error). A series identical to an earlier
//! one (e.g. the total loss when it has a single term) is drawn once, with
//! the labels joined by " = ", instead of hiding the earlier line. The legend
//! goes where it covers no data (see `legend.rs`).

use std::path::Path;

use std::ops::Range;

use plotters::coord::combinators::LogCoord;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::legend::{
    draw_legend, draw_prims, legend_size, place_legend, titled, Axes, Entry, LegendPos, Prim, Swatch,
};
use super::style::{clip_polygon, clip_polyline, Color, Dash, PixRect};
use super::{
    check_len, fmt_num, fmt_tick, nice_step, nice_ticks, render, DrawResult, FigureDraw, RasterSink,
};
use super::{FONT, PALETTE};
use crate::error::{Error, Result};

/// One line of a [`line_plot`].
#[derive(Debug, Clone, Default)]
pub struct Series {
    /// Legend label (series with an empty label are left out of the legend).
    pub label: String,
    /// x values.
    pub x: Vec<f64>,
    /// y values, one per x.
    pub y: Vec<f64>,
    /// Optional ± error per point (e.g. standard deviation).
    pub yerr: Option<Vec<f64>>,
    /// Draw the line dashed.
    pub dashed: bool,
}

/// How `yerr` is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ErrorStyle {
    /// A shaded band y ± err in the series colour (default).
    #[default]
    Band,
    /// Vertical error bars with caps at each point.
    Bars,
}

impl ErrorStyle {
    /// The names scripts use.
    pub const NAMES: &'static [&'static str] = &["band", "bars"];
}

impl std::str::FromStr for ErrorStyle {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<ErrorStyle> {
        match s {
            "band" => Ok(ErrorStyle::Band),
            "bars" => Ok(ErrorStyle::Bars),
            _ => Err(crate::Error::arg(
                "error_style",
                format!("expected \"band\" or \"bars\", got \"{s}\""),
            )),
        }
    }
}

/// Options of [`line_plot`].
#[derive(Debug, Clone)]
pub struct LinePlotOptions {
    /// Title above the plot (default none).
    pub title: Option<String>,
    /// x-axis label (default none).
    pub xlabel: String,
    /// y-axis label (default none).
    pub ylabel: String,
    /// Logarithmic x axis (default false).
    pub log_x: bool,
    /// Logarithmic y axis (default false).
    pub log_y: bool,
    /// How errors are drawn (default band).
    pub error_style: ErrorStyle,
    /// Draw markers at the data points (default false).
    pub markers: bool,
    /// Figure size in pixels (default 820 × 560).
    pub size: (u32, u32),
    /// Colour of series i is `colors[i]`; series beyond the list take the
    /// default cycle (tab10) by their index (default empty).
    pub colors: Vec<Color>,
    /// Dash of series i is `dashes[i]`; series beyond the list are solid, or
    /// dashed when [`Series::dashed`] (default empty).
    pub dashes: Vec<Dash>,
    /// x range shown (default: the data, padded 2 %); data outside is clipped.
    pub xlim: Option<(f64, f64)>,
    /// y range shown (default: the data within the x range, padded 6 %).
    pub ylim: Option<(f64, f64)>,
    /// x ticks at whole numbers only, for counts such as epochs (default
    /// `None`: when every x value is a whole number).
    pub integer_x: Option<bool>,
    /// y ticks at whole numbers only (default false).
    pub integer_y: bool,
    /// Where the legend goes (default [`LegendPos::Auto`]: a corner free of data, else outside right).
    pub legend: LegendPos,
}

impl Default for LinePlotOptions {
    fn default() -> Self {
        LinePlotOptions {
            title: None,
            xlabel: String::new(),
            ylabel: String::new(),
            log_x: false,
            log_y: false,
            error_style: ErrorStyle::Band,
            markers: false,
            size: (820, 560),
            colors: Vec::new(),
            dashes: Vec::new(),
            xlim: None,
            ylim: None,
            integer_x: None,
            integer_y: false,
            legend: LegendPos::Auto,
        }
    }
}

/// A cleaned series: the points that can be drawn on the chosen axes.
struct Clean {
    label: String,
    pts: Vec<(f64, f64, f64)>, // x, y, err (0 when none)
    has_err: bool,
    color: RGBColor,
    dash: Dash,
}

/// Check an axis range option: finite, increasing, positive on a log axis.
pub(crate) fn check_lim(name: &str, lim: Option<(f64, f64)>, log: bool) -> Result<Option<(f64, f64)>> {
    match lim {
        None => Ok(None),
        Some((a, b)) if a.is_finite() && b.is_finite() && a < b && (!log || a > 0.0) => Ok(Some((a, b))),
        Some((a, b)) => Err(Error::arg(
            name,
            format!(
                "must be [low, high] with low < high{}, got [{a}, {b}]",
                if log { " and low > 0 on a log axis" } else { "" }
            ),
        )),
    }
}

/// Plot lines into `path` (`.svg` or `.png`).
pub fn line_plot(series: &[Series], path: impl AsRef<Path>, opts: &LinePlotOptions) -> Result<()> {
    let path = path.as_ref();
    if series.is_empty() {
        return Err(Error::arg("series", "line_plot needs at least one series"));
    }
    let xlim = check_lim("xlim", opts.xlim, opts.log_x)?;
    let ylim = check_lim("ylim", opts.ylim, opts.log_y)?;
    let mut clean = Vec::with_capacity(series.len());
    for (i, s) in series.iter().enumerate() {
        let name = format!("series[{i}]");
        check_len(&name, "y", s.y.len(), s.x.len())?;
        if let Some(e) = &s.yerr {
            check_len(&name, "yerr", e.len(), s.x.len())?;
        }
        let pts: Vec<(f64, f64, f64)> = (0..s.x.len())
            .map(|k| {
                let e = s.yerr.as_ref().map_or(0.0, |e| e[k].abs());
                (s.x[k], s.y[k], if e.is_finite() { e } else { 0.0 })
            })
            .filter(|&(x, y, _)| {
                x.is_finite() && y.is_finite() && (!opts.log_x || x > 0.0) && (!opts.log_y || y > 0.0)
            })
            .collect();
        if pts.is_empty() {
            return Err(Error::arg(
                name,
                if opts.log_x || opts.log_y {
                    "no finite positive point to draw on the log axis"
                } else {
                    "no finite point to draw"
                },
            ));
        }
        clean.push(Clean {
            label: s.label.clone(),
            pts,
            has_err: s.yerr.is_some(),
            color: opts.colors.get(i).map_or(PALETTE[i % PALETTE.len()], |c| c.rgb()),
            dash: opts
                .dashes
                .get(i)
                .copied()
                .unwrap_or(if s.dashed { Dash::Dashed } else { Dash::Solid }),
        });
    }
    // A series drawn exactly over an earlier one (same points, dash and
    // error style) would hide it: draw it once, labelled "a = b".
    let mut merged: Vec<Clean> = Vec::with_capacity(clean.len());
    for c in clean {
        match merged
            .iter_mut()
            .find(|m| m.pts == c.pts && m.dash == c.dash && m.has_err == c.has_err)
        {
            Some(m) if !c.label.is_empty() => {
                m.label = if m.label.is_empty() {
                    c.label
                } else {
                    format!("{} = {}", m.label, c.label)
                };
            }
            Some(_) => {}
            None => merged.push(c),
        }
    }
    let clean = merged;
    let x = match xlim {
        Some(l) => l,
        None => {
            let (lo, hi) = clean
                .iter()
                .flat_map(|c| c.pts.iter().map(|p| p.0))
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                    (a.min(v), b.max(v))
                });
            pad_range(lo, hi, opts.log_x, 0.02)
        }
    };
    let y = match ylim {
        Some(l) => l,
        None => {
            let span = |only_inside: bool| {
                let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
                for c in &clean {
                    for &(px, py, e) in &c.pts {
                        if only_inside && !(px >= x.0 && px <= x.1) {
                            continue;
                        }
                        let l = if opts.log_y && py - e <= 0.0 { py } else { py - e };
                        lo = lo.min(l);
                        hi = hi.max(py + e);
                    }
                }
                (lo, hi)
            };
            let (lo, hi) = match span(true) {
                (lo, hi) if lo <= hi => (lo, hi),
                _ => span(false),
            };
            pad_range(lo, hi, opts.log_y, 0.06)
        }
    };
    let integer_x = opts
        .integer_x
        .unwrap_or_else(|| clean.iter().all(|c| c.pts.iter().all(|p| p.0.fract() == 0.0)));
    let xt = axis_ticks(x, opts.log_x, integer_x, 8);
    let yt = axis_ticks(y, opts.log_y, opts.integer_y, 7);
    render(
        path,
        opts.size,
        LineFigure {
            clean,
            opts,
            x,
            y,
            xt,
            yt,
        },
    )
}

/// Widen [lo, hi] by `frac` of its span (in log space for log axes); a
/// single value becomes a small interval around it.
fn pad_range(lo: f64, hi: f64, log: bool, frac: f64) -> (f64, f64) {
    if log {
        let (a, b) = (lo.log10(), hi.log10());
        let pad = if b > a { (b - a) * frac } else { 0.5 };
        (10f64.powf(a - pad), 10f64.powf(b + pad))
    } else {
        let pad = if hi > lo {
            (hi - lo) * frac
        } else {
            lo.abs().max(1.0) * 0.5
        };
        (lo - pad, hi + pad)
    }
}

/// Tick positions of an axis and the step their labels are formatted with
/// (0 for a log axis: labels then use [`fmt_num`]).
pub(crate) struct Ticks {
    pub at: Vec<f64>,
    pub step: f64,
}

impl Ticks {
    pub(crate) fn label(&self, v: f64) -> String {
        if self.step > 0.0 {
            fmt_tick(v, self.step)
        } else {
            fmt_num(v)
        }
    }
}

/// About `n` ticks over `range`: 1-2-5 steps (whole-number steps ≥ 1 when
/// `integer`), or powers of ten on a log axis ([`log_ticks`]; only whole
/// numbers among them when `integer`).
pub(crate) fn axis_ticks((lo, hi): (f64, f64), log: bool, integer: bool, n: usize) -> Ticks {
    if log {
        let mut at = log_ticks(lo, hi);
        if integer {
            at.retain(|v| v.fract() == 0.0);
        }
        return Ticks { at, step: 0.0 };
    }
    if !integer {
        let (at, step) = nice_ticks(lo, hi, n);
        return Ticks { at, step };
    }
    let step = nice_step((hi - lo) / n.max(1) as f64).max(1.0).round();
    let first = (lo / step).ceil() * step;
    let at: Vec<f64> = (0..=4 * n + 2)
        .map(|k| first + k as f64 * step)
        .take_while(|t| *t <= hi)
        .collect();
    Ticks { at, step }
}

/// Ticks of a log axis over [lo, hi]: the powers of ten, with 2× and 5×
/// (or all of 1…9×) added when that gives fewer than 3 ticks.
fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let (a, b) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let inside = |v: &f64| *v >= lo * (1.0 - 1e-12) && *v <= hi * (1.0 + 1e-12);
    for mults in [
        &[1.0][..],
        &[1.0, 2.0, 5.0],
        &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
    ] {
        let ticks: Vec<f64> = (a..=b)
            .flat_map(|e| mults.iter().map(move |m| m * 10f64.powi(e)))
            .filter(inside)
            .collect();
        if ticks.len() >= 3 || mults.len() == 9 {
            return ticks;
        }
    }
    Vec::new()
}

struct LineFigure<'a> {
    clean: Vec<Clean>,
    opts: &'a LinePlotOptions,
    x: (f64, f64),
    y: (f64, f64),
    xt: Ticks,
    yt: Ticks,
}

/// The layout of a cartesian chart (axes, labels, mesh) shared by line and FRC plots.
pub(crate) struct Frame<'a> {
    pub x: (f64, f64),
    pub y: (f64, f64),
    pub log: (bool, bool),
    pub xt: &'a Ticks,
    pub yt: &'a Ticks,
    pub xlabel: &'a str,
    pub ylabel: &'a str,
    pub titled: bool,
}

impl Frame<'_> {
    /// Build the chart on `area` (drawing its mesh and axes when `mesh`) and
    /// return where its data goes in figure pixels.
    pub(crate) fn build<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        mesh: bool,
    ) -> DrawResult<Axes, DB> {
        let lin = |r: (f64, f64), t: &Ticks| Ticked::<RangedCoordf64> {
            inner: (r.0..r.1).into(),
            ticks: t.at.clone(),
        };
        let log = |r: (f64, f64), t: &Ticks| Ticked::<LogCoord<f64>> {
            inner: (r.0..r.1).log_scale().into(),
            ticks: t.at.clone(),
        };
        let (x, y, xt, yt) = (self.x, self.y, self.xt, self.yt);
        match self.log {
            (false, false) => self.build_on(area, mesh, lin(x, xt), lin(y, yt)),
            (true, false) => self.build_on(area, mesh, log(x, xt), lin(y, yt)),
            (false, true) => self.build_on(area, mesh, lin(x, xt), log(y, yt)),
            (true, true) => self.build_on(area, mesh, log(x, xt), log(y, yt)),
        }
    }

    fn build_on<DB, X, Y>(
        &self,
        area: &DrawingArea<DB, Shift>,
        mesh: bool,
        xr: X,
        yr: Y,
    ) -> DrawResult<Axes, DB>
    where
        DB: DrawingBackend,
        X: Ranged<ValueType = f64, FormatOption = DefaultFormatting>,
        Y: Ranged<ValueType = f64, FormatOption = DefaultFormatting>,
    {
        let mut builder = ChartBuilder::on(area);
        builder
            .margin(18)
            .margin_top(if self.titled { 6 } else { 18 })
            .x_label_area_size(52)
            .y_label_area_size(72);
        let mut chart = builder.build_cartesian_2d(xr, yr)?;
        if mesh {
            let fx = |v: &f64| self.xt.label(*v);
            let fy = |v: &f64| self.yt.label(*v);
            chart
                .configure_mesh()
                .x_labels(self.xt.at.len() + 1)
                .y_labels(self.yt.at.len() + 1)
                .x_label_formatter(&fx)
                .y_label_formatter(&fy)
                .x_desc(self.xlabel)
                .y_desc(self.ylabel)
                .label_style((FONT, 15))
                .axis_desc_style((FONT, 17))
                .bold_line_style(RGBColor(218, 218, 218))
                .light_line_style(TRANSPARENT)
                .draw()?;
        }
        Ok(Axes::new(
            self.x,
            self.y,
            chart.backend_coord(&(self.x.0, self.y.0)),
            chart.backend_coord(&(self.x.1, self.y.1)),
            self.log,
        ))
    }
}

/// An axis (linear or log) whose ticks are exactly `ticks`.
pub(crate) struct Ticked<R> {
    pub inner: R,
    pub ticks: Vec<f64>,
}

impl<R: Ranged<ValueType = f64>> Ranged for Ticked<R> {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.max_num_points() == 0 {
            return Vec::new();
        }
        self.ticks.clone()
    }

    fn range(&self) -> Range<f64> {
        self.inner.range()
    }
}

/// Line prims of a polyline given in pixels, clipped to `plot`.
pub(crate) fn clipped_lines(
    pts: &[(f64, f64)],
    plot: &PixRect,
    color: RGBColor,
    width: u32,
    dash: Dash,
) -> Vec<Prim> {
    clip_polyline(pts, plot)
        .into_iter()
        .map(|run| Prim::Line {
            pts: run,
            color,
            width,
            dash,
        })
        .collect()
}

/// A vertical error bar from `lo` to `hi` (pixels) at `x` with 8-pixel caps, clipped.
pub(crate) fn error_bar(x: f64, lo: f64, hi: f64, plot: &PixRect, color: RGBColor) -> Vec<Prim> {
    let mut out = clipped_lines(&[(x, lo), (x, hi)], plot, color, 1, Dash::Solid);
    for y in [lo, hi] {
        out.extend(clipped_lines(
            &[(x - 4.0, y), (x + 4.0, y)],
            plot,
            color,
            1,
            Dash::Solid,
        ));
    }
    out
}

impl LineFigure<'_> {
    fn frame(&self) -> Frame<'_> {
        Frame {
            x: self.x,
            y: self.y,
            log: (self.opts.log_x, self.opts.log_y),
            xt: &self.xt,
            yt: &self.yt,
            xlabel: &self.opts.xlabel,
            ylabel: &self.opts.ylabel,
            titled: self.opts.title.is_some(),
        }
    }

    /// Everything the data draws, in pixels, clipped to the plot area.
    fn prims(&self, axes: &Axes) -> Vec<Prim> {
        let opts = self.opts;
        let plot = &axes.plot;
        let y_floor = self
            .clean
            .iter()
            .flat_map(|c| c.pts.iter().map(|p| p.1))
            .fold(f64::INFINITY, f64::min);
        let lower = |y: f64, e: f64| {
            if opts.log_y && y - e <= 0.0 {
                y.min(y_floor)
            } else {
                y - e
            }
        };
        let mut out = Vec::new();
        for c in &self.clean {
            if c.has_err {
                match opts.error_style {
                    ErrorStyle::Band => {
                        // polygon: upper edge left → right, lower edge right → left
                        let mut poly: Vec<(f64, f64)> =
                            c.pts.iter().map(|&(x, y, e)| axes.map((x, y + e))).collect();
                        poly.extend(c.pts.iter().rev().map(|&(x, y, e)| axes.map((x, lower(y, e)))));
                        let pts = clip_polygon(&poly, plot);
                        if pts.len() >= 3 {
                            out.push(Prim::Fill {
                                pts,
                                color: c.color,
                                alpha: 0.22,
                            });
                        }
                    }
                    ErrorStyle::Bars => {
                        for &(x, y, e) in c.pts.iter().filter(|p| p.2 > 0.0) {
                            let lo = if opts.log_y && y - e <= 0.0 { y } else { y - e };
                            let (px, plo) = axes.map((x, lo));
                            let phi = axes.y.map(y + e);
                            if px >= plot.x0 && px <= plot.x1 {
                                out.extend(error_bar(px, plo, phi, plot, c.color));
                            }
                        }
                    }
                }
            }
            let line: Vec<(f64, f64)> = c.pts.iter().map(|&(x, y, _)| axes.map((x, y))).collect();
            out.extend(clipped_lines(&line, plot, c.color, 2, c.dash));
            if opts.markers || line.len() == 1 {
                out.extend(line.iter().filter(|p| plot.contains(**p)).map(|&at| Prim::Dot {
                    at,
                    r: 3,
                    color: c.color,
                    outline: false,
                }));
            }
        }
        out
    }

    fn entries(&self) -> Vec<Entry> {
        self.clean
            .iter()
            .filter(|c| !c.label.is_empty())
            .map(|c| Entry {
                label: c.label.clone(),
                swatch: Swatch::Line {
                    color: c.color,
                    width: 2,
                    dash: c.dash,
                    dot: self.opts.markers,
                    band: c.has_err && self.opts.error_style == ErrorStyle::Band,
                },
            })
            .collect()
    }
}

impl FigureDraw for LineFigure<'_> {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        sink: &mut RasterSink,
    ) -> DrawResult<(), DB> {
        let body = titled(root, self.opts.title.as_deref())?;
        let entries = self.entries();
        let size = legend_size(root, &entries)?;
        let frame = self.frame();
        let (area, legend) = place_legend(&body, self.opts.legend, size, |a| {
            let axes = frame.build(a, false)?;
            Ok((vec![axes.plot], self.prims(&axes)))
        })?;
        let axes = frame.build(&area, true)?;
        draw_prims(root, sink, &self.prims(&axes))?;
        if let Some(b) = legend {
            draw_legend(root, sink, &b, &entries)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::txt;

    #[test]
    fn line_svg_has_each_series_and_labels() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("loss.svg");
        let x: Vec<f64> = (1..=20).map(f64::from).collect();
        let train = Series {
            label: "train".into(),
            y: x.iter().map(|e| 1.0 / e).collect(),
            x: x.clone(),
            ..Default::default()
        };
        let val = Series {
            label: "validation".into(),
            y: x.iter().map(|e| 1.2 / e + 0.05).collect(),
            yerr: Some(vec![0.02; 20]),
            x: x.clone(),
            dashed: true,
        };
        let opts = LinePlotOptions {
            title: Some("Training".into()),
            xlabel: "epoch".into(),
            ylabel: "loss".into(),
            log_y: true,
            ..Default::default()
        };
        line_plot(&[train, val.clone()], &p, &opts).unwrap();
        let svg = std::fs::read_to_string(&p).unwrap();
        for t in [
            &txt("train"),
            &txt("validation"),
            &txt("epoch"),
            &txt("loss"),
            &txt("Training"),
        ] {
            assert!(svg.contains(t), "{t}");
        }
        assert!(svg.contains("stroke=\"#1F77B4\"") && svg.contains("stroke=\"#FF7F0E\""));
        assert!(svg.contains("<polygon"), "error band");
        // error bars on linear axes, PNG output
        let p2 = dir.path().join("bars.png");
        let o2 = LinePlotOptions {
            error_style: ErrorStyle::Bars,
            markers: true,
            ..Default::default()
        };
        line_plot(std::slice::from_ref(&val), &p2, &o2).unwrap();
        assert!(p2.exists());
        let p3 = dir.path().join("bars.svg");
        line_plot(
            &[val],
            &p3,
            &LinePlotOptions {
                error_style: ErrorStyle::Bars,
                ..Default::default()
            },
        )
        .unwrap();
        let svg = std::fs::read_to_string(&p3).unwrap();
        assert!(!svg.contains("<polygon"));
    }

    #[test]
    fn log_ticks_cover_the_range() {
        assert_eq!(log_ticks(0.5, 2000.0), vec![1.0, 10.0, 100.0, 1000.0]);
        assert_eq!(log_ticks(0.15, 1.2), vec![0.2, 0.5, 1.0]);
        let t = log_ticks(0.25, 0.45);
        assert_eq!(t.len(), 2);
        assert!((t[0] - 0.3).abs() < 1e-12 && (t[1] - 0.4).abs() < 1e-12);
    }

    #[test]
    fn line_plot_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.svg");
        let bad = Series {
            x: vec![1.0, 2.0],
            y: vec![1.0],
            ..Default::default()
        };
        let e = line_plot(&[bad], &p, &LinePlotOptions::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("series[0]") && e.contains("y has 1"), "{e}");
        let neg = Series {
            x: vec![1.0, 2.0],
            y: vec![-1.0, 0.0],
            ..Default::default()
        };
        let o = LinePlotOptions {
            log_y: true,
            ..Default::default()
        };
        let e = line_plot(&[neg], &p, &o).unwrap_err().to_string();
        assert!(e.contains("log"), "{e}");
        assert!(line_plot(&[], &p, &o).is_err());
        // a single point still plots
        let one = Series {
            x: vec![3.0],
            y: vec![3.0],
            ..Default::default()
        };
        line_plot(&[one], &p, &LinePlotOptions::default()).unwrap();
    }
}
