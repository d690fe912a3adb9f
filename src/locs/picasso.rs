//! Picasso localization files: an HDF5 file with a 1-D compound dataset
//! `locs` and a `.yaml` file beside it (docs/methods.md §1).
//!
//! Reading takes the field names, types (u4, i4, i8, f4, f8; u1/u2/i1/i2 are
//! widened to i4) and byte offsets from the file, for contiguous or chunked
//! (gzip) storage. x, y, sx, sy, lpx, lpy are camera pixels in the file and nm
//! in memory. The YAML holds several documents; `Pixelsize`, `Width`,
//! `Height` and `Frames` are the top-level keys of the last document that has
//! them (so `Camera.Pixelsize` is not used).
//!
//! Writing follows Picasso (`picasso.io.save_locs`): packed records in one
//! contiguous compound dataset `locs`, and the YAML documents read with the
//! table followed by one describing what locus did (with `Width`, `Height`,
//! `Frames`, `Pixelsize` and the list of operations). A table without earlier
//! documents gets a first document with the camera keys Picasso's readers
//! expect there. Files are readable by h5py and `pandas.read_hdf(path, key="locs")`.
//!
//! rust-hdf5 (pure Rust) is used only in this file.

use super::{
    nm_to_px_f32, px_to_nm_f32, temp_path, Column, ColumnData, LoadReport, Locs, Metadata, PIXEL_COLUMNS,
};
use crate::error::{Error, Result};
use rayon::prelude::*;
use rust_hdf5::format::messages::datatype::{ByteOrder, DatatypeMessage};
use rust_hdf5::types::CompoundType;
use rust_hdf5::H5File;
use std::path::{Path, PathBuf};
use yaml_rust2::{Yaml, YamlEmitter, YamlLoader};

/// The `.yaml` file that belongs to a Picasso `.hdf5`.
pub fn yaml_path(path: &Path) -> PathBuf {
    path.with_extension("yaml")
}

/// The acquisition keys found in a Picasso YAML file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct YamlInfo {
    /// Raw text of each document.
    pub documents: Vec<String>,
    /// `Pixelsize` (nm) of the last document that has it.
    pub pixel_nm: Option<f64>,
    /// `Width` (camera pixels).
    pub width_px: Option<f64>,
    /// `Height` (camera pixels).
    pub height_px: Option<f64>,
    /// `Frames`.
    pub frames: Option<f64>,
}

/// Split YAML text into documents at `---` lines (a `...` end marker is dropped).
pub fn split_documents(text: &str) -> Vec<String> {
    let mut docs = Vec::new();
    let mut cur = String::new();
    for line in text.lines() {
        if line == "---" || line.starts_with("--- ") {
            if !cur.trim().is_empty() {
                docs.push(std::mem::take(&mut cur));
            }
            cur.clear();
            if let Some(rest) = line.strip_prefix("--- ") {
                cur.push_str(rest);
                cur.push('\n');
            }
        } else if line == "..." {
            continue;
        } else {
            cur.push_str(line);
            cur.push('\n');
        }
    }
    if !cur.trim().is_empty() {
        docs.push(cur);
    }
    docs
}

