//! Figures with plotters: heat maps of images, FRC curves, line and bar
//! charts and image panels (SCRIPTING.md `img.plot`, `plot_frc`, `history.plot`).
//!
//! The output format follows the extension: `.svg` (vector, the primary
//! format; images inside are embedded as base64 PNG `<image>` elements so a
//! 2000² image stays small) or `.png` (a bitmap; text is drawn with the DejaVu
//! Sans font shipped inside the binary by the `dejavu` crate, so no system
//! font is needed). Files are written atomically.
//!
//! - [`heatmap`]: one image with a colour bar and a scale bar.
//! - [`panel`]: several images side by side, each with its title and scale bar.
//! - [`plot_frc`]: FRC curves against spatial frequency with the threshold and
//!   the resolution crossing (docs/methods.md §5), in the style of Picasso and SMAP.
//! - [`line_plot`]: lines with optional error bands or bars, linear or log axes.
//! - [`bar_chart`]: grouped bars with optional error bars.

mod bar;
mod frc;
mod heatmap;
mod hist;
mod legend;
mod line;
#[cfg(test)]
mod placement_tests;
mod style;

use std::io::Write;
use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::Color as _;

use crate::error::{Error, Result};
use crate::image::io::write_atomic;

pub use bar::{bar_chart, BarOptions, BarSeries};
pub use frc::{frc_legend, plot_frc, FrcPlotOptions, FrcSeries, FrcThreshold};
pub use heatmap::{heatmap, panel, HeatmapOptions, PanelOptions};
pub use hist::{hist_plot, HistPlotOptions, HistSeries};
pub use legend::LegendPos;
pub use line::{line_plot, ErrorStyle, LinePlotOptions, Series};
pub use style::{Color, Dash, PixRect};

/// Distinct line colours (the "tab10" palette), cycled per curve.
pub(crate) const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// Font family name under which DejaVu Sans is registered.
pub(crate) const FONT: &str = "sans-serif";

/// Register the embedded font once (plotters' `ab_glyph` needs it for text
/// layout in both backends).
pub(crate) fn init_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bytes are a valid TTF shipped by the `dejavu` crate; failure
        // would only leave text unmeasured, so the result is ignored.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
        let _ = plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold());
        let _ = plotters::style::register_font(FONT, FontStyle::Italic, dejavu::sans::oblique());
    });
}

/// The output kind of a figure path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Svg,
    Png,
}

pub(crate) fn format_of(path: &Path) -> Result<Format> {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .as_deref()
    {
        Some("svg") => Ok(Format::Svg),
        Some("png") => Ok(Format::Png),
        _ => Err(Error::arg(
            "path",
            format!("{}: a figure must end in .svg or .png", path.display()),
        )),
    }
}

/// A colour-mapped raster to place on a figure: `levels` are 0..=255 indices
/// into `palette`, `w` × `h` source pixels drawn into the figure rectangle
/// `rect` = (x, y, width, height) in figure pixels.
pub(crate) struct Raster {
    pub levels: Vec<u8>,
    pub w: usize,
    pub h: usize,
    pub palette: [[u8; 3]; 256],
    pub rect: (i32, i32, u32, u32),
}

/// Collects the rasters of an SVG figure (drawn as marker rectangles, swapped
/// for `<image>` elements afterwards), or blits them directly into a bitmap.
pub(crate) struct RasterSink {
    pub(crate) format: Format,
    svg_images: Vec<Raster>,
    /// SVG only: the real colour and dash behind each dash marker colour.
    svg_dashes: Vec<(RGBColor, style::Dash)>,
}

/// The marker colour of SVG raster number `k` (replaced after drawing).
fn marker_color(k: usize) -> RGBColor {
    RGBColor(1, 2 + (k / 250) as u8, 3 + (k % 250) as u8)
}

