//! End-to-end checks that legends never hide data and that style options
//! reach the file: each plot kind is drawn to SVG, then the legend box and
//! the drawn data (polylines, bars, dots) are read back from the SVG text.

use super::style::{clip_segment, PixRect};
use super::*;

fn attr(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let at = tag.find(&key)? + key.len();
    Some(tag[at..at + tag[at..].find('"')?].to_string())
}

fn num(tag: &str, name: &str) -> f64 {
    attr(tag, name).and_then(|v| v.parse().ok()).unwrap_or(f64::NAN)
}

fn tags<'a>(svg: &'a str, kind: &str) -> Vec<&'a str> {
    let open = format!("<{kind} ");
    svg.match_indices(&open)
        .map(|(i, _)| {
            let end = svg[i..].find('>').map_or(svg.len(), |e| i + e + 1);
            &svg[i..end]
        })
        .collect()
}

/// The legend box: the one unfilled rectangle with the legend's grey border.
fn legend_box(svg: &str) -> Option<PixRect> {
    let boxes: Vec<PixRect> = tags(svg, "rect")
        .into_iter()
        .filter(|t| attr(t, "stroke").as_deref() == Some("#AAAAAA"))
        .map(|t| {
            let (x, y) = (num(t, "x"), num(t, "y"));
            PixRect::new(x, y, x + num(t, "width"), y + num(t, "height"))
        })
        .collect();
    assert!(boxes.len() <= 1, "{} legend boxes", boxes.len());
    boxes.first().copied()
}

/// Polylines in one of `strokes`: (stroke, points).
fn polylines(svg: &str, strokes: &[String]) -> Vec<(String, Vec<(f64, f64)>)> {
    tags(svg, "polyline")
        .into_iter()
        .filter_map(|t| {
            let s = attr(t, "stroke")?;
            if !strokes.contains(&s) {
                return None;
            }
            let pts = attr(t, "points")?
                .split_whitespace()
                .filter_map(|p| {
                    let (x, y) = p.split_once(',')?;
                    Some((x.parse().ok()?, y.parse().ok()?))
                })
                .collect();
            Some((s, pts))
        })
        .collect()
}

