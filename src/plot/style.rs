//! Line and fill styles of figures: colours by name or hex, dash patterns,
//! and the pixel-space geometry every chart draws through: clipping to the
//! plot area (Liang–Barsky for segments, Sutherland–Hodgman for polygons) and
//! dashing of polylines.
//!
//! Dashes are drawn as real dash patterns: in SVG as `stroke-dasharray` on one
//! polyline (so the file stays small and editable), in PNG by cutting the
//! polyline into dashes along its pixel length (the same pattern).

use std::str::FromStr;

use plotters::prelude::RGBColor;

use crate::error::{Error, Result};

/// A colour: `#rrggbb`, `#rgb`, `C0`…`C9` (the default cycle, matplotlib's
/// tab10) or a name (see [`Color::NAMES`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Color(pub u8, pub u8, pub u8);

impl Color {
    /// The named colours (tab10 hues, plus black, white and gray shades).
    pub const NAMES: [(&'static str, Color); 14] = [
        ("blue", Color(31, 119, 180)),
        ("orange", Color(255, 127, 14)),
        ("green", Color(44, 160, 44)),
        ("red", Color(214, 39, 40)),
        ("purple", Color(148, 103, 189)),
        ("brown", Color(140, 86, 75)),
        ("pink", Color(227, 119, 194)),
        ("gray", Color(127, 127, 127)),
        ("olive", Color(188, 189, 34)),
        ("cyan", Color(23, 190, 207)),
        ("black", Color(0, 0, 0)),
        ("white", Color(255, 255, 255)),
        ("lightgray", Color(200, 200, 200)),
        ("darkgray", Color(80, 80, 80)),
    ];

    pub(crate) fn rgb(self) -> RGBColor {
        RGBColor(self.0, self.1, self.2)
    }
}

impl From<RGBColor> for Color {
    fn from(c: RGBColor) -> Self {
        Color(c.0, c.1, c.2)
    }
}

impl FromStr for Color {
    type Err = Error;

    fn from_str(s: &str) -> Result<Color> {
        let t = s.trim().to_ascii_lowercase();
        let bad = || {
            let names: Vec<&str> = Color::NAMES.iter().map(|n| n.0).collect();
            Error::arg(
                "color",
                format!(
                    "unknown colour {s:?}; use \"#rrggbb\", \"#rgb\", \"C0\"..\"C9\" or one of: {}",
                    names.join(", ")
                ),
            )
        };
        if let Some(hex) = t.strip_prefix('#') {
            let digits: Option<Vec<u8>> = hex.chars().map(|c| c.to_digit(16).map(|d| d as u8)).collect();
            return match digits.as_deref() {
                Some([r1, r0, g1, g0, b1, b0]) => Ok(Color(r1 * 16 + r0, g1 * 16 + g0, b1 * 16 + b0)),
                Some([r, g, b]) => Ok(Color(r * 17, g * 17, b * 17)),
                _ => Err(bad()),
            };
        }
        if let Some(k) = t.strip_prefix('c').and_then(|k| k.parse::<usize>().ok()) {
            return super::PALETTE.get(k).map(|&c| c.into()).ok_or_else(bad);
        }
        let t = if t == "grey" {
            "gray".to_string()
        } else {
            t.replace("grey", "gray")
        };
        Color::NAMES
            .iter()
            .find(|n| n.0 == t)
            .map(|n| n.1)
            .ok_or_else(bad)
    }
}

/// A line's dash pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dash {
    /// Unbroken (default).
    #[default]
    Solid,
    /// 10 px dashes, 6 px gaps.
    Dashed,
    /// 2 px dots, 4 px gaps.
    Dotted,
    /// 10 px dash, gap, 2 px dot, gap.
    DashDot,
}

impl Dash {
    /// The names accepted by `FromStr`, in declaration order.
    pub const NAMES: [&'static str; 4] = ["solid", "dashed", "dotted", "dashdot"];

    /// On/off lengths in pixels (empty for solid).
    pub(crate) fn pattern(self) -> &'static [f64] {
        match self {
            Dash::Solid => &[],
            Dash::Dashed => &[10.0, 6.0],
            Dash::Dotted => &[2.0, 4.0],
            Dash::DashDot => &[10.0, 4.0, 2.0, 4.0],
        }
    }