/// The marker stroke colour of SVG dash pattern number `k` (replaced after drawing).
fn dash_marker(k: usize) -> RGBColor {
    RGBColor(2, 3 + (k / 250) as u8, 4 + (k % 250) as u8)
}

impl RasterSink {
    /// The stroke colour to draw a line of `color` and `dash` with: in SVG a
    /// dashed line gets a marker colour, swapped afterwards for the colour and
    /// a `stroke-dasharray`; a solid line keeps its colour (nudged off the
    /// marker range).
    pub(crate) fn stroke(&mut self, color: RGBColor, dash: style::Dash) -> RGBColor {
        if self.format != Format::Svg {
            return color;
        }
        if dash == style::Dash::Solid {
            return if color.0 == 2 {
                RGBColor(3, color.1, color.2)
            } else {
                color
            };
        }
        let k = match self.svg_dashes.iter().position(|&(c, d)| c == color && d == dash) {
            Some(k) => k,
            None => {
                self.svg_dashes.push((color, dash));
                self.svg_dashes.len() - 1
            }
        };
        dash_marker(k)
    }

    pub(crate) fn place<DB: DrawingBackend>(
        &mut self,
        root: &DrawingArea<DB, Shift>,
        raster: Raster,
    ) -> DrawResult<(), DB> {
        let (x, y, w, h) = raster.rect;
        if w == 0 || h == 0 || raster.w == 0 || raster.h == 0 {
            return Ok(());
        }
        match self.format {
            Format::Svg => {
                let k = self.svg_images.len();
                root.draw(&Rectangle::new(
                    [(x, y), (x + w as i32, y + h as i32)],
                    marker_color(k).filled(),
                ))?;
                self.svg_images.push(raster);
            }
            Format::Png => {
                // Nearest-neighbour resampling to the display rectangle.
                let mut buf = Vec::with_capacity(w as usize * h as usize * 3);
                let cols: Vec<usize> = (0..w as usize)
                    .map(|i| ((i * raster.w) / w as usize).min(raster.w - 1))
                    .collect();
                for j in 0..h as usize {
                    let r = ((j * raster.h) / h as usize).min(raster.h - 1);
                    let row = &raster.levels[r * raster.w..(r + 1) * raster.w];
                    for &c in &cols {
                        buf.extend_from_slice(&raster.palette[row[c] as usize]);
                    }
                }
                if let Some(el) = BitMapElement::with_owned_buffer((x, y), (w, h), buf) {
                    root.draw(&el)?;
                }
            }
        }
        Ok(())
    }
}

/// The result of a drawing step on backend `DB`.
pub(crate) type DrawResult<T, DB> =
    std::result::Result<T, DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// Largest figure side in pixels.
pub(crate) const MAX_FIGURE_PX: u32 = 16384;

/// Render a figure of `size` pixels to `path` (.svg or .png). `draw` is
/// called once with the root area (white background already filled).
pub(crate) fn render<F>(path: &Path, size: (u32, u32), draw: F) -> Result<()>
where
    F: FigureDraw,
{
    init_fonts();
    let format = format_of(path)?;
    if !(16..=MAX_FIGURE_PX).contains(&size.0) || !(16..=MAX_FIGURE_PX).contains(&size.1) {
        return Err(Error::arg(
            "size",
            format!(
                "the figure would be {} × {} px; each side must be 16..={MAX_FIGURE_PX}",
                size.0, size.1
            ),
        ));
    }
    let mut sink = RasterSink {
        format,
        svg_images: Vec::new(),
        svg_dashes: Vec::new(),
    };
    let fail = |e: String| Error::format(path, format!("drawing the figure failed: {e}"));
    match format {
        Format::Svg => {
            let mut svg = String::new();
            {
                let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
                root.fill(&WHITE).map_err(|e| fail(e.to_string()))?;
                draw.draw(&root, &mut sink).map_err(|e| fail(e.to_string()))?;
                root.present().map_err(|e| fail(e.to_string()))?;
            }
            let svg = embed_rasters(svg, &sink.svg_images)?;
            let svg = apply_dashes(svg, &sink.svg_dashes);
            write_atomic(path, |w| {
                w.write_all(svg.as_bytes()).map_err(|e| Error::io(path, e))
            })
        }
        Format::Png => {
            let mut buf = vec![255u8; size.0 as usize * size.1 as usize * 3];
            {
                let root = BitMapBackend::with_buffer(&mut buf, size).into_drawing_area();
                root.fill(&WHITE).map_err(|e| fail(e.to_string()))?;
                draw.draw(&root, &mut sink).map_err(|e| fail(e.to_string()))?;
                root.present().map_err(|e| fail(e.to_string()))?;
            }
            write_atomic(path, |w| {
                let mut enc = png::Encoder::new(w, size.0, size.1);
                enc.set_color(png::ColorType::Rgb);
                enc.set_depth(png::BitDepth::Eight);
                let perr = |e: png::EncodingError| Error::format(path, format!("writing PNG: {e}"));
                let mut wr = enc.write_header().map_err(perr)?;
                wr.write_image_data(&buf).map_err(perr)?;
                wr.finish().map_err(perr)
            })
        }
    }
}

