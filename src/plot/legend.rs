//! What a chart draws, in figure pixels, and where its legend goes.
//!
//! Every chart kind (lines, FRC curves, bars) turns its data into [`Prim`]s:
//! polylines, filled polygons (error bands), boxes (bars) and dots (markers),
//! already mapped to pixels and clipped to the plot area. The same list is
//! drawn and handed to [`choose_place`], which puts the legend in the first
//! corner of the plot area (upper right, upper left, lower right, lower left)
//! where its box touches no drawn primitive; when every corner is taken the
//! legend goes outside, right of the plot. So a legend never hides data.

use std::str::FromStr;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::{clip_segment, dash_polyline, Dash, PixRect};
use super::{DrawResult, Format, RasterSink, FONT};
use crate::error::{Error, Result};

/// Where the legend goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LegendPos {
    /// The first corner of the plot area that covers no data (upper right,
    /// upper left, lower right, lower left), else outside on the right (default).
    #[default]
    Auto,
    UpperRight,
    UpperLeft,
    LowerRight,
    LowerLeft,
    /// Outside the plot area, on the right.
    Outside,
    /// No legend.
    None,
}

impl LegendPos {
    /// The names accepted by `FromStr` ("upper_right" and "upper-right" work too).
    pub const NAMES: [&'static str; 7] = [
        "auto",
        "upper right",
        "upper left",
        "lower right",
        "lower left",
        "outside",
        "none",
    ];
}

impl FromStr for LegendPos {
    type Err = Error;

    fn from_str(s: &str) -> Result<LegendPos> {
        let t = s.trim().to_ascii_lowercase().replace(['_', '-'], " ");
        let all = [
            LegendPos::Auto,
            LegendPos::UpperRight,
            LegendPos::UpperLeft,
            LegendPos::LowerRight,
            LegendPos::LowerLeft,
            LegendPos::Outside,
            LegendPos::None,
        ];
        LegendPos::NAMES
            .iter()
            .position(|n| *n == t)
            .map(|i| all[i])
            .ok_or_else(|| {
                Error::arg(
                    "legend",
                    format!(
                        "unknown legend position {s:?}; valid: {}",
                        LegendPos::NAMES.join(", ")
                    ),
                )
            })
    }
}

/// A drawn primitive in figure pixels (already clipped to the plot area).
#[derive(Debug, Clone)]
pub(crate) enum Prim {
    /// A polyline.
    Line {
        pts: Vec<(f64, f64)>,
        color: RGBColor,
        width: u32,
        dash: Dash,
    },
    /// A filled polygon (e.g. an error band), with opacity `alpha`.
    Fill {
        pts: Vec<(f64, f64)>,
        color: RGBColor,
        alpha: f64,
    },
    /// A filled box (a bar).
    Box { r: PixRect, color: RGBColor },
    /// A filled dot of radius `r` (a marker); `outline` adds a black ring.
    Dot {
        at: (f64, f64),
        r: u32,
        color: RGBColor,
        outline: bool,
    },
}

fn ipt(p: (f64, f64)) -> (i32, i32) {
    (p.0.round() as i32, p.1.round() as i32)
}

/// Draw a polyline in `color`, dashed as `dash`: in SVG one polyline whose
/// stroke gets a `stroke-dasharray` afterwards, in PNG the dashes themselves.
pub(crate) fn draw_line<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    sink: &mut RasterSink,
    pts: &[(f64, f64)],
    color: RGBColor,
    width: u32,
    dash: Dash,
) -> DrawResult<(), DB> {
    if pts.len() < 2 {
        return Ok(());
    }
    if dash == Dash::Solid || sink.format == Format::Svg {
        let stroke = sink.stroke(color, dash);
        let path: Vec<(i32, i32)> = pts.iter().map(|&p| ipt(p)).collect();
        return root.draw(&PathElement::new(path, stroke.stroke_width(width)));
    }
    for piece in dash_polyline(pts, dash.pattern()) {
        let path: Vec<(i32, i32)> = piece.iter().map(|&p| ipt(p)).collect();
        root.draw(&PathElement::new(path, color.stroke_width(width)))?;
    }
    Ok(())
}

