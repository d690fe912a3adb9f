//! Localization tables: the [`Locs`] type, its columns and metadata (docs/methods.md §1).
//!
//! A table is columnar: `frame` (u32, from 0), `x`, `y` (f32, nm) are always
//! present; every other column is kept by name with its original type
//! ([`ColumnData`]: u32, i32, i64, f32 or f64), so that load → save loses
//! nothing. In memory, lengths are in nm: Picasso's pixel columns (x, y, sx,
//! sy, lpx, lpy) are converted on load and back on save ([`picasso`]);
//! ThunderSTORM tables are in nm already ([`thunderstorm`]).
//!
//! Every table carries [`Metadata`]: camera pixel size, field of view, frame
//! count, source and the history of operations applied. Subsets, splits and
//! crops ([`select`]) inherit the field of view and pixel size, so that all
//! of them render on the same grid ([`render`], docs/methods.md §2).
//!
//! Operations never modify a table: they return a new one (the scripting
//! layer shares tables behind an `Arc`).

pub mod picasso;
pub mod render;
pub mod select;
pub mod series;
pub mod simulate;
pub mod thunderstorm;

pub use render::{Blur, RenderOptions, RenderOrigin};
pub use select::SplitMode;
pub use series::{Describe, Dtype, Mask, Series};
pub use simulate::{simulate_microtubules, SimOptions, Simulation};

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// The values of one extra column, in the type it had in its file.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnData {
    /// Unsigned 32-bit integers (HDF5 `u4`).
    U32(Vec<u32>),
    /// Signed 32-bit integers (HDF5 `i4`, e.g. Picasso's `group`, `iterations`).
    I32(Vec<i32>),
    /// Signed 64-bit integers (HDF5 `i8`).
    I64(Vec<i64>),
    /// 32-bit floats (HDF5 `f4`, most Picasso columns).
    F32(Vec<f32>),
    /// 64-bit floats (HDF5 `f8`; every extra ThunderSTORM CSV column).
    F64(Vec<f64>),
}

/// Apply `$body` to the vector inside any [`ColumnData`] variant, rewrapping
/// the result in the same variant.
macro_rules! map_column {
    ($data:expr, $v:ident => $body:expr) => {
        match $data {
            ColumnData::U32($v) => ColumnData::U32($body),
            ColumnData::I32($v) => ColumnData::I32($body),
            ColumnData::I64($v) => ColumnData::I64($body),
            ColumnData::F32($v) => ColumnData::F32($body),
            ColumnData::F64($v) => ColumnData::F64($body),
        }
    };
}

impl ColumnData {
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            ColumnData::U32(v) => v.len(),
            ColumnData::I32(v) => v.len(),
            ColumnData::I64(v) => v.len(),
            ColumnData::F32(v) => v.len(),
            ColumnData::F64(v) => v.len(),
        }
    }

    /// Whether the column has no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The numpy-style type name: `u4`, `i4`, `i8`, `f4` or `f8`.
    pub fn dtype(&self) -> &'static str {
        match self {
            ColumnData::U32(_) => "u4",
            ColumnData::I32(_) => "i4",
            ColumnData::I64(_) => "i8",
            ColumnData::F32(_) => "f4",
            ColumnData::F64(_) => "f8",
        }
    }

    /// Value `i` as f64 (exact for every type except i64 beyond 2^53).
    /// Panics when `i` is out of range (callers index within `len`).
    pub fn get_f64(&self, i: usize) -> f64 {
        match self {
            ColumnData::U32(v) => v[i] as f64,
            ColumnData::I32(v) => v[i] as f64,
            ColumnData::I64(v) => v[i] as f64,
            ColumnData::F32(v) => v[i] as f64,
            ColumnData::F64(v) => v[i],
        }
    }

    /// All values as f64.
    pub fn to_f64(&self) -> Vec<f64> {
        match self {
            ColumnData::U32(v) => v.iter().map(|&a| a as f64).collect(),
            ColumnData::I32(v) => v.iter().map(|&a| a as f64).collect(),
            ColumnData::I64(v) => v.iter().map(|&a| a as f64).collect(),
            ColumnData::F32(v) => v.iter().map(|&a| a as f64).collect(),
            ColumnData::F64(v) => v.clone(),
        }
    }

    /// The values at `idx`, in that order (indices must be < `len`).
    pub fn take(&self, idx: &[usize]) -> ColumnData {
        map_column!(self, v => idx.iter().map(|&i| v[i]).collect())
    }

    /// Values `range` of the column.
    pub fn slice(&self, range: std::ops::Range<usize>) -> ColumnData {
        map_column!(self, v => v[range].to_vec())
    }
}