/// A figure's drawing code, generic over the plotters backend.
pub(crate) trait FigureDraw {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        sink: &mut RasterSink,
    ) -> DrawResult<(), DB>;
}

/// Swap each dash marker stroke for the real colour and its `stroke-dasharray`.
fn apply_dashes(mut svg: String, dashes: &[(RGBColor, style::Dash)]) -> String {
    for (k, (c, d)) in dashes.iter().enumerate() {
        let RGBColor(a, b, m) = dash_marker(k);
        let needle = format!("stroke=\"#{a:02X}{b:02X}{m:02X}\"");
        let real = format!(
            "stroke=\"#{:02X}{:02X}{:02X}\" stroke-dasharray=\"{}\"",
            c.0,
            c.1,
            c.2,
            d.dasharray()
        );
        svg = svg.replace(&needle, &real);
    }
    svg
}

/// Replace each raster's marker rectangle by an `<image>` holding the raster
/// as an indexed-colour PNG (base64), drawn without smoothing.
fn embed_rasters(mut svg: String, rasters: &[Raster]) -> Result<String> {
    if rasters.is_empty() {
        return Ok(svg);
    }
    // `xlink:href` is understood by SVG 1.1 and SVG 2 readers alike.
    if let Some(at) = svg.find("xmlns=\"http://www.w3.org/2000/svg\"") {
        svg.insert_str(at, "xmlns:xlink=\"http://www.w3.org/1999/xlink\" ");
    }
    for (k, r) in rasters.iter().enumerate() {
        let RGBColor(a, b, c) = marker_color(k);
        let needle = format!("fill=\"#{a:02X}{b:02X}{c:02X}\"");
        let (start, end) = svg
            .find(&needle)
            .and_then(|at| {
                let start = svg[..at].rfind("<rect")?;
                let end = at + svg[at..].find("/>")? + 2;
                Some((start, end))
            })
            .ok_or_else(|| Error::Numeric("plot: raster placeholder not found in the SVG".into()))?;
        let png = indexed_png(&r.levels, r.w, r.h, &r.palette)?;
        let (x, y, w, h) = r.rect;
        let element = format!(
            "<image x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" preserveAspectRatio=\"none\" \
             style=\"image-rendering:pixelated;image-rendering:crisp-edges\" \
             xlink:href=\"data:image/png;base64,{}\"/>",
            base64(&png)
        );
        svg.replace_range(start..end, &element);
    }
    Ok(svg)
}

