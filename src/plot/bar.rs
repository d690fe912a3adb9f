//! Grouped bar charts, e.g. metrics per loss configuration.
//!
//! Groups lie along x (their names below the axis); within a group each
//! [`BarSeries`] has one bar in its own colour, with an optional ± error bar.
//! Bars start at 0, so negative values point down. Groups of different scale
//! (e.g. MS-SSIM ≈ 0.8 and MSE ≈ 0.01) can each get their own y axis
//! ([`BarOptions::shared_y`] = false), so that no group's bars are flattened.
//! The legend goes where it covers no bar (see `legend.rs`).

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::Color as _;

use super::legend::{
    draw_legend, draw_prims, legend_size, place_legend, titled, Axes, Entry, LegendPos, Prim, Swatch,
};
use super::line::{axis_ticks, check_lim, error_bar, Ticked, Ticks};
use super::style::{Color, PixRect};
use super::{check_len, render, DrawResult, FigureDraw, RasterSink, FONT, PALETTE};
use crate::error::{Error, Result};
use plotters::coord::types::RangedCoordf64;

/// One bar per group, in one colour.
#[derive(Debug, Clone, Default)]
pub struct BarSeries {
    /// Legend label.
    pub label: String,
    /// One value per group.
    pub values: Vec<f64>,
    /// Optional ± error per group.
    pub err: Option<Vec<f64>>,
}

/// Options of [`bar_chart`].
#[derive(Debug, Clone)]
pub struct BarOptions {
    /// Title above the chart (default none).
    pub title: Option<String>,
    /// y-axis label (default none).
    pub ylabel: String,
    /// x-axis label, below the group names (default none).
    pub xlabel: String,
    /// Figure size in pixels (default 820 × 560).
    pub size: (u32, u32),
    /// Colour of series i is `colors[i]`; series beyond the list take the
    /// default cycle (tab10) by their index (default empty).
    pub colors: Vec<Color>,
    /// y range shown (default: 0 and the data with its error bars, padded).
    pub ylim: Option<(f64, f64)>,
    /// One y axis for all groups (default true); false gives each group its
    /// own axis, side by side, for groups of different scale or unit.
    pub shared_y: bool,
    /// Where the legend goes (default [`LegendPos::Auto`]: a corner free of bars, else outside right).
    pub legend: LegendPos,
}

impl Default for BarOptions {
    fn default() -> Self {
        BarOptions {
            title: None,
            ylabel: String::new(),
            xlabel: String::new(),
            size: (820, 560),
            colors: Vec::new(),
            ylim: None,
            shared_y: true,
            legend: LegendPos::Auto,
        }
    }
}

/// The y range showing 0 and `v ± e` for every (value, error) pair.
fn y_range(vals: impl Iterator<Item = (f64, f64)>) -> (f64, f64) {
    let (mut lo, mut hi) = (0.0f64, 0.0f64);
    for (v, e) in vals {
        lo = lo.min(v - e);
        hi = hi.max(v + e);
    }
    let span = (hi - lo).max(f64::MIN_POSITIVE);
    let y = (
        if lo < 0.0 { lo - 0.06 * span } else { 0.0 },
        if hi > 0.0 { hi + 0.12 * span } else { 0.0 },
    );
    if y.1 > y.0 {
        y
    } else {
        (0.0, 1.0)
    }
}

/// Draw grouped bars into `path` (`.svg` or `.png`): `groups` name the
/// positions along x, each series gives one value per group.
pub fn bar_chart(
    groups: &[String],
    series: &[BarSeries],
    path: impl AsRef<Path>,
    opts: &BarOptions,
) -> Result<()> {
    let path = path.as_ref();
    if groups.is_empty() {
        return Err(Error::arg("groups", "bar_chart needs at least one group"));
    }
    if series.is_empty() {
        return Err(Error::arg("values", "bar_chart needs at least one series"));
    }
    let ylim = check_lim("ylim", opts.ylim, false)?;
    for (i, s) in series.iter().enumerate() {
        let name = format!("values[{i}]");
        check_len(&name, "values", s.values.len(), groups.len())?;
        if let Some(e) = &s.err {
            check_len(&name, "err", e.len(), groups.len())?;
        }
        if let Some((k, v)) = s.values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(Error::arg(name, format!("value {k} is {v}")));
        }
    }
    let err = |s: &BarSeries, g: usize| {
        let e = s.err.as_ref().map_or(0.0, |e| e[g].abs());
        if e.is_finite() {
            e
        } else {
            0.0
        }
    };
    // one chart of all groups, or one chart per group
    let sets: Vec<Vec<usize>> = if opts.shared_y {
        vec![(0..groups.len()).collect()]
    } else {
        (0..groups.len()).map(|g| vec![g]).collect()
    };
    let charts = sets
        .into_iter()
        .map(|gs| {
            let y = ylim.unwrap_or_else(|| {
                y_range(
                    gs.iter()
                        .flat_map(|&g| series.iter().map(move |s| (s.values[g], err(s, g)))),
                )
            });
            let yt = axis_ticks(y, false, false, 7);
            SubChart { groups: gs, y, yt }
        })
        .collect();
    render(
        path,
        opts.size,
        BarFigure {
            groups,
            series,
            opts,
            charts,
        },
    )
}

