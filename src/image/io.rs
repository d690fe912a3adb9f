//! Image files: TIFF, PNG and NPY (SCRIPTING.md "Images").
//!
//! - **TIFF** is saved as one float32 grayscale page with ImageJ metadata so
//!   that Fiji shows the calibration: ImageDescription `ImageJ=1.11a`,
//!   `unit=nm` (plus `xorigin`/`yorigin` in pixels when the origin is not 0,
//!   and the display range `min`/`max`), XResolution = YResolution =
//!   1/pixel_nm pixels per nm and ResolutionUnit = none. Loading reads 8/16/32
//!   bit unsigned or signed integer and 32/64-bit float grayscale TIFFs (first
//!   page) and takes the pixel size back from the same tags (`unit=µm`/`micron`
//!   or `unit=nm`); without them the pixel size is 1.
//! - **PNG** loads 1–16-bit grayscale (and RGB, as ITU-R 601 luma; alpha is
//!   ignored) with the **raw stored counts** as values: the paper's 8-bit
//!   `*_sub.png` inputs hold localisations per pixel, its 16-bit `*_full.png`
//!   targets hold 0..65535. Saving scales min..max to the full 8-bit (default)
//!   or 16-bit range. The pixel size is stored in the pHYs chunk (pixels per
//!   metre) and read back when it is below 10 µm (larger values are display
//!   DPI, not a microscope calibration); otherwise it is 1.
//! - **NPY** loads 2-D arrays of f32, f64 or integers (converted to f32), C or
//!   Fortran order; saves f32. NPY carries no pixel size (loaded as 1).
//!
//! Every file is written atomically: a temporary file `NAME.tmp-<pid>` in the
//! same folder, renamed over the target when complete.

use std::fs::File;
use std::io::{BufReader, BufWriter, Cursor, Seek};
use std::path::Path;

use ndarray::{Array2, ArrayD, Ix2};
use ndarray_npy::{ReadNpyError, ReadNpyExt, WriteNpyExt};
use tiff::decoder::{ifd::Value, Decoder, DecodingResult, Limits};
use tiff::encoder::{colortype::Gray32Float, Rational, TiffEncoder};
use tiff::tags::{ResolutionUnit, Tag};

use super::Image;
use crate::error::{Error, Result};

/// Bit depth of a saved PNG.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PngDepth {
    /// 0..255 (default).
    #[default]
    Eight,
    /// 0..65535.
    Sixteen,
}