/// Encode 8-bit palette indices as an indexed-colour PNG in memory.
pub(crate) fn indexed_png(levels: &[u8], w: usize, h: usize, palette: &[[u8; 3]; 256]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let err = |e: png::EncodingError| Error::Numeric(format!("encoding a PNG raster: {e}"));
    {
        let mut enc = png::Encoder::new(&mut out, w as u32, h as u32);
        enc.set_color(png::ColorType::Indexed);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_palette(palette.iter().flatten().copied().collect::<Vec<u8>>());
        enc.set_compression(png::Compression::High);
        let mut wr = enc.write_header().map_err(err)?;
        wr.write_image_data(levels).map_err(err)?;
        wr.finish().map_err(err)?;
    }
    Ok(out)
}

/// Standard base64 (RFC 4648, with padding).
pub(crate) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                s.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

/// "Nice" tick positions (1, 2, 5 × 10^k steps) covering [lo, hi], about `n` of them.
pub(crate) fn nice_ticks(lo: f64, hi: f64, n: usize) -> (Vec<f64>, f64) {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return (vec![lo], 1.0);
    }
    let raw = (hi - lo) / n.max(1) as f64;
    let step = nice_step(raw);
    let first = (lo / step).ceil() * step;
    let mut ticks = Vec::new();
    let mut k = 0;
    // (the bound on k guards against steps below the resolution of f64)
    while k <= 4 * n.max(1) + 2 {
        let t = first + k as f64 * step;
        if t > hi + step * 1e-9 {
            break;
        }
        // avoid "-0"
        ticks.push(if t.abs() < step * 1e-9 { 0.0 } else { t });
        k += 1;
    }
    (ticks, step)
}

/// The smallest of 1, 2, 5 × 10^k that is ≥ `raw`.
pub(crate) fn nice_step(raw: f64) -> f64 {
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    let m = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    m * mag
}

pub(crate) use crate::fmt::{short as fmt_num, tick as fmt_tick};

/// Check that a series of values has the expected length.
pub(crate) fn check_len(name: &str, what: &str, got: usize, want: usize) -> Result<()> {
    if got != want {
        return Err(Error::arg(
            name,
            format!("{what} has {got} values, expected {want}"),
        ));
    }
    Ok(())
}

/// Lighter version of a colour: mixed with white, `t` = 0 (unchanged) … 1 (white).
pub(crate) fn lighten(c: RGBColor, t: f64) -> RGBColor {
    let m = |v: u8| (v as f64 + (255.0 - v as f64) * t).round() as u8;
    RGBColor(m(c.0), m(c.1), m(c.2))
}