/// One extra column: name, optional unit and values.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Column name (`photons`, `sx`, `group`, ...).
    pub name: String,
    /// Unit, when the source named one (`"nm"` for lengths; ThunderSTORM's
    /// `[photon]`). Written back into ThunderSTORM headers.
    pub unit: Option<String>,
    /// The values.
    pub data: ColumnData,
}

/// Columns whose Picasso values are in camera pixels (stored here in nm).
pub const PIXEL_COLUMNS: [&str; 6] = ["x", "y", "sx", "sy", "lpx", "lpy"];

/// The columns of the usual Picasso and ThunderSTORM tables as a loaded
/// [`Locs`] holds them: (name, unit in memory, meaning). Picasso stores
/// lengths in camera pixels; locus converts [`PIXEL_COLUMNS`] (and `z`) to
/// nm on loading and back on saving. Other columns keep the file's values
/// and, for ThunderSTORM, the unit of the header.
pub const KNOWN_COLUMNS: &[(&str, &str, &str)] = &[
    (
        "frame",
        "frame",
        "camera frame, from 0 (ThunderSTORM files count from 1)",
    ),
    ("x, y", "nm", "position (Picasso: camera px × pixel size)"),
    ("photons", "photons", "Picasso: fitted photon count"),
    (
        "sx, sy",
        "nm",
        "Picasso: fitted PSF standard deviation (px in the file)",
    ),
    ("bg", "photons/px", "Picasso: fitted background per camera pixel"),
    (
        "lpx, lpy",
        "nm",
        "localization precision (Picasso: px in the file; ThunderSTORM: uncertainty_xy [nm])",
    ),
    ("ellipticity", "", "Picasso: (max - min) / max of sx, sy"),
    ("net_gradient", "", "Picasso: detection score"),
    ("z", "nm", "Picasso 3-D: axial position"),
    (
        "group",
        "",
        "Picasso: group index (picked or linked localizations)",
    ),
    (
        "len, n",
        "frames, count",
        "linked events (locs.link): length in frames, localizations merged",
    ),
    (
        "intensity",
        "photon",
        "ThunderSTORM, kept with its header's unit, as sigma [nm], offset, bkgstd [photon], chi2",
    ),
];

/// What a table knows about its acquisition and its past.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Metadata {
    /// Camera pixel size in nm (Picasso `Pixelsize`); `None` when unknown
    /// (a ThunderSTORM table loaded without `pixel_nm`).
    pub pixel_nm: Option<f64>,
    /// Field of view width in nm (Picasso: `Width` × pixel size).
    pub width_nm: f64,
    /// Field of view height in nm (Picasso: `Height` × pixel size).
    pub height_nm: f64,
    /// Number of frames of the acquisition (Picasso `Frames`); frames run 0..n_frames.
    pub n_frames: u32,
    /// The file the table came from, if any.
    pub source: Option<PathBuf>,
    /// Operations applied, oldest first (`load(...)`, `select(...)`, ...).
    pub history: Vec<String>,
    /// Raw text of the YAML documents read beside a Picasso file, kept so
    /// that saving preserves the processing history of other tools.
    pub yaml_documents: Vec<String>,
}

