//! ThunderSTORM CSV tables (docs/methods.md §1).
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
/// The slices of the output columns that one block of lines fills, and how
/// many rows it has filled. Each block gets one row per line it holds, so
/// writing row `rows` never goes past the end (a record spans at least one line).
struct Block<'a> {
    frame: &'a mut [u32],
    x: &'a mut [f32],
    y: &'a mut [f32],
    extra: Vec<&'a mut [f64]>,
    rows: usize,
}

const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18,
    1e19, 1e20, 1e21, 1e22,
];

/// Clinger's fast path: a plain decimal `[+-]digits[.digits][e[+-]digits]`
/// whose significand fits in 53 bits and whose power of ten is at most 22
/// in magnitude is m·10^e or m/10^−e with a single, correctly rounded
/// operation on exact values. Anything else returns `None` (use the
/// standard parser).
fn fast_f64(s: &[u8]) -> Option<f64> {
    let (neg, mut i) = match s.first() {
        Some(b'-') => (true, 1),
        Some(b'+') => (false, 1),
        _ => (false, 0),
    };
    // At most 19 digits cannot overflow u64 (10^19 − 1 < 2^64); more go to the standard parser.
    let mut m: u64 = 0;
    let int_start = i;
    while i < s.len() && s[i].is_ascii_digit() {
        m = m.wrapping_mul(10).wrapping_add((s[i] - b'0') as u64);
        i += 1;
    }
    let mut digits = i - int_start;
    let mut exp: i32 = 0;
    if i < s.len() && s[i] == b'.' {
        i += 1;
        let frac_start = i;
        while i < s.len() && s[i].is_ascii_digit() {
            m = m.wrapping_mul(10).wrapping_add((s[i] - b'0') as u64);
            i += 1;
        }
        let f = i - frac_start;
        digits += f;
        exp = -(f as i32);
    }
    if digits == 0 || digits > 19 {
        return None;
    }
    if i < s.len() && (s[i] == b'e' || s[i] == b'E') {
        i += 1;
        let eneg = match s.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let start = i;
        let mut e: i32 = 0;
        while i < s.len() && s[i].is_ascii_digit() {
            e = e.checked_mul(10)?.checked_add((s[i] - b'0') as i32)?;
            i += 1;
        }
        if i == start {
            return None;
        }
        exp = exp.checked_add(if eneg { -e } else { e })?;
    }
    if i != s.len() || m > (1u64 << 53) {
        return None;
    }
    let v = m as f64;
    let v = if exp >= 0 {
        *POW10.get(exp as usize)? * v
    } else {
        v / *POW10.get((-exp) as usize)?
    };
    Some(if neg { -v } else { v })
}

