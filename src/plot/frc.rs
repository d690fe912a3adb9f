//! FRC curves (docs/methods.md §5), drawn like Picasso's and SMAP's FRC plots.
//!
//! x: spatial frequency in nm⁻¹ from 0 to Nyquist; y: FRC from −0.2 to 1.05.
//! Each curve has one hue: the raw FRC light and thin, the smoothed (LOESS)
//! curve dark and thick. The threshold (1/7 by default, or a ½-bit curve) is
//! dashed; the resolution crossing is marked with a dot and a dotted drop line
//! to the frequency axis, and the legend reads "label — Resolution: X nm"
//! (for the mean of repeats followed by "; k of n repeats crossed: …").
//! Warnings about a curve (it rises back above the threshold; a repeat is
//! an outlier) are printed as notes below the plot, where they cover no data.
//! The input is plain data ([`FrcSeries`]) so that this module does not
//! depend on the FRC implementation.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::Color as _;

use super::legend::{
    draw_legend, draw_prims, legend_size, place_legend, titled, Axes, Entry, LegendPos, Prim, Swatch,
};
use super::line::{axis_ticks, clipped_lines, Frame, Ticks};
use super::style::{Color, Dash};
use super::{check_len, lighten, render, DrawResult, FigureDraw, RasterSink, FONT, PALETTE};
use crate::error::{Error, Result};

/// A threshold for the FRC resolution.
#[derive(Debug, Clone, PartialEq)]
pub enum FrcThreshold {
    /// A constant, e.g. 1/7.
    Fixed(f64),
    /// One value per ring (e.g. the ½-bit curve), aligned with `freq_nm_inv`.
    Curve(Vec<f64>),
}

/// One FRC curve to plot (plain data, e.g. from an FRC result).
#[derive(Debug, Clone, Default)]
pub struct FrcSeries {
    /// Legend label (may be empty).
    pub label: String,
    /// Spatial frequency of each ring, nm⁻¹ (f_q = q/(N·p)).
    pub freq_nm_inv: Vec<f64>,
    /// Raw FRC values, one per ring.
    pub values: Vec<f64>,
    /// Smoothed FRC (LOESS), one per ring, drawn dark over the raw curve.
    pub smoothed: Option<Vec<f64>>,
    /// The resolution in nm (marked at frequency 1/resolution), or none.
    pub resolution_nm: Option<f64>,
    /// The threshold used for `resolution_nm` (default 1/7 when drawn).
    pub threshold: Option<FrcThreshold>,
    /// For the mean curve of repeats: what the repeats say, appended to the
    /// legend after the curve's own resolution, e.g. "1 of 5 repeats
    /// crossed: 30.4 nm".
    pub repeats: Option<String>,
    /// Warnings, printed as notes at the bottom of the plot (prefixed with
    /// the label when it is not empty).
    pub notes: Vec<String>,
}

impl FrcSeries {
    /// The series of a computed curve: raw and smoothed values, and the
    /// resolution at the 1/7 threshold, or at the ½-bit curve when `half_bit`;
    /// for the mean of ≥ 2 repeats (a table's self-FRC) the repeats' count
    /// and statistics for the legend ("k of n repeats crossed: …", always
    /// at 1/7), and the curve's warnings as notes.
    pub fn from_curve(curve: &crate::frc::FrcCurve, label: impl Into<String>, half_bit: bool) -> FrcSeries {
        use crate::frc::Threshold;
        let t = if half_bit {
            Threshold::HalfBit
        } else {
            Threshold::default()
        };
        let threshold = if half_bit {
            FrcThreshold::Curve(curve.threshold_values(t))
        } else {
            FrcThreshold::Fixed(1.0 / 7.0)
        };
        let repeats = curve.repeat_stats().filter(|st| st.repeats >= 2).map(|st| {
            if half_bit {
                format!("{st} (at 1/7)")
            } else {
                st.to_string()
            }
        });
        FrcSeries {
            label: label.into(),
            freq_nm_inv: curve.freq.clone(),
            values: curve.values.clone(),
            smoothed: Some(curve.smoothed.clone()),
            resolution_nm: curve.resolution(t, true),
            threshold: Some(threshold),
            repeats,
            notes: curve.warnings.clone(),
        }
    }
}

/// Options of [`plot_frc`].
#[derive(Debug, Clone)]
pub struct FrcPlotOptions {
    /// Title above the plot (default none).
    pub title: Option<String>,
    /// Draw the threshold line(s) (default true).
    pub show_threshold: bool,
    /// Figure size in pixels (default 820 × 560).
    pub size: (u32, u32),
    /// Colour of curve i is `colors[i]`; curves beyond the list take the
    /// default cycle (tab10) by their index (default empty).
    pub colors: Vec<Color>,
    /// Where the legend goes (default [`LegendPos::Auto`]: a corner free of data, else outside right).
    pub legend: LegendPos,
}