/// A localization table (see the module documentation).
#[derive(Debug, Clone, PartialEq)]
pub struct Locs {
    frame: Vec<u32>,
    x: Vec<f32>,
    y: Vec<f32>,
    extra: Vec<Column>,
    /// Pixel size, field of view, frame count, source and history.
    pub meta: Metadata,
    /// How to write the pixel columns read from a Picasso file back bit for
    /// bit (see [`PixelHints`]).
    hints: PixelHints,
}

/// What it takes to write the pixel columns of a Picasso file back exactly.
///
/// A pixel value `v` (f32) is held in nm as `fl32(v · p)`. Going back,
/// `fl32(nm / p)` is `v` for most values, but not for all: where the nm
/// values' binade is relatively coarser, two pixel values share one nm value
/// and no f32 nm value can tell them apart. For each pixel column that has
/// such values, the loader keeps one `i8` per row: how many ulps (as bit
/// offsets) the file's value lies from `fl32(nm / p)`; 0 elsewhere. Row
/// operations carry the offsets along; replacing a column drops its offsets.
///
/// The writer only uses an offset when the value it gives still maps to the
/// row's current nm value (`fl32(candidate · p) == nm`), so an offset can
/// never make a written value wrong: a changed value, or another pixel size,
/// falls back to `fl32(nm / p)`. Hints take no part in table equality.
#[derive(Debug, Clone, Default)]
pub(crate) struct PixelHints {
    /// The camera pixel size the offsets were computed with.
    pub(crate) pixel_nm: f64,
    /// Per column name (`x`, `y`, `lpx`, ...): the offsets, one per row.
    pub(crate) cols: Vec<(String, Vec<i8>)>,
}

impl PartialEq for PixelHints {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl PixelHints {
    /// The offsets of column `name`, when the pixel size is `p`.
    pub(crate) fn get(&self, name: &str, p: f64) -> Option<&[i8]> {
        if self.pixel_nm != p {
            return None;
        }
        self.cols
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    fn take(&self, idx: &[usize]) -> PixelHints {
        PixelHints {
            pixel_nm: self.pixel_nm,
            cols: self
                .cols
                .iter()
                .map(|(n, v)| (n.clone(), idx.iter().map(|&i| v[i]).collect()))
                .collect(),
        }
    }

    fn drop_column(&mut self, name: &str) {
        self.cols.retain(|(n, _)| n != name);
    }
}

/// What loading a file noticed without failing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadReport {
    /// Rows dropped because x or y was NaN or infinite.
    pub dropped_nonfinite: usize,
    /// Human-readable warnings (dropped rows, widened column types, ...).
    pub warnings: Vec<String>,
}

impl Locs {
    /// A table from its three required columns. `meta.n_frames` is raised to
    /// cover the largest frame; a zero field of view width or height is set
    /// from the data (largest coordinate rounded up to a whole camera pixel,
    /// or nm when the pixel size is unknown).
    ///
    /// Errors when the lengths differ.
    pub fn new(frame: Vec<u32>, x: Vec<f32>, y: Vec<f32>, mut meta: Metadata) -> Result<Locs> {
        if frame.len() != x.len() || x.len() != y.len() {
            return Err(Error::Shape(format!(
                "frame, x, y must have equal lengths, got {}, {}, {}",
                frame.len(),
                x.len(),
                y.len()
            )));
        }
        if let Some(&m) = frame.iter().max() {
            meta.n_frames = meta.n_frames.max(m.saturating_add(1));
        }
        let mut l = Locs {
            frame,
            x,
            y,
            extra: Vec::new(),
            meta,
            hints: PixelHints::default(),
        };
        l.fov_from_data_if_unset();
        Ok(l)
    }

    /// An empty table with the given metadata.
    pub fn empty(meta: Metadata) -> Locs {
        Locs {
            frame: Vec::new(),
            x: Vec::new(),
            y: Vec::new(),
            extra: Vec::new(),
            meta,
            hints: PixelHints::default(),
        }
    }

