//! Statistics, access, cropping, padding, normalisation and arithmetic of [`Image`].
//!
//! Geometry follows docs/methods.md §1 (pixel (col i, row j) covers
//! [x0 + i·p, x0 + (i+1)·p) × [y0 + j·p, y0 + (j+1)·p)), so a crop or a pad
//! moves the origin and keeps the pixel size. [`Image::normalize`] is the
//! per-image input normalisation of docs/methods.md §7.
//!
//! Sums and moments accumulate in f64. Binary operations between two images
//! require equal shapes ([`Error::Shape`] names both) and keep the **left**
//! operand's pixel size and origin: an image loaded from a PNG (pixel size
//! unknown, 1 nm) can be compared with one rendered at 10 nm.

use ndarray::{s, Array2, Zip};

use super::Image;
use crate::error::{Error, Result};

impl Image {
    /// Sum of all pixel values, accumulated in f64 (0 for an empty image).
    pub fn sum(&self) -> f64 {
        self.data.iter().map(|&v| v as f64).sum()
    }

    /// Smallest pixel value (NaN values are ignored unless all are NaN).
    /// Error for an empty image.
    pub fn min(&self) -> Result<f64> {
        self.nonempty("min")?;
        Ok(self.data.iter().copied().fold(f32::NAN, f32::min) as f64)
    }

    /// Largest pixel value (NaN values are ignored unless all are NaN).
    /// Error for an empty image.
    pub fn max(&self) -> Result<f64> {
        self.nonempty("max")?;
        Ok(self.data.iter().copied().fold(f32::NAN, f32::max) as f64)
    }

    /// Mean pixel value (f64 accumulation). Error for an empty image.
    pub fn mean(&self) -> Result<f64> {
        self.nonempty("mean")?;
        Ok(self.sum() / self.data.len() as f64)
    }

    /// Population standard deviation √(Σ(v − mean)²/n) (two-pass, f64).
    /// Error for an empty image.
    pub fn std(&self) -> Result<f64> {
        let mean = self.mean()?;
        let ss: f64 = self
            .data
            .iter()
            .map(|&v| {
                let d = v as f64 - mean;
                d * d
            })
            .sum();
        Ok((ss / self.data.len() as f64).sqrt())
    }

