//! Colour rendering of an [`Image`] and drawing it in the terminal.
//!
//! [`Image::to_rgb`] maps values through a [`Colormap`] between `vmin` and
//! `vmax` (row-major RGB bytes); plots and [`Image::show`] use it.
//! [`Image::show`] draws with `viuer` (Kitty/iTerm graphics protocols where the
//! terminal supports them, coloured half-blocks "▀" otherwise). When standard
//! output is not a terminal it prints a one-line description instead, so
//! scripts run in pipelines or CI never fail on it.

use std::io::IsTerminal;

use super::{Colormap, Image};
use crate::error::{Error, Result};
use crate::image::colormap::level_of;

impl Image {
    /// The display range: (`vmin`, `vmax`) where given, else the finite
    /// minimum and maximum of the image; (0, 1) for an image with no finite value.
    pub fn display_range(&self, vmin: Option<f64>, vmax: Option<f64>) -> (f64, f64) {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        if vmin.is_none() || vmax.is_none() {
            for &v in self.data.iter() {
                if v.is_finite() {
                    lo = lo.min(v as f64);
                    hi = hi.max(v as f64);
                }
            }
        }
        if lo > hi {
            (lo, hi) = (0.0, 1.0);
        }
        (vmin.unwrap_or(lo), vmax.unwrap_or(hi))
    }

    /// Colour the image: row-major RGB bytes (3 per pixel, `width·height·3`).
    /// Values at or below `vmin` get the map's first colour, at or above
    /// `vmax` its last; NaN gets the first. `vmin`/`vmax` default to the
    /// image's finite min and max. Error when `vmax` < `vmin`.
    pub fn to_rgb(&self, cmap: Colormap, vmin: Option<f64>, vmax: Option<f64>) -> Result<Vec<u8>> {
        let (levels, _, _) = self.to_levels(vmin, vmax)?;
        let mut lut = [[0u8; 3]; 256];
        for (i, c) in lut.iter_mut().enumerate() {
            *c = cmap.level(i as u8);
        }
        let mut out = Vec::with_capacity(levels.len() * 3);
        for l in levels {
            out.extend_from_slice(&lut[l as usize]);
        }
        Ok(out)
    }

    /// Colour-map levels 0..=255 per pixel (row-major) and the display range
    /// (vmin, vmax) used; see [`Image::to_rgb`]. A constant range (vmin =
    /// vmax) gives level 0 at or below it and 255 above.
    pub fn to_levels(&self, vmin: Option<f64>, vmax: Option<f64>) -> Result<(Vec<u8>, f64, f64)> {
        let (lo, hi) = self.display_range(vmin, vmax);
        if hi.is_nan() || lo.is_nan() || hi < lo {
            return Err(Error::arg(
                "vmax",
                format!("display range must have vmin <= vmax, got {lo} .. {hi}"),
            ));
        }
        let scale = if hi > lo { 1.0 / (hi - lo) } else { 0.0 };
        let levels = self
            .data
            .iter()
            .map(|&v| {
                let t = if scale > 0.0 {
                    (v as f64 - lo) * scale
                } else if (v as f64) > lo {
                    1.0
                } else {
                    0.0
                };
                level_of(t)
            })
            .collect();
        Ok((levels, lo, hi))
    }

    /// A text rendering with coloured half-blocks, at most `max_cols` characters
    /// wide (each character shows two pixels, one above the other, after
    /// block-averaging the image down). Uses 24-bit ANSI colours; one line per
    /// two rows, each ending with a colour reset.
    pub fn to_halfblocks(&self, cmap: Colormap, max_cols: usize) -> Result<String> {
        let (w, h) = (self.width(), self.height());
        if w == 0 || h == 0 {
            return Ok(String::new());
        }
        let factor = w.div_ceil(max_cols.max(1)).max(1);
        let small = block_mean(self, factor);
        let rgb = small.to_rgb(cmap, None, None)?;
        let (sw, sh) = (small.width(), small.height());
        let px = |r: usize, c: usize| {
            let i = 3 * (r * sw + c);
            (rgb[i], rgb[i + 1], rgb[i + 2])
        };
        let mut s = String::new();
        for r in (0..sh).step_by(2) {
            for c in 0..sw {
                let (a, b, cc) = px(r, c);
                if r + 1 < sh {
                    let (d, e, f) = px(r + 1, c);
                    s.push_str(&format!("\x1b[38;2;{a};{b};{cc}m\x1b[48;2;{d};{e};{f}m\u{2580}"));
                } else {
                    s.push_str(&format!("\x1b[38;2;{a};{b};{cc}m\x1b[49m\u{2580}"));
                }
            }
            s.push_str("\x1b[0m\n");
        }
        Ok(s)
    }