    /// Add (or replace) an extra column. Errors when the name is `frame`,
    /// `x` or `y`, or the length differs from the table's.
    pub fn add_column(&mut self, name: &str, unit: Option<&str>, data: ColumnData) -> Result<()> {
        if matches!(name, "frame" | "x" | "y") || name.is_empty() {
            return Err(Error::arg(
                "name",
                format!("'{name}' is reserved: frame, x and y are built-in columns"),
            ));
        }
        if data.len() != self.len() {
            return Err(Error::Shape(format!(
                "column '{name}' has {} values, the table has {} rows",
                data.len(),
                self.len()
            )));
        }
        let col = Column {
            name: name.to_string(),
            unit: unit.map(str::to_string),
            data,
        };
        // New values: the file's pixel values no longer apply.
        self.hints.drop_column(name);
        match self.extra.iter_mut().find(|c| c.name == name) {
            Some(c) => *c = col,
            None => self.extra.push(col),
        }
        Ok(())
    }

    /// Number of localizations.
    pub fn len(&self) -> usize {
        self.x.len()
    }

    /// Whether the table has no localizations.
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    /// Frame of each localization (from 0).
    pub fn frame(&self) -> &[u32] {
        &self.frame
    }

    /// x of each localization, nm.
    pub fn x(&self) -> &[f32] {
        &self.x
    }

    /// y of each localization, nm.
    pub fn y(&self) -> &[f32] {
        &self.y
    }

    /// The extra columns, in file order.
    pub fn extra_columns(&self) -> &[Column] {
        &self.extra
    }

    /// The extra column `name`, if present.
    pub fn extra(&self, name: &str) -> Option<&Column> {
        self.extra.iter().find(|c| c.name == name)
    }

    /// Column names: `frame`, `x`, `y`, then the extra columns in file order.
    pub fn columns(&self) -> Vec<String> {
        let mut v = vec!["frame".to_string(), "x".to_string(), "y".to_string()];
        v.extend(self.extra.iter().map(|c| c.name.clone()));
        v
    }

    /// A copy of column `name` as f64 (lengths in nm, frames from 0).
    /// Errors for an unknown name, listing the columns.
    pub fn column(&self, name: &str) -> Result<Vec<f64>> {
        Ok(match name {
            "frame" => self.frame.iter().map(|&f| f as f64).collect(),
            "x" => self.x.iter().map(|&v| v as f64).collect(),
            "y" => self.y.iter().map(|&v| v as f64).collect(),
            _ => self.extra_or_err(name)?.data.to_f64(),
        })
    }

    pub(crate) fn extra_or_err(&self, name: &str) -> Result<&Column> {
        self.extra(name).ok_or_else(|| {
            Error::arg(
                "column",
                format!("no column '{name}'; the table has: {}", self.columns().join(", ")),
            )
        })
    }

    /// Camera pixel size in nm, when known.
    pub fn pixel_nm(&self) -> Option<f64> {
        self.meta.pixel_nm
    }

    /// The same table with camera pixel size `pixel_nm` (e.g. a ThunderSTORM
    /// table to be saved as a Picasso file). Errors unless positive and finite.
    pub fn with_pixel_nm(&self, pixel_nm: f64) -> Result<Locs> {
        if !(pixel_nm.is_finite() && pixel_nm > 0.0) {
            return Err(Error::arg(
                "pixel_nm",
                format!("must be a positive number, got {pixel_nm}"),
            ));
        }
        let mut l = self.clone();
        l.meta.pixel_nm = Some(pixel_nm);
        l.meta.history.push(format!("with_pixel_nm({pixel_nm})"));
        Ok(l)
    }

    /// Field of view width, nm.
    pub fn width_nm(&self) -> f64 {
        self.meta.width_nm
    }

