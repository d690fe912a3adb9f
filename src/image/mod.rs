//! `Image`: a 2-D float32 raster with a physical pixel size and origin.
//!
//! Conventions (METHODS.md §1): row-major, `height` rows × `width` columns;
//! pixel (col i, row j) covers [x0 + i·p, x0 + (i+1)·p) × [y0 + j·p, y0 + (j+1)·p),
//! rows grow with y, origin at the top-left.

use ndarray::Array2;

pub mod colormap;
pub mod io;
pub mod ops;
pub mod profile;
pub mod show;

pub use colormap::Colormap;
pub use io::{load_image, PngDepth};
pub use show::ShowOptions;

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

    /// Number of columns.
    pub fn width(&self) -> usize {
        self.data.ncols()
    }

    /// Number of rows.
    pub fn height(&self) -> usize {
        self.data.nrows()
    }
}
