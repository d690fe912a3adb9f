//! Grouped bar charts, e.g. metrics per loss configuration.
//!
//! Groups lie along x (their names below the axis); within a group each
//! [`BarSeries`] has one bar in its own colour, with an optional ± error bar.
//! Bars start at 0, so negative values point down.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{check_len, render, DrawResult, FigureDraw, RasterSink, FONT, PALETTE};
use crate::error::{Error, Result};

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
}

impl Default for BarOptions {
    fn default() -> Self {
        BarOptions {
            title: None,
            ylabel: String::new(),
            xlabel: String::new(),
            size: (820, 560),
        }
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
    let (mut lo, mut hi) = (0.0f64, 0.0f64);
    for (i, s) in series.iter().enumerate() {
        let name = format!("values[{i}]");
        check_len(&name, "values", s.values.len(), groups.len())?;
        if let Some(e) = &s.err {
            check_len(&name, "err", e.len(), groups.len())?;
        }
        for (k, &v) in s.values.iter().enumerate() {
            if !v.is_finite() {
                return Err(Error::arg(name, format!("value {k} is {v}")));
            }
            let e = s.err.as_ref().map_or(0.0, |e| e[k].abs());
            let e = if e.is_finite() { e } else { 0.0 };
            lo = lo.min(v - e);
            hi = hi.max(v + e);
        }
    }
    let span = (hi - lo).max(f64::MIN_POSITIVE);
    let y = (
        if lo < 0.0 { lo - 0.06 * span } else { 0.0 },
        if hi > 0.0 { hi + 0.12 * span } else { 0.0 },
    );
    let y = if y.1 > y.0 { y } else { (0.0, 1.0) };
    render(
        path,
        opts.size,
        BarFigure {
            groups,
            series,
            opts,
            y,
        },
    )
}

struct BarFigure<'a> {
    groups: &'a [String],
    series: &'a [BarSeries],
    opts: &'a BarOptions,
    y: (f64, f64),
}

impl FigureDraw for BarFigure<'_> {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        _sink: &mut RasterSink,
    ) -> DrawResult<(), DB> {
        let n = self.groups.len() as f64;
        let mut builder = ChartBuilder::on(root);
        let xlabel_h = if self.opts.xlabel.is_empty() { 44 } else { 70 };
        builder
            .margin(18)
            .x_label_area_size(xlabel_h)
            .y_label_area_size(72);
        if let Some(t) = &self.opts.title {
            builder.caption(t, (FONT, 22));
        }
        let mut chart = builder.build_cartesian_2d(-0.5..n - 0.5, self.y.0..self.y.1)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_desc(self.opts.ylabel.as_str())
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 17))
            .bold_line_style(RGBColor(218, 218, 218))
            .light_line_style(TRANSPARENT)
            .draw()?;
        let k = self.series.len() as f64;
        let width = 0.8 / k;
        for (si, s) in self.series.iter().enumerate() {
            let hue = PALETTE[si % PALETTE.len()];
            let x_of = |g: usize| g as f64 - 0.4 + width * (si as f64 + 0.5);
            chart
                .draw_series(s.values.iter().enumerate().map(|(g, &v)| {
                    let xc = x_of(g);
                    Rectangle::new([(xc - width * 0.45, 0.0), (xc + width * 0.45, v)], hue.filled())
                }))?
                .label(s.label.clone())
                .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], hue.filled()));
            if let Some(err) = &s.err {
                for (g, (&v, &e)) in s.values.iter().zip(err).enumerate() {
                    if e.is_finite() && e != 0.0 {
                        let style = BLACK.stroke_width(1);
                        super::line::draw_error_bar(&mut chart, x_of(g), v - e.abs(), v + e.abs(), style)?;
                    }
                }
            }
        }
        // zero line and group names
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(-0.5, 0.0), (n - 0.5, 0.0)],
            BLACK.stroke_width(1),
        )))?;
        let name_style = TextStyle::from((FONT, 15).into_font())
            .color(&BLACK)
            .pos(Pos::new(HPos::Center, VPos::Top));
        for (g, name) in self.groups.iter().enumerate() {
            let (px, py) = chart.backend_coord(&(g as f64, self.y.0));
            root.draw(&Text::new(name.clone(), (px, py + 8), name_style.clone()))?;
        }
        if !self.opts.xlabel.is_empty() {
            let (xa, _) = chart.backend_coord(&(-0.5, self.y.0));
            let (xb, py) = chart.backend_coord(&(n - 0.5, self.y.0));
            let style = TextStyle::from((FONT, 17).into_font())
                .color(&BLACK)
                .pos(Pos::new(HPos::Center, VPos::Top));
            root.draw(&Text::new(
                self.opts.xlabel.clone(),
                ((xa + xb) / 2, py + 36),
                style,
            ))?;
        }
        if self.series.iter().any(|s| !s.label.is_empty()) {
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