/// One y axis and the groups drawn against it.
struct SubChart {
    groups: Vec<usize>,
    y: (f64, f64),
    yt: Ticks,
}

struct BarFigure<'a> {
    groups: &'a [String],
    series: &'a [BarSeries],
    opts: &'a BarOptions,
    charts: Vec<SubChart>,
}

impl BarFigure<'_> {
    fn color(&self, si: usize) -> RGBColor {
        self.opts
            .colors
            .get(si)
            .map_or(PALETTE[si % PALETTE.len()], |c| c.rgb())
    }

    fn xlabel_h(&self) -> u32 {
        if self.opts.xlabel.is_empty() {
            44
        } else {
            70
        }
    }

    /// The chart areas of `body`, one per sub-chart, left to right.
    fn areas<DB: DrawingBackend>(&self, body: &DrawingArea<DB, Shift>) -> Vec<DrawingArea<DB, Shift>> {
        let n = self.charts.len();
        if n == 1 {
            return vec![body.clone()];
        }
        let (w, _) = body.dim_in_pixel();
        let breaks: Vec<i32> = (1..n).map(|k| (k as u32 * w / n as u32) as i32).collect();
        body.split_by_breakpoints(breaks, Vec::<i32>::new())
    }

    /// Build sub-chart `c` on `area` (drawing its axes when `mesh`).
    fn build<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        c: &SubChart,
        first: bool,
        mesh: bool,
    ) -> DrawResult<Axes, DB> {
        let n = c.groups.len() as f64;
        let mut builder = ChartBuilder::on(area);
        builder
            .margin(18)
            .margin_top(if self.opts.title.is_some() { 6 } else { 18 })
            .x_label_area_size(self.xlabel_h())
            .y_label_area_size(if first || self.charts.len() == 1 { 72 } else { 60 });
        let yr = Ticked::<RangedCoordf64> {
            inner: (c.y.0..c.y.1).into(),
            ticks: c.yt.at.clone(),
        };
        let mut chart = builder.build_cartesian_2d(-0.5..n - 0.5, yr)?;
        if mesh {
            let fy = |v: &f64| c.yt.label(*v);
            chart
                .configure_mesh()
                .disable_x_mesh()
                .x_labels(0)
                .y_labels(c.yt.at.len() + 1)
                .y_label_formatter(&fy)
                .y_desc(if first { self.opts.ylabel.as_str() } else { "" })
                .label_style((FONT, 15))
                .axis_desc_style((FONT, 17))
                .bold_line_style(RGBColor(218, 218, 218))
                .light_line_style(TRANSPARENT)
                .draw()?;
        }
        Ok(Axes::new(
            (-0.5, n - 0.5),
            c.y,
            chart.backend_coord(&(-0.5, c.y.0)),
            chart.backend_coord(&(n - 0.5, c.y.1)),
            (false, false),
        ))
    }

    /// The bars and error bars of sub-chart `c`, in pixels, clipped.
    fn prims(&self, c: &SubChart, axes: &Axes) -> Vec<Prim> {
        let plot = &axes.plot;
        let k = self.series.len() as f64;
        let width = 0.8 / k;
        let mut out = Vec::new();
        for (si, s) in self.series.iter().enumerate() {
            let color = self.color(si);
            for (slot, &g) in c.groups.iter().enumerate() {
                let v = s.values[g];
                let xc = slot as f64 - 0.4 + width * (si as f64 + 0.5);
                let (xa, y0) = axes.map((xc - width * 0.45, 0.0));
                let (xb, y1) = axes.map((xc + width * 0.45, v));
                let r = PixRect::new(xa, y0, xb, y1);
                let clipped = PixRect::new(
                    r.x0.max(plot.x0),
                    r.y0.max(plot.y0),
                    r.x1.min(plot.x1),
                    r.y1.min(plot.y1),
                );
                if clipped.x0 < clipped.x1 && clipped.y0 <= clipped.y1 {
                    out.push(Prim::Box { r: clipped, color });
                }
                if let Some(e) = s
                    .err
                    .as_ref()
                    .map(|e| e[g].abs())
                    .filter(|e| e.is_finite() && *e > 0.0)
                {
                    let px = axes.x.map(xc);
                    out.extend(error_bar(px, axes.y.map(v - e), axes.y.map(v + e), plot, BLACK));
                }
            }
        }
        out
    }

    fn entries(&self) -> Vec<Entry> {
        self.series
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.label.is_empty())
            .map(|(si, s)| Entry {
                label: s.label.clone(),
                swatch: Swatch::Fill(self.color(si)),
            })
            .collect()
    }
}