/// Write `path` atomically: `write` fills a temporary file in the same
/// folder, which is then renamed over `path`. On error the temporary file is
/// removed and `path` is untouched.
pub fn write_atomic(path: &Path, write: impl FnOnce(&mut BufWriter<File>) -> Result<()>) -> Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| Error::arg("path", format!("{} names no file", path.display())))?;
    let mut tmp_name = name.to_os_string();
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let result = (|| {
        let file = File::create(&tmp).map_err(|e| Error::io(path, e))?;
        let mut w = BufWriter::new(file);
        write(&mut w)?;
        let file = w.into_inner().map_err(|e| Error::io(path, e.into_error()))?;
        file.sync_all().map_err(|e| Error::io(path, e))?;
        std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn extension(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// Load an image, choosing the reader by extension: `.tif`/`.tiff`, `.png`, `.npy`.
pub fn load_image(path: impl AsRef<Path>) -> Result<Image> {
    let path = path.as_ref();
    match extension(path).as_str() {
        "tif" | "tiff" => load_tiff(path),
        "png" => load_png(path),
        "npy" => load_npy(path),
        other => Err(Error::format(
            path,
            format!("unknown image extension {other:?}: expected .tif, .tiff, .png or .npy"),
        )),
    }
}

fn read_all(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::io(path, e))
}

impl Image {
    /// Save, choosing the format by extension: `.tif`/`.tiff` (float32 with
    /// ImageJ calibration), `.png` (8-bit, min..max scaled to 0..255), `.npy` (f32).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        match extension(path).as_str() {
            "tif" | "tiff" => self.save_tiff(path),
            "png" => self.save_png(path, PngDepth::Eight),
            "npy" => self.save_npy(path),
            other => Err(Error::format(
                path,
                format!("unknown image extension {other:?}: expected .tif, .tiff, .png or .npy"),
            )),
        }
    }

    /// Save as a float32 TIFF with ImageJ metadata (pixel size in nm, origin).
    pub fn save_tiff(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let (w, h) = dims_u32(self, path)?;
        let pixels: Vec<f32> = self.data.iter().copied().collect();
        let mut desc = String::from("ImageJ=1.11a\nunit=nm\n");
        if self.origin_nm != (0.0, 0.0) && self.pixel_nm > 0.0 {
            desc.push_str(&format!(
                "xorigin={}\nyorigin={}\n",
                -self.origin_nm.0 / self.pixel_nm,
                -self.origin_nm.1 / self.pixel_nm
            ));
        }
        let finite = self.data.iter().copied().filter(|v| v.is_finite());
        let (lo, hi) = finite.fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
        if lo <= hi {
            desc.push_str(&format!("min={lo}\nmax={hi}\n"));
        }
        let res = resolution_rational(self.pixel_nm);
        let tiff_err = |e: tiff::TiffError| Error::format(path, format!("writing TIFF: {e}"));
        write_atomic(path, |out| {
            let mut enc = TiffEncoder::new(out).map_err(tiff_err)?;
            let mut img = enc.new_image::<Gray32Float>(w, h).map_err(tiff_err)?;
            img.encoder()
                .write_tag(Tag::ImageDescription, desc.as_str())
                .map_err(tiff_err)?;
            img.resolution(ResolutionUnit::None, res);
            img.write_data(&pixels).map_err(tiff_err)
        })
    }

    /// Save as a grayscale PNG with min..max scaled to the full range of
    /// `depth` (a constant image is all 0; NaN is 0). The pixel size goes
    /// into the pHYs chunk.
    pub fn save_png(&self, path: impl AsRef<Path>, depth: PngDepth) -> Result<()> {
        let path = path.as_ref();
        let (w, h) = dims_u32(self, path)?;
        let full = match depth {
            PngDepth::Eight => 255.0,
            PngDepth::Sixteen => 65535.0,
        };
        let finite = self.data.iter().copied().filter(|v| v.is_finite());
        let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v as f64), b.max(v as f64))
        });
        let scale = if hi > lo { full / (hi - lo) } else { 0.0 };
        let level = |v: f32| -> f64 {
            if v.is_finite() {
                ((v as f64 - lo) * scale).round().clamp(0.0, full)
            } else if v == f32::INFINITY {
                full
            } else {
                0.0
            }
        };
        let bytes: Vec<u8> = match depth {
            PngDepth::Eight => self.data.iter().map(|&v| level(v) as u8).collect(),
            PngDepth::Sixteen => self
                .data
                .iter()
                .flat_map(|&v| (level(v) as u16).to_be_bytes())
                .collect(),
        };
        let phys = png_phys(self.pixel_nm);
        let png_err = |e: png::EncodingError| Error::format(path, format!("writing PNG: {e}"));
        write_atomic(path, |out| {
            let mut enc = png::Encoder::new(out, w, h);
            enc.set_color(png::ColorType::Grayscale);
            enc.set_depth(match depth {
                PngDepth::Eight => png::BitDepth::Eight,
                PngDepth::Sixteen => png::BitDepth::Sixteen,
            });
            enc.set_pixel_dims(phys);
            let mut wr = enc.write_header().map_err(png_err)?;
            wr.write_image_data(&bytes).map_err(png_err)?;
            wr.finish().map_err(png_err)
        })
    }

    /// Save as a 2-D float32 NPY array (C order); the pixel size is not stored.
    pub fn save_npy(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let data = self.data.as_standard_layout();
        write_atomic(path, |out| {
            data.write_npy(out)
                .map_err(|e| Error::format(path, format!("writing NPY: {e}")))
        })
    }
}

