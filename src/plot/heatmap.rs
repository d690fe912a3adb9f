//! Heat maps of images and panels of several images.
//!
//! An image is drawn with square pixels (correct aspect ratio), its longest
//! side `size_px` figure pixels, with a colour bar (ticks at 1-2-5 steps) and a
//! white scale bar labelled in nm in the bottom-right corner. Large images are
//! block-averaged before drawing (SVG: to at most `max_raster_px` per side,
//! embedded as an indexed PNG; PNG: to about the displayed size), so the
//! colour range, when not given, is the min..max of the displayed raster (or
//! up to a percentile of it, `vmax_percentile`, for sparse renders). A panel
//! can share one colour range among its images, shown by one colour bar.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{fmt_tick, format_of, nice_step, nice_ticks, render, Format, Raster, RasterSink};
use super::{DrawResult, FigureDraw, FONT};
use crate::error::{Error, Result};
use crate::image::show::block_mean;
use crate::image::{Colormap, Image};

/// Options of [`heatmap`].
#[derive(Debug, Clone)]
pub struct HeatmapOptions {
    /// Colour map (default `hot`).
    pub colormap: Colormap,
    /// Title above the image (default none).
    pub title: Option<String>,
    /// Scale bar length in nm: `None` (default) picks a 1-2-5 length near a
    /// fifth of the image width; `Some(x)` with x ≤ 0 draws no scale bar.
    pub scalebar_nm: Option<f64>,
    /// Lower end of the colour range (default: the displayed minimum).
    pub vmin: Option<f64>,
    /// Upper end of the colour range (default: the displayed maximum).
    pub vmax: Option<f64>,
    /// Draw the colour bar (default true).
    pub colorbar: bool,
    /// Label beside the colour bar (default none), e.g. "localizations".
    pub colorbar_label: Option<String>,
    /// Longest side of the drawn image in figure pixels (default 640).
    pub size_px: u32,
    /// SVG only: longest side of the embedded raster (default 1024).
    pub max_raster_px: usize,
    /// When `vmax` is not given, the top of the colour range is this
    /// percentile of the displayed values above the minimum (see
    /// [`Image::auto_range`]); default none: the maximum.
    pub vmax_percentile: Option<f64>,
}

impl Default for HeatmapOptions {
    fn default() -> Self {
        HeatmapOptions {
            colormap: Colormap::Hot,
            title: None,
            scalebar_nm: None,
            vmin: None,
            vmax: None,
            colorbar: true,
            colorbar_label: None,
            size_px: 640,
            max_raster_px: 1024,
            vmax_percentile: None,
        }
    }
}

/// Options of [`panel`].
#[derive(Debug, Clone)]
pub struct PanelOptions {
    /// Colour map of every image (default `hot`).
    pub colormap: Colormap,
    /// Images per row (default: all in one row up to 4, then rows of 4).
    pub cols: Option<usize>,
    /// Scale bar length in nm, as in [`HeatmapOptions::scalebar_nm`].
    pub scalebar_nm: Option<f64>,
    /// Bottom of the colour range of every image (default: each image its own minimum).
    pub vmin: Option<f64>,
    /// Top of the colour range of every image (default: each image its own maximum).
    pub vmax: Option<f64>,
    /// A colour bar beside each image, or one for the panel with
    /// `shared_scale` (default false).
    pub colorbar: bool,
    /// Label beside the colour bar(s) (default none), e.g. "localizations".
    pub colorbar_label: Option<String>,
    /// One colour range for all images (the lowest bottom to the highest top
    /// of their own ranges, unless `vmin`/`vmax` are given) and one colour
    /// bar at the right of the panel (default false).
    pub shared_scale: bool,
    /// As [`HeatmapOptions::vmax_percentile`], per image (default none).
    pub vmax_percentile: Option<f64>,
    /// Title above the whole panel (default none).
    pub title: Option<String>,
    /// Longest side of each drawn image in figure pixels (default 320).
    pub size_px: u32,
    /// SVG only: longest side of each embedded raster (default 1024).
    pub max_raster_px: usize,
}