/// Draw primitives in order.
pub(crate) fn draw_prims<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    sink: &mut RasterSink,
    prims: &[Prim],
) -> DrawResult<(), DB> {
    for p in prims {
        match p {
            Prim::Line {
                pts,
                color,
                width,
                dash,
            } => draw_line(root, sink, pts, *color, *width, *dash)?,
            Prim::Fill { pts, color, alpha } => {
                if pts.len() >= 3 {
                    let path: Vec<(i32, i32)> = pts.iter().map(|&p| ipt(p)).collect();
                    root.draw(&Polygon::new(path, color.mix(*alpha).filled()))?;
                }
            }
            Prim::Box { r, color } => {
                root.draw(&Rectangle::new(
                    [ipt((r.x0, r.y0)), ipt((r.x1, r.y1))],
                    color.filled(),
                ))?;
            }
            Prim::Dot {
                at,
                r,
                color,
                outline,
            } => {
                root.draw(&Circle::new(ipt(*at), *r, color.filled()))?;
                if *outline {
                    root.draw(&Circle::new(ipt(*at), *r, BLACK.stroke_width(1)))?;
                }
            }
        }
    }
    Ok(())
}

fn point_in_polygon(p: (f64, f64), poly: &[(f64, f64)]) -> bool {
    let mut inside = false;
    let n = poly.len();
    for i in 0..n {
        let (a, b) = (poly[i], poly[(i + n - 1) % n]);
        if (a.1 > p.1) != (b.1 > p.1) && p.0 < (b.0 - a.0) * (p.1 - a.1) / (b.1 - a.1) + a.0 {
            inside = !inside;
        }
    }
    inside
}

/// Whether primitive `p` touches rectangle `r`.
pub(crate) fn touches(p: &Prim, r: &PixRect) -> bool {
    match p {
        Prim::Line { pts, width, .. } => {
            let r = r.grow(*width as f64 / 2.0);
            if pts.len() == 1 {
                return r.contains(pts[0]);
            }
            pts.windows(2).any(|w| clip_segment(w[0], w[1], &r).is_some())
        }
        Prim::Fill { pts, .. } => {
            let n = pts.len();
            (0..n).any(|i| clip_segment(pts[i], pts[(i + 1) % n], r).is_some())
                || point_in_polygon(((r.x0 + r.x1) / 2.0, (r.y0 + r.y1) / 2.0), pts)
        }
        Prim::Box { r: b, .. } => b.overlaps(r),
        Prim::Dot { at, r: rad, .. } => {
            let d = *rad as f64;
            PixRect::new(at.0 - d, at.1 - d, at.0 + d, at.1 + d).overlaps(r)
        }
    }
}

/// How many primitives touch `r`.
pub(crate) fn count_touching(prims: &[Prim], r: &PixRect) -> usize {
    prims.iter().filter(|p| touches(p, r)).count()
}

/// Distance between the legend box and the plot-area border, pixels.
pub(crate) const LEGEND_INSET: f64 = 10.0;
/// Clearance kept between the legend box and any data, pixels.
pub(crate) const LEGEND_CLEAR: f64 = 4.0;

/// The legend box at corner `pos` of `plot`.
pub(crate) fn corner_box(plot: &PixRect, (w, h): (f64, f64), pos: LegendPos) -> PixRect {
    let left = matches!(pos, LegendPos::UpperLeft | LegendPos::LowerLeft);
    let low = matches!(pos, LegendPos::LowerRight | LegendPos::LowerLeft);
    let x0 = if left {
        plot.x0 + LEGEND_INSET
    } else {
        plot.x1 - LEGEND_INSET - w
    };
    let y0 = if low {
        plot.y1 - LEGEND_INSET - h
    } else {
        plot.y0 + LEGEND_INSET
    };
    PixRect::new(x0, y0, x0 + w, y0 + h)
}

/// The first corner box, over `plots` in order and the corners upper right,
/// upper left, lower right, lower left, that fits and touches no primitive
/// (with [`LEGEND_CLEAR`] to spare); none when every corner is taken.
pub(crate) fn choose_place(plots: &[PixRect], size: (f64, f64), prims: &[Prim]) -> Option<PixRect> {
    for plot in plots {
        if size.0 + 2.0 * LEGEND_INSET > plot.width() || size.1 + 2.0 * LEGEND_INSET > plot.height() {
            continue;
        }
        for pos in [
            LegendPos::UpperRight,
            LegendPos::UpperLeft,
            LegendPos::LowerRight,
            LegendPos::LowerLeft,
        ] {
            let b = corner_box(plot, size, pos);
            if count_touching(prims, &b.grow(LEGEND_CLEAR)) == 0 {
                return Some(b);
            }
        }
    }
    None
}