    /// Draw the image in the terminal with colour map `cmap` (graphics protocol
    /// where supported, half-blocks otherwise). When standard output is not a
    /// terminal, prints one line describing the image instead.
    pub fn show(&self, cmap: Colormap) -> Result<()> {
        let (lo, hi) = self.display_range(None, None);
        let caption = format!(
            "{} × {} px, {} nm/px, values {} .. {}",
            self.width(),
            self.height(),
            crate::fmt::short(self.pixel_nm),
            crate::fmt::short(lo),
            crate::fmt::short(hi)
        );
        if self.is_empty() {
            println!("(empty image) {caption}");
            return Ok(());
        }
        if !std::io::stdout().is_terminal() {
            println!("[image {caption}; not a terminal, use img.plot(path) for a picture]");
            return Ok(());
        }
        // Fit into the terminal (a cell is one pixel wide, two tall in
        // half-blocks), preserving the aspect ratio; block-average large
        // images first so that sparse detail survives the resampling.
        let (cols, rows) = viuer::terminal_size();
        let max_cols = (cols as f64).clamp(8.0, 120.0);
        let max_rows = ((rows as f64) - 3.0).clamp(4.0, 60.0);
        let (w, h) = (self.width() as f64, self.height() as f64);
        let cells_w = max_cols.min(max_rows * 2.0 * w / h).max(1.0).floor() as u32;
        let factor = (self.width() / (4 * cells_w as usize).max(1)).max(1);
        let small = block_mean(self, factor);
        let rgb = small.to_rgb(cmap, None, None)?;
        let drawn = image::RgbImage::from_raw(small.width() as u32, small.height() as u32, rgb)
            .map(image::DynamicImage::ImageRgb8)
            .and_then(|img| {
                let conf = viuer::Config {
                    absolute_offset: false,
                    width: Some(cells_w),
                    height: None,
                    use_kitty: kitty_likely(),
                    ..Default::default()
                };
                viuer::print(&img, &conf).ok()
            });
        if drawn.is_none() {
            print!("{}", self.to_halfblocks(cmap, cells_w as usize)?);
        }
        println!("{caption}");
        Ok(())
    }
}

/// Whether to probe for the Kitty graphics protocol. viuer's probe waits for
/// the terminal's answer to a status query, which hangs under a bare pty
/// (e.g. `script`, some editors' shells); only terminals known to speak the
/// protocol are probed, the others get half-blocks.
fn kitty_likely() -> bool {
    let var = |k: &str| std::env::var(k).unwrap_or_default().to_ascii_lowercase();
    std::env::var_os("KITTY_WINDOW_ID").is_some()
        || var("TERM").contains("kitty")
        || var("TERM").contains("ghostty")
        || ["wezterm", "ghostty"].contains(&var("TERM_PROGRAM").as_str())
}