    /// Number of pixels, width × height.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// True when the image has no pixels.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    fn nonempty(&self, what: &str) -> Result<()> {
        if self.data.is_empty() {
            Err(Error::Numeric(format!("{what} of an empty image")))
        } else {
            Ok(())
        }
    }

    /// The value at column `col`, row `row` (0-based; row 0 is the top).
    /// Error naming `col` or `row` when outside the image.
    pub fn get(&self, col: i64, row: i64) -> Result<f32> {
        let c = index_in("col", col, self.width())?;
        let r = index_in("row", row, self.height())?;
        Ok(self.data[[r, c]])
    }

    /// The `w` × `h` sub-image whose top-left pixel is (`col`, `row`); the
    /// origin moves to that pixel's corner, the pixel size stays.
    /// Error when the rectangle is empty or reaches outside the image.
    pub fn crop(&self, col: i64, row: i64, w: i64, h: i64) -> Result<Image> {
        let (iw, ih) = (self.width() as i64, self.height() as i64);
        if w <= 0 || h <= 0 {
            return Err(Error::arg(
                if w <= 0 { "w" } else { "h" },
                format!("crop size must be positive, got {w} × {h}"),
            ));
        }
        if col < 0 || row < 0 || col.saturating_add(w) > iw || row.saturating_add(h) > ih {
            return Err(Error::arg(
                "crop",
                format!("rectangle col {col}, row {row}, {w} × {h} is not inside the {iw} × {ih} image"),
            ));
        }
        let (c, r, w, h) = (col as usize, row as usize, w as usize, h as usize);
        Ok(Image {
            data: self.data.slice(s![r..r + h, c..c + w]).to_owned(),
            pixel_nm: self.pixel_nm,
            origin_nm: (
                self.origin_nm.0 + c as f64 * self.pixel_nm,
                self.origin_nm.1 + r as f64 * self.pixel_nm,
            ),
        })
    }

    /// Pad with `value`: `left`, `top`, `right`, `bottom` pixels on each side.
    /// The origin moves so that the original pixels keep their positions in nm.
    /// Error when the result would exceed 2³¹ pixels.
    pub fn pad(&self, left: usize, top: usize, right: usize, bottom: usize, value: f32) -> Result<Image> {
        let (w, h) = (self.width(), self.height());
        let nw = w.checked_add(left).and_then(|v| v.checked_add(right));
        let nh = h.checked_add(top).and_then(|v| v.checked_add(bottom));
        let (nw, nh) = match (nw, nh) {
            (Some(a), Some(b)) if a.checked_mul(b).is_some_and(|n| n <= 1 << 31) => (a, b),
            _ => {
                return Err(Error::arg(
                    "pad",
                    format!("padding a {w} × {h} image by ({left}, {top}, {right}, {bottom}) is too large"),
                ))
            }
        };
        let mut data = Array2::from_elem((nh, nw), value);
        data.slice_mut(s![top..top + h, left..left + w])
            .assign(&self.data);
        Ok(Image {
            data,
            pixel_nm: self.pixel_nm,
            origin_nm: (
                self.origin_nm.0 - left as f64 * self.pixel_nm,
                self.origin_nm.1 - top as f64 * self.pixel_nm,
            ),
        })
    }

    /// Zero-pad on the right and bottom to `width` × `height` (the FRC's
    /// square padding, docs/methods.md §5). Error if the image is larger.
    pub fn zero_pad_to(&self, width: usize, height: usize) -> Result<Image> {
        if width < self.width() || height < self.height() {
            return Err(Error::arg(
                "size",
                format!(
                    "cannot pad a {} × {} image to the smaller {width} × {height}",
                    self.width(),
                    self.height()
                ),
            ));
        }
        self.pad(0, 0, width - self.width(), height - self.height(), 0.0)
    }

    /// Zero-pad on the right and bottom to a square of side max(width, height).
    pub fn zero_pad_square(&self) -> Result<Image> {
        let n = self.width().max(self.height());
        self.pad(0, 0, n - self.width(), n - self.height(), 0.0)
    }

    /// Scale to [−1, 1] (docs/methods.md §7): x → 2(x − min)/max(x − min) − 1.
    ///
    /// A constant image (max = min) becomes all −1, as if it were pure
    /// background. Error for an empty image or one holding NaN or ±∞.
    pub fn normalize(&self) -> Result<Image> {
        self.nonempty("normalize")?;
        if let Some(bad) = self.data.iter().find(|v| !v.is_finite()) {
            return Err(Error::Numeric(format!(
                "normalize: the image holds a non-finite value ({bad})"
            )));
        }
        let (lo, hi) = (self.min()?, self.max()?);
        let range = hi - lo;
        let scale = if range > 0.0 { 2.0 / range } else { 0.0 };
        Ok(self.map(|v| ((v as f64 - lo) * scale - 1.0) as f32))
    }

    /// Values below `t` set to 0 (values ≥ t kept).
    pub fn threshold(&self, t: f64) -> Image {
        self.map(|v| if (v as f64) < t { 0.0 } else { v })
    }

    /// Apply `f` to every pixel, keeping pixel size and origin.
    pub fn map(&self, f: impl Fn(f32) -> f32 + Sync + Send) -> Image {
        Image {
            data: self.data.mapv(f),
            pixel_nm: self.pixel_nm,
            origin_nm: self.origin_nm,
        }
    }

    fn zip_with(&self, other: &Image, op: &str, f: impl Fn(f32, f32) -> f32) -> Result<Image> {
        if self.data.dim() != other.data.dim() {
            return Err(Error::Shape(format!(
                "image {op} image: left is {} × {} (w × h), right is {} × {}",
                self.width(),
                self.height(),
                other.width(),
                other.height()
            )));
        }
        let mut data = self.data.clone();
        Zip::from(&mut data)
            .and(&other.data)
            .for_each(|a, &b| *a = f(*a, b));
        Ok(Image {
            data,
            pixel_nm: self.pixel_nm,
            origin_nm: self.origin_nm,
        })
    }

    /// Pixel-wise sum; shapes must match; keeps the left pixel size and origin.
    pub fn add(&self, other: &Image) -> Result<Image> {
        self.zip_with(other, "+", |a, b| a + b)
    }

    /// Pixel-wise difference; shapes must match; keeps the left pixel size and origin.
    pub fn sub(&self, other: &Image) -> Result<Image> {
        self.zip_with(other, "-", |a, b| a - b)
    }

    /// Pixel-wise product; shapes must match; keeps the left pixel size and origin.
    pub fn mul(&self, other: &Image) -> Result<Image> {
        self.zip_with(other, "*", |a, b| a * b)
    }

    /// Every pixel plus `k`.
    pub fn add_scalar(&self, k: f64) -> Image {
        self.map(|v| (v as f64 + k) as f32)
    }

    /// Every pixel minus `k`.
    pub fn sub_scalar(&self, k: f64) -> Image {
        self.map(|v| (v as f64 - k) as f32)
    }

    /// `k` minus every pixel (for `k - img`).
    pub fn rsub_scalar(&self, k: f64) -> Image {
        self.map(|v| (k - v as f64) as f32)
    }

    /// Every pixel times `k`.
    pub fn mul_scalar(&self, k: f64) -> Image {
        self.map(|v| (v as f64 * k) as f32)
    }

    /// Every pixel divided by `k`; error when `k` is 0 or not finite.
    pub fn div_scalar(&self, k: f64) -> Result<Image> {
        if k == 0.0 || !k.is_finite() {
            return Err(Error::arg("divisor", format!("cannot divide an image by {k}")));
        }
        Ok(self.map(|v| (v as f64 / k) as f32))
    }
}