/// The sample drawn before a legend label.
#[derive(Debug, Clone)]
pub(crate) enum Swatch {
    /// A line (dashed as given), optionally with a marker dot and a band behind.
    Line {
        color: RGBColor,
        width: u32,
        dash: Dash,
        dot: bool,
        band: bool,
    },
    /// A filled square (bars).
    Fill(RGBColor),
}

/// One legend row.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub label: String,
    pub swatch: Swatch,
}

const LEGEND_FONT: f64 = 15.0;
const ROW_H: f64 = 21.0;
const PAD: f64 = 9.0;
/// Width of the swatch column: long enough for a dashed sample with a
/// marker to read as dashed; shorter when every swatch is a filled square.
fn swatch_w(entries: &[Entry]) -> f64 {
    if entries.iter().any(|e| matches!(e.swatch, Swatch::Line { .. })) {
        40.0
    } else {
        20.0
    }
}

fn text_style() -> TextStyle<'static> {
    TextStyle::from((FONT, LEGEND_FONT).into_font())
        .color(&BLACK)
        .pos(Pos::new(HPos::Left, VPos::Center))
}

/// Width and height of the legend box for `entries`, pixels; None without entries.
pub(crate) fn legend_size<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    entries: &[Entry],
) -> DrawResult<Option<(f64, f64)>, DB> {
    if entries.is_empty() {
        return Ok(None);
    }
    let style = text_style();
    let mut text_w = 0u32;
    for e in entries {
        text_w = text_w.max(root.estimate_text_size(&e.label, &style)?.0);
    }
    Ok(Some((
        PAD + swatch_w(entries) + 8.0 + text_w as f64 + PAD,
        2.0 * PAD + ROW_H * entries.len() as f64 - 4.0,
    )))
}

/// Draw the legend box `at` (from [`legend_size`]).
pub(crate) fn draw_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    sink: &mut RasterSink,
    at: &PixRect,
    entries: &[Entry],
) -> DrawResult<(), DB> {
    let (a, b) = (ipt((at.x0, at.y0)), ipt((at.x1, at.y1)));
    root.draw(&Rectangle::new([a, b], WHITE.filled()))?;
    root.draw(&Rectangle::new([a, b], RGBColor(170, 170, 170).stroke_width(1)))?;
    let style = text_style();
    let sw = swatch_w(entries);
    for (i, e) in entries.iter().enumerate() {
        let yc = at.y0 + PAD + ROW_H * i as f64 + (ROW_H - 4.0) / 2.0;
        let x0 = at.x0 + PAD;
        match &e.swatch {
            Swatch::Line {
                color,
                width,
                dash,
                dot,
                band,
            } => {
                if *band {
                    root.draw(&Rectangle::new(
                        [ipt((x0, yc - 6.0)), ipt((x0 + sw, yc + 6.0))],
                        color.mix(0.22).filled(),
                    ))?;
                }
                draw_line(root, sink, &[(x0, yc), (x0 + sw, yc)], *color, *width, *dash)?;
                if *dot {
                    root.draw(&Circle::new(ipt((x0 + sw / 2.0, yc)), 3, color.filled()))?;
                }
            }
            Swatch::Fill(color) => {
                root.draw(&Rectangle::new(
                    [ipt((x0 + 3.0, yc - 6.0)), ipt((x0 + 17.0, yc + 6.0))],
                    color.filled(),
                ))?;
            }
        }
        root.draw(&Text::new(
            e.label.clone(),
            ipt((x0 + sw + 8.0, yc)),
            style.clone(),
        ))?;
    }
    Ok(())
}

/// A linear (or log10) map from data values to figure pixels along one axis.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AxisMap {
    d0: f64,
    d1: f64,
    p0: f64,
    p1: f64,
    log: bool,
}