    /// Field of view height, nm.
    pub fn height_nm(&self) -> f64 {
        self.meta.height_nm
    }

    /// Number of frames of the acquisition.
    pub fn n_frames(&self) -> u32 {
        self.meta.n_frames
    }

    /// The rows `idx` (each < `len`, in that order) as a new table with the
    /// same metadata and `op` appended to the history.
    pub(crate) fn take(&self, idx: &[usize], op: String) -> Locs {
        let mut meta = self.meta.clone();
        meta.history.push(op);
        Locs {
            frame: idx.iter().map(|&i| self.frame[i]).collect(),
            x: idx.iter().map(|&i| self.x[i]).collect(),
            y: idx.iter().map(|&i| self.y[i]).collect(),
            extra: self
                .extra
                .iter()
                .map(|c| Column {
                    name: c.name.clone(),
                    unit: c.unit.clone(),
                    data: c.data.take(idx),
                })
                .collect(),
            meta,
            hints: self.hints.take(idx),
        }
    }

    /// The rows where `keep` is true (`keep.len() == len`).
    pub(crate) fn filter(&self, keep: &[bool], op: String) -> Locs {
        let idx: Vec<usize> = keep
            .iter()
            .enumerate()
            .filter_map(|(i, &k)| k.then_some(i))
            .collect();
        self.take(&idx, op)
    }

    /// Drop rows whose x or y is NaN or infinite; returns how many.
    pub(crate) fn drop_nonfinite(&mut self) -> usize {
        use rayon::prelude::*;
        let all_finite = self
            .x
            .par_chunks(1 << 16)
            .zip(self.y.par_chunks(1 << 16))
            .all(|(a, b)| a.iter().chain(b).all(|v| v.is_finite()));
        if all_finite {
            return 0;
        }
        let keep: Vec<bool> = self
            .x
            .iter()
            .zip(&self.y)
            .map(|(a, b)| a.is_finite() && b.is_finite())
            .collect();
        let dropped = keep.iter().filter(|k| !**k).count();
        if dropped > 0 {
            let history = std::mem::take(&mut self.meta.history);
            let mut kept = self.filter(&keep, String::new());
            kept.meta.history = history;
            *self = kept;
        }
        dropped
    }

    /// Set the field of view from the data when it is unknown (zero): the
    /// largest x and y, rounded up to whole camera pixels when the pixel size
    /// is known, else to whole nm.
    pub(crate) fn fov_from_data_if_unset(&mut self) {
        let step = self.meta.pixel_nm.unwrap_or(1.0);
        let up = |m: f32| -> f64 {
            if m.is_finite() && m > 0.0 {
                ((m as f64) / step).floor().max(0.0) * step + step
            } else {
                0.0
            }
        };
        if self.meta.width_nm <= 0.0 {
            self.meta.width_nm = up(self.x.iter().copied().fold(f32::NEG_INFINITY, f32::max));
        }
        if self.meta.height_nm <= 0.0 {
            self.meta.height_nm = up(self.y.iter().copied().fold(f32::NEG_INFINITY, f32::max));
        }
    }

