//! Line plots: loss curves, line profiles, mean ± standard deviation.
//!
//! Each [`Series`] is a polyline in its own colour (tab10 palette), solid or
//! dashed, with an optional error `yerr` drawn as a shaded band (default) or
//! as error bars. Axes can be logarithmic; non-finite points are skipped, and
//! on a log axis so are points ≤ 0 (a series left with no point is an error).

use std::path::Path;

use plotters::coord::ranged1d::{AsRangedCoord, Ranged, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{check_len, dashed_swatch, fmt_num, render, DrawResult, FigureDraw, RasterSink, FONT, PALETTE};
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
        }
    }
}

/// A cleaned series: the points that can be drawn on the chosen axes.
struct Clean {
    label: String,
    pts: Vec<(f64, f64, f64)>, // x, y, err (0 when none)
    has_err: bool,
    dashed: bool,
}

/// Plot lines into `path` (`.svg` or `.png`).
pub fn line_plot(series: &[Series], path: impl AsRef<Path>, opts: &LinePlotOptions) -> Result<()> {
    let path = path.as_ref();
    if series.is_empty() {
        return Err(Error::arg("series", "line_plot needs at least one series"));
    }
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
            dashed: s.dashed,
        });
    }
    let (mut x0, mut x1, mut y0, mut y1) =
        (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
    for c in &clean {
        for &(x, y, e) in &c.pts {
            x0 = x0.min(x);
            x1 = x1.max(x);
            let lo = if opts.log_y && y - e <= 0.0 { y } else { y - e };
            y0 = y0.min(lo);
            y1 = y1.max(y + e);
        }
    }
    let (x0, x1) = pad_range(x0, x1, opts.log_x, 0.02);
    let (y0, y1) = pad_range(y0, y1, opts.log_y, 0.06);
    let fig = LineFigure { clean, opts };
    render(
        path,
        opts.size,
        LineFig {
            fig,
            x: (x0, x1),
            y: (y0, y1),
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
}

struct LineFig<'a> {
    fig: LineFigure<'a>,
    x: (f64, f64),
    y: (f64, f64),
}

impl FigureDraw for LineFig<'_> {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        _sink: &mut RasterSink,
    ) -> DrawResult<(), DB> {
        let (xr, yr) = (self.x.0..self.x.1, self.y.0..self.y.1);
        let xl = || {
            xr.clone()
                .log_scale()
                .with_key_points(log_ticks(self.x.0, self.x.1))
        };
        let yl = || {
            yr.clone()
                .log_scale()
                .with_key_points(log_ticks(self.y.0, self.y.1))
        };
        match (self.fig.opts.log_x, self.fig.opts.log_y) {
            (false, false) => self.fig.draw_on(root, xr.clone(), yr.clone()),
            (true, false) => self.fig.draw_on(root, xl(), yr.clone()),
            (false, true) => self.fig.draw_on(root, xr.clone(), yl()),
            (true, true) => self.fig.draw_on(root, xl(), yl()),
        }
    }
}

impl LineFigure<'_> {
    fn draw_on<DB, X, Y>(&self, root: &DrawingArea<DB, Shift>, xr: X, yr: Y) -> DrawResult<(), DB>
    where
        DB: DrawingBackend,
        X: AsRangedCoord<Value = f64>,
        Y: AsRangedCoord<Value = f64>,
        X::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
        Y::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
    {
        let opts = self.opts;
        let mut builder = ChartBuilder::on(root);
        builder.margin(18).x_label_area_size(52).y_label_area_size(72);
        if let Some(t) = &opts.title {
            builder.caption(t, (FONT, 22));
        }
        let mut chart = builder.build_cartesian_2d(xr, yr)?;
        let fmt = |v: &f64| fmt_num(*v);
        chart
            .configure_mesh()
            .x_label_formatter(&fmt)
            .y_label_formatter(&fmt)
            .x_desc(opts.xlabel.as_str())
            .y_desc(opts.ylabel.as_str())
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 17))
            .bold_line_style(RGBColor(218, 218, 218))
            .light_line_style(TRANSPARENT)
            .draw()?;
        let y_floor = self
            .clean
            .iter()
            .flat_map(|c| c.pts.iter().map(|p| p.1))
            .fold(f64::INFINITY, f64::min);
        for (i, c) in self.clean.iter().enumerate() {
            let hue = PALETTE[i % PALETTE.len()];
            if c.has_err {
                match opts.error_style {
                    ErrorStyle::Band => {
                        // polygon: upper edge left → right, lower edge right → left
                        let lower = |y: f64, e: f64| {
                            if opts.log_y && y - e <= 0.0 {
                                y.min(y_floor)
                            } else {
                                y - e
                            }
                        };
                        let mut poly: Vec<(f64, f64)> = c.pts.iter().map(|&(x, y, e)| (x, y + e)).collect();
                        poly.extend(c.pts.iter().rev().map(|&(x, y, e)| (x, lower(y, e))));
                        chart.draw_series(std::iter::once(Polygon::new(poly, hue.mix(0.22).filled())))?;
                    }
                    ErrorStyle::Bars => {
                        let style = hue.stroke_width(1);
                        for &(x, y, e) in c.pts.iter().filter(|p| p.2 > 0.0) {
                            let lo = if opts.log_y && y - e <= 0.0 { y } else { y - e };
                            draw_error_bar(&mut chart, x, lo, y + e, style)?;
                        }
                    }
                }
            }
            let line: Vec<(f64, f64)> = c.pts.iter().map(|&(x, y, _)| (x, y)).collect();
            let style = hue.stroke_width(2);
            let anno = if c.dashed {
                chart.draw_series(DashedLineSeries::new(line.clone(), 10, 6, style))?
            } else {
                chart.draw_series(LineSeries::new(line.clone(), style))?
            };
            if !c.label.is_empty() {
                let dashed = c.dashed;
                if dashed {
                    anno.label(c.label.clone())
                        .legend(move |xy| dashed_swatch(xy, style));
                } else {
                    anno.label(c.label.clone())
                        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
                }
            }
            if opts.markers {
                chart.draw_series(line.iter().map(|&p| Circle::new(p, 3, hue.filled())))?;
            }
        }
        if self.clean.iter().any(|c| !c.label.is_empty()) {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .margin(12)
                .label_font((FONT, 15))
                .background_style(WHITE.mix(0.9))
                .border_style(RGBColor(170, 170, 170))
                .draw()?;
        }
        Ok(())
    }
}

/// Draw a vertical error bar from `lo` to `hi` at `x` with 8-pixel caps.
pub(crate) fn draw_error_bar<DB, X, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, Y>>,
    x: f64,
    lo: f64,
    hi: f64,
    style: ShapeStyle,
) -> DrawResult<(), DB>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    chart.draw_series(std::iter::once(PathElement::new(vec![(x, lo), (x, hi)], style)))?;
    for y in [lo, hi] {
        chart.draw_series(std::iter::once(
            EmptyElement::at((x, y)) + PathElement::new(vec![(-4, 0), (4, 0)], style),
        ))?;
    }
    Ok(())
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