impl AxisMap {
    /// Data `lo..hi` drawn at pixels `p0..p1` (log10 spacing if `log`).
    pub(crate) fn new((lo, hi): (f64, f64), (p0, p1): (f64, f64), log: bool) -> AxisMap {
        let t = |v: f64| if log { v.log10() } else { v };
        AxisMap {
            d0: t(lo),
            d1: t(hi),
            p0,
            p1,
            log,
        }
    }

    pub(crate) fn map(&self, v: f64) -> f64 {
        let t = if self.log { v.log10() } else { v };
        let span = self.d1 - self.d0;
        if span == 0.0 {
            return self.p0;
        }
        self.p0 + (t - self.d0) / span * (self.p1 - self.p0)
    }
}

/// The plot area of a chart and its data → pixel maps.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Axes {
    pub plot: PixRect,
    pub x: AxisMap,
    pub y: AxisMap,
}

impl Axes {
    /// From the pixels of the data corners (x0, y0) and (x1, y1).
    pub(crate) fn new(
        x: (f64, f64),
        y: (f64, f64),
        px_lo: (i32, i32),
        px_hi: (i32, i32),
        log: (bool, bool),
    ) -> Axes {
        let (ax, ay) = (px_lo.0 as f64, px_lo.1 as f64);
        let (bx, by) = (px_hi.0 as f64, px_hi.1 as f64);
        Axes {
            plot: PixRect::new(ax, ay, bx, by),
            x: AxisMap::new(x, (ax, bx), log.0),
            y: AxisMap::new(y, (ay, by), log.1),
        }
    }

    pub(crate) fn map(&self, (x, y): (f64, f64)) -> (f64, f64) {
        (self.x.map(x), self.y.map(y))
    }
}

/// Draw a figure title (centred, 22 px) and return the area below it.
pub(crate) fn titled<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: Option<&str>,
) -> DrawResult<DrawingArea<DB, Shift>, DB> {
    let Some(t) = title else {
        return Ok(root.clone());
    };
    let (w, _) = root.dim_in_pixel();
    let style = TextStyle::from((FONT, 22.0).into_font())
        .color(&BLACK)
        .pos(Pos::new(HPos::Center, VPos::Center));
    root.draw(&Text::new(t.to_string(), (w as i32 / 2, 24), style))?;
    Ok(root.split_vertically(40).1)
}

