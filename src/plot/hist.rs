//! Histograms: bars over given bin edges (computed by
//! `locs::series::plot_hist`, numpy.histogram's bins), one colour per series.
//!
//! One series is drawn as filled bars; several as translucent bars with a
//! step outline each and a legend, so that overlapping distributions stay
//! readable.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{check_len, fmt_num, lighten, render, DrawResult, FigureDraw, RasterSink, FONT, PALETTE};
use crate::error::{Error, Result};

/// One histogram: `counts[i]` over `[edges[i], edges[i + 1]]`.
#[derive(Debug, Clone, Default)]
pub struct HistSeries {
    /// Legend label (the legend is drawn for two or more series).
    pub label: String,
    /// Bin edges, ascending, `counts.len() + 1` of them.
    pub edges: Vec<f64>,
    /// Height of each bar (counts, or a density).
    pub counts: Vec<f64>,
}

/// Options of [`hist_plot`].
#[derive(Debug, Clone)]
pub struct HistPlotOptions {
    /// Title above the plot (default none).
    pub title: Option<String>,
    /// x-axis label (default none).
    pub xlabel: String,
    /// y-axis label (default `count`).
    pub ylabel: String,
    /// Figure size in pixels (default 820 × 560).
    pub size: (u32, u32),
}

impl Default for HistPlotOptions {
    fn default() -> Self {
        HistPlotOptions {
            title: None,
            xlabel: String::new(),
            ylabel: "count".into(),
            size: (820, 560),
        }
    }
}

/// Draw histograms into `path` (`.svg` or `.png`).
pub fn hist_plot(series: &[HistSeries], path: impl AsRef<Path>, opts: &HistPlotOptions) -> Result<()> {
    let path = path.as_ref();
    if series.is_empty() {
        return Err(Error::arg("series", "hist_plot needs at least one histogram"));
    }
    let (mut x0, mut x1, mut y1) = (f64::INFINITY, f64::NEG_INFINITY, 0.0f64);
    for (i, s) in series.iter().enumerate() {
        let name = format!("series[{i}]");
        if s.counts.is_empty() {
            return Err(Error::arg(name, "a histogram needs at least one bin"));
        }
        check_len(&name, "edges", s.edges.len(), s.counts.len() + 1)?;
        if s.edges.iter().any(|e| !e.is_finite()) || s.edges.windows(2).any(|w| w[1] <= w[0]) {
            return Err(Error::arg(name, "edges must be finite and increasing"));
        }
        if let Some(c) = s.counts.iter().find(|c| !(c.is_finite() && **c >= 0.0)) {
            return Err(Error::arg(
                name,
                format!("counts must be finite and >= 0, got {c}"),
            ));
        }
        x0 = x0.min(s.edges[0]);
        x1 = x1.max(s.edges[s.edges.len() - 1]);
        y1 = y1.max(s.counts.iter().copied().fold(0.0, f64::max));
    }
    let y1 = if y1 > 0.0 { y1 * 1.08 } else { 1.0 };
    render(
        path,
        opts.size,
        HistFigure {
            series,
            opts,
            x: (x0, x1),
            y1,
        },
    )
}

struct HistFigure<'a> {
    series: &'a [HistSeries],
    opts: &'a HistPlotOptions,
    x: (f64, f64),
    y1: f64,
}

impl FigureDraw for HistFigure<'_> {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        _sink: &mut RasterSink,
    ) -> DrawResult<(), DB> {
        let mut builder = ChartBuilder::on(root);
        builder.margin(18).x_label_area_size(52).y_label_area_size(72);
        if let Some(t) = &self.opts.title {
            builder.caption(t, (FONT, 22));
        }
        let mut chart = builder.build_cartesian_2d(self.x.0..self.x.1, 0.0..self.y1)?;
        let fmt = |v: &f64| fmt_num(*v);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_label_formatter(&fmt)
            .y_label_formatter(&fmt)
            .x_desc(self.opts.xlabel.as_str())
            .y_desc(self.opts.ylabel.as_str())
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 17))
            .bold_line_style(RGBColor(218, 218, 218))
            .light_line_style(TRANSPARENT)
            .draw()?;
        let several = self.series.len() > 1;
        for (i, s) in self.series.iter().enumerate() {
            let hue = PALETTE[i % PALETTE.len()];
            let fill = if several {
                lighten(hue, 0.6).mix(0.6)
            } else {
                lighten(hue, 0.15).mix(1.0)
            };
            chart.draw_series(
                s.counts
                    .iter()
                    .zip(s.edges.windows(2))
                    .filter(|(c, _)| **c > 0.0)
                    .map(|(&c, e)| Rectangle::new([(e[0], 0.0), (e[1], c)], fill.filled())),
            )?;
            // outline: a step line over the bars
            let mut step = Vec::with_capacity(2 * s.counts.len() + 2);
            step.push((s.edges[0], 0.0));
            for (&c, e) in s.counts.iter().zip(s.edges.windows(2)) {
                step.push((e[0], c));
                step.push((e[1], c));
            }
            step.push((s.edges[s.edges.len() - 1], 0.0));
            let style = hue.stroke_width(if several { 2 } else { 1 });
            let anno = chart.draw_series(std::iter::once(PathElement::new(step, style)))?;
            if several {
                anno.label(s.label.clone())
                    .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], hue.filled()));
            }
        }
        if several {
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
    fn hist_svg_has_bars_labels_and_legend() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("h.svg");
        let a = HistSeries {
            label: "photons".into(),
            edges: vec![0.0, 1.0, 2.0, 3.0],
            counts: vec![2.0, 0.0, 5.0],
        };
        let opts = HistPlotOptions {
            title: Some("Photons".into()),
            xlabel: "photons (photon)".into(),
            ..Default::default()
        };
        hist_plot(std::slice::from_ref(&a), &p, &opts).unwrap();
        let svg = std::fs::read_to_string(&p).unwrap();
        for t in [&txt("Photons"), &txt("photons (photon)"), &txt("count")] {
            assert!(svg.contains(t), "{t}");
        }
        // one bar per non-empty bin, no legend for one series
        let fill = lighten(PALETTE[0], 0.15);
        let fill = format!("fill=\"#{:02X}{:02X}{:02X}\"", fill.0, fill.1, fill.2);
        assert_eq!(svg.matches(&fill).count(), 2, "{fill}");
        assert!(!svg.contains(&txt("photons")));
        let b = HistSeries {
            label: "bg".into(),
            edges: vec![0.0, 1.5, 3.0],
            counts: vec![1.0, 1.0],
        };
        hist_plot(&[a.clone(), b], dir.path().join("h2.png"), &opts).unwrap();
        let p3 = dir.path().join("h3.svg");
        let c = HistSeries {
            label: "other".into(),
            ..a.clone()
        };
        hist_plot(&[a.clone(), c], &p3, &opts).unwrap();
        let svg = std::fs::read_to_string(&p3).unwrap();
        assert!(
            svg.contains(&txt("photons")) && svg.contains(&txt("other")),
            "legend"
        );
        // bad inputs name the series
        let bad = HistSeries {
            edges: vec![0.0, 1.0],
            ..a.clone()
        };
        let e = hist_plot(&[a.clone(), bad], &p, &opts).unwrap_err().to_string();
        assert!(e.contains("series[1]") && e.contains("edges"), "{e}");
        let bad = HistSeries {
            counts: vec![1.0, f64::NAN, 0.0],
            ..a
        };
        assert!(hist_plot(&[bad], &p, &opts).is_err());
        assert!(hist_plot(&[], &p, &opts).is_err());
    }
}