impl Default for PanelOptions {
    fn default() -> Self {
        PanelOptions {
            colormap: Colormap::Hot,
            cols: None,
            scalebar_nm: None,
            vmin: None,
            vmax: None,
            colorbar: false,
            colorbar_label: None,
            shared_scale: false,
            vmax_percentile: None,
            title: None,
            size_px: 320,
            max_raster_px: 1024,
        }
    }
}

/// Draw `image` as a heat map with a colour bar and a scale bar into `path`
/// (`.svg` or `.png`).
pub fn heatmap(image: &Image, path: impl AsRef<Path>, opts: &HeatmapOptions) -> Result<()> {
    let path = path.as_ref();
    let format = format_of(path)?;
    let shown = shown_raster(image, raster_limit(format, opts.max_raster_px, opts.size_px))?;
    let range = shown.range(opts.vmin, opts.vmax, opts.vmax_percentile)?;
    let cell = Cell::new(
        shown,
        opts.title.clone(),
        CellStyle {
            colormap: opts.colormap,
            scalebar_nm: opts.scalebar_nm,
            colorbar: opts.colorbar,
            colorbar_label: opts.colorbar_label.clone(),
            size_px: opts.size_px,
            title_font: 20.0,
            label_font: 14.0,
        },
        range,
    )?;
    let (w, h) = cell.size();
    let fig = Grid {
        cells: vec![cell],
        cols: 1,
        cell_size: (w, h),
        title: None,
        shared_bar: None,
    };
    render(path, (w, h), fig)
}

impl Image {
    /// Draw this image as a heat map into `path` (`.svg` or `.png`); see [`heatmap`].
    pub fn plot(&self, path: impl AsRef<Path>, opts: &HeatmapOptions) -> Result<()> {
        heatmap(self, path, opts)
    }
}

