//! ThunderSTORM CSV tables (METHODS.md §1).
//!
//! Headers are quoted `"name [unit]"`; coordinates are in nm; `frame` starts
//! at 1 in the file and at 0 in memory. Both `uncertainty_xy [nm]` and the
//! older `uncertainty [nm]` name the lateral precision, stored as the two
//! columns `lpx` and `lpy` (nm, as in Picasso tables). Every other column is
//! kept by name, with its unit, as f64.
//!
//! Reading parses the bytes in parallel blocks of lines (csv `ByteRecord`s
//! and the standard library's float parser); errors name the line (1-based,
//! the header is line 1) and the column. Writing puts `frame`, `x [nm]`,
//! `y [nm]` first, then the extra columns as `"name [unit]"`; `lpx`/`lpy`
//! become one `uncertainty_xy [nm]` column when they are equal row by row.

use super::{temp_path, Column, ColumnData, LoadReport, Locs, Metadata};
use crate::error::{Error, Result};
use rayon::prelude::*;
use std::io::Write;
use std::path::Path;

/// Split `"name [unit]"` into name and unit.
pub fn split_header(h: &str) -> (String, Option<String>) {
    let h = h.trim();
    if let (Some(open), true) = (h.rfind(" ["), h.ends_with(']')) {
        let name = h[..open].trim().to_string();
        let unit = h[open + 2..h.len() - 1].trim().to_string();
        (name, Some(unit))
    } else {
        (h.to_string(), None)
    }
}

/// Where each file column goes.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Target {
    Frame,
    X,
    Y,
    /// Index into the extra columns; `true` when it also fills `lpy` (uncertainty).
    Extra(usize, bool),
}

/// Values parsed from one block of lines.
struct Block {
    frame: Vec<u32>,
    x: Vec<f32>,
    y: Vec<f32>,
    extra: Vec<Vec<f64>>,
}

fn parse_f64(field: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(field).ok()?.trim();
    s.parse::<f64>().ok()
}

/// Parse the data lines in `bytes`, the first of which is line `first_line` of the file.
fn parse_block(
    bytes: &[u8],
    first_line: u64,
    targets: &[Target],
    names: &[String],
    n_extra: usize,
    path: &Path,
) -> Result<Block> {
    let cap = bytes.len() / (8 * targets.len().max(1)) + 1;
    let mut b = Block {
        frame: Vec::with_capacity(cap),
        x: Vec::with_capacity(cap),
        y: Vec::with_capacity(cap),
        extra: vec![Vec::with_capacity(cap); n_extra],
    };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut rec = csv::ByteRecord::new();
    loop {
        let more = rdr.read_byte_record(&mut rec).map_err(|e| {
            let line = e.position().map_or(first_line, |p| first_line + p.line() - 1);
            Error::format(path, format!("line {line}: {e}"))
        })?;
        if !more {
            break;
        }
        let line = rec.position().map_or(first_line, |p| first_line + p.line() - 1);
        if rec.len() == 1 && rec[0].iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if rec.len() != targets.len() {
            return Err(Error::format(
                path,
                format!(
                    "line {line}: expected {} values, found {}",
                    targets.len(),
                    rec.len()
                ),
            ));
        }
        for (k, (field, &t)) in rec.iter().zip(targets).enumerate() {
            let v = parse_f64(field).ok_or_else(|| {
                let what = if field.iter().all(u8::is_ascii_whitespace) {
                    "missing value".to_string()
                } else {
                    format!("'{}' is not a number", String::from_utf8_lossy(field))
                };
                Error::format(path, format!("line {line}, column '{}': {what}", names[k]))
            })?;
            match t {
                Target::Frame => {
                    if !(v >= 1.0 && v <= u32::MAX as f64 && v.fract() == 0.0) {
                        return Err(Error::format(
                            path,
                            format!(
                                "line {line}, column 'frame': {v} is not a frame number (ThunderSTORM frames start at 1)"
                            ),
                        ));
                    }
                    b.frame.push(v as u32 - 1);
                }
                Target::X => b.x.push(v as f32),
                Target::Y => b.y.push(v as f32),
                Target::Extra(i, dup) => {
                    b.extra[i].push(v);
                    if dup {
                        b.extra[i + 1].push(v);
                    }
                }
            }
        }
    }
    Ok(b)
}