    /// Load a table: Picasso `.hdf5` (with its `.yaml`) or ThunderSTORM `.csv`.
    ///
    /// * `pixel_nm`: camera pixel size in nm; overrides the YAML `Pixelsize`
    ///   and is required for a Picasso file without one. For a CSV it only
    ///   sets the metadata.
    /// * `format`: `"picasso"` / `"hdf5"` or `"thunderstorm"` / `"csv"`;
    ///   default from the extension.
    ///
    /// Rows with a NaN or infinite x or y are dropped and counted in the
    /// returned [`LoadReport`]. The history starts with `load("<path>")`.
    pub fn load(
        path: impl AsRef<Path>,
        pixel_nm: Option<f64>,
        format: Option<&str>,
    ) -> Result<(Locs, LoadReport)> {
        let path = path.as_ref();
        if let Some(p) = pixel_nm {
            if !(p.is_finite() && p > 0.0) {
                return Err(Error::arg(
                    "pixel_nm",
                    format!("must be a positive number, got {p}"),
                ));
            }
        }
        let fmt = match format {
            Some(f) => Format::from_name(f)?,
            None => Format::from_path(path)?,
        };
        let (mut locs, mut report) = match fmt {
            Format::Picasso => picasso::read(path, pixel_nm)?,
            Format::ThunderStorm => thunderstorm::read(path, pixel_nm)?,
        };
        let dropped = locs.drop_nonfinite();
        if dropped > 0 {
            report.dropped_nonfinite = dropped;
            report.warnings.push(format!(
                "{}: dropped {dropped} localization(s) with NaN or infinite x/y",
                path.display()
            ));
        }
        locs.meta.source = Some(path.to_path_buf());
        locs.meta.history.push(format!("load(\"{}\")", path.display()));
        Ok((locs, report))
    }

    /// Save the table, format from the extension: `.hdf5`/`.h5` writes a
    /// Picasso file and its `.yaml`; `.csv` a ThunderSTORM table. Written
    /// atomically (temporary file in the same folder, then renamed).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        match Format::from_path(path)? {
            Format::Picasso => picasso::write(self, path),
            Format::ThunderStorm => thunderstorm::write(self, path),
        }
    }
}

impl std::fmt::Display for Locs {
    /// One line: count, frames, field of view, camera pixel size, columns.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let px = self
            .pixel_nm()
            .map(|p| format!("{} nm camera pixels", crate::fmt::float_short(p)))
            .unwrap_or_else(|| "no pixel size".into());
        write!(
            f,
            "Locs {} localizations, {} frames, field {} × {} nm, {px}, columns [{}]",
            self.len(),
            self.n_frames(),
            crate::fmt::float(self.width_nm()),
            crate::fmt::float(self.height_nm()),
            self.columns().join(", ")
        )
    }
}

/// The file formats locus reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Picasso HDF5 + YAML.
    Picasso,
    /// ThunderSTORM CSV.
    ThunderStorm,
}

impl Format {
    /// Parse a format name (`picasso`, `hdf5`, `thunderstorm`, `csv`).
    pub fn from_name(name: &str) -> Result<Format> {
        match name.to_ascii_lowercase().as_str() {
            "picasso" | "hdf5" | "h5" => Ok(Format::Picasso),
            "thunderstorm" | "csv" => Ok(Format::ThunderStorm),
            _ => Err(Error::arg(
                "format",
                format!("unknown format '{name}'; expected \"picasso\" (or \"hdf5\") or \"thunderstorm\" (or \"csv\")"),
            )),
        }
    }

    /// The format a file extension implies.
    pub fn from_path(path: &Path) -> Result<Format> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            "hdf5" | "h5" => Ok(Format::Picasso),
            "csv" => Ok(Format::ThunderStorm),
            _ => Err(Error::arg(
                "path",
                format!(
                    "{}: unknown extension '.{ext}'; expected .hdf5 (Picasso) or .csv (ThunderSTORM), \
                     or pass #{{ format: ... }}",
                    path.display()
                ),
            )),
        }
    }
}

/// The temporary name a file is written to before being renamed over `path`.
pub(crate) fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(format!(".tmp-{}", std::process::id()));
    path.with_file_name(name)
}

/// nm value of a pixel coordinate, computed in f64 and rounded once to f32.
///
/// Pixel → nm → pixel in f32 is exact for most values and within 1 ulp for
/// all: where the nm values' binade is relatively coarser than the pixel
/// values', two pixel values share one nm value, so no f32 nm representation
/// can be exact there.
pub(crate) fn px_to_nm_f32(v: f32, p: f64) -> f32 {
    (v as f64 * p) as f32
}