impl FigureDraw for BarFigure<'_> {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        sink: &mut RasterSink,
    ) -> DrawResult<(), DB> {
        let body = titled(root, self.opts.title.as_deref())?;
        let entries = self.entries();
        let size = legend_size(root, &entries)?;
        let (area, legend) = place_legend(&body, self.opts.legend, size, |a| {
            let mut plots = Vec::new();
            let mut prims = Vec::new();
            for (i, (sub, c)) in self.areas(a).iter().zip(&self.charts).enumerate() {
                let axes = self.build(sub, c, i == 0, false)?;
                plots.push(axes.plot);
                prims.extend(self.prims(c, &axes));
            }
            // prefer the right-most chart for the legend
            plots.reverse();
            Ok((plots, prims))
        })?;
        let name_style = TextStyle::from((FONT, 15).into_font())
            .color(&BLACK)
            .pos(Pos::new(HPos::Center, VPos::Top));
        let (mut left, mut right, mut bottom) = (i32::MAX, i32::MIN, 0);
        for (i, (sub, c)) in self.areas(&area).iter().zip(&self.charts).enumerate() {
            let axes = self.build(sub, c, i == 0, true)?;
            draw_prims(root, sink, &self.prims(c, &axes))?;
            // zero line and group names
            let p = axes.plot;
            let y0 = axes.y.map(0.0).round() as i32;
            if (p.y0..=p.y1).contains(&(y0 as f64)) {
                root.draw(&PathElement::new(
                    vec![(p.x0 as i32, y0), (p.x1 as i32, y0)],
                    BLACK.stroke_width(1),
                ))?;
            }
            for (slot, &g) in c.groups.iter().enumerate() {
                let px = axes.x.map(slot as f64).round() as i32;
                root.draw(&Text::new(
                    self.groups[g].clone(),
                    (px, p.y1 as i32 + 8),
                    name_style.clone(),
                ))?;
            }
            left = left.min(p.x0 as i32);
            right = right.max(p.x1 as i32);
            bottom = bottom.max(p.y1 as i32);
        }
        if !self.opts.xlabel.is_empty() {
            let style = TextStyle::from((FONT, 17).into_font())
                .color(&BLACK)
                .pos(Pos::new(HPos::Center, VPos::Top));
            root.draw(&Text::new(
                self.opts.xlabel.clone(),
                ((left + right) / 2, bottom + 36),
                style,
            ))?;
        }
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
    fn bar_svg_has_groups_series_and_bars() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bars.svg");
        let groups: Vec<String> = ["MS-SSIM", "MS-SSIM+FRC", "FRC"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let series = vec![
            BarSeries {
                label: "PSNR / 30".into(),
                values: vec![0.8, 0.9, 0.7],
                err: Some(vec![0.05, 0.02, 0.04]),
            },
            BarSeries {
                label: "area-FRC".into(),
                values: vec![0.5, 0.62, -0.1],
                err: None,
            },
        ];
        let opts = BarOptions {
            title: Some("Losses".into()),
            ylabel: "score".into(),
            xlabel: "loss".into(),
            ..Default::default()
        };
        bar_chart(&groups, &series, &p, &opts).unwrap();
        let svg = std::fs::read_to_string(&p).unwrap();
        for t in [
            &txt("MS-SSIM"),
            &txt("MS-SSIM+FRC"),
            &txt("FRC"),
            &txt("PSNR / 30"),
            &txt("area-FRC"),
            &txt("score"),
            &txt("loss"),
            &txt("Losses"),
        ] {
            assert!(svg.contains(t), "{t}");
        }
        // 3 blue bars + legend swatch, 3 orange bars + legend swatch
        assert_eq!(svg.matches("fill=\"#1F77B4\"").count(), 4);
        assert_eq!(svg.matches("fill=\"#FF7F0E\"").count(), 4);
        let bad = vec![BarSeries {
            label: "x".into(),
            values: vec![1.0],
            err: None,
        }];
        let e = bar_chart(&groups, &bad, &p, &opts).unwrap_err().to_string();
        assert!(e.contains("values[0]"), "{e}");
        bar_chart(&groups, &series, dir.path().join("bars.png"), &opts).unwrap();
    }
}