/// The SVG form of a text element's content (tests search for it).
#[cfg(test)]
pub(crate) fn txt(s: &str) -> String {
    format!(">\n{s}\n</text>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, enc) in cases {
            assert_eq!(base64(plain.as_bytes()), enc);
        }
        assert_eq!(base64(&[0xff, 0xfe, 0x00]), "//4A");
    }

    #[test]
    fn nice_ticks_and_labels() {
        let (t, s) = nice_ticks(0.0, 1.0, 5);
        assert_eq!(s, 0.2);
        assert_eq!(t.len(), 6);
        assert!((t[5] - 1.0).abs() < 1e-12);
        let (t, s) = nice_ticks(-0.2, 1.05, 6);
        assert_eq!(s, 0.5);
        assert_eq!(t, vec![0.0, 0.5, 1.0]);
        assert_eq!(nice_step(3.0), 5.0);
        // a range below the resolution of f64 at its magnitude still ends
        let (t, _) = nice_ticks(1e17, 1e17 + 16.0, 5);
        assert!(t.len() <= 23);
        assert_eq!(nice_step(0.011), 0.02);
        assert_eq!(fmt_tick(0.4, 0.2), "0.4");
        assert_eq!(fmt_tick(250.0, 50.0), "250");
        assert_eq!(fmt_tick(20000.0, 10000.0), "20000");
        assert_eq!(fmt_tick(200000.0, 100000.0), "2e5");
        assert_eq!(fmt_tick(0.0, 1.0), "0");
        assert_eq!(fmt_num(5.0), "5");
        assert_eq!(fmt_num(0.25), "0.25");
        assert_eq!(fmt_num(0.30000000000000004), "0.3");
        assert_eq!(fmt_num(12345.0), "12345");
        assert_eq!(fmt_num(2e-5), "2e-5");
        assert_eq!(fmt_num(1.5e6), "1.5e6");
        assert_eq!(fmt_num(-0.125), "-0.125");
    }

    #[test]
    fn indexed_png_decodes_back() {
        let mut pal = [[0u8; 3]; 256];
        for (i, p) in pal.iter_mut().enumerate() {
            *p = [i as u8, 255 - i as u8, 7];
        }
        let levels = vec![0u8, 10, 255, 128, 3, 4];
        let png = indexed_png(&levels, 3, 2, &pal).unwrap();
        let mut dec = png::Decoder::new(std::io::Cursor::new(png));
        dec.set_transformations(png::Transformations::EXPAND);
        let mut rd = dec.read_info().unwrap();
        let mut buf = vec![0; rd.output_buffer_size().unwrap()];
        let info = rd.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (3, 2));
        for (i, &l) in levels.iter().enumerate() {
            assert_eq!(&buf[3 * i..3 * i + 3], &pal[l as usize]);
        }
    }

    #[test]
    fn figure_paths_need_svg_or_png() {
        assert_eq!(format_of(Path::new("a.SVG")).unwrap(), Format::Svg);
        assert_eq!(format_of(Path::new("a.png")).unwrap(), Format::Png);
        let e = format_of(Path::new("a.pdf")).unwrap_err().to_string();
        assert!(e.contains("a.pdf") && e.contains(".svg"), "{e}");
    }
}

/// Writes example figures of every kind (SVG and PNG) into the folder named
/// by `LOCUS_GALLERY`, for looking at them: `LOCUS_GALLERY=/tmp/g cargo test
/// --release --lib gallery -- --ignored`.
#[cfg(test)]
mod gallery {
    use super::*;
    use crate::image::{load_image, Colormap, Image};
    use ndarray::Array2;