fn index_in(name: &str, i: i64, n: usize) -> Result<usize> {
    if i < 0 || i >= n as i64 {
        Err(Error::arg(
            name,
            format!("{i} is outside 0..{} (the image has {n})", n as i64 - 1),
        ))
    } else {
        Ok(i as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn img(data: Array2<f32>) -> Image {
        Image::new(data, 10.0)
    }

    #[test]
    fn stats_match_hand_values() {
        let a = img(array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
        assert_eq!(a.sum(), 21.0);
        assert_eq!(a.min().unwrap(), 1.0);
        assert_eq!(a.max().unwrap(), 6.0);
        assert_eq!(a.mean().unwrap(), 3.5);
        // population variance of 1..6 = 35/12
        assert!((a.std().unwrap() - (35.0f64 / 12.0).sqrt()).abs() < 1e-12);
        assert_eq!(a.len(), 6);
    }

    #[test]
    fn sum_accumulates_in_f64() {
        // 2^24 + 1 is not representable in f32: an f32 accumulator would lose the ones.
        let mut d = Array2::<f32>::ones((1, 1001));
        d[[0, 0]] = 16_777_216.0;
        assert_eq!(img(d).sum(), 16_777_216.0 + 1000.0);
    }

    #[test]
    fn empty_image_stats_are_errors() {
        let e = img(Array2::zeros((0, 3)));
        assert_eq!(e.sum(), 0.0);
        assert!(e.min().is_err() && e.max().is_err() && e.mean().is_err());
        assert!(e.normalize().is_err());
    }

    #[test]
    fn get_checks_bounds() {
        let a = img(array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
        assert_eq!(a.get(2, 1).unwrap(), 6.0);
        assert_eq!(a.get(0, 1).unwrap(), 4.0);
        let e = a.get(3, 0).unwrap_err().to_string();
        assert!(e.starts_with("col:"), "{e}");
        let e = a.get(0, -1).unwrap_err().to_string();
        assert!(e.starts_with("row:"), "{e}");
    }

    #[test]
    fn crop_moves_origin_and_checks_bounds() {
        let mut a = img(Array2::from_shape_fn((4, 5), |(r, c)| (10 * r + c) as f32));
        a.origin_nm = (100.0, 200.0);
        let c = a.crop(1, 2, 3, 2).unwrap();
        assert_eq!(c.data, array![[21.0, 22.0, 23.0], [31.0, 32.0, 33.0]]);
        assert_eq!(c.origin_nm, (110.0, 220.0));
        assert_eq!(c.pixel_nm, 10.0);
        assert!(a.crop(3, 0, 3, 1).is_err());
        assert!(a.crop(0, 0, 0, 1).is_err());
        assert!(a.crop(-1, 0, 1, 1).is_err());
        assert_eq!(a.crop(0, 0, 5, 4).unwrap(), a);
    }

    #[test]
    fn pad_keeps_positions() {
        let mut a = img(array![[1.0, 2.0], [3.0, 4.0]]);
        a.origin_nm = (50.0, 50.0);
        let p = a.pad(1, 2, 0, 1, -1.0).unwrap();
        assert_eq!((p.width(), p.height()), (3, 5));
        assert_eq!(p.origin_nm, (40.0, 30.0));
        assert_eq!(p.data[[2, 1]], 1.0);
        assert_eq!(p.data[[3, 2]], 4.0);
        assert_eq!(p.data[[0, 0]], -1.0);
        assert_eq!(p.data[[4, 2]], -1.0);
        assert_eq!(p.sum(), 10.0 - 11.0);
        let sq = a.crop(0, 0, 2, 1).unwrap().zero_pad_square().unwrap();
        assert!(a.pad(usize::MAX, 0, 1, 0, 0.0).is_err());
        assert!(a.crop(1, 1, i64::MAX, 1).is_err());
        assert_eq!(sq.data, array![[1.0, 2.0], [0.0, 0.0]]);
        assert!(a.zero_pad_to(1, 5).is_err());
        assert_eq!(
            a.zero_pad_to(3, 2).unwrap().data,
            array![[1.0, 2.0, 0.0], [3.0, 4.0, 0.0]]
        );
    }

    #[test]
    fn normalize_matches_formula() {
        let a = img(array![[2.0, 4.0], [6.0, 10.0]]);
        let n = a.normalize().unwrap();
        // 2(x-2)/8 - 1
        assert_eq!(n.data, array![[-1.0, -0.5], [0.0, 1.0]]);
        // slow twin on random data
        let d = Array2::from_shape_fn((7, 9), |(r, c)| ((r * 31 + c * 17) % 13) as f32 * 0.7 - 3.0);
        let b = img(d.clone());
        let (lo, hi) = (b.min().unwrap(), b.max().unwrap());
        let nb = b.normalize().unwrap();
        for ((r, c), &v) in d.indexed_iter() {
            let want = 2.0 * (v as f64 - lo) / (hi - lo) - 1.0;
            assert!((nb.data[[r, c]] as f64 - want).abs() < 1e-6);
        }
        // constant image: all -1, never NaN
        let k = img(Array2::from_elem((3, 3), 5.0)).normalize().unwrap();
        assert!(k.data.iter().all(|&v| v == -1.0));
        // non-finite input is an error
        let mut bad = a.clone();
        bad.data[[0, 0]] = f32::NAN;
        assert!(bad.normalize().is_err());
    }

    #[test]
    fn threshold_zeroes_below() {
        let a = img(array![[1.0, 2.0], [3.0, 4.0]]);
        assert_eq!(a.threshold(2.5).data, array![[0.0, 0.0], [3.0, 4.0]]);
        assert_eq!(a.threshold(2.0).data, array![[0.0, 2.0], [3.0, 4.0]]);
    }

    #[test]
    fn arithmetic() {
        let a = img(array![[1.0, 2.0], [3.0, 4.0]]);
        let mut b = Image::new(array![[0.5, 0.5], [1.0, -1.0]], 20.0);
        b.origin_nm = (7.0, 7.0);
        let s = a.add(&b).unwrap();
        assert_eq!(s.data, array![[1.5, 2.5], [4.0, 3.0]]);
        assert_eq!((s.pixel_nm, s.origin_nm), (10.0, (0.0, 0.0)));
        assert_eq!(a.sub(&b).unwrap().data, array![[0.5, 1.5], [2.0, 5.0]]);
        assert_eq!(a.mul(&b).unwrap().data, array![[0.5, 1.0], [3.0, -4.0]]);
        assert_eq!(a.mul_scalar(2.0).data, array![[2.0, 4.0], [6.0, 8.0]]);
        assert_eq!(a.div_scalar(2.0).unwrap().data, array![[0.5, 1.0], [1.5, 2.0]]);
        assert_eq!(a.add_scalar(1.0).data, array![[2.0, 3.0], [4.0, 5.0]]);
        assert_eq!(a.sub_scalar(1.0).data, array![[0.0, 1.0], [2.0, 3.0]]);
        assert_eq!(a.rsub_scalar(1.0).data, array![[0.0, -1.0], [-2.0, -3.0]]);
        assert!(a.div_scalar(0.0).is_err());
        let c = img(Array2::zeros((2, 3)));
        let e = a.add(&c).unwrap_err();
        assert!(matches!(e, Error::Shape(_)));
        let msg = e.to_string();
        assert!(msg.contains("2 × 2") && msg.contains("3 × 2"), "{msg}");
    }
}