    /// The SVG `stroke-dasharray` value ("" for solid).
    pub(crate) fn dasharray(self) -> String {
        self.pattern()
            .iter()
            .map(|v| format!("{v}"))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl FromStr for Dash {
    type Err = Error;

    fn from_str(s: &str) -> Result<Dash> {
        let t: String = s
            .trim()
            .to_ascii_lowercase()
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | ' '))
            .collect();
        let all = [Dash::Solid, Dash::Dashed, Dash::Dotted, Dash::DashDot];
        Dash::NAMES
            .iter()
            .position(|n| *n == t)
            .map(|i| all[i])
            .ok_or_else(|| {
                Error::arg(
                    "dash",
                    format!("unknown dash {s:?}; valid: {}", Dash::NAMES.join(", ")),
                )
            })
    }
}

/// A rectangle in figure pixels (y down), `x0 <= x1`, `y0 <= y1`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PixRect {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl PixRect {
    pub fn new(x0: f64, y0: f64, x1: f64, y1: f64) -> PixRect {
        PixRect {
            x0: x0.min(x1),
            y0: y0.min(y1),
            x1: x0.max(x1),
            y1: y0.max(y1),
        }
    }

    pub fn contains(&self, (x, y): (f64, f64)) -> bool {
        x >= self.x0 && x <= self.x1 && y >= self.y0 && y <= self.y1
    }

    /// This rectangle grown by `d` on every side.
    pub fn grow(&self, d: f64) -> PixRect {
        PixRect {
            x0: self.x0 - d,
            y0: self.y0 - d,
            x1: self.x1 + d,
            y1: self.y1 + d,
        }
    }

    pub fn width(&self) -> f64 {
        self.x1 - self.x0
    }

    pub fn height(&self) -> f64 {
        self.y1 - self.y0
    }

    pub fn overlaps(&self, o: &PixRect) -> bool {
        self.x0 <= o.x1 && o.x0 <= self.x1 && self.y0 <= o.y1 && o.y0 <= self.y1
    }
}

/// The part of segment a–b inside `r` (Liang–Barsky), or none.
pub(crate) fn clip_segment(a: (f64, f64), b: (f64, f64), r: &PixRect) -> Option<((f64, f64), (f64, f64))> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-dx, a.0 - r.x0),
        (dx, r.x1 - a.0),
        (-dy, a.1 - r.y0),
        (dy, r.y1 - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
        }
    }
    if t0 > t1 || !t0.is_finite() || !t1.is_finite() {
        return None;
    }
    Some(((a.0 + t0 * dx, a.1 + t0 * dy), (a.0 + t1 * dx, a.1 + t1 * dy)))
}

/// The visible runs of a polyline inside `r` (a run breaks where the line leaves).
pub(crate) fn clip_polyline(pts: &[(f64, f64)], r: &PixRect) -> Vec<Vec<(f64, f64)>> {
    let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut cur: Vec<(f64, f64)> = Vec::new();
    if pts.len() == 1 {
        if r.contains(pts[0]) {
            runs.push(vec![pts[0]]);
        }
        return runs;
    }
    for w in pts.windows(2) {
        match clip_segment(w[0], w[1], r) {
            Some((p, q)) => {
                let joined = cur
                    .last()
                    .is_some_and(|l| (l.0 - p.0).abs() < 1e-9 && (l.1 - p.1).abs() < 1e-9);
                if !joined {
                    if cur.len() > 1 {
                        runs.push(std::mem::take(&mut cur));
                    }
                    cur.clear();
                    cur.push(p);
                }
                cur.push(q);
            }
            None => {
                if cur.len() > 1 {
                    runs.push(std::mem::take(&mut cur));
                }
                cur.clear();
            }
        }
    }
    if cur.len() > 1 {
        runs.push(cur);
    }
    runs
}