    #[test]
    #[ignore]
    fn gallery() {
        let Ok(dir) = std::env::var("LOCUS_GALLERY") else {
            return;
        };
        let dir = std::path::PathBuf::from(dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut sub = load_image(crate::testdata::path("frcnet/spot01_sub.png")).unwrap();
        let mut full = load_image(crate::testdata::path("frcnet/spot01_full.png")).unwrap();
        sub.pixel_nm = 10.0;
        full.pixel_nm = 10.0;
        for ext in ["svg", "png"] {
            heatmap(
                &full,
                dir.join(format!("heatmap.{ext}")),
                &HeatmapOptions {
                    title: Some("spot01 target (AKDE)".into()),
                    colorbar_label: Some("intensity".into()),
                    ..Default::default()
                },
            )
            .unwrap();
            let crop = sub.crop(100, 150, 300, 200).unwrap();
            heatmap(
                &crop,
                dir.join(format!("heatmap_small.{ext}")),
                &HeatmapOptions {
                    colormap: Colormap::Magma,
                    title: Some("spot01 input, crop".into()),
                    colorbar_label: Some("localizations".into()),
                    ..Default::default()
                },
            )
            .unwrap();
            let images = [
                (sub.crop(56, 56, 400, 400).unwrap(), "input (5–30 %)".into()),
                (full.crop(56, 56, 400, 400).unwrap(), "target".into()),
                (
                    full.crop(56, 56, 400, 400).unwrap().normalize().unwrap(),
                    "normalized".into(),
                ),
            ];
            panel(
                &images,
                dir.join(format!("panel.{ext}")),
                &PanelOptions {
                    title: Some("Training pair spot01".into()),
                    colorbar: true,
                    colorbar_label: Some("counts".into()),
                    ..Default::default()
                },
            )
            .unwrap();
            panel(
                &images[..2],
                dir.join(format!("panel_shared.{ext}")),
                &PanelOptions {
                    title: Some("One colour scale".into()),
                    colorbar: true,
                    colorbar_label: Some("counts".into()),
                    shared_scale: true,
                    vmax_percentile: Some(99.5),
                    ..Default::default()
                },
            )
            .unwrap();
            let n = 256;
            let p = 5.0;
            let mk = |centre: f64, noise: f64, label: &str, res: Option<f64>, seed: usize| {
                let freq: Vec<f64> = (0..n / 2).map(|q| q as f64 / (n as f64 * p)).collect();
                let smooth: Vec<f64> = (0..n / 2)
                    .map(|q| 0.97 / (1.0 + ((q as f64 - centre) / 8.0).exp()))
                    .collect();
                let values = smooth
                    .iter()
                    .enumerate()
                    .map(|(q, v)| v + noise * (((q * 7919 + seed * 104729) % 101) as f64 / 101.0 - 0.5))
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
            };
            let a = mk(40.0, 0.15, "random split", Some(n as f64 * p / 54.05), 1);
            let b = mk(60.0, 0.2, "frames", Some(n as f64 * p / 74.05), 2);
            plot_frc(
                &[a, b],
                dir.join(format!("frc.{ext}")),
                &FrcPlotOptions {
                    title: Some("Self-FRC of spot01".into()),
                    ..Default::default()
                },
            )
            .unwrap();
            let x: Vec<f64> = (1..=50).map(f64::from).collect();
            line_plot(
                &[
                    Series {
                        label: "train".into(),
                        y: x.iter().map(|e| 0.8 / e.sqrt() + 0.1).collect(),
                        x: x.clone(),
                        ..Default::default()
                    },
                    Series {
                        label: "validation".into(),
                        y: x.iter().map(|e| 0.9 / e.sqrt() + 0.15).collect(),
                        yerr: Some(x.iter().map(|e| 0.1 / e.sqrt()).collect()),
                        x: x.clone(),
                        dashed: true,
                    },
                ],
                dir.join(format!("lines.{ext}")),
                &LinePlotOptions {
                    title: Some("Training loss".into()),
                    xlabel: "epoch".into(),
                    ylabel: "loss".into(),
                    log_y: true,
                    ..Default::default()
                },
            )
            .unwrap();
            bar_chart(
                &[
                    "MS-SSIM".into(),
                    "MS-SSIM + FRC".into(),
                    "MS-SSIM + FRC + L1".into(),
                ],
                &[
                    BarSeries {
                        label: "MS-SSIM".into(),
                        values: vec![0.81, 0.84, 0.86],
                        err: Some(vec![0.02, 0.015, 0.02]),
                    },
                    BarSeries {
                        label: "area-FRC".into(),
                        values: vec![0.55, 0.71, 0.7],
                        err: Some(vec![0.03, 0.02, 0.025]),
                    },
                ],
                dir.join(format!("bars.{ext}")),
                &BarOptions {
                    title: Some("Metrics per loss".into()),
                    ylabel: "score".into(),
                    xlabel: "loss configuration".into(),
                    ..Default::default()
                },
            )
            .unwrap();
            bar_chart(
                &["MS-SSIM".into(), "area-FRC".into(), "MSE".into()],
                &[
                    BarSeries {
                        label: "MS-SSIM loss".into(),
                        values: vec![0.76, 0.2, 0.016],
                        err: None,
                    },
                    BarSeries {
                        label: "FRC loss".into(),
                        values: vec![0.78, 0.33, 0.022],
                        err: None,
                    },
                ],
                dir.join(format!("bars_own_axes.{ext}")),
                &BarOptions {
                    title: Some("Metrics, each on its own axis".into()),
                    ylabel: "value".into(),
                    shared_y: false,
                    ..Default::default()
                },
            )
            .unwrap();
        }
        let _ = Image::new(Array2::zeros((1, 1)), 1.0);
    }
}