impl Default for FrcPlotOptions {
    fn default() -> Self {
        FrcPlotOptions {
            title: None,
            show_threshold: true,
            size: (820, 560),
            colors: Vec::new(),
            legend: LegendPos::Auto,
        }
    }
}

/// The legend text of a curve: "label — Resolution: 123.4 nm" (or "—
/// Resolution: none (no crossing)" when the resolution is undefined), then
/// "; " and [`FrcSeries::repeats`] when set, e.g. "Resolution: none (no
/// crossing); 1 of 5 repeats crossed: 30.4 nm".
pub fn frc_legend(series: &FrcSeries) -> String {
    let mut res = match series.resolution_nm {
        Some(r) if r.is_finite() && r > 0.0 => format!("Resolution: {r:.1} nm"),
        _ => "Resolution: none (no crossing)".to_string(),
    };
    if let Some(r) = &series.repeats {
        res = format!("{res}; {r}");
    }
    if series.label.is_empty() {
        res
    } else {
        format!("{} \u{2014} {res}", series.label)
    }
}

/// Plot FRC curves into `path` (`.svg` or `.png`).
pub fn plot_frc(curves: &[FrcSeries], path: impl AsRef<Path>, opts: &FrcPlotOptions) -> Result<()> {
    let path = path.as_ref();
    if curves.is_empty() {
        return Err(Error::arg("curves", "plot_frc needs at least one curve"));
    }
    let mut x_max: f64 = 0.0;
    for (i, c) in curves.iter().enumerate() {
        let name = format!("curves[{i}]");
        let n = c.freq_nm_inv.len();
        if n < 2 {
            return Err(Error::arg(name, "an FRC curve needs at least 2 rings"));
        }
        check_len(&name, "values", c.values.len(), n)?;
        if let Some(s) = &c.smoothed {
            check_len(&name, "smoothed", s.len(), n)?;
        }
        if let Some(FrcThreshold::Curve(t)) = &c.threshold {
            check_len(&name, "threshold", t.len(), n)?;
        }
        let (f0, f1, fl) = (c.freq_nm_inv[0], c.freq_nm_inv[1], c.freq_nm_inv[n - 1]);
        if !(f1 > f0 && fl.is_finite()) {
            return Err(Error::arg(name, "frequencies must be finite and increasing"));
        }
        // The last ring is one step below Nyquist (q = N/2 − 1 of N/2).
        x_max = x_max.max(fl + (f1 - f0));
    }
    let xt = axis_ticks((0.0, x_max), false, false, 8);
    let yt = Ticks {
        at: (0..7)
            .map(|k| -0.2 + 0.2 * k as f64)
            .map(|v| (v * 10.0).round() / 10.0)
            .collect(),
        step: 0.2,
    };
    let fig = FrcFigure {
        curves,
        opts,
        x_max,
        xt,
        yt,
    };
    render(path, opts.size, fig)
}

struct FrcFigure<'a> {
    curves: &'a [FrcSeries],
    opts: &'a FrcPlotOptions,
    x_max: f64,
    xt: Ticks,
    yt: Ticks,
}

const Y_MIN: f64 = -0.2;
/// Font size (px) and colour of the notes.
const NOTE_PX: u32 = 13;
const NOTE_COLOR: RGBColor = RGBColor(160, 30, 30);
/// At most this many note lines are drawn (the last says how many more).
const NOTE_MAX_LINES: usize = 5;

/// The notes of all curves ("label: note" when labelled, "Note: " first),
/// word-wrapped to the figure width (about 7 px per character at 13 px).
fn note_lines(curves: &[FrcSeries], width_px: u32) -> Vec<String> {
    let cols = ((width_px.saturating_sub(110)) / 7).max(30) as usize;
    let mut lines = Vec::new();
    let mut total = 0;
    for c in curves {
        for n in &c.notes {
            let text = if c.label.is_empty() {
                format!("Note: {n}")
            } else {
                format!("Note ({}): {n}", c.label)
            };
            let mut line = String::new();
            for word in text.split_whitespace() {
                if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > cols {
                    lines.push(std::mem::take(&mut line));
                    line = "    ".to_string();
                }
                if !line.trim().is_empty() {
                    line.push(' ');
                }
                line.push_str(word);
            }
            lines.push(line);
            total += 1;
        }
    }
    if lines.len() > NOTE_MAX_LINES {
        lines.truncate(NOTE_MAX_LINES - 1);
        lines.push(format!("… ({total} notes in all; see the curve's summary)"));
    }
    lines
}
const Y_MAX: f64 = 1.05;