fn trim(mut f: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = f {
        if first.is_ascii_whitespace() {
            f = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = f {
        if last.is_ascii_whitespace() {
            f = rest;
        } else {
            break;
        }
    }
    f
}

fn parse_f64(field: &[u8]) -> Option<f64> {
    let f = trim(field);
    fast_f64(f).or_else(|| std::str::from_utf8(f).ok()?.parse::<f64>().ok())
}

/// f32 through the f64 fast path: r = fl64(d) rounds to the same f32 as d
/// unless r is exactly halfway between two f32 values (a halfway point is an
/// f64, so rounding d to f64 cannot cross one, only land on it); that case,
/// and values outside the normal f32 range, go to the standard parser.
fn fast_f32(s: &[u8]) -> Option<f32> {
    let r = fast_f64(s)?;
    let a = r.abs();
    if r == 0.0 {
        return Some(r as f32);
    }
    if !(a >= f32::MIN_POSITIVE as f64 && a <= f32::MAX as f64) {
        return None;
    }
    // f64 has 29 more mantissa bits than f32; halfway = exactly the top one of them set.
    if r.to_bits() & ((1 << 29) - 1) == 1 << 28 {
        return None;
    }
    Some(r as f32)
}

fn parse_f32(field: &[u8]) -> Option<f32> {
    let f = trim(field);
    fast_f32(f).or_else(|| std::str::from_utf8(f).ok()?.parse::<f32>().ok())
}

/// The parser state for one block of lines.
struct BlockParser<'a> {
    targets: &'a [Target],
    names: &'a [String],
    path: &'a Path,
    out: Block<'a>,
}

impl BlockParser<'_> {
    fn bad(&self, line: u64, k: usize, field: &[u8]) -> Error {
        let what = if field.iter().all(u8::is_ascii_whitespace) {
            "missing value".to_string()
        } else {
            format!("'{}' is not a number", String::from_utf8_lossy(field))
        };
        Error::format(
            self.path,
            format!("line {line}, column '{}': {what}", self.names[k]),
        )
    }

    /// Store one record's fields (`n` of them, from `fields`).
    fn record<'f>(&mut self, line: u64, n: usize, fields: impl Iterator<Item = &'f [u8]>) -> Result<()> {
        if n != self.targets.len() {
            return Err(Error::format(
                self.path,
                format!("line {line}: expected {} values, found {n}", self.targets.len()),
            ));
        }
        for (k, field) in fields.enumerate() {
            self.field(line, k, field)?;
        }
        Ok(())
    }

    /// Store field `k` of a record.
    #[inline]
    fn field(&mut self, line: u64, k: usize, field: &[u8]) -> Result<()> {
        match self.targets[k] {
            t @ (Target::X | Target::Y) => {
                let v = parse_f32(field).ok_or_else(|| self.bad(line, k, field))?;
                let r = self.out.rows;
                if t == Target::X {
                    self.out.x[r] = v
                } else {
                    self.out.y[r] = v
                }
            }
            Target::Frame => {
                let v = parse_f64(field).ok_or_else(|| self.bad(line, k, field))?;
                if !(v >= 1.0 && v <= u32::MAX as f64 && v.fract() == 0.0) {
                    return Err(Error::format(
                        self.path,
                        format!(
                            "line {line}, column 'frame': {v} is not a frame number \
                             (ThunderSTORM frames start at 1)"
                        ),
                    ));
                }
                self.out.frame[self.out.rows] = v as u32 - 1;
            }
            Target::Extra(i, dup) => {
                let v = parse_f64(field).ok_or_else(|| self.bad(line, k, field))?;
                let r = self.out.rows;
                self.out.extra[i][r] = v;
                if dup {
                    self.out.extra[i + 1][r] = v;
                }
            }
        }
        Ok(())
    }
}

/// Parse the data lines in `bytes`, the first of which is line `first_line`
/// of the file, into `out`; returns the number of rows.
fn parse_block(
    bytes: &[u8],
    first_line: u64,
    targets: &[Target],
    names: &[String],
    path: &Path,
    out: Block<'_>,
) -> Result<usize> {
    let mut p = BlockParser {
        targets,
        names,
        path,
        out,
    };
    if bytes.contains(&b'"') {
        // Quoted fields: the general CSV reader.
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes);
        let mut rec = csv::ByteRecord::new();
        loop {
            let more = rdr.read_byte_record(&mut rec).map_err(|e| {
                let line = e.position().map_or(first_line, |q| first_line + q.line() - 1);
                Error::format(path, format!("line {line}: {e}"))
            })?;
            if !more {
                break;
            }
            let line = rec.position().map_or(first_line, |q| first_line + q.line() - 1);
            if rec.len() == 1 && rec[0].iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            p.record(line, rec.len(), rec.iter())?;
            p.out.rows += 1;
        }
    } else {
        // Plain lines of comma-separated numbers (what ThunderSTORM writes),
        // scanned once: each field is parsed as soon as its end is found.
        let n = bytes.len();
        let want = targets.len();
        let mut line = first_line;
        let mut pos = 0;
        while pos < n {
            let mut k = 0;
            loop {
                let start = pos;
                while pos < n && bytes[pos] != b',' && bytes[pos] != b'\n' {
                    pos += 1;
                }
                let field = &bytes[start..pos];
                let at_eol = pos >= n || bytes[pos] == b'\n';
                pos += 1;
                if k == 0 && at_eol && field.iter().all(u8::is_ascii_whitespace) {
                    break; // blank line
                }
                if k < want {
                    p.field(line, k, field)?;
                }
                k += 1;
                if at_eol {
                    if k != want {
                        return Err(Error::format(
                            path,
                            format!("line {line}: expected {want} values, found {k}"),
                        ));
                    }
                    p.out.rows += 1;
                    break;
                }
            }
            line += 1;
        }
    }
    Ok(p.out.rows)
}

/// Advances a progress bar by one step when dropped (a block done, or failed).
struct Tick<'a>(&'a crate::progress::Progress);

impl Drop for Tick<'_> {
    fn drop(&mut self) {
        self.0.inc(1);
    }
}