fn yaml_number(y: &Yaml) -> Option<f64> {
    match y {
        Yaml::Integer(i) => Some(*i as f64),
        Yaml::Real(_) => y.as_f64(),
        Yaml::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Parse a Picasso YAML text (`path` only names it in errors).
pub fn parse_yaml(text: &str, path: &Path) -> Result<YamlInfo> {
    let documents = split_documents(text);
    let mut parsed = Vec::with_capacity(documents.len());
    for (i, d) in documents.iter().enumerate() {
        let docs = YamlLoader::load_from_str(d)
            .map_err(|e| Error::format(path, format!("YAML document {}: {e}", i + 1)))?;
        parsed.push(docs.into_iter().next().unwrap_or(Yaml::Null));
    }
    let last = |key: &str| -> Option<f64> { parsed.iter().rev().find_map(|d| yaml_number(&d[key])) };
    Ok(YamlInfo {
        pixel_nm: last("Pixelsize"),
        width_px: last("Width"),
        height_px: last("Height"),
        frames: last("Frames"),
        documents,
    })
}

/// A short name for an HDF5 datatype (`f4`, `i8`, `string`, ...).
fn describe(dt: &DatatypeMessage) -> String {
    match dt {
        DatatypeMessage::FixedPoint { size, signed, .. } => {
            format!("{}{size}", if *signed { "i" } else { "u" })
        }
        DatatypeMessage::FloatingPoint { size, .. } => format!("f{size}"),
        DatatypeMessage::FixedString { .. } | DatatypeMessage::VarLenString { .. } => "string".into(),
        DatatypeMessage::Compound { .. } => "compound".into(),
        DatatypeMessage::Enum { .. } => "enum".into(),
        DatatypeMessage::Array { .. } => "array".into(),
        DatatypeMessage::BitField { .. } => "bit field".into(),
        DatatypeMessage::Opaque { .. } => "opaque".into(),
        DatatypeMessage::Reference { .. } => "reference".into(),
        DatatypeMessage::VarLenSequence { .. } => "variable-length sequence".into(),
    }
}

fn h5err(path: &Path, what: &str, e: rust_hdf5::Hdf5Error) -> Error {
    Error::format(path, format!("{what}: {e}"))
}

/// The element types locus decodes.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    U(u32),
    I(u32),
    F(u32),
}

fn member_kind(dt: &DatatypeMessage) -> Option<(Kind, bool)> {
    match dt {
        DatatypeMessage::FixedPoint {
            size,
            byte_order,
            signed,
            ..
        } if matches!(size, 1 | 2 | 4 | 8) => Some((
            if *signed { Kind::I(*size) } else { Kind::U(*size) },
            *byte_order == ByteOrder::BigEndian,
        )),
        DatatypeMessage::FloatingPoint { size, byte_order, .. } if matches!(size, 4 | 8) => {
            Some((Kind::F(*size), *byte_order == ByteOrder::BigEndian))
        }
        _ => None,
    }
}

/// The column type a field decodes into (narrow integers widen to i4, u8 to i8).
fn output_for(kind: Kind, n: usize) -> ColumnData {
    match kind {
        Kind::U(4) => ColumnData::U32(vec![0; n]),
        Kind::I(8) | Kind::U(8) => ColumnData::I64(vec![0; n]),
        Kind::F(4) => ColumnData::F32(vec![0.0; n]),
        Kind::F(8) => ColumnData::F64(vec![0.0; n]),
        _ => ColumnData::I32(vec![0; n]),
    }
}

/// A mutable run of rows of one output column.
enum OutSlice<'a> {
    U32(&'a mut [u32]),
    I32(&'a mut [i32]),
    I64(&'a mut [i64]),
    F32(&'a mut [f32]),
    F64(&'a mut [f64]),
}

/// `c` cut into runs of `rows` rows.
fn runs(c: &mut ColumnData, rows: usize) -> Vec<OutSlice<'_>> {
    match c {
        ColumnData::U32(v) => v.chunks_mut(rows).map(OutSlice::U32).collect(),
        ColumnData::I32(v) => v.chunks_mut(rows).map(OutSlice::I32).collect(),
        ColumnData::I64(v) => v.chunks_mut(rows).map(OutSlice::I64).collect(),
        ColumnData::F32(v) => v.chunks_mut(rows).map(OutSlice::F32).collect(),
        ColumnData::F64(v) => v.chunks_mut(rows).map(OutSlice::F64).collect(),
    }
}

/// Decode one field of the packed records `rec` (`stride` bytes each) into
/// `out[row0..]`. Returns false when a u8 value does not fit in i8.
fn decode_into(
    rec: &[u8],
    stride: usize,
    off: usize,
    kind: Kind,
    be: bool,
    out: &mut OutSlice<'_>,
    row0: usize,
) -> bool {
    fn field<const N: usize>(r: &[u8], off: usize) -> [u8; N] {
        let mut a = [0u8; N];
        a.copy_from_slice(&r[off..off + N]);
        a
    }
    macro_rules! fill {
        ($dst:expr, $t:ty, $n:literal, $conv:expr) => {{
            for (d, r) in $dst[row0..].iter_mut().zip(rec.chunks_exact(stride)) {
                let a = field::<$n>(r, off);
                let v = if be {
                    <$t>::from_be_bytes(a)
                } else {
                    <$t>::from_le_bytes(a)
                };
                *d = $conv(v);
            }
        }};
    }
    let mut ok = true;
    match (kind, out) {
        (Kind::U(4), OutSlice::U32(d)) => fill!(d, u32, 4, |v| v),
        (Kind::I(4), OutSlice::I32(d)) => fill!(d, i32, 4, |v| v),
        (Kind::I(8), OutSlice::I64(d)) => fill!(d, i64, 8, |v| v),
        (Kind::F(4), OutSlice::F32(d)) => fill!(d, f32, 4, |v| v),
        (Kind::F(8), OutSlice::F64(d)) => fill!(d, f64, 8, |v| v),
        (Kind::U(1), OutSlice::I32(d)) => fill!(d, u8, 1, i32::from),
        (Kind::I(1), OutSlice::I32(d)) => fill!(d, i8, 1, i32::from),
        (Kind::U(2), OutSlice::I32(d)) => fill!(d, u16, 2, i32::from),
        (Kind::I(2), OutSlice::I32(d)) => fill!(d, i16, 2, i32::from),
        (Kind::U(8), OutSlice::I64(d)) => fill!(d, u64, 8, |v: u64| {
            ok &= v <= i64::MAX as u64;
            v as i64
        }),
        // output_for pairs every kind with its column type.
        _ => ok = false,
    }
    ok
}

/// Read a Picasso `.hdf5` and its `.yaml` (see the module documentation).
pub(crate) fn read(path: &Path, pixel_nm: Option<f64>) -> Result<(Locs, LoadReport)> {
    let mut report = LoadReport::default();
    // The file itself first, so a missing file is reported as such.
    std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    let file = H5File::open(path).map_err(|e| h5err(path, "cannot open as HDF5", e))?;
    let ds = file
        .dataset("locs")
        .map_err(|e| h5err(path, "no dataset 'locs' (not a Picasso localization file?)", e))?;
    let shape = ds.shape();
    if shape.len() != 1 {
        return Err(Error::format(
            path,
            format!("'locs' must be 1-D, has shape {shape:?}"),
        ));
    }
    let n = shape[0];
    let dt = ds.datatype().map_err(|e| h5err(path, "'locs' datatype", e))?;
    let (stride, members) = match dt {
        DatatypeMessage::Compound { size, members } => (size as usize, members),
        other => {
            return Err(Error::format(
                path,
                format!(
                    "'locs' must be a compound (record) dataset, found {}",
                    describe(&other)
                ),
            ))
        }
    };
    // A corrupt header can declare any size: refuse sizes the file cannot
    // hold before the reader allocates them (deflate packs at most ~1032:1).
    let file_len = std::fs::metadata(path).map_err(|e| Error::io(path, e))?.len();
    let limit = file_len.saturating_mul(1100).saturating_add(1 << 20);
    match (n as u64).checked_mul(stride as u64) {
        Some(need) if need <= limit => {}
        _ => {
            return Err(Error::format(
                path,
                format!(
                    "'locs' declares {n} records of {stride} bytes, more than a file of \
                     {file_len} bytes can hold (corrupt file?)"
                ),
            ))
        }
    }
    let bytes = if n == 0 {
        Vec::new()
    } else {
        ds.read_raw_bytes()
            .map_err(|e| h5err(path, "reading 'locs'", e))?
    };
    if bytes.len() != n * stride {
        return Err(Error::format(
            path,
            format!(
                "'locs' holds {} bytes, expected {n} records of {stride} bytes",
                bytes.len()
            ),
        ));
    }
    let names: Vec<String> = members.iter().map(|m| m.name.clone()).collect();
    for req in ["frame", "x", "y"] {
        if !names.iter().any(|m| m == req) {
            return Err(Error::format(
                path,
                format!("'locs' has no '{req}' field; fields: {}", names.join(", ")),
            ));
        }
    }
    // The pixel size: option, else YAML.
    let ypath = yaml_path(path);
    let info = match std::fs::read_to_string(&ypath) {
        Ok(text) => parse_yaml(&text, &ypath)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if pixel_nm.is_none() {
                return Err(Error::format(
                    path,
                    format!(
                        "no YAML file {} beside it, so the camera pixel size is unknown: \
                         pass it as #{{ pixel_nm: ... }}",
                        ypath.display()
                    ),
                ));
            }
            YamlInfo::default()
        }
        Err(e) => return Err(Error::io(&ypath, e)),
    };
    let p = match pixel_nm.or(info.pixel_nm) {
        Some(p) if p.is_finite() && p > 0.0 => p,
        Some(p) => {
            return Err(Error::format(
                &ypath,
                format!("Pixelsize must be positive, got {p}"),
            ))
        }
        None => return Err(Error::format(
            &ypath,
            "no top-level 'Pixelsize' in any YAML document: pass the camera pixel size as #{ pixel_nm: ... }",
        )),
    };

    // Decode block by block of rows (a block stays in cache while each of
    // its fields is read), then convert pixel columns to nm.
    let mut fields = Vec::with_capacity(members.len());
    for m in &members {
        let (kind, be) = member_kind(&m.datatype).ok_or_else(|| {
            Error::format(
                path,
                format!(
                    "field '{}' has an unsupported type {}",
                    m.name,
                    describe(&m.datatype)
                ),
            )
        })?;
        let size = match kind {
            Kind::U(s) | Kind::I(s) | Kind::F(s) => s as usize,
        };
        let off = m.offset as usize;
        if off + size > stride {
            return Err(Error::format(
                path,
                format!("field '{}' lies beyond the record", m.name),
            ));
        }
        fields.push((kind, be, off, output_for(kind, n)));
    }
    // Rows are split into runs decoded in parallel; within a run, blocks of
    // BLOCK rows are decoded field by field.
    const BLOCK: usize = 2048;
    const RUN: usize = 32 * BLOCK;
    let layout: Vec<(Kind, bool, usize)> = fields.iter().map(|f| (f.0, f.1, f.2)).collect();
    let mut per_run: Vec<Vec<OutSlice<'_>>> = (0..n.div_ceil(RUN)).map(|_| Vec::new()).collect();
    for f in fields.iter_mut() {
        for (r, sl) in runs(&mut f.3, RUN).into_iter().enumerate() {
            per_run[r].push(sl);
        }
    }
    let oks: Vec<Vec<bool>> = per_run
        .into_par_iter()
        .enumerate()
        .map(|(r, mut outs)| {
            let rec = &bytes[r * RUN * stride..((r + 1) * RUN).min(n) * stride];
            let mut ok = vec![true; layout.len()];
            for (b, block) in rec.chunks(BLOCK * stride.max(1)).enumerate() {
                for (((kind, be, off), out), ok) in layout.iter().zip(outs.iter_mut()).zip(ok.iter_mut()) {
                    *ok &= decode_into(block, stride, *off, *kind, *be, out, b * BLOCK);
                }
            }
            ok
        })
        .collect();
    let ok: Vec<bool> = (0..layout.len()).map(|k| oks.iter().all(|o| o[k])).collect();
    let mut decoded = Vec::with_capacity(fields.len());
    for ((m, (kind, _, _, data)), ok) in members.iter().zip(fields).zip(ok) {
        if !ok {
            return Err(Error::format(
                path,
                format!("column '{}': u8 values beyond the i8 range", m.name),
            ));
        }
        let warn = match kind {
            Kind::U(8) => Some(format!("column '{}': u8 stored as i8", m.name)),
            Kind::U(1) | Kind::I(1) | Kind::U(2) | Kind::I(2) => {
                let name = match kind {
                    Kind::U(1) => "u1",
                    Kind::I(1) => "i1",
                    Kind::U(2) => "u2",
                    _ => "i2",
                };
                Some(format!("column '{}': {name} widened to i4", m.name))
            }
            _ => None,
        };
        decoded.push(Ok::<_, Error>((
            m.name.clone(),
            convert_units(&m.name, data, p),
            warn,
        )));
    }
    let mut frame = None;
    let mut x = None;
    let mut y = None;
    let mut extra = Vec::new();
    for d in decoded {
        let (name, data, warn) = d?;
        if let Some(w) = warn {
            report.warnings.push(format!("{}: {w}", path.display()));
        }
        match name.as_str() {
            "frame" => frame = Some(to_frames(data, path)?),
            "x" => x = Some(to_f32(data)),
            "y" => y = Some(to_f32(data)),
            _ => {
                let unit = (PIXEL_COLUMNS.contains(&name.as_str()) || name == "z").then(|| "nm".to_string());
                extra.push(Column { name, unit, data })
            }
        }
    }
    let (Some(frame), Some(x), Some(y)) = (frame, x, y) else {
        // Checked above: the three fields exist.
        return Err(Error::format(path, "'locs' lacks frame, x or y"));
    };
    let meta = Metadata {
        pixel_nm: Some(p),
        width_nm: info.width_px.map_or(0.0, |w| w * p),
        height_nm: info.height_px.map_or(0.0, |h| h * p),
        n_frames: info.frames.map_or(0, |f| f.max(0.0).min(u32::MAX as f64) as u32),
        source: Some(path.to_path_buf()),
        history: Vec::new(),
        yaml_documents: info.documents,
    };
    let mut locs = Locs::new(frame, x, y, meta)?;
    locs.extra = extra;
    locs.fov_from_data_if_unset();
    Ok((locs, report))
}

/// Pixel columns → nm (other columns unchanged).
fn convert_units(name: &str, data: ColumnData, p: f64) -> ColumnData {
    if !PIXEL_COLUMNS.contains(&name) {
        return data;
    }
    match data {
        ColumnData::F32(v) => ColumnData::F32(v.into_iter().map(|a| px_to_nm_f32(a, p)).collect()),
        ColumnData::F64(v) => ColumnData::F64(v.into_iter().map(|a| a * p).collect()),
        other => ColumnData::F64(other.to_f64().into_iter().map(|a| a * p).collect()),
    }
}

fn to_f32(data: ColumnData) -> Vec<f32> {
    match data {
        ColumnData::F32(v) => v,
        other => other.to_f64().into_iter().map(|a| a as f32).collect(),
    }
}

fn to_frames(data: ColumnData, path: &Path) -> Result<Vec<u32>> {
    let bad = |v: f64| Error::format(path, format!("'frame' holds {v}, not a frame number >= 0"));
    match data {
        ColumnData::U32(v) => Ok(v),
        other => (0..other.len())
            .map(|i| {
                let v = other.get_f64(i);
                if v >= 0.0 && v <= u32::MAX as f64 && v.fract() == 0.0 {
                    Ok(v as u32)
                } else {
                    Err(bad(v))
                }
            })
            .collect(),
    }
}

fn dtype_message(c: &ColumnData) -> (DatatypeMessage, usize) {
    match c {
        ColumnData::U32(_) => (DatatypeMessage::u32_type(), 4),
        ColumnData::I32(_) => (DatatypeMessage::i32_type(), 4),
        ColumnData::I64(_) => (DatatypeMessage::i64_type(), 8),
        ColumnData::F32(_) => (DatatypeMessage::f32_type(), 4),
        ColumnData::F64(_) => (DatatypeMessage::f64_type(), 8),
    }
}

/// Scatter one column into packed little-endian records.
fn scatter(buf: &mut [u8], stride: usize, off: usize, data: &ColumnData, p: Option<f64>) {
    macro_rules! put {
        ($v:expr) => {
            for (rec, a) in buf.chunks_exact_mut(stride).zip($v) {
                let b = a.to_le_bytes();
                rec[off..off + b.len()].copy_from_slice(&b);
            }
        };
    }
    match (data, p) {
        (ColumnData::F32(v), Some(p)) => put!(v.iter().map(|&a| nm_to_px_f32(a, p))),
        (ColumnData::F64(v), Some(p)) => put!(v.iter().map(|&a| a / p)),
        (ColumnData::U32(v), _) => put!(v.iter()),
        (ColumnData::I32(v), _) => put!(v.iter()),
        (ColumnData::I64(v), _) => put!(v.iter()),
        (ColumnData::F32(v), None) => put!(v.iter()),
        (ColumnData::F64(v), None) => put!(v.iter()),
    }
}

/// Write `locs` as a Picasso `.hdf5` + `.yaml` pair, atomically.
pub(crate) fn write(locs: &Locs, path: &Path) -> Result<()> {
    let p = locs.meta.pixel_nm.ok_or_else(|| {
        Error::arg(
            "path",
            format!(
                "{}: a Picasso file stores pixels, but this table's camera pixel size is unknown \
                 (load it with #{{ pixel_nm: ... }})",
                path.display()
            ),
        )
    })?;
    // Layout: frame, x, y, then the extra columns, packed.
    let mut cols: Vec<(&str, &ColumnData, bool)> = Vec::with_capacity(3 + locs.extra.len());
    let frame = ColumnData::U32(locs.frame.clone());
    let x = ColumnData::F32(locs.x.clone());
    let y = ColumnData::F32(locs.y.clone());
    cols.push(("frame", &frame, false));
    cols.push(("x", &x, true));
    cols.push(("y", &y, true));
    for c in &locs.extra {
        cols.push((&c.name, &c.data, PIXEL_COLUMNS.contains(&c.name.as_str())));
    }
    let mut members = Vec::with_capacity(cols.len());
    let mut offsets = Vec::with_capacity(cols.len());
    let mut off = 0usize;
    for (name, data, _) in &cols {
        let (dt, size) = dtype_message(data);
        members.push((name.to_string(), dt, off as u32));
        offsets.push(off);
        off += size;
    }
    let stride = off;
    let ct = CompoundType {
        members,
        total_size: stride as u32,
    };
    let n = locs.len();
    let mut buf = vec![0u8; n * stride];
    // Fill column by column; rows split into blocks across threads.
    const BLOCK: usize = 1 << 16;
    buf.par_chunks_mut(BLOCK * stride)
        .enumerate()
        .for_each(|(b, chunk)| {
            let rows = b * BLOCK..(b * BLOCK + chunk.len() / stride);
            for ((_, data, px), &o) in cols.iter().zip(&offsets) {
                scatter(chunk, stride, o, &data.slice(rows.clone()), px.then_some(p));
            }
        });

    let tmp = temp_path(path);
    let ypath = yaml_path(path);
    let ytmp = temp_path(&ypath);
    let result = (|| -> Result<()> {
        let file = H5File::create(&tmp).map_err(|e| h5err(&tmp, "cannot create", e))?;
        let ds = file
            .new_dataset::<u8>()
            .datatype(ct.to_datatype())
            .shape([n])
            .create("locs")
            .map_err(|e| h5err(&tmp, "creating 'locs'", e))?;
        if n > 0 {
            ds.write_raw_bytes(&buf)
                .map_err(|e| h5err(&tmp, "writing 'locs'", e))?;
        }
        drop(ds);
        file.close().map_err(|e| h5err(&tmp, "closing", e))?;
        std::fs::write(&ytmp, yaml_text(locs, p)?).map_err(|e| Error::io(&ytmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))?;
        std::fs::rename(&ytmp, &ypath).map_err(|e| Error::io(&ypath, e))?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
        let _ = std::fs::remove_file(&ytmp);
    }
    result
}

fn emit(doc: &Yaml) -> Result<String> {
    let mut out = String::new();
    YamlEmitter::new(&mut out)
        .dump(doc)
        .map_err(|e| Error::Numeric(format!("writing YAML: {e:?}")))?;
    let body = out.strip_prefix("---\n").unwrap_or(&out).to_string();
    Ok(body + "\n")
}

fn key(s: &str) -> Yaml {
    Yaml::String(s.to_string())
}

/// A length in whole camera pixels (rounded up unless within rounding of an
/// integer), as Picasso's readers expect an integer `Width`/`Height`.
fn px_value(nm: f64, p: f64) -> Yaml {
    let v = nm / p;
    let px = if (v - v.round()).abs() < 1e-6 {
        v.round()
    } else {
        v.ceil()
    };
    Yaml::Integer(px.max(0.0).min(i64::MAX as f64) as i64)
}

fn number(v: f64) -> Yaml {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        Yaml::Integer(v as i64)
    } else {
        Yaml::Real(format!("{v:?}"))
    }
}

/// The YAML file for `locs`: earlier documents, then locus's own.
pub(crate) fn yaml_text(locs: &Locs, p: f64) -> Result<String> {
    let m = &locs.meta;
    let mut docs: Vec<String> = m.yaml_documents.clone();
    let mut acq = yaml_rust2::yaml::Hash::new();
    acq.insert(key("Frames"), Yaml::Integer(m.n_frames as i64));
    acq.insert(key("Height"), px_value(m.height_nm, p));
    acq.insert(key("Width"), px_value(m.width_nm, p));
    acq.insert(key("Pixelsize"), number(p));
    if docs.is_empty() {
        // Picasso's readers take the camera keys from the first document.
        let mut first = yaml_rust2::yaml::Hash::new();
        first.insert(key("Byte Order"), key("<"));
        first.insert(key("Data Type"), key("uint16"));
        for (k, v) in acq.iter() {
            first.insert(k.clone(), v.clone());
        }
        docs.push(emit(&Yaml::Hash(first))?);
    }
    let mut ours = yaml_rust2::yaml::Hash::new();
    ours.insert(
        key("Generated by"),
        key(&format!("locus {}", env!("CARGO_PKG_VERSION"))),
    );
    for (k, v) in acq {
        ours.insert(k, v);
    }
    ours.insert(
        key("Operations"),
        Yaml::Array(m.history.iter().map(|h| key(h)).collect()),
    );
    docs.push(emit(&Yaml::Hash(ours))?);
    Ok(docs
        .iter()
        .map(|d| {
            if d.ends_with('\n') {
                d.clone()
            } else {
                format!("{d}\n")
            }
        })
        .collect::<Vec<_>>()
        .join("---\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::path as shared;

    fn load(rel: &str) -> Locs {
        Locs::load(shared(rel), None, None).unwrap().0
    }

    #[test]
    fn raw_movie_locs() {
        let l = load("picasso/raw_movie_locs.hdf5");
        assert_eq!(l.len(), 2399);
        assert_eq!(l.pixel_nm(), Some(130.0));
        assert_eq!(
            (l.width_nm(), l.height_nm(), l.n_frames()),
            (32.0 * 130.0, 32.0 * 130.0, 5000)
        );
        assert_eq!(
            l.columns(),
            [
                "frame",
                "x",
                "y",
                "photons",
                "sx",
                "sy",
                "bg",
                "lpx",
                "lpy",
                "ellipticity",
                "net_gradient"
            ]
        );
        // First row, from h5py: (2, 25.577694, 23.390852, 2726.3328, 0.8404392, 0.8524268,
        // 36.674107, 0.02435654, 0.02466752, 0.014062939, 6020.8765); last frame 4979.
        assert_eq!(l.frame()[0], 2);
        assert_eq!(*l.frame().last().unwrap(), 4979);
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * b.abs();
        assert!(close(l.x()[0] as f64, 25.577694 * 130.0));
        assert!(close(l.y()[0] as f64, 23.390852 * 130.0));
        let row = |c: &str| l.column(c).unwrap()[0];
        assert!(close(row("photons"), 2726.3328));
        assert!(close(row("sx"), 0.8404392 * 130.0));
        assert!(close(row("lpy"), 0.02466752 * 130.0));
        assert!(close(row("bg"), 36.674107));
        assert!(close(row("net_gradient"), 6020.8765));
        assert_eq!(l.extra("sx").unwrap().unit.as_deref(), Some("nm"));
        assert_eq!(l.extra("photons").unwrap().unit, None);
        assert_eq!(l.meta.yaml_documents.len(), 2);
        assert!(l.meta.history[0].starts_with("load("));
    }

    #[test]
    fn picked_group_column() {
        let l = load("picasso/raw_movie_locs_picked.hdf5");
        assert_eq!(l.len(), 2378);
        assert_eq!(l.meta.yaml_documents.len(), 3);
        let g = &l.extra("group").unwrap().data;
        assert_eq!(g.dtype(), "i4");
        let ColumnData::I32(g) = g else { unreachable!() };
        // h5py: first row group 0, last row group 8.
        assert_eq!((g[0], g[g.len() - 1]), (0, 8));
        assert_eq!(l.frame()[0], 32);
        assert!((l.x()[0] - 13.610321 * 130.0).abs() < 1e-3);
    }

    #[test]
    fn testdata_pixelsize_from_last_document() {
        // The first document has only Camera.Pixelsize: 160; the last has Pixelsize: 130.
        let l = load("picasso/testdata_locs.hdf5");
        assert_eq!(l.len(), 564);
        assert_eq!(l.pixel_nm(), Some(130.0));
        assert_eq!(l.n_frames(), 1000);
        let it = &l.extra("iterations").unwrap().data;
        assert_eq!(it.dtype(), "i4");
        assert_eq!((it.get_f64(0), it.get_f64(563)), (3.0, 4.0));
        assert!((l.column("likelihood").unwrap()[0] + 28.575684).abs() < 1e-4);
        assert!((l.x()[0] as f64 - 5.618027 * 130.0).abs() < 1e-3);
        // An explicit pixel size overrides the YAML.
        let (o, _) = Locs::load(shared("picasso/testdata_locs.hdf5"), Some(160.0), None).unwrap();
        assert!((o.x()[0] as f64 - 5.618027 * 160.0).abs() < 1e-3);
        assert_eq!(o.width_nm(), 32.0 * 160.0);
    }

    fn same_bits(a: &Locs, b: &Locs) {
        assert_eq!(a.len(), b.len());
        assert_eq!(a.frame(), b.frame());
        assert_eq!(a.columns(), b.columns());
        for c in a.extra_columns() {
            let d = &b.extra(&c.name).unwrap().data;
            assert_eq!(c.data.dtype(), d.dtype(), "{}", c.name);
            assert_eq!(&c.data, d, "column {}", c.name);
        }
    }

    #[test]
    fn round_trip_real_files_bit_exact() {
        let dir = tempfile::tempdir().unwrap();
        for f in ["raw_movie_locs", "raw_movie_locs_picked", "testdata_locs"] {
            let src = shared(&format!("picasso/{f}.hdf5"));
            let a = Locs::load(&src, None, None).unwrap().0;
            let out = dir.path().join(format!("{f}.hdf5"));
            a.save(&out).unwrap();
            let b = Locs::load(&out, None, None).unwrap().0;
            same_bits(&a, &b);
            assert_eq!(a.x(), b.x());
            assert_eq!(a.y(), b.y());
            assert_eq!(
                (a.width_nm(), a.height_nm(), a.n_frames()),
                (b.width_nm(), b.height_nm(), b.n_frames())
            );
            // Earlier YAML documents kept, one added.
            assert_eq!(b.meta.yaml_documents.len(), a.meta.yaml_documents.len() + 1);
            assert_eq!(
                &b.meta.yaml_documents[..a.meta.yaml_documents.len()],
                &a.meta.yaml_documents[..]
            );
            // The file's pixel values: compare raw x with the source file's raw x.
            let raw = |p: &Path| -> Vec<u8> {
                let f = H5File::open(p).unwrap();
                f.dataset("locs").unwrap().read_raw_bytes().unwrap()
            };
            let (ra, rb) = (raw(&src), raw(&out));
            assert_eq!(ra.len(), rb.len());
            let differing = ra.iter().zip(&rb).filter(|(p, q)| p != q).count();
            // x, y, sx.. go through px → nm → px in f32: nearly all bit-exact.
            assert!(differing * 200 < ra.len(), "{f}: {differing} bytes differ");
            assert!(!dir.path().read_dir().unwrap().any(|e| e
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains(".tmp-")));
        }
    }

    #[test]
    fn all_types_and_empty_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let meta = Metadata {
            pixel_nm: Some(108.0),
            width_nm: 108.0 * 10.0,
            height_nm: 108.0 * 7.0,
            n_frames: 9,
            history: vec!["made".into()],
            ..Default::default()
        };
        let mut l = Locs::new(
            vec![0, 3, 8],
            vec![1.5, 100.25, 1000.0],
            vec![0.0, 7.0, 755.5],
            meta.clone(),
        )
        .unwrap();
        l.add_column("u", None, ColumnData::U32(vec![0, u32::MAX, 7]))
            .unwrap();
        l.add_column("i", None, ColumnData::I32(vec![i32::MIN, -1, 5]))
            .unwrap();
        l.add_column("big", None, ColumnData::I64(vec![i64::MAX, -3, 1 << 40]))
            .unwrap();
        l.add_column("f", None, ColumnData::F32(vec![0.1, -2.5, f32::NAN]))
            .unwrap();
        l.add_column("d", None, ColumnData::F64(vec![1e-300, 0.1, -7.0]))
            .unwrap();
        l.add_column("sx", Some("nm"), ColumnData::F64(vec![108.0, 54.0, 216.0]))
            .unwrap();
        let out = dir.path().join("t.hdf5");
        l.save(&out).unwrap();
        let (b, rep) = Locs::load(&out, None, None).unwrap();
        assert_eq!(rep, LoadReport::default());
        assert_eq!(b.x(), l.x());
        assert_eq!(b.y(), l.y());
        assert_eq!(b.frame(), l.frame());
        for c in l.extra_columns() {
            let d = &b.extra(&c.name).unwrap().data;
            assert_eq!(c.data.dtype(), d.dtype());
            if c.name != "f" {
                assert_eq!(&c.data, d, "{}", c.name);
            }
        }
        assert!(b.column("f").unwrap()[2].is_nan());
        // sx is stored in pixels in the file: 1.0, 0.5, 2.0.
        let raw = H5File::open(&out)
            .unwrap()
            .dataset("locs")
            .unwrap()
            .read_raw_bytes()
            .unwrap();
        let stride = 4 * 3 + 4 + 4 + 8 + 4 + 8 + 8;
        let sx =
            |r: usize| f64::from_le_bytes(raw[r * stride + stride - 8..(r + 1) * stride].try_into().unwrap());
        assert_eq!((sx(0), sx(1), sx(2)), (1.0, 0.5, 2.0));
        assert_eq!((b.width_nm(), b.height_nm(), b.n_frames()), (1080.0, 756.0, 9));
        let yaml = std::fs::read_to_string(yaml_path(&out)).unwrap();
        assert!(
            yaml.contains("Width: 10") && yaml.contains("Pixelsize: 108"),
            "{yaml}"
        );
        assert!(yaml.contains("- made"), "{yaml}");
        assert_eq!(split_documents(&yaml).len(), 2);

        // Empty table.
        let e = l.take(&[], "none".into());
        let out = dir.path().join("e.hdf5");
        e.save(&out).unwrap();
        let (b, _) = Locs::load(&out, None, None).unwrap();
        assert!(b.is_empty());
        assert_eq!(b.columns(), l.columns());
        assert_eq!(b.pixel_nm(), Some(108.0));
    }

    #[test]
    fn chunked_deflate_read() {
        // A chunked, compressed 'locs' (written here with rust-hdf5; h5py-written
        // ones are checked by scripts/interop).
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.hdf5");
        let n = 5000usize;
        let ct = CompoundType {
            members: vec![
                ("frame".into(), DatatypeMessage::u32_type(), 0),
                ("x".into(), DatatypeMessage::f32_type(), 4),
                ("y".into(), DatatypeMessage::f64_type(), 8),
                ("id".into(), DatatypeMessage::i64_type(), 16),
                ("small".into(), DatatypeMessage::u16_type(), 24),
                ("count".into(), DatatypeMessage::u64_type(), 26),
            ],
            total_size: 34,
        };
        let mut bytes = Vec::new();
        for i in 0..n {
            bytes.extend_from_slice(&(i as u32 / 10).to_le_bytes());
            bytes.extend_from_slice(&(i as f32 * 0.5).to_le_bytes());
            bytes.extend_from_slice(&(i as f64 * 0.25).to_le_bytes());
            bytes.extend_from_slice(&(-(i as i64)).to_le_bytes());
            bytes.extend_from_slice(&(65535 - i as u16).to_le_bytes());
            bytes.extend_from_slice(&(i as u64 * 3).to_le_bytes());
        }
        {
            let f = H5File::create(&path).unwrap();
            let ds = f
                .new_dataset::<u8>()
                .datatype(ct.to_datatype())
                .shape([n])
                .chunk(&[1000])
                .deflate(4)
                .create("locs")
                .unwrap();
            ds.write_raw_bytes(&bytes).unwrap();
            drop(ds);
            f.close().unwrap();
        }
        let (l, rep) = Locs::load(&path, Some(100.0), None).unwrap();
        assert_eq!(l.len(), n);
        // u2 widened to i4, u8 stored as i8, both reported.
        assert_eq!(l.extra("small").unwrap().data.dtype(), "i4");
        assert_eq!(l.column("small").unwrap()[1], 65534.0);
        assert_eq!(l.extra("count").unwrap().data.dtype(), "i8");
        assert_eq!(l.column("count").unwrap()[4999], 14997.0);
        assert_eq!(rep.warnings.len(), 2, "{:?}", rep.warnings);
        assert!(rep.warnings[0].contains("u2 widened"), "{:?}", rep.warnings);
        assert_eq!(l.frame()[4999], 499);
        assert_eq!(l.x()[3], 150.0);
        assert_eq!(l.y()[4], 100.0);
        assert_eq!(l.column("id").unwrap()[4999], -4999.0);
        assert_eq!(l.extra("id").unwrap().data.dtype(), "i8");
        // Without YAML the field of view comes from the data, in whole pixels.
        assert_eq!(l.width_nm(), 250_000.0);
    }

    #[test]
    fn bad_inputs() {
        let dir = tempfile::tempdir().unwrap();
        // Missing file.
        let e = Locs::load(dir.path().join("nope.hdf5"), Some(100.0), None).unwrap_err();
        assert!(
            matches!(e, Error::Io { .. }) && e.to_string().contains("nope.hdf5"),
            "{e}"
        );
        // Not HDF5.
        let p = dir.path().join("text.hdf5");
        std::fs::write(&p, "hello, I am not HDF5").unwrap();
        let e = Locs::load(&p, Some(100.0), None).unwrap_err().to_string();
        assert!(e.contains("text.hdf5") && e.contains("HDF5"), "{e}");
        let e = Locs::load(&p, None, None).unwrap_err().to_string();
        assert!(e.contains("HDF5"), "{e}");
        // No YAML and no pixel size.
        let src = shared("picasso/testdata_locs.hdf5");
        let lone = dir.path().join("lone.hdf5");
        std::fs::copy(&src, &lone).unwrap();
        let e = Locs::load(&lone, None, None).unwrap_err().to_string();
        assert!(e.contains("lone.yaml") && e.contains("pixel_nm"), "{e}");
        assert_eq!(Locs::load(&lone, Some(100.0), None).unwrap().0.len(), 564);
        // YAML without Pixelsize.
        let q = dir.path().join("q.hdf5");
        std::fs::copy(&src, &q).unwrap();
        std::fs::write(yaml_path(&q), "Camera.Pixelsize: 160\nWidth: 32\n").unwrap();
        let e = Locs::load(&q, None, None).unwrap_err().to_string();
        assert!(e.contains("Pixelsize") && e.contains("pixel_nm"), "{e}");
        assert!(Locs::load(&q, Some(160.0), None).is_ok());
        // 'locs' without x.
        let r = dir.path().join("r.hdf5");
        {
            let f = H5File::create(&r).unwrap();
            let ct = CompoundType {
                members: vec![
                    ("frame".into(), DatatypeMessage::u32_type(), 0),
                    ("y".into(), DatatypeMessage::f32_type(), 4),
                ],
                total_size: 8,
            };
            let ds = f
                .new_dataset::<u8>()
                .datatype(ct.to_datatype())
                .shape([1])
                .create("locs")
                .unwrap();
            ds.write_raw_bytes(&[0u8; 8]).unwrap();
            drop(ds);
            f.close().unwrap();
        }
        let e = Locs::load(&r, Some(100.0), None).unwrap_err().to_string();
        assert!(e.contains("no 'x' field") && e.contains("frame, y"), "{e}");
        // A dataset with another name.
        let s = dir.path().join("s.hdf5");
        {
            let f = H5File::create(&s).unwrap();
            let ds = f.new_dataset::<f32>().shape([3]).create("data").unwrap();
            ds.write_raw(&[1.0f32, 2.0, 3.0]).unwrap();
            drop(ds);
            f.close().unwrap();
        }
        let e = Locs::load(&s, Some(100.0), None).unwrap_err().to_string();
        assert!(e.contains("'locs'"), "{e}");
        let t = dir.path().join("t.hdf5");
        {
            let f = H5File::create(&t).unwrap();
            let ds = f.new_dataset::<f32>().shape([3]).create("locs").unwrap();
            ds.write_raw(&[1.0f32, 2.0, 3.0]).unwrap();
            drop(ds);
            f.close().unwrap();
        }
        let e = Locs::load(&t, Some(100.0), None).unwrap_err().to_string();
        assert!(e.contains("compound") && e.contains("found f4"), "{e}");
        // Saving without a pixel size.
        let l = Locs::new(vec![0], vec![1.0], vec![1.0], Metadata::default()).unwrap();
        let e = l.save(dir.path().join("n.hdf5")).unwrap_err().to_string();
        assert!(e.contains("pixel size"), "{e}");
    }

    #[test]
    fn nan_rows_dropped_and_counted() {
        let dir = tempfile::tempdir().unwrap();
        let meta = Metadata {
            pixel_nm: Some(100.0),
            ..Default::default()
        };
        let l = Locs::new(
            vec![0, 1, 2, 3],
            vec![1.0, f32::NAN, 3.0, f32::INFINITY],
            vec![1.0, 2.0, f32::NEG_INFINITY, 4.0],
            meta,
        )
        .unwrap();
        let p = dir.path().join("nan.hdf5");
        l.save(&p).unwrap();
        let (b, rep) = Locs::load(&p, None, None).unwrap();
        assert_eq!(b.len(), 1);
        assert_eq!(rep.dropped_nonfinite, 3);
        assert_eq!(rep.warnings.len(), 1);
    }

    #[test]
    fn yaml_documents_and_keys() {
        let text = "A: 1\nPixelsize: 100\nWidth: 20\n---\nB: x\n---\nPixelsize: 130.5\nFrames: 7\n...\n";
        let info = parse_yaml(text, Path::new("t.yaml")).unwrap();
        assert_eq!(info.documents.len(), 3);
        assert_eq!(info.pixel_nm, Some(130.5));
        assert_eq!(info.width_px, Some(20.0));
        assert_eq!(info.frames, Some(7.0));
        // Width/Height are whole pixels, rounded up.
        let meta = Metadata {
            pixel_nm: Some(100.0),
            width_nm: 1001.0,
            height_nm: 300.0,
            ..Default::default()
        };
        let l = Locs::new(vec![0], vec![1.0], vec![1.0], meta).unwrap();
        let y = yaml_text(&l, 100.0).unwrap();
        let info = parse_yaml(&y, Path::new("t.yaml")).unwrap();
        assert_eq!(
            (info.width_px, info.height_px, info.pixel_nm),
            (Some(11.0), Some(3.0), Some(100.0))
        );
        assert!(y.contains("Width: 11\n"), "{y}");
        assert!(parse_yaml("a: [1, 2\n", Path::new("bad.yaml"))
            .unwrap_err()
            .to_string()
            .contains("bad.yaml"));
    }
}