/// Mean over `factor` × `factor` blocks (partial blocks at the right and
/// bottom edges average the pixels they hold).
pub fn block_mean(img: &Image, factor: usize) -> Image {
    if factor <= 1 {
        return img.clone();
    }
    let (w, h) = (img.width(), img.height());
    let (sw, sh) = (w.div_ceil(factor), h.div_ceil(factor));
    let mut sum = vec![0f64; sw * sh];
    let mut count = vec![0u32; sw * sh];
    for ((r, c), &v) in img.data.indexed_iter() {
        let i = (r / factor) * sw + c / factor;
        sum[i] += v as f64;
        count[i] += 1;
    }
    let data = ndarray::Array2::from_shape_fn((sh, sw), |(r, c)| {
        let i = r * sw + c;
        (sum[i] / count[i].max(1) as f64) as f32
    });
    Image {
        data,
        pixel_nm: img.pixel_nm * factor as f64,
        origin_nm: img.origin_nm,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn to_rgb_matches_per_pixel_lookup() {
        let img = Image::new(
            ndarray::Array2::from_shape_fn((5, 7), |(r, c)| (r * 7 + c) as f32 - 3.0),
            1.0,
        );
        for cmap in Colormap::ALL {
            let rgb = img.to_rgb(cmap, None, None).unwrap();
            assert_eq!(rgb.len(), 5 * 7 * 3);
            for ((r, c), &v) in img.data.indexed_iter() {
                let t = (v as f64 + 3.0) * (1.0 / 34.0);
                let want = cmap.level((t * 255.0 + 0.5).floor() as u8);
                let i = 3 * (r * 7 + c);
                assert_eq!(&rgb[i..i + 3], &want, "{cmap:?} at ({r}, {c})");
            }
        }
        // hand-checked ends of matplotlib's maps
        assert_eq!(Colormap::Hot.level(255), [255, 255, 255]);
        assert_eq!(Colormap::Hot.level(0), [11, 0, 0]);
        assert_eq!(Colormap::Viridis.level(0), [68, 1, 84]);
        assert_eq!(Colormap::Viridis.level(255), [253, 231, 37]);
        assert_eq!(Colormap::Magma.level(255), [252, 253, 191]);
        assert_eq!(Colormap::Inferno.level(0), [0, 0, 4]);
        assert_eq!(Colormap::Gray.level(7), [7, 7, 7]);
    }

    #[test]
    fn to_rgb_clamps_and_handles_nan_and_constants() {
        let img = Image::new(array![[0.0, 5.0, 10.0, f32::NAN]], 1.0);
        let rgb = img.to_rgb(Colormap::Gray, Some(2.0), Some(6.0)).unwrap();
        assert_eq!(rgb, vec![0, 0, 0, 191, 191, 191, 255, 255, 255, 0, 0, 0]);
        assert!(img.to_rgb(Colormap::Gray, Some(3.0), Some(1.0)).is_err());
        let k = Image::new(array![[4.0, 4.0]], 1.0);
        assert_eq!(k.to_rgb(Colormap::Gray, None, None).unwrap(), vec![0; 6]);
    }

    #[test]
    fn colormap_names() {
        for (i, n) in Colormap::NAMES.iter().enumerate() {
            assert_eq!(Colormap::from_name(n).unwrap(), Colormap::ALL[i]);
            assert_eq!(Colormap::ALL[i].name(), *n);
        }
        assert_eq!(Colormap::from_name("Grey").unwrap(), Colormap::Gray);
        let e = Colormap::from_name("jet").unwrap_err().to_string();
        assert!(e.contains("colormap") && e.contains("viridis"), "{e}");
    }

    #[test]
    fn block_mean_matches_direct_sum() {
        let img = Image::new(
            ndarray::Array2::from_shape_fn((7, 5), |(r, c)| (r * r + 3 * c) as f32),
            10.0,
        );
        let b = block_mean(&img, 3);
        assert_eq!((b.width(), b.height()), (2, 3));
        assert_eq!(b.pixel_nm, 30.0);
        for (r, c) in [(0, 0), (1, 1), (2, 0), (2, 1)] {
            let mut s = 0.0;
            let mut n = 0;
            for rr in 3 * r..(3 * r + 3).min(7) {
                for cc in 3 * c..(3 * c + 3).min(5) {
                    s += img.data[[rr, cc]] as f64;
                    n += 1;
                }
            }
            assert!((b.data[[r, c]] as f64 - s / n as f64).abs() < 1e-5);
        }
    }

    /// Run under a terminal to look at it: `script -qc "cargo test --release
    /// --lib show_in_terminal -- --ignored --nocapture" /dev/null`.
    #[test]
    #[ignore]
    fn show_in_terminal() {
        let img = Image::new(
            ndarray::Array2::from_shape_fn((300, 500), |(r, c)| {
                ((r as f32 / 20.0).sin() * (c as f32 / 30.0).cos()).abs()
            }),
            10.0,
        );
        img.show(Colormap::Hot).unwrap();
        img.show(Colormap::Viridis).unwrap();
    }

    #[test]
    fn halfblocks_shape() {
        let img = Image::new(
            ndarray::Array2::from_shape_fn((5, 40), |(r, c)| (r + c) as f32),
            1.0,
        );
        let s = img.to_halfblocks(Colormap::Hot, 20).unwrap();
        let lines: Vec<&str> = s.lines().collect();
        // 40 columns at factor 2 → 20 × 3 pixels → 2 lines of 20 half-blocks
        assert_eq!(lines.len(), 2);
        assert!(lines.iter().all(|l| l.matches('\u{2580}').count() == 20));
        assert!(lines.iter().all(|l| l.ends_with("\x1b[0m")));
        // not a terminal under `cargo test`: show prints a notice and succeeds
        img.show(Colormap::Viridis).unwrap();
    }
}