fn interp(xs: &[f64], ys: &[f64], x: f64) -> Option<f64> {
    let i = xs.windows(2).position(|w| w[0] <= x && x <= w[1])?;
    let t = (x - xs[i]) / (xs[i + 1] - xs[i]);
    Some(ys[i] + t * (ys[i + 1] - ys[i]))
}

fn points(xs: &[f64], ys: &[f64]) -> Vec<(f64, f64)> {
    xs.iter()
        .zip(ys)
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .map(|(&x, &y)| (x, y.clamp(Y_MIN - 0.5, Y_MAX + 0.5)))
        .collect()
}

impl FrcFigure<'_> {
    fn hue(&self, i: usize) -> RGBColor {
        self.opts
            .colors
            .get(i)
            .map_or(PALETTE[i % PALETTE.len()], |c| c.rgb())
    }

    /// The fixed thresholds drawn (each value once), ascending.
    fn fixed_thresholds(&self) -> Vec<f64> {
        if !self.opts.show_threshold {
            return Vec::new();
        }
        let mut fixed: Vec<f64> = Vec::new();
        for c in self.curves {
            match &c.threshold {
                None => fixed.push(1.0 / 7.0),
                Some(FrcThreshold::Fixed(t)) => fixed.push(*t),
                Some(FrcThreshold::Curve(_)) => {}
            }
        }
        fixed.sort_by(|a, b| a.total_cmp(b));
        fixed.dedup_by(|a, b| (*a - *b).abs() < 1e-12);
        fixed
    }

    fn entries(&self) -> Vec<Entry> {
        let mut out = Vec::new();
        let dash = |color| Swatch::Line {
            color,
            width: 2,
            dash: Dash::Dashed,
            dot: false,
            band: false,
        };
        for t in self.fixed_thresholds() {
            let label = if (t - 1.0 / 7.0).abs() < 1e-9 {
                "threshold 1/7".to_string()
            } else {
                format!("threshold {t:.3}")
            };
            out.push(Entry {
                label,
                swatch: dash(THRESHOLD_GRAY),
            });
        }
        if self.opts.show_threshold {
            for (i, c) in self.curves.iter().enumerate() {
                if let Some(FrcThreshold::Curve(_)) = &c.threshold {
                    out.push(Entry {
                        label: if c.label.is_empty() {
                            "threshold (curve)".to_string()
                        } else {
                            format!("{} threshold", c.label)
                        },
                        swatch: dash(lighten(self.hue(i), 0.25)),
                    });
                }
            }
        }
        for (i, c) in self.curves.iter().enumerate() {
            out.push(Entry {
                label: frc_legend(c),
                swatch: Swatch::Line {
                    color: self.hue(i),
                    width: 3,
                    dash: Dash::Solid,
                    dot: false,
                    band: false,
                },
            });
        }
        out
    }

    /// Thresholds, curves and crossing markers in pixels, clipped.
    fn prims(&self, axes: &Axes) -> Vec<Prim> {
        let plot = &axes.plot;
        let px = |pts: Vec<(f64, f64)>| -> Vec<(f64, f64)> { pts.into_iter().map(|p| axes.map(p)).collect() };
        let mut out = Vec::new();
        for t in self.fixed_thresholds() {
            let line = px(vec![(0.0, t), (self.x_max, t)]);
            out.extend(clipped_lines(&line, plot, THRESHOLD_GRAY, 2, Dash::Dashed));
        }
        if self.opts.show_threshold {
            for (i, c) in self.curves.iter().enumerate() {
                if let Some(FrcThreshold::Curve(t)) = &c.threshold {
                    let col = lighten(self.hue(i), 0.25);
                    out.extend(clipped_lines(
                        &px(points(&c.freq_nm_inv, t)),
                        plot,
                        col,
                        2,
                        Dash::Dashed,
                    ));
                }
            }
        }
        for (i, c) in self.curves.iter().enumerate() {
            let hue = self.hue(i);
            let (raw_col, raw_w) = if c.smoothed.is_some() {
                (lighten(hue, 0.55), 1)
            } else {
                (hue, 2)
            };
            out.extend(clipped_lines(
                &px(points(&c.freq_nm_inv, &c.values)),
                plot,
                raw_col,
                raw_w,
                Dash::Solid,
            ));
            if let Some(s) = &c.smoothed {
                out.extend(clipped_lines(
                    &px(points(&c.freq_nm_inv, s)),
                    plot,
                    hue,
                    3,
                    Dash::Solid,
                ));
            }
        }
        // crossing markers and drop lines on top
        for (i, c) in self.curves.iter().enumerate() {
            let hue = self.hue(i);
            if let Some(r) = c.resolution_nm.filter(|r| r.is_finite() && *r > 0.0) {
                let fc = 1.0 / r;
                let t = match &c.threshold {
                    None => Some(1.0 / 7.0),
                    Some(FrcThreshold::Fixed(t)) => Some(*t),
                    Some(FrcThreshold::Curve(t)) => interp(&c.freq_nm_inv, t, fc),
                };
                if let Some(t) = t.filter(|_| fc > 0.0 && fc <= self.x_max) {
                    let drop = px(vec![(fc, Y_MIN), (fc, t)]);
                    out.extend(clipped_lines(&drop, plot, hue, 2, Dash::Dotted));
                    let at = axes.map((fc, t));
                    if plot.contains(at) {
                        // later markers smaller, so coinciding crossings stay visible
                        out.push(Prim::Dot {
                            at,
                            r: 7u32.saturating_sub(2 * i as u32).max(3),
                            color: hue,
                            outline: true,
                        });
                    }
                }
            }
        }
        out
    }
}

