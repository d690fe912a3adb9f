//! `Image`: a 2-D float32 raster with a physical pixel size and origin.
//!
//! Conventions (docs/methods.md §1): row-major, `height` rows × `width` columns;
//! pixel (col i, row j) covers [x0 + i·p, x0 + (i+1)·p) × [y0 + j·p, y0 + (j+1)·p),
//! rows grow with y, origin at the top-left.

use crate::error::{Error, Result};
use ndarray::Array2;

pub mod colormap;
pub mod io;
pub mod ops;
pub mod profile;
pub mod show;

pub use colormap::Colormap;
pub use io::{load_image, PngDepth};

/// A 2-D image: `data[[row, col]]`, pixel size in nm, origin (x0, y0) in nm.
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    /// Pixel values, shape (height, width).
    pub data: Array2<f32>,
    /// Pixel size in nm (1.0 when unknown).
    pub pixel_nm: f64,
    /// Position of the top-left corner of pixel (0, 0), in nm.
    pub origin_nm: (f64, f64),
}

impl Image {
    /// An image from raw data with pixel size `pixel_nm` and origin (0, 0).
    pub fn new(data: Array2<f32>, pixel_nm: f64) -> Self {
        Image {
            data,
            pixel_nm,
            origin_nm: (0.0, 0.0),
        }
    }

    /// A `width`×`height` image of zeros; sides in 1..=65536 px, pixel size > 0.
    pub fn zeros(width: i64, height: i64, pixel_nm: f64) -> Result<Image> {
        let side = |name: &str, v: i64| -> Result<usize> {
            if (1..=65536).contains(&v) {
                Ok(v as usize)
            } else {
                Err(Error::arg(name, format!("must be in 1..=65536 pixels, got {v}")))
            }
        };
        let (w, h) = (side("width", width)?, side("height", height)?);
        if !(pixel_nm.is_finite() && pixel_nm > 0.0) {
            return Err(Error::arg("pixel_nm", format!("must be > 0, got {pixel_nm}")));
        }
        Ok(Image::new(Array2::zeros((h, w)), pixel_nm))
    }

    /// Number of columns.
    pub fn width(&self) -> usize {
        self.data.ncols()
    }

    /// Number of rows.
    pub fn height(&self) -> usize {
        self.data.nrows()
    }
}

impl std::fmt::Display for Image {
    /// One line: shape, pixel size, sum and value range. Never the data.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (lo, hi) = (self.min().unwrap_or(f64::NAN), self.max().unwrap_or(f64::NAN));
        write!(
            f,
            "Image {}×{} px @ {} nm, sum {}, range [{}, {}]",
            self.width(),
            self.height(),
            crate::fmt::float(self.pixel_nm),
            crate::fmt::float(self.sum()),
            crate::fmt::float(lo),
            crate::fmt::float(hi)
        )
    }
}