/// Read a ThunderSTORM CSV file (see the module documentation).
pub(crate) fn read(path: &Path, pixel_nm: Option<f64>) -> Result<(Locs, LoadReport)> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let header_end = bytes.iter().position(|&c| c == b'\n').unwrap_or(bytes.len());
    let header_line = &bytes[..header_end];
    let mut hdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(header_line);
    let mut hrec = csv::StringRecord::new();
    let got = hdr
        .read_record(&mut hrec)
        .map_err(|e| Error::format(path, format!("line 1 (header): {e}")))?;
    if !got || hrec.is_empty() {
        return Err(Error::format(
            path,
            "empty file: expected a ThunderSTORM header line",
        ));
    }
    // Map each header to a target.
    let mut targets = Vec::with_capacity(hrec.len());
    let mut extra: Vec<(String, Option<String>)> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let has_xy_uncertainty = hrec.iter().any(|h| split_header(h).0 == "uncertainty_xy");
    for h in hrec.iter() {
        let (name, unit) = split_header(h.trim_start_matches('\u{feff}'));
        let is_lp = name == "uncertainty_xy" || (name == "uncertainty" && !has_xy_uncertainty);
        let stored: Vec<&str> = if is_lp {
            vec!["lpx", "lpy"]
        } else {
            vec![name.as_str()]
        };
        for s in &stored {
            if seen.iter().any(|n| n == s) {
                return Err(Error::format(path, format!("line 1: column '{s}' appears twice")));
            }
            seen.push(s.to_string());
        }
        let t = match name.as_str() {
            "frame" => Target::Frame,
            "x" | "y" => {
                if let Some(u) = unit.as_deref() {
                    if u != "nm" {
                        return Err(Error::format(
                            path,
                            format!("line 1: column '{h}': coordinates must be in nm, not {u}"),
                        ));
                    }
                }
                if name == "x" {
                    Target::X
                } else {
                    Target::Y
                }
            }
            _ if is_lp => {
                extra.push(("lpx".into(), unit.clone()));
                extra.push(("lpy".into(), unit));
                Target::Extra(extra.len() - 2, true)
            }
            _ => {
                extra.push((name.clone(), unit));
                Target::Extra(extra.len() - 1, false)
            }
        };
        targets.push(t);
    }
    for (req, t) in [
        ("frame", Target::Frame),
        ("x [nm]", Target::X),
        ("y [nm]", Target::Y),
    ] {
        if !targets.contains(&t) {
            return Err(Error::format(
                path,
                format!(
                    "line 1: no '{req}' column; the header has: {}",
                    hrec.iter().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
    }
    let names: Vec<String> = hrec.iter().map(str::to_string).collect();

    // Cut the body into blocks at line ends and parse them in parallel.
    let body_start = (header_end + 1).min(bytes.len());
    let body = &bytes[body_start..];
    let n_blocks = (body.len() / (1 << 20)).clamp(1, 4 * rayon::current_num_threads().max(1));
    let mut cuts = vec![0usize];
    for k in 1..n_blocks {
        let target = body.len() * k / n_blocks;
        let last = *cuts.last().unwrap_or(&0);
        if target <= last {
            continue;
        }
        match body[target..].iter().position(|&c| c == b'\n') {
            Some(p) => cuts.push(target + p + 1),
            None => break,
        }
    }
    cuts.push(body.len());
    cuts.dedup();
    let ranges: Vec<(usize, usize)> = cuts.windows(2).map(|w| (w[0], w[1])).collect();
    let newlines: Vec<u64> = ranges
        .par_iter()
        .map(|&(a, b)| body[a..b].iter().filter(|&&c| c == b'\n').count() as u64)
        .collect();
    let mut first_lines = Vec::with_capacity(ranges.len());
    let mut line = 2u64;
    for nl in &newlines {
        first_lines.push(line);
        line += nl;
    }
    crate::interrupt::check()?;
    let blocks: Vec<Result<Block>> = ranges
        .par_iter()
        .zip(&first_lines)
        .map(|(&(a, b), &fl)| parse_block(&body[a..b], fl, &targets, &names, extra.len(), path))
        .collect();
    let mut frame = Vec::new();
    let mut x = Vec::new();
    let mut y = Vec::new();
    let mut cols: Vec<Vec<f64>> = vec![Vec::new(); extra.len()];
    for b in blocks {
        let b = b?;
        frame.extend_from_slice(&b.frame);
        x.extend_from_slice(&b.x);
        y.extend_from_slice(&b.y);
        for (c, v) in cols.iter_mut().zip(b.extra) {
            c.extend_from_slice(&v);
        }
    }
    let meta = Metadata {
        pixel_nm,
        ..Default::default()
    };
    let mut locs = Locs::new(frame, x, y, meta)?;
    locs.extra = extra
        .into_iter()
        .zip(cols)
        .map(|((name, unit), data)| Column {
            name,
            unit,
            data: ColumnData::F64(data),
        })
        .collect();
    locs.fov_from_data_if_unset();
    Ok((locs, LoadReport::default()))
}

fn push_f64(s: &mut String, v: f64) {
    use std::fmt::Write as _;
    if v.fract() == 0.0 && v.abs() < 1e15 {
        let _ = write!(s, "{}", v as i64);
    } else {
        let _ = write!(s, "{v:?}");
    }
}

fn push_f32(s: &mut String, v: f32) {
    use std::fmt::Write as _;
    if v.fract() == 0.0 && v.abs() < 1e7 {
        let _ = write!(s, "{}", v as i64);
    } else {
        let _ = write!(s, "{v:?}");
    }
}

fn push_value(s: &mut String, c: &ColumnData, i: usize) {
    use std::fmt::Write as _;
    match c {
        ColumnData::U32(v) => {
            let _ = write!(s, "{}", v[i]);
        }
        ColumnData::I32(v) => {
            let _ = write!(s, "{}", v[i]);
        }
        ColumnData::I64(v) => {
            let _ = write!(s, "{}", v[i]);
        }
        ColumnData::F32(v) => push_f32(s, v[i]),
        ColumnData::F64(v) => push_f64(s, v[i]),
    }
}

/// Write `locs` as a ThunderSTORM CSV, atomically.
pub(crate) fn write(locs: &Locs, path: &Path) -> Result<()> {
    let lp_equal = match (locs.extra("lpx"), locs.extra("lpy")) {
        (Some(a), Some(b)) => a.data == b.data,
        _ => false,
    };
    let mut header: Vec<String> = vec!["frame".into(), "x [nm]".into(), "y [nm]".into()];
    let mut cols: Vec<&ColumnData> = Vec::new();
    for c in &locs.extra {
        if lp_equal && c.name == "lpy" {
            continue;
        }
        let name = if lp_equal && c.name == "lpx" {
            "uncertainty_xy"
        } else {
            c.name.as_str()
        };
        header.push(match &c.unit {
            Some(u) => format!("{name} [{u}]"),
            None => name.to_string(),
        });
        cols.push(&c.data);
    }
    let head = header
        .iter()
        .map(|h| format!("\"{}\"", h.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(",")
        + "\n";
    const BLOCK: usize = 1 << 15;
    let n = locs.len();
    let texts: Vec<String> = (0..n.div_ceil(BLOCK))
        .into_par_iter()
        .map(|b| {
            let mut s = String::with_capacity(BLOCK * 16 * header.len());
            for i in b * BLOCK..((b + 1) * BLOCK).min(n) {
                use std::fmt::Write as _;
                let _ = write!(s, "{}", locs.frame[i] as u64 + 1);
                s.push(',');
                push_f32(&mut s, locs.x[i]);
                s.push(',');
                push_f32(&mut s, locs.y[i]);
                for c in &cols {
                    s.push(',');
                    push_value(&mut s, c, i);
                }
                s.push('\n');
            }
            s
        })
        .collect();
    let tmp = temp_path(path);
    let result = (|| -> Result<()> {
        let f = std::fs::File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
        w.write_all(head.as_bytes()).map_err(|e| Error::io(&tmp, e))?;
        for t in &texts {
            w.write_all(t.as_bytes()).map_err(|e| Error::io(&tmp, e))?;
        }
        w.flush().map_err(|e| Error::io(&tmp, e))?;
        drop(w);
        std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_file(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn headers() {
        assert_eq!(split_header("x [nm]"), ("x".into(), Some("nm".into())));
        assert_eq!(split_header("frame"), ("frame".into(), None));
        assert_eq!(
            split_header("intensity [photon]"),
            ("intensity".into(), Some("photon".into()))
        );
    }

    #[test]
    fn both_dialects() {
        let dir = tempfile::tempdir().unwrap();
        let new = "\"id\",\"frame\",\"x [nm]\",\"y [nm]\",\"sigma [nm]\",\"intensity [photon]\",\"offset [photon]\",\"bkgstd [photon]\",\"uncertainty_xy [nm]\"\n\
                   1.0,1.0,1234.5,678.25,120.0,1500.0,10.0,3.0,12.5\n\
                   2.0,3.0,10.0,20.0,130.0,900.0,11.0,3.5,20.0\n";
        let old = "\"id\",\"frame\",\"x [nm]\",\"y [nm]\",\"sigma [nm]\",\"intensity [photon]\",\"offset [photon]\",\"bkgstd [photon]\",\"uncertainty [nm]\"\r\n\
                   1,1,1234.5,678.25,120,1500,10,3,12.5\r\n\
                   2,3,10,20,130,900,11,3.5,20\r\n";
        for (name, text) in [("new.csv", new), ("old.csv", old)] {
            let p = write_file(dir.path(), name, text);
            let (l, rep) = Locs::load(&p, None, None).unwrap();
            assert_eq!(rep.dropped_nonfinite, 0);
            assert_eq!(l.len(), 2, "{name}");
            assert_eq!(l.frame(), &[0, 2]);
            assert_eq!(l.x(), &[1234.5, 10.0]);
            assert_eq!(l.y(), &[678.25, 20.0]);
            assert_eq!(l.column("lpx").unwrap(), vec![12.5, 20.0]);
            assert_eq!(l.column("lpy").unwrap(), vec![12.5, 20.0]);
            assert_eq!(l.column("intensity").unwrap(), vec![1500.0, 900.0]);
            assert_eq!(l.extra("intensity").unwrap().unit.as_deref(), Some("photon"));
            assert_eq!(
                l.columns(),
                [
                    "frame",
                    "x",
                    "y",
                    "id",
                    "sigma",
                    "intensity",
                    "offset",
                    "bkgstd",
                    "lpx",
                    "lpy"
                ]
            );
            assert_eq!(l.n_frames(), 3);
            assert_eq!(l.pixel_nm(), None);
            // Field of view from the data, whole nm.
            assert_eq!((l.width_nm(), l.height_nm()), (1235.0, 679.0));
        }
    }

    #[test]
    fn round_trip_every_column() {
        let dir = tempfile::tempdir().unwrap();
        let meta = Metadata {
            pixel_nm: Some(100.0),
            width_nm: 5000.0,
            height_nm: 4000.0,
            ..Default::default()
        };
        let mut l = Locs::new(
            vec![0, 7, 4_000_000],
            vec![0.1, 1234.567, 4999.999],
            vec![1e-6, 3.0, 1e6],
            meta,
        )
        .unwrap();
        l.add_column("u", None, ColumnData::U32(vec![1, 2, u32::MAX]))
            .unwrap();
        l.add_column("i", None, ColumnData::I32(vec![-5, 0, 5])).unwrap();
        l.add_column("g", None, ColumnData::I64(vec![i64::MIN + 1, 0, 1 << 50]))
            .unwrap();
        l.add_column("photons", Some("photon"), ColumnData::F32(vec![0.3, 1e30, -2.0]))
            .unwrap();
        l.add_column("d", None, ColumnData::F64(vec![0.1, 1e-300, f64::MAX]))
            .unwrap();
        l.add_column("lpx", Some("nm"), ColumnData::F32(vec![1.5, 2.5, 3.5]))
            .unwrap();
        l.add_column("lpy", Some("nm"), ColumnData::F32(vec![1.5, 2.0, 3.5]))
            .unwrap();
        let p = dir.path().join("t.csv");
        l.save(&p).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.starts_with(
            "\"frame\",\"x [nm]\",\"y [nm]\",\"u\",\"i\",\"g\",\"photons [photon]\",\"d\",\"lpx [nm]\",\"lpy [nm]\"\n1,"
        ));
        let (b, _) = Locs::load(&p, Some(100.0), None).unwrap();
        assert_eq!(b.frame(), l.frame());
        assert_eq!(b.x(), l.x());
        assert_eq!(b.y(), l.y());
        assert_eq!(b.columns(), l.columns());
        for c in l.extra_columns() {
            let got = b.column(&c.name).unwrap();
            let want = c.data.to_f64();
            for (g, w) in got.iter().zip(&want) {
                // f32 columns come back as f64 holding the same f32 value.
                if c.data.dtype() == "f4" {
                    assert_eq!(*g as f32, *w as f32, "{}", c.name);
                } else if c.name == "g" {
                    assert!((g - w).abs() <= w.abs() * 1e-15, "{}", c.name);
                } else {
                    assert_eq!(g, w, "{}", c.name);
                }
            }
            assert_eq!(b.extra(&c.name).unwrap().unit, c.unit);
        }
        // Equal lpx/lpy are written as one uncertainty_xy column.
        let mut m = l.clone();
        m.add_column("lpy", Some("nm"), ColumnData::F32(vec![1.5, 2.5, 3.5]))
            .unwrap();
        m.save(&p).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(
            text.lines().next().unwrap().ends_with("\"uncertainty_xy [nm]\""),
            "{text}"
        );
        let (b, _) = Locs::load(&p, None, None).unwrap();
        assert_eq!(b.column("lpy").unwrap(), vec![1.5, 2.5, 3.5]);
        // Empty table.
        let e = l.take(&[], "e".into());
        e.save(&p).unwrap();
        let (b, _) = Locs::load(&p, None, None).unwrap();
        assert!(b.is_empty());
        assert_eq!(b.columns(), l.columns());
    }

    #[test]
    fn errors_name_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let h = "\"frame\",\"x [nm]\",\"y [nm]\",\"photons\"\n";
        let cases = [
            (
                "missing.csv",
                format!("{h}1,2,3,4\n2,5,,6\n"),
                "line 3, column 'y [nm]': missing value",
            ),
            (
                "text.csv",
                format!("{h}1,2,3,4\n2,5,6,abc\n"),
                "line 3, column 'photons': 'abc' is not a number",
            ),
            (
                "short.csv",
                format!("{h}1,2,3\n"),
                "line 2: expected 4 values, found 3",
            ),
            ("frame0.csv", format!("{h}0,2,3,4\n"), "line 2, column 'frame'"),
            (
                "nox.csv",
                "\"frame\",\"y [nm]\"\n1,2\n".to_string(),
                "no 'x [nm]' column",
            ),
            (
                "px.csv",
                "\"frame\",\"x [px]\",\"y [px]\"\n1,2,3\n".to_string(),
                "must be in nm",
            ),
            ("empty.csv", String::new(), "empty file"),
        ];
        for (name, text, want) in cases {
            let p = write_file(dir.path(), name, &text);
            let e = Locs::load(&p, None, None).unwrap_err().to_string();
            assert!(e.contains(want) && e.contains(name), "{name}: {e}");
        }
        let e = Locs::load(dir.path().join("absent.csv"), None, None).unwrap_err();
        assert!(matches!(e, Error::Io { .. }));
    }

    #[test]
    fn errors_in_later_blocks_have_right_line() {
        // Several MB so the body is cut into blocks; the bad value is near the end.
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::from("\"frame\",\"x [nm]\",\"y [nm]\"\n");
        let n = 200_000;
        for i in 0..n {
            if i == n - 10 {
                text.push_str("5,1.0,oops\n");
            } else {
                text.push_str(&format!("{},{}.5,{}.25\n", i % 1000 + 1, i, i));
            }
        }
        let p = write_file(dir.path(), "big.csv", &text);
        let e = Locs::load(&p, None, None).unwrap_err().to_string();
        assert!(
            e.contains(&format!("line {}", n - 10 + 2)) && e.contains("'y [nm]'"),
            "{e}"
        );
        // And without the error, all rows arrive in order.
        let text = text.replace("5,1.0,oops", "5,1.0,2.0");
        std::fs::write(&p, text).unwrap();
        let (l, _) = Locs::load(&p, None, None).unwrap();
        assert_eq!(l.len(), n);
        assert_eq!(l.x()[n - 1], (n - 1) as f32 + 0.5);
        assert_eq!(l.frame()[1234], 234);
    }

    #[test]
    fn nan_coordinates_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let p = write_file(
            dir.path(),
            "nan.csv",
            "\"frame\",\"x [nm]\",\"y [nm]\"\n1,NaN,2\n2,3,inf\n3,4,5\n",
        );
        let (l, rep) = Locs::load(&p, None, None).unwrap();
        assert_eq!(l.len(), 1);
        assert_eq!(rep.dropped_nonfinite, 2);
        assert_eq!(l.frame(), &[2]);
    }
}