/// The colour of fixed threshold lines.
const THRESHOLD_GRAY: RGBColor = RGBColor(60, 60, 60);

impl FigureDraw for FrcFigure<'_> {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        sink: &mut RasterSink,
    ) -> DrawResult<(), DB> {
        let body = titled(root, self.opts.title.as_deref())?;
        // Notes (warnings) go below the plot, wrapped, so they cover no data.
        let notes = note_lines(self.curves, self.opts.size.0);
        let body = if notes.is_empty() {
            body
        } else {
            let (_, h) = body.dim_in_pixel();
            let notes_h = notes.len() as u32 * (NOTE_PX + 3) + 6;
            let (chart, below) = body.split_vertically(h.saturating_sub(notes_h));
            let style = TextStyle::from((FONT, NOTE_PX).into_font()).color(&NOTE_COLOR);
            let (bx, by) = below.get_base_pixel();
            for (k, line) in notes.iter().enumerate() {
                let y = by + k as i32 * (NOTE_PX as i32 + 3);
                root.draw(&Text::new(line.clone(), (bx + 18, y), style.clone()))?;
            }
            chart
        };
        let frame = Frame {
            x: (0.0, self.x_max),
            y: (Y_MIN, Y_MAX),
            log: (false, false),
            xt: &self.xt,
            yt: &self.yt,
            xlabel: "Spatial frequency (nm\u{207b}\u{b9})",
            ylabel: "FRC",
            titled: self.opts.title.is_some(),
        };
        let entries = self.entries();
        let size = legend_size(root, &entries)?;
        let (area, legend) = place_legend(&body, self.opts.legend, size, |a| {
            let axes = frame.build(a, false)?;
            Ok((vec![axes.plot], self.prims(&axes)))
        })?;
        let axes = frame.build(&area, true)?;
        // zero line (an axis, not data)
        let (x0, y0) = axes.map((0.0, 0.0));
        let x1 = axes.x.map(self.x_max);
        root.draw(&PathElement::new(
            vec![(x0 as i32, y0.round() as i32), (x1 as i32, y0.round() as i32)],
            RGBColor(150, 150, 150).stroke_width(1),
        ))?;
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

    /// A synthetic FRC: 1 at low frequency, falling through 1/7 near q = 40 of 64.
    fn curve(n: usize, pixel_nm: f64, label: &str, res: Option<f64>) -> FrcSeries {
        let freq: Vec<f64> = (0..n).map(|q| q as f64 / (2.0 * n as f64 * pixel_nm)).collect();
        let smooth: Vec<f64> = (0..n)
            .map(|q| 1.0 / (1.0 + ((q as f64 - 40.0) / 6.0).exp()) * 0.95)
            .collect();
        let values = smooth
            .iter()
            .enumerate()
            .map(|(q, v)| v + 0.08 * ((q * 7919 % 13) as f64 / 13.0 - 0.5))
            .collect();
        FrcSeries {
            label: label.into(),
            freq_nm_inv: freq,
            values,
            smoothed: Some(smooth),
            resolution_nm: res,
            threshold: None,
            ..Default::default()
        }
    }

    #[test]
    fn frc_svg_has_curves_threshold_and_resolution() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("frc.svg");
        let a = curve(64, 5.0, "random split", Some(123.4));
        let mut b = curve(64, 5.0, "frames", None);
        b.smoothed = None;
        let opts = FrcPlotOptions {
            title: Some("Self-FRC".into()),
            ..Default::default()
        };
        plot_frc(&[a, b], &p, &opts).unwrap();
        let svg = std::fs::read_to_string(&p).unwrap();
        assert!(svg.contains("Resolution: 123.4 nm"), "legend");
        assert!(svg.contains("random split \u{2014} Resolution: 123.4 nm"));
        assert!(svg.contains("frames \u{2014} Resolution: none"));
        assert!(svg.contains("Spatial frequency (nm\u{207b}\u{b9})"));
        assert!(svg.contains(&txt("FRC")));
        assert!(svg.contains(&txt("Self-FRC")));
        assert!(svg.contains("threshold 1/7"));
        // raw + smoothed of curve a, raw of curve b: three polylines in the
        // curve hues (first two: tab10 blue, light and dark; third: orange)
        assert!(svg.contains("stroke=\"#1F77B4\""), "dark blue smoothed");
        let l = lighten(PALETTE[0], 0.55);
        assert!(
            svg.contains(&format!("stroke=\"#{:02X}{:02X}{:02X}\"", l.0, l.1, l.2)),
            "light raw"
        );
        assert!(svg.contains("stroke=\"#FF7F0E\""), "orange raw");
        assert!(svg.matches("<polyline").count() >= 3);
        // the smoothed curve of `a` is one polyline through all 64 rings
        let smoothed = svg
            .lines()
            .find(|l| {
                l.starts_with("<polyline")
                    && l.contains("stroke=\"#1F77B4\" stroke-width=\"3\"")
                    && l.matches(',').count() > 10
            })
            .expect("smoothed polyline");
        assert_eq!(smoothed.matches(',').count(), 64);
        // the dashed 1/7 line is drawn in many short segments at one height
        assert!(
            svg.contains("stroke=\"#3C3C3C\" stroke-dasharray=\"10 6\""),
            "dashed threshold"
        );
        // the crossing marker: a filled circle in the curve's hue
        assert!(svg.contains("<circle") && svg.contains("fill=\"#1F77B4\""));
    }

    #[test]
    fn frc_png_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("frc.png");
        let mut a = curve(64, 10.0, "", Some(80.0));
        a.threshold = Some(FrcThreshold::Curve(vec![0.2; 64]));
        plot_frc(&[a.clone()], &p, &FrcPlotOptions::default()).unwrap();
        let img = crate::image::io::load_png(&p).unwrap();
        assert_eq!((img.width(), img.height()), (820, 560));
        let mut bad = a.clone();
        bad.values.pop();
        let e = plot_frc(&[bad], &p, &FrcPlotOptions::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("curves[0]") && e.contains("values"), "{e}");
        assert!(plot_frc(&[], &p, &FrcPlotOptions::default()).is_err());
        assert_eq!(frc_legend(&a), "Resolution: 80.0 nm");
    }

    #[test]
    fn repeats_in_the_legend_and_warnings_as_notes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("frc.svg");
        let mut a = curve(64, 5.0, "self-FRC", None);
        a.repeats = Some("1 of 5 repeats crossed: 30.4 nm".into());
        a.notes = vec![
            "repeat 3 of 5: 52.1 nm lies outside the Tukey fences [28.0, 33.0] nm of the crossing repeats (flagged, not dropped)".into(),
        ];
        assert_eq!(
            frc_legend(&a),
            "self-FRC \u{2014} Resolution: none (no crossing); 1 of 5 repeats crossed: 30.4 nm"
        );
        plot_frc(&[a], &p, &FrcPlotOptions::default()).unwrap();
        let svg = std::fs::read_to_string(&p).unwrap();
        assert!(svg.contains("Resolution: none (no crossing); 1 of 5 repeats crossed: 30.4 nm"));
        // The note is wrapped into two lines, drawn in the note colour.
        assert!(svg.contains("Note (self-FRC): repeat 3 of 5: 52.1 nm"), "{svg}");
        assert!(svg.contains("(flagged, not dropped)"));
        assert!(svg.contains("#A01E1E"));
        // Many notes: at most NOTE_MAX_LINES lines, the last one counts them.
        let mut b = curve(64, 5.0, "", None);
        b.notes = (0..9).map(|i| format!("note {i}")).collect();
        let lines = note_lines(&[b], 820);
        assert_eq!(lines.len(), NOTE_MAX_LINES);
        assert_eq!(lines[0], "Note: note 0");
        assert!(lines[NOTE_MAX_LINES - 1].contains("9 notes in all"));
    }
}