/// A polygon clipped to `r` (Sutherland–Hodgman; `r` is convex).
pub(crate) fn clip_polygon(poly: &[(f64, f64)], r: &PixRect) -> Vec<(f64, f64)> {
    type Inside = fn(&PixRect, (f64, f64)) -> bool;
    type Cut = fn(&PixRect, (f64, f64), (f64, f64)) -> (f64, f64);
    let edges: [(Inside, Cut); 4] = [
        (
            |r, p| p.0 >= r.x0,
            |r, a, b| {
                let t = (r.x0 - a.0) / (b.0 - a.0);
                (r.x0, a.1 + t * (b.1 - a.1))
            },
        ),
        (
            |r, p| p.0 <= r.x1,
            |r, a, b| {
                let t = (r.x1 - a.0) / (b.0 - a.0);
                (r.x1, a.1 + t * (b.1 - a.1))
            },
        ),
        (
            |r, p| p.1 >= r.y0,
            |r, a, b| {
                let t = (r.y0 - a.1) / (b.1 - a.1);
                (a.0 + t * (b.0 - a.0), r.y0)
            },
        ),
        (
            |r, p| p.1 <= r.y1,
            |r, a, b| {
                let t = (r.y1 - a.1) / (b.1 - a.1);
                (a.0 + t * (b.0 - a.0), r.y1)
            },
        ),
    ];
    let mut out: Vec<(f64, f64)> = poly.to_vec();
    for (inside, cut) in edges {
        if out.is_empty() {
            break;
        }
        let input = std::mem::take(&mut out);
        let n = input.len();
        for i in 0..n {
            let cur = input[i];
            let prev = input[(i + n - 1) % n];
            let (ci, pi) = (inside(r, cur), inside(r, prev));
            if ci {
                if !pi {
                    out.push(cut(r, prev, cur));
                }
                out.push(cur);
            } else if pi {
                out.push(cut(r, prev, cur));
            }
        }
    }
    out
}