fn hex(c: RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

fn inside(r: &PixRect, pts: &[(f64, f64)]) -> bool {
    pts.iter().all(|&p| r.contains(p))
}

/// Assert that no data polyline in `strokes` touches the legend box, apart
/// from `swatches` short ones wholly inside it (the legend's own samples).
fn assert_lines_clear(svg: &str, strokes: &[String], swatches: usize, what: &str) -> PixRect {
    let b = legend_box(svg).unwrap_or_else(|| panic!("{what}: no legend"));
    let lines = polylines(svg, strokes);
    assert!(!lines.is_empty(), "{what}: no data lines found");
    let in_legend = lines.iter().filter(|(_, p)| inside(&b, p)).count();
    assert_eq!(in_legend, swatches, "{what}: swatches in the legend");
    for (s, pts) in lines.iter().filter(|(_, p)| !inside(&b, p)) {
        for w in pts.windows(2) {
            assert!(
                clip_segment(w[0], w[1], &b).is_none(),
                "{what}: a {s} segment {:?}-{:?} crosses the legend {b:?}",
                w[0],
                w[1]
            );
        }
    }
    for t in tags(svg, "circle") {
        let c = (num(t, "cx"), num(t, "cy"));
        let r = num(t, "r");
        let on = PixRect::new(c.0 - r, c.1 - r, c.0 + r, c.1 + r);
        assert!(
            !on.overlaps(&b) || inside(&b, &[c]),
            "{what}: a marker at {c:?} under the legend"
        );
    }
    b
}

/// A zig-zag filling the quarter of [0, 1]² around corner `k` (0 upper
/// right, 1 upper left, 2 lower right, 3 lower left).
fn crowd(k: usize) -> (Vec<f64>, Vec<f64>) {
    let (cx, cy) = [(0.85, 0.85), (0.15, 0.85), (0.85, 0.15), (0.15, 0.15)][k];
    let n = 40;
    let x: Vec<f64> = (0..n)
        .map(|i| cx - 0.15 + 0.3 * i as f64 / (n - 1) as f64)
        .collect();
    let y: Vec<f64> = (0..n)
        .map(|i| cy + if i % 2 == 0 { 0.15 } else { -0.15 })
        .collect();
    (x, y)
}

#[test]
fn line_legend_avoids_data_crowded_in_each_corner() {
    let dir = tempfile::tempdir().unwrap();
    let strokes: Vec<String> = PALETTE[..2].iter().map(|&c| hex(c)).collect();
    for k in 0..4 {
        let (x, y) = crowd(k);
        let series = vec![
            Series {
                label: "crowd".into(),
                x: x.clone(),
                y,
                ..Default::default()
            },
            Series {
                label: "a second, longer label".into(),
                x: x.clone(),
                y: x.iter().map(|_| if k < 2 { 0.9 } else { 0.1 }).collect(),
                dashed: true,
                ..Default::default()
            },
        ];
        let p = dir.path().join(format!("crowd{k}.svg"));
        let opts = LinePlotOptions {
            xlim: Some((0.0, 1.0)),
            ylim: Some((0.0, 1.0)),
            markers: true,
            ..Default::default()
        };
        line_plot(&series, &p, &opts).unwrap();
        let svg = std::fs::read_to_string(&p).unwrap();
        let b = assert_lines_clear(&svg, &strokes, 2, &format!("corner {k}"));
        // inside the plot: the data leaves three corners free
        let first = polylines(&svg, &strokes[..1])
            .into_iter()
            .map(|(_, p)| p)
            .max_by_key(|p| p.len())
            .unwrap();
        let right = first.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
        assert!(b.x0 < right || k % 2 == 1, "corner {k}: legend {b:?} outside");
    }
    // data everywhere: the legend goes outside, right of all data
    let x: Vec<f64> = (0..200).map(|i| i as f64 / 199.0).collect();
    let y: Vec<f64> = x.iter().map(|v| 0.5 + 0.5 * (v * 60.0).sin()).collect();
    let p = dir.path().join("full.svg");
    line_plot(
        &[Series {
            label: "everywhere".into(),
            x,
            y,
            ..Default::default()
        }],
        &p,
        &LinePlotOptions::default(),
    )
    .unwrap();
    let svg = std::fs::read_to_string(&p).unwrap();
    let b = assert_lines_clear(&svg, &strokes, 1, "full");
    let max_x = polylines(&svg, &strokes)
        .iter()
        .filter(|(_, p)| !inside(&b, p))
        .flat_map(|(_, p)| p.iter().map(|q| q.0))
        .fold(f64::NEG_INFINITY, f64::max);
    assert!(b.x0 > max_x, "outside: legend {b:?}, data up to x = {max_x}");
    assert!(b.x1 <= 820.0);
}

#[test]
fn frc_legend_avoids_the_curves() {
    let dir = tempfile::tempdir().unwrap();
    let n = 64;
    let freq: Vec<f64> = (0..n).map(|q| q as f64 / (2.0 * n as f64 * 5.0)).collect();
    let strokes: Vec<String> = [PALETTE[0], lighten(PALETTE[0], 0.55), RGBColor(60, 60, 60)]
        .iter()
        .map(|&c| hex(c))
        .collect();
    // a usual curve (falls from 1 to 0), one that stays high (upper right
    // taken), and one that rises (upper left empty, upper right taken)
    let shapes: [fn(f64) -> f64; 3] = [
        |t| 1.0 / (1.0 + ((t - 0.6) * 12.0).exp()),
        |t| 0.95 - 0.05 * t,
        |t| 0.1 + 0.9 * t,
    ];
    for (k, f) in shapes.iter().enumerate() {
        let values: Vec<f64> = (0..n).map(|q| f(q as f64 / n as f64)).collect();
        let c = FrcSeries {
            label: "curve".into(),
            freq_nm_inv: freq.clone(),
            values: values.clone(),
            smoothed: Some(values),
            resolution_nm: None,
            threshold: None,
            ..Default::default()
        };
        let p = dir.path().join(format!("frc{k}.svg"));
        plot_frc(&[c], &p, &FrcPlotOptions::default()).unwrap();
        let svg = std::fs::read_to_string(&p).unwrap();
        // swatches: the threshold and the curve
        assert_lines_clear(&svg, &strokes, 2, &format!("frc shape {k}"));
    }
}

#[test]
fn bar_legend_avoids_the_bars() {
    let dir = tempfile::tempdir().unwrap();
    let groups: Vec<String> = ["a", "b", "c", "d"].iter().map(|s| s.to_string()).collect();
    let cases: [[f64; 4]; 4] = [
        [0.1, 0.2, 0.9, 1.0],   // tall on the right
        [1.0, 0.9, 0.2, 0.1],   // tall on the left
        [1.0, 1.0, 1.0, 1.0],   // full: outside
        [-1.0, -0.9, 0.9, 1.0], // down on the left, up on the right
    ];
    for (k, vals) in cases.iter().enumerate() {
        let series = vec![
            BarSeries {
                label: "first".into(),
                values: vals.to_vec(),
                err: Some(vec![0.05; 4]),
            },
            BarSeries {
                label: "second".into(),
                values: vals.iter().map(|v| v * 0.95).collect(),
                err: None,
            },
        ];
        let p = dir.path().join(format!("bars{k}.svg"));
        bar_chart(&groups, &series, &p, &BarOptions::default()).unwrap();
        let svg = std::fs::read_to_string(&p).unwrap();
        let b = legend_box(&svg).expect("legend");
        let fills = [hex(PALETTE[0]), hex(PALETTE[1])];
        let mut swatches = 0;
        for t in tags(&svg, "rect") {
            let Some(f) = attr(t, "fill") else { continue };
            if !fills.contains(&f) {
                continue;
            }
            let (x, y) = (num(t, "x"), num(t, "y"));
            let r = PixRect::new(x, y, x + num(t, "width"), y + num(t, "height"));
            if inside(&b, &[(r.x0, r.y0), (r.x1, r.y1)]) && r.width() <= 14.0 {
                swatches += 1;
            } else {
                assert!(!r.overlaps(&b), "case {k}: bar {r:?} under the legend {b:?}");
            }
        }
        assert_eq!(swatches, 2, "case {k}");
        // error bars (black polylines) stay clear too
        for (_, pts) in polylines(&svg, &["#000000".to_string()]) {
            for w in pts.windows(2) {
                assert!(
                    clip_segment(w[0], w[1], &b).is_none(),
                    "case {k}: error bar under the legend"
                );
            }
        }
        if k == 2 {
            assert!(b.x0 > 600.0, "full chart: legend outside, got {b:?}");
        }
    }
}

#[test]
fn bars_with_separate_axes_show_small_groups() {
    let dir = tempfile::tempdir().unwrap();
    let groups: Vec<String> = ["MS-SSIM", "MSE"].iter().map(|s| s.to_string()).collect();
    let series = vec![
        BarSeries {
            label: "A".into(),
            values: vec![0.8, 0.01],
            err: None,
        },
        BarSeries {
            label: "B".into(),
            values: vec![0.7, 0.02],
            err: None,
        },
    ];
    let heights = |shared: bool| -> Vec<f64> {
        let p = dir.path().join(format!("sep{shared}.svg"));
        let o = BarOptions {
            shared_y: shared,
            ..Default::default()
        };
        bar_chart(&groups, &series, &p, &o).unwrap();
        let svg = std::fs::read_to_string(&p).unwrap();
        let b = legend_box(&svg).unwrap();
        tags(&svg, "rect")
            .into_iter()
            .filter(|t| attr(t, "fill").as_deref() == Some(hex(PALETTE[0]).as_str()))
            .filter(|t| !b.contains((num(t, "x"), num(t, "y"))))
            .map(|t| num(t, "height"))
            .collect()
    };
    let shared = heights(true);
    let own = heights(false);
    assert_eq!(shared.len(), 2);
    assert_eq!(own.len(), 2);
    // on the shared axis the MSE bar is 1/80 of the MS-SSIM one: ~4 px
    assert!(shared[1] < 6.0, "{shared:?}");
    // on its own axis it is half the axis height
    assert!(own[1] > 100.0, "{own:?}");
}

#[test]
fn colours_dashes_and_limits_reach_the_svg() {
    let dir = tempfile::tempdir().unwrap();
    let x: Vec<f64> = (0..=20).map(f64::from).collect();
    let series = vec![
        Series {
            label: "a".into(),
            x: x.clone(),
            y: x.iter().map(|v| v * v).collect(),
            ..Default::default()
        },
        Series {
            label: "b".into(),
            x: x.clone(),
            y: x.clone(),
            ..Default::default()
        },
    ];
    let p = dir.path().join("styled.svg");
    let opts = LinePlotOptions {
        colors: vec!["#123456".parse().unwrap(), "black".parse().unwrap()],
        dashes: vec![Dash::Solid, Dash::DashDot],
        xlim: Some((5.0, 10.0)),
        ylim: Some((0.0, 50.0)),
        ..Default::default()
    };
    line_plot(&series, &p, &opts).unwrap();
    let svg = std::fs::read_to_string(&p).unwrap();
    assert!(svg.contains("stroke=\"#123456\""), "custom colour");
    assert!(
        svg.contains("stroke=\"#000000\" stroke-dasharray=\"10 4 2 4\""),
        "dash-dot as a dash array"
    );
    // no marker colour is left behind
    assert!(!svg.contains("stroke=\"#0203"), "dash marker left");
    // x ticks: whole numbers only (all x are), from 5 to 10
    for t in ["5", "6", "10"] {
        assert!(svg.contains(&txt(t)), "tick {t}");
    }
    assert!(!svg.contains(&txt("5.5")), "no half ticks on an integer axis");
    // the data is clipped to the limits: every point of the first series
    // lies within the plot area (the x range of series b at 0..5 is cut off)
    let lines = polylines(&svg, &["#123456".to_string()]);
    let b = legend_box(&svg).unwrap();
    let xs: Vec<f64> = lines
        .iter()
        .filter(|(_, p)| !inside(&b, p))
        .flat_map(|(_, p)| p.iter().map(|q| q.0))
        .collect();
    let (lo, hi) = xs.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, c), &v| {
        (a.min(v), c.max(v))
    });
    // y = x² leaves the plot at x = √50 ≈ 7.07, where the line stops: it
    // spans (7.07 − 5) / 5 of the plot width (820 − 18 − 72 − 18 = 712 px)
    let want = (50f64.sqrt() - 5.0) / 5.0 * 712.0;
    assert!(
        (hi - lo - want).abs() < 4.0 && lo > 60.0,
        "clipped span {lo}..{hi}, want {want}"
    );
    let top = lines
        .iter()
        .flat_map(|(_, p)| p.iter().map(|q| q.1))
        .fold(f64::INFINITY, f64::min);
    assert!(top >= 17.0, "clipped at the top: {top}");
    // PNG: the dashes are cut along the line, the figure still draws
    line_plot(&series, dir.path().join("styled.png"), &opts).unwrap();
    // bad limits name the option
    let bad = LinePlotOptions {
        xlim: Some((3.0, 1.0)),
        ..Default::default()
    };
    let e = line_plot(&series, &p, &bad).unwrap_err().to_string();
    assert!(e.contains("xlim"), "{e}");
    let bad = LinePlotOptions {
        log_y: true,
        ylim: Some((0.0, 1.0)),
        ..Default::default()
    };
    let e = line_plot(&series, &p, &bad).unwrap_err().to_string();
    assert!(e.contains("ylim") && e.contains("log"), "{e}");
    // a chosen legend corner and no legend
    let o = LinePlotOptions {
        legend: LegendPos::None,
        ..Default::default()
    };
    line_plot(&series, &p, &o).unwrap();
    assert!(legend_box(&std::fs::read_to_string(&p).unwrap()).is_none());
}