fn dims_u32(img: &Image, path: &Path) -> Result<(u32, u32)> {
    let w = u32::try_from(img.width()).ok().filter(|&v| v > 0);
    let h = u32::try_from(img.height()).ok().filter(|&v| v > 0);
    match (w, h) {
        (Some(w), Some(h)) => Ok((w, h)),
        _ => Err(Error::arg(
            "image",
            format!(
                "cannot save a {} × {} image to {}",
                img.width(),
                img.height(),
                path.display()
            ),
        )),
    }
}

/// 1/pixel_nm as a rational n/d with both parts in u32.
fn resolution_rational(pixel_nm: f64) -> Rational {
    if !(pixel_nm.is_finite() && pixel_nm > 0.0) {
        return Rational { n: 1, d: 1 };
    }
    // 1/p = n/d: choose d = p·n with n as large as keeps d in range (≤ 9 digits).
    let mut n: u64 = 1_000_000;
    while n > 1 && pixel_nm * n as f64 > u32::MAX as f64 {
        n /= 10;
    }
    let d = (pixel_nm * n as f64).round().clamp(1.0, u32::MAX as f64) as u64;
    let g = gcd(n, d);
    Rational {
        n: (n / g) as u32,
        d: (d / g) as u32,
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

fn png_phys(pixel_nm: f64) -> Option<png::PixelDimensions> {
    let ppm = 1e9 / pixel_nm;
    if pixel_nm.is_finite() && pixel_nm > 0.0 && ppm >= 1.0 && ppm <= u32::MAX as f64 {
        let v = ppm.round() as u32;
        Some(png::PixelDimensions {
            xppu: v,
            yppu: v,
            unit: png::Unit::Meter,
        })
    } else {
        None
    }
}

/// Round a pixel size read back from a file to 9 significant digits, so that
/// the rational or integer encodings give back the value that was written.
fn tidy(p: f64) -> f64 {
    if !(p.is_finite() && p > 0.0) {
        return 1.0;
    }
    let mag = 10f64.powi(8 - p.log10().floor() as i32);
    (p * mag).round() / mag
}

/// Load the first page of a grayscale TIFF (8/16/32/64-bit integer or float).
pub fn load_tiff(path: impl AsRef<Path>) -> Result<Image> {
    let path = path.as_ref();
    let bytes = read_all(path)?;
    let terr = |e: tiff::TiffError| Error::format(path, format!("not a readable TIFF: {e}"));
    // Limits that a corrupt header cannot push to terabytes: the image
    // buffer at most ~1100× the file (deflate/LZW ratios) within
    // [256 MiB, 16 GiB], tag values at most 16 MiB. (Unlimited, a flipped
    // tag count made the decoder allocate 137 GB and abort.)
    let mut limits = Limits::unlimited();
    limits.decoding_buffer_size = bytes.len().saturating_mul(1100).clamp(256 << 20, 16 << 30);
    limits.intermediate_buffer_size = limits.decoding_buffer_size;
    limits.ifd_value_size = 16 << 20;
    let mut dec = Decoder::new(Cursor::new(bytes))
        .map_err(terr)?
        .with_limits(limits);
    let (w, h) = dec.dimensions().map_err(terr)?;
    match dec.colortype().map_err(terr)? {
        tiff::ColorType::Gray(_) => {}
        other => {
            return Err(Error::format(
                path,
                format!("only grayscale TIFFs are supported, this one is {other:?}"),
            ))
        }
    }
    let values: Vec<f32> = match dec.read_image().map_err(terr)? {
        DecodingResult::U8(v) => v.into_iter().map(f32::from).collect(),
        DecodingResult::U16(v) => v.into_iter().map(f32::from).collect(),
        DecodingResult::U32(v) => v.into_iter().map(|x| x as f32).collect(),
        DecodingResult::U64(v) => v.into_iter().map(|x| x as f32).collect(),
        DecodingResult::I8(v) => v.into_iter().map(f32::from).collect(),
        DecodingResult::I16(v) => v.into_iter().map(f32::from).collect(),
        DecodingResult::I32(v) => v.into_iter().map(|x| x as f32).collect(),
        DecodingResult::I64(v) => v.into_iter().map(|x| x as f32).collect(),
        DecodingResult::F16(v) => v.into_iter().map(f32::from).collect(),
        DecodingResult::F32(v) => v,
        DecodingResult::F64(v) => v.into_iter().map(|x| x as f32).collect(),
    };
    let (w, h) = (w as usize, h as usize);
    if values.len() != w * h {
        return Err(Error::format(
            path,
            format!(
                "TIFF holds {} samples for a {w} × {h} image (several samples per pixel?)",
                values.len()
            ),
        ));
    }
    let data = Array2::from_shape_vec((h, w), values)
        .map_err(|e| Error::format(path, format!("TIFF layout: {e}")))?;

    // Calibration: ImageJ description (unit, origin) and XResolution.
    let desc = match dec.find_tag(Tag::ImageDescription) {
        Ok(Some(Value::Ascii(s))) => s,
        _ => String::new(),
    };
    let field = |key: &str| -> Option<String> {
        desc.lines().find_map(|l| {
            l.strip_prefix(key)?
                .strip_prefix('=')
                .map(|v| v.trim().to_string())
        })
    };
    let unit_nm = match field("unit").as_deref() {
        Some("nm") | Some("nanometer") => Some(1.0),
        Some("um") | Some("micron") | Some("µm") | Some("\u{3bc}m") | Some("\\u00B5m") | Some("microns") => {
            Some(1000.0)
        }
        _ => None,
    };
    let xres = match dec.find_tag(Tag::XResolution) {
        Ok(Some(Value::Rational(n, d))) if n > 0 && d > 0 => Some(n as f64 / d as f64),
        Ok(Some(Value::Float(x))) if x > 0.0 => Some(x as f64),
        Ok(Some(Value::Double(x))) if x > 0.0 => Some(x),
        _ => None,
    };
    let mut img = Image::new(data, 1.0);
    if let (Some(unit), Some(xres)) = (unit_nm, xres) {
        img.pixel_nm = tidy(unit / xres);
        let origin = |k: &str| field(k).and_then(|v| v.parse::<f64>().ok());
        if let (Some(xo), Some(yo)) = (origin("xorigin"), origin("yorigin")) {
            img.origin_nm = (-xo * img.pixel_nm, -yo * img.pixel_nm);
        }
    }
    Ok(img)
}

/// Load a PNG: grayscale values are the raw stored levels (0..1, 0..3, 0..15,
/// 0..255 or 0..65535 by bit depth); RGB and palette images are converted to
/// ITU-R 601 luma (exact for gray stored as RGB).
pub fn load_png(path: impl AsRef<Path>) -> Result<Image> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    decode_png(BufReader::new(file), path)
}

fn decode_png<R: std::io::BufRead + Seek>(reader: R, path: &Path) -> Result<Image> {
    let perr = |e: png::DecodingError| Error::format(path, format!("not a readable PNG: {e}"));
    // Allow up to 2 GiB of decoded pixels (the default stops at 64 MiB).
    let mut dec = png::Decoder::new_with_limits(reader, png::Limits { bytes: 1 << 31 });
    dec.set_transformations(png::Transformations::EXPAND);
    let mut rd = dec.read_info().map_err(perr)?;
    let size = rd
        .output_buffer_size()
        .ok_or_else(|| Error::format(path, "PNG too large"))?;
    let mut buf = vec![0u8; size];
    let info = rd.next_frame(&mut buf).map_err(perr)?;
    let phys = rd.info().pixel_dims;
    // EXPAND scales 1/2/4-bit gray up to 0..255; undo that to keep the raw levels.
    let src = rd.info();
    let low_gray = matches!(
        src.color_type,
        png::ColorType::Grayscale | png::ColorType::GrayscaleAlpha
    ) && (src.bit_depth as u8) < 8;
    let unscale = if low_gray {
        255.0 / ((1u32 << src.bit_depth as u8) - 1) as f32
    } else {
        1.0
    };
    let (w, h) = (info.width as usize, info.height as usize);
    let channels = info.color_type.samples();
    let sixteen = info.bit_depth == png::BitDepth::Sixteen;
    let bps = if sixteen { 2 } else { 1 };
    let line = info.line_size;
    let sample = |row: &[u8], i: usize| -> f32 {
        if sixteen {
            u16::from_be_bytes([row[2 * i], row[2 * i + 1]]) as f32
        } else {
            row[i] as f32
        }
    };
    let mut values = Vec::with_capacity(w * h);
    for r in 0..h {
        let row = buf
            .get(r * line..r * line + w * channels * bps)
            .ok_or_else(|| Error::format(path, "PNG row shorter than its width"))?;
        for c in 0..w {
            let v = match channels {
                1 | 2 => sample(row, c * channels),
                _ => {
                    let (red, g, b) = (
                        sample(row, c * channels),
                        sample(row, c * channels + 1),
                        sample(row, c * channels + 2),
                    );
                    if red == g && g == b {
                        red
                    } else {
                        0.299 * red + 0.587 * g + 0.114 * b
                    }
                }
            };
            values.push(if low_gray { v / unscale } else { v });
        }
    }
    let data = Array2::from_shape_vec((h, w), values)
        .map_err(|e| Error::format(path, format!("PNG layout: {e}")))?;
    let mut pixel_nm = 1.0;
    if let Some(d) = phys {
        if d.unit == png::Unit::Meter && d.xppu > 0 {
            let p = 1e9 / d.xppu as f64;
            if p < 1e4 {
                pixel_nm = tidy(p);
            }
        }
    }
    Ok(Image::new(data, pixel_nm))
}

/// Load a 2-D NPY array of f32, f64 or integers as f32 (pixel size 1).
pub fn load_npy(path: impl AsRef<Path>) -> Result<Image> {
    let path = path.as_ref();
    let bytes = read_all(path)?;
    let data = read_npy_2d(&bytes, path)?;
    Ok(Image::new(data, 1.0))
}

fn read_npy_2d(bytes: &[u8], path: &Path) -> Result<Array2<f32>> {
    fn try_read<T: ndarray_npy::ReadableElement + Copy>(
        bytes: &[u8],
        conv: impl Fn(T) -> f32,
    ) -> std::result::Result<ArrayD<f32>, ReadNpyError> {
        ArrayD::<T>::read_npy(Cursor::new(bytes)).map(|a| a.mapv(conv))
    }
    type Attempt = fn(&[u8]) -> std::result::Result<ArrayD<f32>, ReadNpyError>;
    let attempts: [Attempt; 9] = [
        |b| try_read::<f32>(b, |x| x),
        |b| try_read::<f64>(b, |x| x as f32),
        |b| try_read::<u8>(b, f32::from),
        |b| try_read::<u16>(b, f32::from),
        |b| try_read::<u32>(b, |x| x as f32),
        |b| try_read::<u64>(b, |x| x as f32),
        |b| try_read::<i16>(b, f32::from),
        |b| try_read::<i32>(b, |x| x as f32),
        |b| try_read::<i64>(b, |x| x as f32),
    ];
    let mut last = None;
    for attempt in attempts {
        match attempt(bytes) {
            Ok(a) => {
                let shape = a.shape().to_vec();
                return a.into_dimensionality::<Ix2>().map_err(|_| {
                    Error::format(
                        path,
                        format!("expected a 2-D array, this one has shape {shape:?}"),
                    )
                });
            }
            Err(ReadNpyError::WrongDescriptor(d)) => last = Some(d),
            Err(e) => return Err(Error::format(path, format!("not a readable NPY file: {e}"))),
        }
    }
    Err(Error::format(
        path,
        format!(
            "unsupported NPY element type {}: expected float32/64 or integers",
            last.map(|d| d.to_string()).unwrap_or_default()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn sample() -> Image {
        let mut img = Image::new(
            Array2::from_shape_fn((5, 7), |(r, c)| (r as f32 - 2.0) * 1.5 + c as f32 * 0.25),
            10.0,
        );
        img.origin_nm = (30.0, -20.0);
        img
    }

    /// `tests/data/frcnet/NAME`: a 512² crop of one of the paper's pairs.
    fn need(name: &str) -> std::path::PathBuf {
        crate::testdata::path(&format!("frcnet/{name}"))
    }

    #[test]
    fn tiff_round_trip_keeps_values_pixel_size_and_origin() {
        let dir = tempfile::tempdir().unwrap();
        for pixel in [10.0, 3.7, 117.25, 0.5] {
            let mut img = sample();
            img.pixel_nm = pixel;
            img.origin_nm = (2.0 * pixel, -3.0 * pixel);
            let p = dir.path().join("a.tif");
            img.save(&p).unwrap();
            let back = load_image(&p).unwrap();
            assert_eq!(back.data, img.data);
            assert!(
                (back.pixel_nm - pixel).abs() < 1e-9 * pixel,
                "{pixel} → {}",
                back.pixel_nm
            );
            assert!((back.origin_nm.0 - img.origin_nm.0).abs() < 1e-6);
            assert!((back.origin_nm.1 - img.origin_nm.1).abs() < 1e-6);
        }
        // no temporary file is left behind
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn tiff_has_imagej_tags() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("b.tiff");
        Image::new(array![[1.0, 2.0]], 10.0).save(&p).unwrap();
        let mut dec = Decoder::new(Cursor::new(std::fs::read(&p).unwrap())).unwrap();
        let desc = dec.get_tag_ascii_string(Tag::ImageDescription).unwrap();
        assert!(desc.starts_with("ImageJ=1.11a\nunit=nm\n"), "{desc:?}");
        assert!(desc.contains("min=1\nmax=2\n"), "{desc:?}");
        assert_eq!(dec.get_tag(Tag::XResolution).unwrap(), Value::Rational(1, 10));
        assert_eq!(dec.get_tag(Tag::YResolution).unwrap(), Value::Rational(1, 10));
        assert_eq!(dec.get_tag_u32(Tag::ResolutionUnit).unwrap(), 1);
        assert_eq!(dec.get_tag_u32(Tag::BitsPerSample).unwrap(), 32);
        assert_eq!(dec.get_tag_u32(Tag::SampleFormat).unwrap(), 3); // IEEE float
    }

    #[test]
    fn tiff_reads_fiji_micron_calibration() {
        // What Fiji writes for a 10.7 nm pixel calibrated in µm.
        let dir = tempfile::tempdir().unwrap();
        for unit in ["micron", "\\u00B5m", "um"] {
            let p = dir.path().join("fiji.tif");
            {
                let f = File::create(&p).unwrap();
                let mut enc = TiffEncoder::new(f).unwrap();
                let mut img = enc.new_image::<tiff::encoder::colortype::Gray16>(2, 1).unwrap();
                let desc = format!("ImageJ=1.54f\nunit={unit}\n");
                img.encoder()
                    .write_tag(Tag::ImageDescription, desc.as_str())
                    .unwrap();
                img.resolution(
                    ResolutionUnit::None,
                    Rational {
                        n: 1_000_000,
                        d: 10_700,
                    },
                );
                img.write_data(&[3, 4]).unwrap();
            }
            let back = load_image(&p).unwrap();
            assert!((back.pixel_nm - 10.7).abs() < 1e-9, "{unit}: {}", back.pixel_nm);
            assert_eq!(back.data, array![[3.0, 4.0]]);
        }
    }

    #[test]
    fn tiff_loads_integer_types() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("u16.tif");
        {
            let f = File::create(&p).unwrap();
            let mut enc = TiffEncoder::new(f).unwrap();
            enc.write_image::<tiff::encoder::colortype::Gray16>(3, 2, &[0, 1, 2, 65535, 4, 5])
                .unwrap();
        }
        let img = load_image(&p).unwrap();
        assert_eq!(img.data, array![[0.0, 1.0, 2.0], [65535.0, 4.0, 5.0]]);
        assert_eq!(img.pixel_nm, 1.0);
        let p8 = dir.path().join("u8.tif");
        {
            let f = File::create(&p8).unwrap();
            let mut enc = TiffEncoder::new(f).unwrap();
            enc.write_image::<tiff::encoder::colortype::Gray8>(2, 1, &[7, 255])
                .unwrap();
        }
        assert_eq!(load_image(&p8).unwrap().data, array![[7.0, 255.0]]);
        let pi = dir.path().join("i32.tif");
        {
            let f = File::create(&pi).unwrap();
            let mut enc = TiffEncoder::new(f).unwrap();
            enc.write_image::<tiff::encoder::colortype::GrayI32>(2, 1, &[-7, 100_000])
                .unwrap();
        }
        assert_eq!(load_image(&pi).unwrap().data, array![[-7.0, 100_000.0]]);
    }

    #[test]
    fn png_round_trips_8_and_16_bit() {
        let dir = tempfile::tempdir().unwrap();
        let img = Image::new(array![[0.0, 1.0, 2.0], [3.0, 4.0, 255.0]], 10.0);
        let p = dir.path().join("a.png");
        img.save(&p).unwrap();
        let back = load_image(&p).unwrap();
        // min 0, max 255: the scaling is the identity, raw counts come back
        assert_eq!(back.data, img.data);
        assert_eq!(back.pixel_nm, 10.0);
        // scaling to full range
        let img2 = Image::new(array![[-1.0, 0.0, 1.0]], 5.0);
        img2.save_png(&p, PngDepth::Eight).unwrap();
        assert_eq!(load_image(&p).unwrap().data, array![[0.0, 128.0, 255.0]]);
        img2.save_png(&p, PngDepth::Sixteen).unwrap();
        let b16 = load_image(&p).unwrap();
        assert_eq!(b16.data, array![[0.0, 32768.0, 65535.0]]);
        assert_eq!(b16.pixel_nm, 5.0);
        // constant image: zeros, no NaN
        Image::new(array![[3.0, 3.0]], 1.0).save(&p).unwrap();
        assert_eq!(load_image(&p).unwrap().data, array![[0.0, 0.0]]);
    }

    #[test]
    fn png_loads_rgb_and_low_bit_depth() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("rgb.png");
        {
            let f = File::create(&p).unwrap();
            let mut enc = png::Encoder::new(f, 2, 1);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            let mut w = enc.write_header().unwrap();
            w.write_image_data(&[9, 9, 9, 100, 0, 0]).unwrap();
        }
        let img = load_image(&p).unwrap();
        assert_eq!(img.data[[0, 0]], 9.0);
        assert!((img.data[[0, 1]] - 29.9).abs() < 1e-4);
        let p1 = dir.path().join("bits.png");
        {
            let f = File::create(&p1).unwrap();
            let mut enc = png::Encoder::new(f, 4, 1);
            enc.set_color(png::ColorType::Grayscale);
            enc.set_depth(png::BitDepth::Four);
            let mut w = enc.write_header().unwrap();
            w.write_image_data(&[0x0F, 0x35]).unwrap();
        }
        // raw 4-bit levels, not EXPAND's 0..255 rescaling
        assert_eq!(load_image(&p1).unwrap().data, array![[0.0, 15.0, 3.0, 5.0]]);
    }

    #[test]
    fn npy_round_trip_and_types() {
        let dir = tempfile::tempdir().unwrap();
        let img = sample();
        let p = dir.path().join("a.npy");
        img.save(&p).unwrap();
        let back = load_image(&p).unwrap();
        assert_eq!(back.data, img.data);
        assert_eq!(back.pixel_nm, 1.0);
        // f64, Fortran order
        let d64 = array![[1.5f64, 2.0], [3.0, 4.25]];
        let f = File::create(&p).unwrap();
        d64.t().write_npy(f).unwrap();
        assert_eq!(load_image(&p).unwrap().data, array![[1.5f32, 3.0], [2.0, 4.25]]);
        // integers
        let f = File::create(&p).unwrap();
        array![[1i64, -2], [3, 4]].write_npy(f).unwrap();
        assert_eq!(load_image(&p).unwrap().data, array![[1.0f32, -2.0], [3.0, 4.0]]);
    }

    #[test]
    fn bad_files_give_errors_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        // 3-D npy
        let p = dir.path().join("cube.npy");
        ndarray::Array3::<f32>::zeros((2, 3, 4))
            .write_npy(File::create(&p).unwrap())
            .unwrap();
        let e = load_image(&p).unwrap_err().to_string();
        assert!(
            e.contains("cube.npy") && e.contains("2-D") && e.contains("[2, 3, 4]"),
            "{e}"
        );
        // not an image
        for name in ["junk.png", "junk.tif", "junk.npy"] {
            let p = dir.path().join(name);
            std::fs::write(&p, b"this is plain text, not an image").unwrap();
            let e = load_image(&p).unwrap_err().to_string();
            assert!(e.contains(name), "{e}");
        }
        // truncated files
        let img = sample();
        for name in ["t.png", "t.tif", "t.npy"] {
            let p = dir.path().join(name);
            img.save(&p).unwrap();
            let bytes = std::fs::read(&p).unwrap();
            std::fs::write(&p, &bytes[..bytes.len() * 2 / 3]).unwrap();
            let e = load_image(&p).unwrap_err().to_string();
            assert!(e.contains(name), "{name}: {e}");
        }
        // missing file, unknown extension
        let e = load_image(dir.path().join("none.tif")).unwrap_err().to_string();
        assert!(e.contains("none.tif"), "{e}");
        let e = load_image(dir.path().join("x.jpg")).unwrap_err().to_string();
        assert!(e.contains("x.jpg") && e.contains(".tif"), "{e}");
        assert!(img.save(dir.path().join("x.bmp")).is_err());
        // failed save leaves no file
        assert!(img.save(dir.path().join("no/such/dir/a.tif")).is_err());
    }

    #[test]
    fn real_frcnet_pairs_load_with_raw_counts() {
        // Values checked with PIL + numpy: np.array(Image.open(f))[row, col].
        // Values read independently with Pillow (row, col in numpy order).
        let sub = load_image(need("spot01_sub.png")).unwrap();
        assert_eq!((sub.width(), sub.height()), (512, 512));
        assert_eq!(sub.get(428, 107).unwrap(), 5.0);
        assert_eq!(sub.max().unwrap(), 5.0);
        assert_eq!(sub.sum(), 17_987.0);
        let full = load_image(need("spot01_full.png")).unwrap();
        assert_eq!((full.width(), full.height()), (512, 512));
        assert_eq!(full.get(133, 126).unwrap(), 65172.0);
        assert_eq!(full.get(0, 0).unwrap(), 264.0);
        assert_eq!(full.get(200, 100).unwrap(), 262.0);
        assert_eq!(full.get(400, 300).unwrap(), 230.0);
        assert_eq!(full.sum(), 1_649_737_198.0);
    }
}