/// The chart area and the legend box: `locate` maps a chart area to the plot
/// rectangles and primitives it would draw there (called once or twice,
/// drawing nothing). With `pos` = auto the legend goes into the first free
/// corner ([`choose_place`]), else outside: the chart area then gives up the
/// legend's width on the right and the legend sits at its top right.
pub(crate) fn place_legend<DB, F>(
    body: &DrawingArea<DB, Shift>,
    pos: LegendPos,
    size: Option<(f64, f64)>,
    mut locate: F,
) -> DrawResult<(DrawingArea<DB, Shift>, Option<PixRect>), DB>
where
    DB: DrawingBackend,
    F: FnMut(&DrawingArea<DB, Shift>) -> DrawResult<(Vec<PixRect>, Vec<Prim>), DB>,
{
    let Some(size) = size.filter(|_| pos != LegendPos::None) else {
        return Ok((body.clone(), None));
    };
    let inside = match pos {
        LegendPos::Auto => {
            let (plots, prims) = locate(body)?;
            choose_place(&plots, size, &prims)
        }
        LegendPos::Outside | LegendPos::None => None,
        corner => {
            let (plots, _) = locate(body)?;
            plots.last().map(|p| corner_box(p, size, corner))
        }
    };
    if let Some(b) = inside {
        return Ok((body.clone(), Some(b)));
    }
    let (w, _) = body.dim_in_pixel();
    let (bx, by) = body.get_base_pixel();
    let keep = (w as f64 - size.0 - 8.0).max(w as f64 * 0.4) as u32;
    let (left, _) = body.split_horizontally(keep);
    let (plots, _) = locate(&left)?;
    let top = plots.first().map_or(by as f64 + 18.0, |p| p.y0);
    let x0 = bx as f64 + keep as f64;
    Ok((left, Some(PixRect::new(x0, top, x0 + size.0, top + size.1))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legend_names_parse() {
        assert_eq!("upper_left".parse::<LegendPos>().unwrap(), LegendPos::UpperLeft);
        assert_eq!("Lower-Right".parse::<LegendPos>().unwrap(), LegendPos::LowerRight);
        assert_eq!("none".parse::<LegendPos>().unwrap(), LegendPos::None);
        let e = "middle".parse::<LegendPos>().unwrap_err().to_string();
        assert!(e.contains("legend") && e.contains("upper right"), "{e}");
    }

    fn line(pts: &[(f64, f64)]) -> Prim {
        Prim::Line {
            pts: pts.to_vec(),
            color: BLACK,
            width: 2,
            dash: Dash::Solid,
        }
    }

    #[test]
    fn touches_each_kind() {
        let r = PixRect::new(10.0, 10.0, 20.0, 20.0);
        assert!(touches(&line(&[(0.0, 15.0), (30.0, 15.0)]), &r));
        assert!(!touches(&line(&[(0.0, 25.0), (30.0, 25.0)]), &r));
        // a line 0.5 px outside still touches at width 2
        assert!(touches(&line(&[(0.0, 20.5), (30.0, 20.5)]), &r));
        // a band that contains the whole box touches it
        let band = Prim::Fill {
            pts: vec![(0.0, 0.0), (30.0, 0.0), (30.0, 30.0), (0.0, 30.0)],
            color: BLACK,
            alpha: 0.2,
        };
        assert!(touches(&band, &r));
        let bar = Prim::Box {
            r: PixRect::new(18.0, 19.0, 40.0, 80.0),
            color: BLACK,
        };
        assert!(touches(&bar, &r));
        let dot = Prim::Dot {
            at: (23.0, 15.0),
            r: 3,
            color: BLACK,
            outline: false,
        };
        assert!(touches(&dot, &r));
        let far = Prim::Dot {
            at: (24.0, 15.0),
            r: 3,
            color: BLACK,
            outline: false,
        };
        assert!(!touches(&far, &r));
    }

    #[test]
    fn choose_place_takes_the_first_free_corner() {
        let plot = PixRect::new(0.0, 0.0, 400.0, 300.0);
        let size = (100.0, 60.0);
        // nothing drawn: upper right
        let b = choose_place(&[plot], size, &[]).unwrap();
        assert_eq!(b, PixRect::new(290.0, 10.0, 390.0, 70.0));
        // data crowded in each corner in turn: never the crowded one
        let corners = [(380.0, 20.0), (20.0, 20.0), (380.0, 280.0), (20.0, 280.0)];
        for (k, &(cx, cy)) in corners.iter().enumerate() {
            let cloud: Vec<Prim> = (0..50)
                .map(|i| Prim::Dot {
                    at: (cx + (i % 7) as f64 * 3.0 - 9.0, cy + (i / 7) as f64 * 2.0 - 7.0),
                    r: 3,
                    color: BLACK,
                    outline: false,
                })
                .collect();
            let b = choose_place(&[plot], size, &cloud).unwrap();
            assert_eq!(count_touching(&cloud, &b), 0, "corner {k}");
            assert!(!b.contains((cx, cy)), "corner {k}");
        }
        // a diagonal through every corner box and a line along the top and
        // the bottom: no free corner
        let busy = vec![
            line(&[(0.0, 30.0), (400.0, 30.0)]),
            line(&[(0.0, 270.0), (400.0, 270.0)]),
        ];
        assert!(choose_place(&[plot], size, &busy).is_none());
        // a second plot area without data takes it
        let second = PixRect::new(500.0, 0.0, 900.0, 300.0);
        let b = choose_place(&[plot, second], size, &busy).unwrap();
        assert!(b.x0 >= 500.0);
        // too small a plot area: no place
        assert!(choose_place(&[PixRect::new(0.0, 0.0, 90.0, 300.0)], size, &[]).is_none());
    }

    #[test]
    fn axis_map_is_linear_or_log() {
        let m = AxisMap::new((0.0, 10.0), (100.0, 300.0), false);
        assert_eq!(m.map(5.0), 200.0);
        let l = AxisMap::new((1.0, 100.0), (400.0, 0.0), true);
        assert!((l.map(10.0) - 200.0).abs() < 1e-9);
    }
}