#[test]
fn integer_ticks() {
    let t = line::axis_ticks((0.6, 6.4), false, true, 8);
    assert_eq!(t.at, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let t = line::axis_ticks((0.0, 103.0), false, true, 8);
    assert_eq!(t.at, vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
    let t = line::axis_ticks((0.6, 3.4), false, false, 8);
    assert!(t.at.contains(&1.5), "{:?}", t.at);
    assert_eq!(t.label(1.5), "1.5");
    let t = line::axis_ticks((0.6, 3.4), false, true, 8);
    assert_eq!(t.at, vec![1.0, 2.0, 3.0]);
    // a short range still gets whole numbers only (maybe just one)
    let t = line::axis_ticks((0.8, 1.3), false, true, 8);
    assert_eq!(t.at, vec![1.0]);
}

#[test]
fn bar_and_frc_colours() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("b.svg");
    bar_chart(
        &["g".to_string()],
        &[BarSeries {
            label: "s".into(),
            values: vec![1.0],
            err: None,
        }],
        &p,
        &BarOptions {
            colors: vec!["C3".parse().unwrap()],
            ylim: Some((0.0, 2.0)),
            ..Default::default()
        },
    )
    .unwrap();
    let svg = std::fs::read_to_string(&p).unwrap();
    assert_eq!(
        svg.matches(&format!("fill=\"{}\"", hex(PALETTE[3]))).count(),
        2,
        "bar + swatch"
    );
    let n = 32;
    let c = FrcSeries {
        label: "x".into(),
        freq_nm_inv: (0..n).map(|q| q as f64 / 320.0).collect(),
        values: (0..n).map(|q| 1.0 - q as f64 / n as f64).collect(),
        smoothed: None,
        resolution_nm: Some(20.0),
        threshold: None,
        notes: vec!["a warning that must not cover the curve".into()],
        ..Default::default()
    };
    let p = dir.path().join("f.svg");
    let o = FrcPlotOptions {
        colors: vec!["#aa00aa".parse().unwrap()],
        ..Default::default()
    };
    plot_frc(&[c], &p, &o).unwrap();
    let svg = std::fs::read_to_string(&p).unwrap();
    assert!(svg.contains("stroke=\"#AA00AA\""));
    assert!(
        svg.contains("stroke=\"#3C3C3C\" stroke-dasharray=\"10 6\""),
        "dashed 1/7"
    );
    // the note is drawn below every data line (below the plot area)
    let note_y = svg
        .match_indices("<text ")
        .map(|(i, _)| &svg[i..])
        .find(|t| t.split("</text>").next().is_some_and(|t| t.contains("a warning")))
        .map(|t| num(&t[..t.find('>').unwrap_or(t.len())], "y"))
        .expect("note text");
    let lowest = polylines(&svg, &[hex(RGBColor(170, 0, 170)), "#3C3C3C".to_string()])
        .iter()
        .flat_map(|(_, p)| p.iter().map(|q| q.1))
        .fold(f64::NEG_INFINITY, f64::max);
    assert!(
        note_y > lowest + 20.0,
        "note at y = {note_y}, data down to {lowest}"
    );
}

#[test]
fn identical_series_are_drawn_once_with_both_labels() {
    let dir = tempfile::tempdir().unwrap();
    let x: Vec<f64> = (1..=6).map(f64::from).collect();
    let y: Vec<f64> = x.iter().map(|e| 1.0 / e).collect();
    let s = |label: &str, dashed: bool| Series {
        label: label.into(),
        x: x.clone(),
        y: y.clone(),
        dashed,
        ..Default::default()
    };
    let p = dir.path().join("same.svg");
    line_plot(
        &[
            s("total (train)", false),
            s("ms_ssim (train)", false),
            s("total (validation)", true),
        ],
        &p,
        &LinePlotOptions::default(),
    )
    .unwrap();
    let svg = std::fs::read_to_string(&p).unwrap();
    assert!(svg.contains(&txt("total (train) = ms_ssim (train)")));
    // the dashed one differs in style: drawn on its own, in its own colour
    // (colours follow the series index, merged or not)
    assert!(svg.contains(&txt("total (validation)")));
    let blue = polylines(&svg, &[hex(PALETTE[0])]);
    assert_eq!(blue.len(), 2, "one line and its legend swatch");
    assert!(
        polylines(&svg, &[hex(PALETTE[1])]).is_empty(),
        "the merged series draws nothing"
    );
    assert_eq!(
        polylines(&svg, &[hex(PALETTE[2])]).len(),
        2,
        "the dashed series and its swatch"
    );
}