/// Cut a polyline into the "on" pieces of a dash `pattern` (pixel lengths,
/// on/off alternating), continuing the pattern across vertices.
pub(crate) fn dash_polyline(pts: &[(f64, f64)], pattern: &[f64]) -> Vec<Vec<(f64, f64)>> {
    if pattern.is_empty() || pattern.iter().any(|v| v.is_nan() || *v <= 0.0) {
        return vec![pts.to_vec()];
    }
    let mut pieces = Vec::new();
    let mut k = 0; // index into the pattern
    let mut left = pattern[0]; // length left in the current pattern element
    let mut cur: Vec<(f64, f64)> = Vec::new();
    if let Some(&p) = pts.first() {
        cur.push(p);
    }
    for w in pts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let len = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
        let mut pos = 0.0;
        while len - pos > left {
            pos += left;
            let t = pos / len;
            let p = (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1));
            if k % 2 == 0 {
                cur.push(p);
                pieces.push(std::mem::take(&mut cur));
            } else {
                cur = vec![p];
            }
            k = (k + 1) % pattern.len();
            left = pattern[k];
        }
        left -= len - pos;
        if k % 2 == 0 {
            cur.push(b);
        }
    }
    if k % 2 == 0 && cur.len() > 1 {
        pieces.push(cur);
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_parse_hex_cycle_and_names() {
        assert_eq!("#1f77b4".parse::<Color>().unwrap(), Color(31, 119, 180));
        assert_eq!("#F00".parse::<Color>().unwrap(), Color(255, 0, 0));
        assert_eq!("C1".parse::<Color>().unwrap(), Color(255, 127, 14));
        assert_eq!("Grey".parse::<Color>().unwrap(), Color(127, 127, 127));
        assert_eq!("red".parse::<Color>().unwrap(), Color(214, 39, 40));
        for bad in ["#12345", "C10", "chartreuse", "#ggg"] {
            let e = bad.parse::<Color>().unwrap_err().to_string();
            assert!(e.contains("color") && e.contains("orange"), "{e}");
        }
    }

    #[test]
    fn dashes_parse() {
        assert_eq!("dash-dot".parse::<Dash>().unwrap(), Dash::DashDot);
        assert_eq!("Dotted".parse::<Dash>().unwrap(), Dash::Dotted);
        assert_eq!(Dash::default(), Dash::Solid);
        let e = "wavy".parse::<Dash>().unwrap_err().to_string();
        assert!(e.contains("dash") && e.contains("dashdot"), "{e}");
        assert_eq!(Dash::Dashed.dasharray(), "10 6");
        assert_eq!(Dash::Solid.dasharray(), "");
    }

    /// Slow twin: sample the segment densely and keep the samples inside.
    fn clip_by_sampling(a: (f64, f64), b: (f64, f64), r: &PixRect) -> Option<(f64, f64)> {
        let n = 100_000;
        let inside: Vec<f64> = (0..=n)
            .map(|i| i as f64 / n as f64)
            .filter(|t| r.contains((a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1))))
            .collect();
        Some((*inside.first()?, *inside.last()?))
    }

    #[test]
    fn clip_segment_matches_sampling() {
        let r = PixRect::new(10.0, 20.0, 110.0, 70.0);
        let mut state = 7u64;
        let mut rnd = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as f64 / (1u64 << 31) as f64 * 160.0 - 20.0
        };
        for _ in 0..300 {
            let (a, b) = ((rnd(), rnd()), (rnd(), rnd()));
            let fast = clip_segment(a, b, &r);
            let slow = clip_by_sampling(a, b, &r);
            match (fast, slow) {
                (Some((p, q)), Some((t0, t1))) => {
                    let at = |t: f64| (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1));
                    let len = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
                    for (got, t) in [(p, t0), (q, t1)] {
                        let want = at(t);
                        let d = ((got.0 - want.0).powi(2) + (got.1 - want.1).powi(2)).sqrt();
                        assert!(d <= len * 2e-5 + 1e-9, "{a:?}-{b:?}: {got:?} vs {want:?}");
                    }
                }
                (None, None) => {}
                // a segment that only grazes a corner can fall between samples
                (Some((p, q)), None) => assert!(((p.0 - q.0).abs() + (p.1 - q.1).abs()) < 0.01),
                (None, Some(_)) => panic!("{a:?}-{b:?} misses the rectangle"),
            }
        }
        // hand-checked: a horizontal line through the middle
        let (p, q) = clip_segment((0.0, 40.0), (200.0, 40.0), &r).unwrap();
        assert!((p.0 - 10.0).abs() < 1e-9 && (q.0 - 110.0).abs() < 1e-9 && p.1 == 40.0 && q.1 == 40.0);
        assert!(clip_segment((0.0, 0.0), (5.0, 100.0), &r).is_none());
    }

    #[test]
    fn clip_polyline_breaks_runs_where_it_leaves() {
        let r = PixRect::new(0.0, 0.0, 10.0, 10.0);
        let pts = [
            (1.0, 5.0),
            (5.0, 5.0),
            (5.0, 20.0),
            (8.0, 20.0),
            (8.0, 5.0),
            (9.0, 5.0),
        ];
        let runs = clip_polyline(&pts, &r);
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0], vec![(1.0, 5.0), (5.0, 5.0), (5.0, 10.0)]);
        assert_eq!(runs[1], vec![(8.0, 10.0), (8.0, 5.0), (9.0, 5.0)]);
    }

    #[test]
    fn clip_polygon_cuts_a_square() {
        let r = PixRect::new(0.0, 0.0, 10.0, 10.0);
        let sq = [(5.0, 5.0), (15.0, 5.0), (15.0, 15.0), (5.0, 15.0)];
        let c = clip_polygon(&sq, &r);
        // the 5 × 5 quarter inside: shoelace area 25
        let area: f64 = (0..c.len())
            .map(|i| {
                let (a, b) = (c[i], c[(i + 1) % c.len()]);
                a.0 * b.1 - b.0 * a.1
            })
            .sum::<f64>()
            .abs()
            / 2.0;
        assert!((area - 25.0).abs() < 1e-9, "{c:?}");
        assert!(c.iter().all(|&p| r.contains(p)));
        assert!(clip_polygon(&[(20.0, 20.0), (30.0, 20.0), (25.0, 30.0)], &r).is_empty());
    }

    #[test]
    fn dashes_follow_the_pattern_across_vertices() {
        // an L of length 40 + 40 with 10 on / 6 off
        let pts = [(0.0, 0.0), (40.0, 0.0), (40.0, 40.0)];
        let pieces = dash_polyline(&pts, &[10.0, 6.0]);
        let len = |p: &Vec<(f64, f64)>| -> f64 {
            p.windows(2)
                .map(|w| ((w[1].0 - w[0].0).powi(2) + (w[1].1 - w[0].1).powi(2)).sqrt())
                .sum()
        };
        // 80 px = 5 periods of 16: five 10-px dashes
        assert_eq!(pieces.len(), 5);
        for p in &pieces {
            assert!((len(p) - 10.0).abs() < 1e-9, "{p:?}");
        }
        // the third dash (from 32 to 42) turns the corner
        assert_eq!(pieces[2], vec![(32.0, 0.0), (40.0, 0.0), (40.0, 2.0)]);
        assert_eq!(dash_polyline(&pts, &[]).len(), 1);
    }
}