/// Pixel value of an nm coordinate (f32).
pub(crate) fn nm_to_px_f32(v: f32, p: f64) -> f32 {
    (v as f64 / p) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Locs {
        let meta = Metadata {
            pixel_nm: Some(100.0),
            width_nm: 1000.0,
            height_nm: 500.0,
            ..Default::default()
        };
        let mut l = Locs::new(vec![0, 1, 5], vec![1.0, 2.0, 3.0], vec![4.0, 5.0, 6.0], meta).unwrap();
        l.add_column("group", None, ColumnData::I32(vec![-1, 0, 7]))
            .unwrap();
        l
    }

    #[test]
    fn new_checks_lengths_and_frames() {
        assert!(Locs::new(vec![0], vec![1.0, 2.0], vec![1.0], Metadata::default()).is_err());
        let l = small();
        assert_eq!(l.n_frames(), 6);
        assert_eq!(
            l.to_string(),
            "Locs 3 localizations, 6 frames, field 1000.0 × 500.0 nm, 100 nm camera pixels, columns [frame, x, y, group]"
        );
        // Without a field of view, it comes from the data (whole nm without a pixel size).
        let d = Locs::new(vec![0, 0], vec![3.5, 10.0], vec![0.2, 7.0], Metadata::default()).unwrap();
        assert_eq!((d.width_nm(), d.height_nm()), (11.0, 8.0));
        assert_eq!(l.columns(), vec!["frame", "x", "y", "group"]);
        assert_eq!(l.column("group").unwrap(), vec![-1.0, 0.0, 7.0]);
        assert_eq!(l.column("frame").unwrap(), vec![0.0, 1.0, 5.0]);
        let e = l.column("photons").unwrap_err().to_string();
        assert!(e.contains("photons") && e.contains("frame, x, y, group"), "{e}");
    }

    #[test]
    fn add_column_rejects_bad() {
        let mut l = small();
        assert!(l.add_column("x", None, ColumnData::F32(vec![0.0; 3])).is_err());
        assert!(l.add_column("a", None, ColumnData::F32(vec![0.0; 2])).is_err());
        l.add_column("group", None, ColumnData::U32(vec![1, 2, 3]))
            .unwrap();
        assert_eq!(l.extra_columns().len(), 1);
    }

    #[test]
    fn take_and_nonfinite() {
        let mut l = small();
        l.x[1] = f32::NAN;
        assert_eq!(l.drop_nonfinite(), 1);
        assert_eq!(l.x(), &[1.0, 3.0]);
        assert_eq!(l.column("group").unwrap(), vec![-1.0, 7.0]);
        let t = l.take(&[1, 0], "t".into());
        assert_eq!(t.frame(), &[5, 0]);
        assert_eq!(t.meta.history.last().map(String::as_str), Some("t"));
    }

    #[test]
    fn px_nm_round_trip_within_one_ulp() {
        let mut inexact = 0;
        for i in 0..200_000u32 {
            let v = (i as f32) * 0.002_561_3 + 0.001;
            for p in [108.0, 130.0, 160.0] {
                let back = nm_to_px_f32(px_to_nm_f32(v, p), p);
                assert!((back.to_bits() as i64 - v.to_bits() as i64).abs() <= 1, "{v} {p}");
                inexact += (back != v) as usize;
            }
        }
        assert!(inexact < 600_000 / 8, "{inexact}");
    }

    #[test]
    fn formats() {
        assert_eq!(Format::from_path(Path::new("a/b.HDF5")).unwrap(), Format::Picasso);
        assert_eq!(
            Format::from_path(Path::new("b.csv")).unwrap(),
            Format::ThunderStorm
        );
        assert!(Format::from_path(Path::new("b.txt"))
            .unwrap_err()
            .to_string()
            .contains(".txt"));
        assert!(Format::from_name("tiff").is_err());
        assert!(Locs::load("x.hdf5", Some(-1.0), None)
            .unwrap_err()
            .to_string()
            .contains("pixel_nm"));
    }
}