/// Draw several images side by side, each with its title and scale bar, into
/// `path` (`.svg` or `.png`).
pub fn panel(images: &[(Image, String)], path: impl AsRef<Path>, opts: &PanelOptions) -> Result<()> {
    let path = path.as_ref();
    let format = format_of(path)?;
    if images.is_empty() {
        return Err(Error::arg("images", "the panel needs at least one image"));
    }
    let cols = match opts.cols {
        Some(0) => return Err(Error::arg("cols", "must be at least 1")),
        Some(c) => c.min(images.len()),
        None => images.len().min(4),
    };
    let limit = raster_limit(format, opts.max_raster_px, opts.size_px);
    let shown = images
        .iter()
        .enumerate()
        .map(|(i, (img, _))| {
            shown_raster(img, limit).map_err(|e| match e {
                Error::Argument { name, message } => Error::arg(format!("images[{i}]: {name}"), message),
                e => e,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let mut ranges = shown
        .iter()
        .map(|s| s.range(opts.vmin, opts.vmax, opts.vmax_percentile))
        .collect::<Result<Vec<_>>>()?;
    if opts.shared_scale {
        let lo = ranges.iter().map(|r| r.0).fold(f64::INFINITY, f64::min);
        let hi = ranges.iter().map(|r| r.1).fold(f64::NEG_INFINITY, f64::max);
        ranges.iter_mut().for_each(|r| *r = (lo, hi));
    }
    let style = CellStyle {
        colormap: opts.colormap,
        scalebar_nm: opts.scalebar_nm,
        colorbar: opts.colorbar && !opts.shared_scale,
        colorbar_label: opts.colorbar_label.clone(),
        size_px: opts.size_px,
        title_font: 16.0,
        label_font: 12.0,
    };
    let cells = shown
        .into_iter()
        .zip(images)
        .zip(&ranges)
        .map(|((sh, (_, title)), &range)| {
            Cell::new(
                sh,
                Some(title.clone()).filter(|t| !t.is_empty()),
                style.clone(),
                range,
            )
        })
        .collect::<Result<Vec<_>>>()?;
    let shared_bar = if opts.shared_scale && opts.colorbar {
        let (vmin, vmax) = ranges[0];
        Some(ColorBar::new(
            vmin,
            vmax,
            opts.colormap,
            12.0,
            opts.colorbar_label.clone(),
        ))
    } else {
        None
    };
    let cw = cells.iter().map(|c| c.size().0).max().unwrap_or(1);
    let ch = cells.iter().map(|c| c.size().1).max().unwrap_or(1);
    let rows = cells.len().div_ceil(cols);
    let title_h = if opts.title.is_some() { 40 } else { 0 };
    let bar_w = shared_bar.as_ref().map_or(0, |b| b.width() + PAD);
    let fig = Grid {
        cells,
        cols,
        cell_size: (cw, ch),
        title: opts.title.clone(),
        shared_bar,
    };
    render(path, (cw * cols as u32 + bar_w, ch * rows as u32 + title_h), fig)
}

/// An image reduced for display: block-averaged to at most `max_raster`
/// pixels per side, with the size it stands for.
struct Shown {
    raster: Image,
    /// Size of the original image in pixels and its width in nm.
    full: (usize, usize),
    width_nm: f64,
}

fn shown_raster(img: &Image, max_raster: usize) -> Result<Shown> {
    let (w, h) = (img.width(), img.height());
    if w == 0 || h == 0 {
        return Err(Error::arg(
            "image",
            format!("cannot draw an empty {w} × {h} image"),
        ));
    }
    let factor = w.max(h).div_ceil(max_raster).max(1);
    Ok(Shown {
        raster: block_mean(img, factor),
        full: (w, h),
        width_nm: w as f64 * img.pixel_nm,
    })
}

impl Shown {
    /// The colour range: `vmin`/`vmax` where given, else the displayed
    /// min..max, or up to the percentile.
    fn range(&self, vmin: Option<f64>, vmax: Option<f64>, pct: Option<f64>) -> Result<(f64, f64)> {
        match pct {
            Some(p) => self.raster.auto_range(vmin, vmax, p),
            None => Ok(self.raster.display_range(vmin, vmax)),
        }
    }
}

fn raster_limit(format: Format, max_raster_px: usize, size_px: u32) -> usize {
    match format {
        Format::Svg => max_raster_px.max(16),
        Format::Png => (size_px as usize).max(16),
    }
}

#[derive(Debug, Clone)]
struct CellStyle {
    colormap: Colormap,
    scalebar_nm: Option<f64>,
    colorbar: bool,
    colorbar_label: Option<String>,
    size_px: u32,
    title_font: f64,
    label_font: f64,
}

/// One image prepared for drawing: its levels, range and layout.
struct Cell {
    levels: Vec<u8>,
    w: usize,
    h: usize,
    width_nm: f64,
    /// Displayed image size in figure pixels.
    dw: u32,
    dh: u32,
    title: Option<String>,
    style: CellStyle,
    bar: ColorBar,
}

const PAD: u32 = 14;
const BAR_GAP: u32 = 12;
const BAR_W: u32 = 16;

impl Cell {
    fn new(shown: Shown, title: Option<String>, style: CellStyle, range: (f64, f64)) -> Result<Cell> {
        if style.size_px < 16 {
            return Err(Error::arg(
                "size_px",
                format!("must be at least 16, got {}", style.size_px),
            ));
        }
        let (w, h) = shown.full;
        let (levels, vmin, vmax) = shown.raster.to_levels(Some(range.0), Some(range.1))?;
        let scale = style.size_px as f64 / w.max(h) as f64;
        let dw = ((w as f64 * scale).round() as u32).max(1);
        let dh = ((h as f64 * scale).round() as u32).max(1);
        let bar = ColorBar::new(
            vmin,
            vmax,
            style.colormap,
            style.label_font,
            style.colorbar_label.clone(),
        );
        Ok(Cell {
            w: shown.raster.width(),
            h: shown.raster.height(),
            levels,
            width_nm: shown.width_nm,
            dw,
            dh,
            title,
            style,
            bar,
        })
    }

    fn title_h(&self) -> u32 {
        if self.title.is_some() {
            (self.style.title_font * 1.7) as u32
        } else {
            0
        }
    }

    fn colorbar_w(&self) -> u32 {
        if self.style.colorbar {
            self.bar.width()
        } else {
            0
        }
    }

    fn size(&self) -> (u32, u32) {
        (
            PAD + self.dw + self.colorbar_w() + PAD,
            PAD + self.title_h() + self.dh + PAD,
        )
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        sink: &mut RasterSink,
        (ox, oy): (i32, i32),
        cell_w: u32,
    ) -> DrawResult<(), DB> {
        let (my_w, _) = self.size();
        let ox = ox + (cell_w.saturating_sub(my_w) / 2) as i32;
        let x0 = ox + PAD as i32;
        let y0 = oy + (PAD + self.title_h()) as i32;
        let (dw, dh) = (self.dw as i32, self.dh as i32);
        if let Some(t) = &self.title {
            let style = TextStyle::from((FONT, self.style.title_font).into_font())
                .color(&BLACK)
                .pos(Pos::new(HPos::Center, VPos::Bottom));
            root.draw(&Text::new(t.clone(), (x0 + dw / 2, y0 - 6), style))?;
        }
        let mut palette = [[0u8; 3]; 256];
        for (i, p) in palette.iter_mut().enumerate() {
            *p = self.style.colormap.level(i as u8);
        }
        sink.place(
            root,
            Raster {
                levels: self.levels.clone(),
                w: self.w,
                h: self.h,
                palette,
                rect: (x0, y0, self.dw, self.dh),
            },
        )?;
        root.draw(&Rectangle::new(
            [(x0, y0), (x0 + dw, y0 + dh)],
            BLACK.stroke_width(1),
        ))?;
        self.draw_scalebar(root, x0, y0)?;
        if self.style.colorbar {
            self.bar.draw(root, x0 + dw + BAR_GAP as i32, y0, self.dh)?;
        }
        Ok(())
    }

    fn draw_scalebar<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        x0: i32,
        y0: i32,
    ) -> DrawResult<(), DB> {
        let len_nm = match self.style.scalebar_nm {
            Some(x) if x <= 0.0 || !x.is_finite() => return Ok(()),
            Some(x) => x,
            None => auto_scalebar_nm(self.width_nm),
        };
        let (dw, dh) = (self.dw as f64, self.dh as f64);
        let bar = (len_nm / self.width_nm * dw).round();
        if !(bar >= 2.0 && bar <= dw * 0.9) {
            return Ok(()); // does not fit: leave it out rather than mislead
        }
        let margin = (dw.min(dh) * 0.05).max(6.0);
        let thick = (dh / 90.0).clamp(3.0, 8.0);
        let x1 = x0 as f64 + dw - margin;
        let xa = x1 - bar;
        let yb = y0 as f64 + dh - margin;
        let ya = yb - thick;
        root.draw(&Rectangle::new(
            [(xa as i32, ya as i32), (x1 as i32, yb as i32)],
            WHITE.filled(),
        ))?;
        let label = format!("{} nm", fmt_len(len_nm));
        let style = TextStyle::from((FONT, self.style.label_font).into_font())
            .color(&WHITE)
            .pos(Pos::new(HPos::Center, VPos::Bottom));
        root.draw(&Text::new(
            label,
            (((xa + x1) / 2.0) as i32, (ya - 3.0) as i32),
            style,
        ))
    }
}

/// A vertical colour bar with 1-2-5 ticks and an optional label.
struct ColorBar {
    vmin: f64,
    vmax: f64,
    colormap: Colormap,
    font: f64,
    label: Option<String>,
    ticks: Vec<(f64, String)>,
}

impl ColorBar {
    fn new(vmin: f64, vmax: f64, colormap: Colormap, font: f64, label: Option<String>) -> ColorBar {
        let (tick_vals, step) = nice_ticks(vmin, vmax, 5);
        let ticks = tick_vals.into_iter().map(|t| (t, fmt_tick(t, step))).collect();
        ColorBar {
            vmin,
            vmax,
            colormap,
            font,
            label,
            ticks,
        }
    }

    /// Width including the gap before the bar, pixels.
    fn width(&self) -> u32 {
        let chars = self.ticks.iter().map(|t| t.1.chars().count()).max().unwrap_or(1);
        let label = if self.label.is_some() {
            (self.font * 1.6) as u32
        } else {
            0
        };
        BAR_GAP + BAR_W + 6 + (chars as f64 * self.font * 0.62) as u32 + label
    }

    /// Draw the bar at (bx, y0), `dh` pixels tall (bottom = vmin, top = vmax).
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        bx: i32,
        y0: i32,
        dh: u32,
    ) -> DrawResult<(), DB> {
        let dh = dh as i32;
        let steps = dh.clamp(1, 256);
        for k in 0..steps {
            let ya = y0 + dh - ((k + 1) * dh) / steps;
            let yb = y0 + dh - (k * dh) / steps;
            let level = ((k as f64 + 0.5) / steps as f64 * 255.0).round() as u8;
            let [r, g, b] = self.colormap.level(level);
            root.draw(&Rectangle::new(
                [(bx, ya), (bx + BAR_W as i32, yb)],
                RGBColor(r, g, b).filled(),
            ))?;
        }
        root.draw(&Rectangle::new(
            [(bx, y0), (bx + BAR_W as i32, y0 + dh)],
            BLACK.stroke_width(1),
        ))?;
        let style = TextStyle::from((FONT, self.font).into_font())
            .color(&BLACK)
            .pos(Pos::new(HPos::Left, VPos::Center));
        let span = self.vmax - self.vmin;
        let mut right = bx + BAR_W as i32 + 6;
        for (v, label) in &self.ticks {
            let frac = if span > 0.0 { (v - self.vmin) / span } else { 0.0 };
            let y = y0 + dh - (frac * dh as f64).round() as i32;
            root.draw(&PathElement::new(
                vec![(bx + BAR_W as i32, y), (bx + BAR_W as i32 + 4, y)],
                BLACK.stroke_width(1),
            ))?;
            root.draw(&Text::new(
                label.clone(),
                (bx + BAR_W as i32 + 6, y),
                style.clone(),
            ))?;
            let w = (label.chars().count() as f64 * self.font * 0.62) as i32;
            right = right.max(bx + BAR_W as i32 + 6 + w);
        }
        if let Some(lab) = &self.label {
            let style = TextStyle::from((FONT, self.font).into_font())
                .color(&BLACK)
                .transform(FontTransform::Rotate270)
                .pos(Pos::new(HPos::Center, VPos::Top));
            root.draw(&Text::new(lab.clone(), (right + 4, y0 + dh / 2), style))?;
        }
        Ok(())
    }
}

/// A 1-2-5 length (nm) at most a quarter and about a fifth of `width_nm`.
pub(crate) fn auto_scalebar_nm(width_nm: f64) -> f64 {
    let target = width_nm / 5.0;
    let s = nice_step(target);
    if s > width_nm / 4.0 {
        // step down to the previous 1-2-5 value
        let mag = 10f64.powf(s.log10().floor());
        let f = (s / mag).round();
        if f == 1.0 {
            mag * 0.5
        } else if f == 2.0 {
            mag
        } else if f == 5.0 {
            2.0 * mag
        } else {
            5.0 * mag
        }
    } else {
        s
    }
}

fn fmt_len(nm: f64) -> String {
    if (nm - nm.round()).abs() < 1e-9 {
        format!("{}", nm.round() as i64)
    } else {
        let s = format!("{nm:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Cells on a grid, with an optional figure title.
struct Grid {
    cells: Vec<Cell>,
    cols: usize,
    cell_size: (u32, u32),
    title: Option<String>,
    /// One colour bar for all cells, right of the grid, beside the first row.
    shared_bar: Option<ColorBar>,
}

impl FigureDraw for Grid {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        sink: &mut RasterSink,
    ) -> DrawResult<(), DB> {
        let mut top = 0;
        if let Some(t) = &self.title {
            let (w, _) = root.dim_in_pixel();
            let style = TextStyle::from((FONT, 22.0).into_font())
                .color(&BLACK)
                .pos(Pos::new(HPos::Center, VPos::Center));
            root.draw(&Text::new(t.clone(), (w as i32 / 2, 22), style))?;
            top = 40;
        }
        for (i, cell) in self.cells.iter().enumerate() {
            let (r, c) = (i / self.cols, i % self.cols);
            let ox = c as i32 * self.cell_size.0 as i32;
            let oy = top + r as i32 * self.cell_size.1 as i32;
            cell.draw(root, sink, (ox, oy), self.cell_size.0)?;
        }
        if let (Some(bar), Some(first)) = (&self.shared_bar, self.cells.first()) {
            let bx = self.cols as i32 * self.cell_size.0 as i32;
            let y0 = top + (PAD + first.title_h()) as i32;
            bar.draw(root, bx, y0, first.dh)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::txt;
    use ndarray::Array2;

    fn blob(n: usize, pixel_nm: f64) -> Image {
        let c = n as f64 / 2.0;
        Image::new(
            Array2::from_shape_fn((n, n + n / 2), |(r, col)| {
                let d2 = (r as f64 - c).powi(2) + (col as f64 - 1.3 * c).powi(2);
                (100.0 * (-d2 / (2.0 * (n as f64 / 6.0).powi(2))).exp()) as f32
            }),
            pixel_nm,
        )
    }

    #[test]
    fn auto_scalebar_is_125_and_fits() {
        for (w, want) in [
            (20_000.0, 5000.0),
            (1000.0, 200.0),
            (3000.0, 500.0),
            (640.0, 100.0),
        ] {
            assert_eq!(auto_scalebar_nm(w), want, "width {w}");
        }
        for w in [7.0, 55.0, 999.0, 12_345.0, 1e6] {
            let s = auto_scalebar_nm(w);
            assert!(s <= w / 4.0 + 1e-9 && s >= w / 12.5, "{w} → {s}");
        }
        assert_eq!(fmt_len(500.0), "500");
        assert_eq!(fmt_len(0.25), "0.25");
    }

    #[test]
    fn heatmap_svg_has_image_colorbar_and_scalebar() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("h.svg");
        let img = blob(60, 10.0);
        let opts = HeatmapOptions {
            title: Some("Blob & co".into()),
            scalebar_nm: Some(200.0),
            vmin: Some(0.0),
            vmax: Some(100.0),
            colorbar_label: Some("counts".into()),
            ..Default::default()
        };
        heatmap(&img, &p, &opts).unwrap();
        let svg = std::fs::read_to_string(&p).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..50]);
        assert_eq!(svg.matches("<image ").count(), 1);
        assert!(svg.contains("href=\"data:image/png;base64,"));
        assert!(svg.contains(&txt("200 nm")), "scale bar label");
        assert!(svg.contains(&txt("Blob &amp; co")), "escaped title");
        assert!(svg.contains(&txt("counts")));
        // colour bar tick labels for the range 0..100
        assert!(svg.contains(&txt("0")) && svg.contains(&txt("100")));
        // aspect ratio: a 90 × 60 image shown at 640 × 427
        assert!(svg.contains("width=\"640\" height=\"427\""), "aspect");
        // the embedded PNG decodes to the image size with the hot colours
        let b64 = svg.split("base64,").nth(1).unwrap().split('"').next().unwrap();
        assert!(b64.len().is_multiple_of(4));
        // no marker rectangle left over
        assert!(!svg.contains("#010203"));
    }

    #[test]
    fn heatmap_svg_of_a_large_image_stays_small() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big.svg");
        // 2000² of pseudo-random counts: the worst case for compression
        let mut state = 12345u64;
        let img = Image::new(
            Array2::from_shape_fn((2000, 2000), |_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((state >> 33) % 50) as f32
            }),
            5.0,
        );
        let t = std::time::Instant::now();
        heatmap(&img, &p, &HeatmapOptions::default()).unwrap();
        let secs = t.elapsed().as_secs_f64();
        let size = std::fs::metadata(&p).unwrap().len();
        eprintln!("2000² noise heat map: SVG {size} bytes in {secs:.2} s");
        assert!(size < 2_000_000, "SVG is {size} bytes");
        assert!(secs < 3.0, "took {secs} s");
    }

    #[test]
    fn heatmap_png_draws_the_colours() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("h.png");
        let img = blob(40, 20.0);
        heatmap(
            &img,
            &p,
            &HeatmapOptions {
                colormap: Colormap::Viridis,
                ..Default::default()
            },
        )
        .unwrap();
        let back = crate::image::io::load_png(&p).unwrap();
        // 60 × 40 image at 640 px wide → 640 × 427, plus padding and colour bar
        assert!(back.width() > 640 + 2 * PAD as usize && back.height() == 427 + 2 * PAD as usize);
        // figure background is white, and some of the drawn pixels are not
        assert_eq!(back.get(0, 0).unwrap(), 255.0);
        assert!(back.data.iter().any(|&v| v < 100.0));
        // the image's top-left corner shows viridis level 0 (dark purple):
        // decode as RGB and look just inside the frame
        let mut dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&p).unwrap()));
        dec.set_transformations(png::Transformations::EXPAND);
        let mut rd = dec.read_info().unwrap();
        let mut buf = vec![0; rd.output_buffer_size().unwrap()];
        let info = rd.next_frame(&mut buf).unwrap();
        let px = |x: usize, y: usize| {
            let i = y * info.line_size + 3 * x;
            [buf[i], buf[i + 1], buf[i + 2]]
        };
        let inside = PAD as usize + 3;
        assert_eq!(px(inside, inside), Colormap::Viridis.level(0));
        // the scale bar (auto: 200 nm of the 1200 nm wide image) is white, near the bottom right
        let (x1, y1) = (PAD as usize + 640, PAD as usize + 427);
        let whites = (x1 - 140..x1)
            .flat_map(|x| (y1 - 40..y1).map(move |y| (x, y)))
            .filter(|&(x, y)| px(x, y) == [255, 255, 255])
            .count();
        assert!(whites > 100, "scale bar pixels: {whites}");
    }

    #[test]
    fn panel_svg_has_each_title_and_image() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("panel.svg");
        let imgs = vec![
            (blob(30, 10.0), "input".to_string()),
            (blob(30, 10.0).map(|v| v * 2.0), "target".to_string()),
            (blob(20, 10.0), "prediction".to_string()),
        ];
        let opts = PanelOptions {
            cols: Some(2),
            title: Some("Pairs".into()),
            ..Default::default()
        };
        panel(&imgs, &p, &opts).unwrap();
        let svg = std::fs::read_to_string(&p).unwrap();
        assert_eq!(svg.matches("<image ").count(), 3);
        for t in [&txt("input"), &txt("target"), &txt("prediction"), &txt("Pairs")] {
            assert!(svg.contains(t), "{t}");
        }
        assert!(panel(&[], &p, &opts).is_err());
        let e = panel(&imgs, dir.path().join("x.pdf"), &opts)
            .unwrap_err()
            .to_string();
        assert!(e.contains("x.pdf"));
    }
}