/// `v` cut into consecutive slices of the given lengths.
fn split_by<'a, T>(mut v: &'a mut [T], lens: &[usize]) -> Vec<&'a mut [T]> {
    let mut out = Vec::with_capacity(lens.len());
    for &l in lens {
        let (a, b) = std::mem::take(&mut v).split_at_mut(l);
        out.push(a);
        v = b;
    }
    out
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
        .map(|&(a, b)| body[a..b].iter().map(|&c| (c == b'\n') as u64).sum::<u64>())
        .collect();
    let mut first_lines = Vec::with_capacity(ranges.len());
    let mut line = 2u64;
    for nl in &newlines {
        first_lines.push(line);
        line += nl;
    }
    crate::interrupt::check()?;
    // One output row per line; blocks fill disjoint slices of the final columns.
    let caps: Vec<usize> = newlines.iter().map(|&n| n as usize + 1).collect();
    let total: usize = caps.iter().sum();
    let mut frame = vec![0u32; total];
    let mut x = vec![0f32; total];
    let mut y = vec![0f32; total];
    let mut cols: Vec<Vec<f64>> = vec![vec![0f64; total]; extra.len()];
    let rows: Vec<Result<usize>> = {
        let mut ex: Vec<Vec<&mut [f64]>> = (0..caps.len()).map(|_| Vec::new()).collect();
        for c in cols.iter_mut() {
            for (b, sl) in split_by(c, &caps).into_iter().enumerate() {
                ex[b].push(sl);
            }
        }
        let jobs: Vec<_> = split_by(&mut frame, &caps)
            .into_iter()
            .zip(split_by(&mut x, &caps))
            .zip(split_by(&mut y, &caps))
            .zip(ex)
            .zip(ranges.iter().zip(&first_lines))
            .collect();
        let progress = crate::progress::Progress::new(jobs.len() as u64, "reading CSV");
        jobs.into_par_iter()
            .map(|((((frame, x), y), extra), (&(a, b), &fl))| {
                crate::interrupt::check()?;
                let _tick = Tick(&progress);
                let out = Block {
                    frame,
                    x,
                    y,
                    extra,
                    rows: 0,
                };
                parse_block(&body[a..b], fl, &targets, &names, path, out)
            })
            .collect()
    };
    // Close the gaps left by blank lines, then cut to length.
    let mut dst = 0;
    let mut start = 0;
    for (r, cap) in rows.into_iter().zip(&caps) {
        let r = r?;
        if start != dst {
            frame.copy_within(start..start + r, dst);
            x.copy_within(start..start + r, dst);
            y.copy_within(start..start + r, dst);
            for c in cols.iter_mut() {
                c.copy_within(start..start + r, dst);
            }
        }
        dst += r;
        start += cap;
    }
    frame.truncate(dst);
    x.truncate(dst);
    y.truncate(dst);
    for c in cols.iter_mut() {
        c.truncate(dst);
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

/// Shortest decimal that reads back as the same value; Java's spelling of
/// the non-finite values (which Rust's parser also reads).
fn push_float<F: ryu::Float>(s: &mut Vec<u8>, v: F, finite: bool, nan: bool, neg: bool) {
    if finite {
        s.extend_from_slice(ryu::Buffer::new().format_finite(v).as_bytes());
    } else if nan {
        s.extend_from_slice(b"NaN");
    } else if neg {
        s.extend_from_slice(b"-Infinity");
    } else {
        s.extend_from_slice(b"Infinity");
    }
}

fn push_f32(s: &mut Vec<u8>, v: f32) {
    push_float(s, v, v.is_finite(), v.is_nan(), v < 0.0);
}

fn push_f64(s: &mut Vec<u8>, v: f64) {
    push_float(s, v, v.is_finite(), v.is_nan(), v < 0.0);
}

fn push_int<I: itoa::Integer>(s: &mut Vec<u8>, v: I) {
    s.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

fn push_value(s: &mut Vec<u8>, c: &ColumnData, i: usize) {
    match c {
        ColumnData::U32(v) => push_int(s, v[i]),
        ColumnData::I32(v) => push_int(s, v[i]),
        ColumnData::I64(v) => push_int(s, v[i]),
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
    let texts: Vec<Vec<u8>> = (0..n.div_ceil(BLOCK))
        .into_par_iter()
        .map(|b| {
            let mut s = Vec::with_capacity(BLOCK * 12 * header.len());
            for i in b * BLOCK..((b + 1) * BLOCK).min(n) {
                push_int(&mut s, locs.frame[i] as u64 + 1);
                s.push(b',');
                push_f32(&mut s, locs.x[i]);
                s.push(b',');
                push_f32(&mut s, locs.y[i]);
                for c in &cols {
                    s.push(b',');
                    push_value(&mut s, c, i);
                }
                s.push(b'\n');
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
            w.write_all(t).map_err(|e| Error::io(&tmp, e))?;
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
    fn fast_float_path_matches_std() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        let mut hits = 0;
        let mut check = |t: &str| {
            let want: f64 = t.trim().parse().unwrap();
            let got = parse_f64(t.as_bytes()).unwrap();
            assert_eq!(got.to_bits(), want.to_bits(), "{t}");
            hits += fast_f64(t.as_bytes()).is_some() as usize;
        };
        for t in [
            "0",
            "-0",
            "1",
            "+2.5",
            "0.0717917",
            "20402.488",
            "1e-300",
            "1.5E+3",
            "123456789012345678",
            "9007199254740993",
            "12345678901234567890123",
            "1e22",
            "1e23",
            "4.9e-324",
            ".5",
            "5.",
            "  7.25 ",
            "-1.0e-5",
        ] {
            check(t);
        }
        for _ in 0..100_000 {
            let v: f64 = rng.random_range(-1e6..1e6) * 10f64.powi(rng.random_range(-12..12));
            check(&format!("{v}"));
            check(&format!("{v:e}"));
            check(&format!("{:.3}", v));
            check(&format!("{}", v as f32));
        }
        assert!(hits > 200_000, "fast path rarely taken: {hits}");
        for bad in ["", "-", "1e", "e5", "1.2.3", "abc", "1,5", "0x10"] {
            assert!(fast_f64(bad.as_bytes()).is_none(), "{bad}");
        }
        assert!(parse_f64(b"abc").is_none());
        // f32: through f64 unless halfway; compare with the standard f32 parser.
        let check32 = |t: &str| {
            let want: f32 = t.trim().parse().unwrap();
            assert_eq!(parse_f32(t.as_bytes()).unwrap().to_bits(), want.to_bits(), "{t}");
        };
        // 1 + 2^-24 is halfway between two f32 values; 16777217 likewise.
        for t in [
            "1.000000059604644775390625",
            "16777217",
            "3.4028235e38",
            "1e-40",
            "0.1",
            "-0.0",
        ] {
            check32(t);
        }
        for _ in 0..100_000 {
            let v: f64 = rng.random_range(-1e5..1e5);
            check32(&format!("{v}"));
            check32(&format!("{:.3}", v));
            check32(&format!("{}", v as f32));
            // Exact halfway points between neighbouring f32 values.
            let f = v as f32;
            let mid = (f as f64 + f.next_up() as f64) / 2.0;
            check32(&format!("{mid}"));
        }
        assert!(parse_f64(b"NaN").unwrap().is_nan());
        assert_eq!(parse_f64(b"-Infinity"), Some(f64::NEG_INFINITY));
    }

    #[test]
    fn quoted_values_parse_like_plain() {
        let dir = tempfile::tempdir().unwrap();
        let plain = write_file(
            dir.path(),
            "p.csv",
            "\"frame\",\"x [nm]\",\"y [nm]\",\"a\"\n1,2.5,3,4\n\n2,5,6,7.125\n",
        );
        let quoted = write_file(
            dir.path(),
            "q.csv",
            "\"frame\",\"x [nm]\",\"y [nm]\",\"a\"\n\"1\",\"2.5\",3,4\n\n2,5,6,\"7.125\"\n",
        );
        let (a, _) = Locs::load(&plain, None, None).unwrap();
        let (b, _) = Locs::load(&quoted, None, None).unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!((a.frame(), a.x(), a.y()), (b.frame(), b.x(), b.y()));
        assert_eq!(a.column("a").unwrap(), b.column("a").unwrap());
        let bad = write_file(
            dir.path(),
            "b.csv",
            "\"frame\",\"x [nm]\",\"y [nm]\"\n1,2,3\n\"2\",\"x\",3\n",
        );
        let e = Locs::load(&bad, None, None).unwrap_err().to_string();
        assert!(e.contains("line 3, column 'x [nm]'"), "{e}");
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
