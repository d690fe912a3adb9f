//! Line profiles: the intensity along a segment, averaged across a band.
//!
//! Sample k of n lies at p0 + (k/(n−1))·(p1 − p0) (pixel coordinates, pixel
//! centres at integer + 0.5); its value is the mean over `width` samples
//! spaced one pixel apart along the perpendicular, each read with bilinear
//! interpolation (samples outside the image count as 0). This is what
//! ImageJ's "Plot Profile" on a wide line computes, and what the paper's
//! LineProfiler analysis reads across filaments.

use super::Image;
use crate::error::{Error, Result};

fn bilinear(img: &Image, x: f64, y: f64) -> f64 {
    // Pixel (c, r) has its centre at (c + 0.5, r + 0.5).
    let (fx, fy) = (x - 0.5, y - 0.5);
    let (c0, r0) = (fx.floor(), fy.floor());
    let (tx, ty) = (fx - c0, fy - r0);
    let get = |c: f64, r: f64| -> f64 {
        if c < 0.0 || r < 0.0 || c >= img.width() as f64 || r >= img.height() as f64 {
            0.0
        } else {
            img.data[[r as usize, c as usize]] as f64
        }
    };
    get(c0, r0) * (1.0 - tx) * (1.0 - ty)
        + get(c0 + 1.0, r0) * tx * (1.0 - ty)
        + get(c0, r0 + 1.0) * (1.0 - tx) * ty
        + get(c0 + 1.0, r0 + 1.0) * tx * ty
}

/// The default number of samples of a line profile: one per pixel of
/// length, at least 2.
pub fn default_samples(from: (f64, f64), to: (f64, f64)) -> usize {
    let len = ((to.0 - from.0).powi(2) + (to.1 - from.1).powi(2)).sqrt();
    if len.is_finite() {
        (len.ceil() as usize + 1).max(2)
    } else {
        2
    }
}

impl Image {
    /// The profile from (x0, y0) to (x1, y1) in pixel coordinates (column,
    /// row; the top-left corner of the image is (0, 0)), with `samples`
    /// points (≥ 2) averaged over a band `width_px` samples wide (≥ 1).
    /// Returns (distance from the start in nm, value) pairs.
    pub fn line_profile(
        &self,
        (x0, y0): (f64, f64),
        (x1, y1): (f64, f64),
        samples: usize,
        width_px: usize,
    ) -> Result<Vec<(f64, f64)>> {
        for (name, v) in [("x0", x0), ("y0", y0), ("x1", x1), ("y1", y1)] {
            if !v.is_finite() {
                return Err(Error::arg(name, format!("must be finite, got {v}")));
            }
        }
        if samples < 2 {
            return Err(Error::arg(
                "samples",
                format!("must be at least 2, got {samples}"),
            ));
        }
        if width_px == 0 {
            return Err(Error::arg("width_px", "must be at least 1"));
        }
        let (dx, dy) = (x1 - x0, y1 - y0);
        let len = (dx * dx + dy * dy).sqrt();
        if len == 0.0 {
            return Err(Error::arg("end", "the start and end points are the same"));
        }
        let (nx, ny) = (-dy / len, dx / len);
        let half = (width_px as f64 - 1.0) / 2.0;
        Ok((0..samples)
            .map(|k| {
                let t = k as f64 / (samples - 1) as f64;
                let (px, py) = (x0 + t * dx, y0 + t * dy);
                let sum: f64 = (0..width_px)
                    .map(|w| {
                        let o = w as f64 - half;
                        bilinear(self, px + o * nx, py + o * ny)
                    })
                    .sum();
                (t * len * self.pixel_nm, sum / width_px as f64)
            })
            .collect())
    }

    /// Mean of each column (a profile across vertical structures).
    pub fn column_means(&self) -> Vec<f64> {
        let h = self.height().max(1) as f64;
        self.data
            .columns()
            .into_iter()
            .map(|c| c.iter().map(|&v| v as f64).sum::<f64>() / h)
            .collect()
    }

    /// Mean of each row (a profile across horizontal structures).
    pub fn row_means(&self) -> Vec<f64> {
        let w = self.width().max(1) as f64;
        self.data
            .rows()
            .into_iter()
            .map(|r| r.iter().map(|&v| v as f64).sum::<f64>() / w)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn profile_through_pixel_centres_reads_pixel_values() {
        // A horizontal profile along row 2 through the pixel centres.
        let data = Array2::from_shape_fn((5, 6), |(r, c)| (10 * r + c) as f32);
        let img = Image::new(data, 10.0);
        let p = img.line_profile((0.5, 2.5), (5.5, 2.5), 6, 1).unwrap();
        let vals: Vec<f64> = p.iter().map(|v| v.1).collect();
        assert_eq!(vals, vec![20.0, 21.0, 22.0, 23.0, 24.0, 25.0]);
        // Distances in nm: 5 px = 50 nm over 6 samples.
        assert!((p[5].0 - 50.0).abs() < 1e-12 && (p[1].0 - 10.0).abs() < 1e-12);
    }

    #[test]
    fn bilinear_midpoint_and_band_average() {
        let data = Array2::from_shape_fn((4, 4), |(r, _)| r as f32);
        let img = Image::new(data, 1.0);
        // Between rows 1 and 2 (y = 2.0), the value is 1.5.
        let p = img.line_profile((0.5, 2.0), (3.5, 2.0), 4, 1).unwrap();
        assert!(p.iter().all(|v| (v.1 - 1.5).abs() < 1e-12));
        // A vertical profile 3 samples wide over a horizontal ramp averages the neighbours.
        let ramp = Image::new(Array2::from_shape_fn((4, 5), |(_, c)| c as f32), 1.0);
        let p = ramp.line_profile((2.5, 0.5), (2.5, 3.5), 4, 3).unwrap();
        assert!(p.iter().all(|v| (v.1 - 2.0).abs() < 1e-12), "{p:?}");
    }

    #[test]
    fn means_and_errors() {
        let img = Image::new(Array2::from_shape_fn((2, 3), |(r, c)| (r * 3 + c) as f32), 1.0);
        assert_eq!(img.column_means(), vec![1.5, 2.5, 3.5]);
        assert_eq!(img.row_means(), vec![1.0, 4.0]);
        assert!(img.line_profile((0.0, 0.0), (0.0, 0.0), 5, 1).is_err());
        assert!(img.line_profile((0.0, 0.0), (1.0, 0.0), 1, 1).is_err());
    }
}
