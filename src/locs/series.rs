//! Vectorised columns and masks of a localization table (SCRIPTING.md
//! "Columns and masks"; the table itself is docs/methods.md §1).
//!
//! A [`Series`] is one column as f64 values behind an `Arc` (cloning shares
//! the values), with a name and an optional unit; it is what scripts call a
//! `Column` (the name [`super::Column`] is taken by the stored extra column).
//! A [`Mask`] is one bit per row (a packed bitset) and a text describing how it
//! was made (`photons > 1000 & sx < 150`), which `where` writes into the
//! table's history.
//!
//! # Semantics (numpy's, where it has one)
//! * Element-wise arithmetic (`+ - * / **`, `neg abs sqrt log exp round floor
//!   ceil`) follows IEEE 754 like numpy: `x / 0` is ±inf, `sqrt(-1)` and
//!   `log(-1)` are NaN; nothing raises. Two columns must have the same length
//!   (the error names both). `log` is the natural logarithm, `round` rounds
//!   half to even (`np.round`).
//! * Comparisons give masks; any comparison with NaN is false (so `!(a < b)` is
//!   not `a >= b` where NaNs are involved), `!=` with NaN is true.
//! * Reductions propagate NaN as numpy's do: `sum`, `mean`, `std`, `min`,
//!   `max`, `median`, `quantile` of a column holding a NaN are NaN. Skip NaNs
//!   explicitly with [`Series::drop_nan`] (`p.drop_nan().mean()`).
//! * Empty columns: `sum` is 0; `mean`, `std`, `min`, `max`, `median` and
//!   `quantile` are NaN (as pandas; numpy raises for `min`/`max`).
//! * `sum` is pairwise (numpy's algorithm: blocks of 128 summed with 8
//!   accumulators, halves added), so it matches numpy to the last bits and
//!   is the same with any number of threads.
//! * `std(ddof)` is `sqrt(Σ(x − mean)² / (n − ddof))` (two passes); the
//!   script-level default is [`STD_DDOF`] = 1 (the sample standard
//!   deviation, as pandas and as `describe`; numpy's default is 0). NaN when
//!   `n <= ddof`.
//! * `quantile(q)` is numpy's default `linear` method (type 7 of Hyndman and
//!   Fan 1996): the order statistic at `q (n − 1)`, interpolated. `median`
//!   is numpy's (the mean of the two middle values for even n).
//! * [`Series::hist`] is `numpy.histogram` with equal bins: `bins + 1` edges
//!   from `np.linspace(lo, hi, bins + 1)`, bins half-open `[a, b)` except
//!   the last, which is closed `[a, b]`; values outside the range and NaN are
//!   not counted. Without a range it is the min/max of the finite values
//!   (numpy raises when a NaN or inf is present); a zero-width range is
//!   widened by ±0.5, an empty column gives `[0, 1]`, as numpy.
//! * [`Locs::describe`] skips NaN per column (as pandas): count of non-NaN
//!   values, mean, sd (ddof = 1), min, the quartiles (linear) and max.
//!
//! # Storing a column ([`Locs::with_column`])
//! `x` and `y` are stored f32 (nm) and must be finite; `frame` as u32 (whole
//! numbers ≥ 0). For other columns the stored type ([`Dtype`]) is, in order:
//! the `dtype` asked for (an error when the values do not fit an integer
//! type); else the type of the column being replaced; else, for a column
//! taken unchanged from a table (`locs.col("group")`), its type there; else
//! f32 (Picasso's float type; 7 significant digits). A kept integer type
//! applies only when every value is a whole number in its range, and f32
//! only when every finite value is within f32's range; otherwise the column
//! is stored f64, so nothing is lost silently beyond f32 rounding. The unit
//! is the series' (ThunderSTORM headers write it; Picasso converts `sx`,
//! `sy`, `lpx`, `lpy` back to pixels by name, as on load).
//!
//! # Speed
//! Arrays of at least 65 536 values are processed in parallel with rayon, in
//! fixed blocks (results do not depend on the number of threads). Masks are
//! built 64 rows per word; `where` copies runs of selected rows per block.

use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use rayon::prelude::*;

use super::{Column, ColumnData, Locs};
use crate::error::{Error, Result};

/// Arrays at least this long are processed with rayon.
const PAR_MIN: usize = 1 << 16;
/// Values per parallel block (a multiple of 64).
const BLOCK: usize = 1 << 14;
/// Words of a mask per parallel block.
const BLOCK_WORDS: usize = BLOCK / 64;
/// Longest expression text kept in a derived name or a mask description.
const MAX_EXPR: usize = 160;
/// The largest number of histogram bins.
pub const MAX_BINS: usize = 10_000_000;

/// The default `ddof` of `std` at the script level (1: the sample standard
/// deviation, as pandas and [`Locs::describe`]; numpy's default is 0).
pub const STD_DDOF: u32 = 1;

// ---------------------------------------------------------------------------
// Storage types

/// The type a column is stored with (numpy names: `u4 i4 i8 f4 f8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dtype {
    /// Unsigned 32-bit integer (`u4`).
    U32,
    /// Signed 32-bit integer (`i4`).
    I32,
    /// Signed 64-bit integer (`i8`).
    I64,
    /// 32-bit float (`f4`).
    F32,
    /// 64-bit float (`f8`).
    F64,
}

impl Dtype {
    /// All types, in the order of their names in messages.
    pub const ALL: [Dtype; 5] = [Dtype::U32, Dtype::I32, Dtype::I64, Dtype::F32, Dtype::F64];
    /// Their names, as [`Dtype::name`] (`FromStr` also takes `u32`, `float32`, ...).
    pub const NAMES: &'static [&'static str] = &["u4", "i4", "i8", "f4", "f8"];

    /// The numpy-style name: `u4`, `i4`, `i8`, `f4` or `f8`.
    pub fn name(self) -> &'static str {
        match self {
            Dtype::U32 => "u4",
            Dtype::I32 => "i4",
            Dtype::I64 => "i8",
            Dtype::F32 => "f4",
            Dtype::F64 => "f8",
        }
    }

    /// The type of stored values.
    pub fn of(data: &ColumnData) -> Dtype {
        match data {
            ColumnData::U32(_) => Dtype::U32,
            ColumnData::I32(_) => Dtype::I32,
            ColumnData::I64(_) => Dtype::I64,
            ColumnData::F32(_) => Dtype::F32,
            ColumnData::F64(_) => Dtype::F64,
        }
    }

    /// The inclusive range of an integer type (`None` for floats). The i64
    /// range is the part of it f64 holds exactly enough to convert back.
    fn int_range(self) -> Option<(f64, f64)> {
        match self {
            Dtype::U32 => Some((0.0, u32::MAX as f64)),
            Dtype::I32 => Some((i32::MIN as f64, i32::MAX as f64)),
            // 2^63 itself is not an i64; the largest f64 below it is.
            Dtype::I64 => Some((-(2f64.powi(63)), 2f64.powi(63) - 1024.0)),
            Dtype::F32 | Dtype::F64 => None,
        }
    }

    /// The first row whose value this type cannot hold (integers: a whole
    /// number in range; f32: NaN, ±inf or a finite value within f32's range).
    fn first_misfit(self, v: &[f64]) -> Option<usize> {
        match self.int_range() {
            Some((lo, hi)) => v.iter().position(|&a| !(a >= lo && a <= hi && a.fract() == 0.0)),
            None if self == Dtype::F32 => v.iter().position(|&a| a.is_finite() && a.abs() > f32::MAX as f64),
            None => None,
        }
    }

    /// Values converted to this type (integers must fit: see `first_misfit`).
    fn convert(self, v: &[f64]) -> ColumnData {
        match self {
            Dtype::U32 => ColumnData::U32(v.iter().map(|&a| a as u32).collect()),
            Dtype::I32 => ColumnData::I32(v.iter().map(|&a| a as i32).collect()),
            Dtype::I64 => ColumnData::I64(v.iter().map(|&a| a as i64).collect()),
            Dtype::F32 => ColumnData::F32(v.iter().map(|&a| a as f32).collect()),
            Dtype::F64 => ColumnData::F64(v.to_vec()),
        }
    }
}

impl FromStr for Dtype {
    type Err = Error;
    /// `u4`/`u32`, `i4`/`i32`, `i8`/`i64`, `f4`/`f32`, `f8`/`f64`.
    fn from_str(s: &str) -> Result<Dtype> {
        match s.to_ascii_lowercase().as_str() {
            "u4" | "u32" | "uint32" => Ok(Dtype::U32),
            "i4" | "i32" | "int32" => Ok(Dtype::I32),
            "i8" | "i64" | "int64" => Ok(Dtype::I64),
            "f4" | "f32" | "float32" => Ok(Dtype::F32),
            "f8" | "f64" | "float64" => Ok(Dtype::F64),
            _ => Err(Error::arg(
                "dtype",
                format!(
                    "unknown type '{s}'; expected one of u4, i4, i8, f4, f8 (or u32, i32, i64, f32, f64)"
                ),
            )),
        }
    }
}

impl fmt::Display for Dtype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

// ---------------------------------------------------------------------------
// Operators

/// A binary arithmetic operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    /// `a + b`
    Add,
    /// `a - b`
    Sub,
    /// `a * b`
    Mul,
    /// `a / b` (IEEE: `x / 0` is ±inf, `0 / 0` NaN)
    Div,
    /// `a ** b` (`f64::powf`)
    Pow,
}

impl BinaryOp {
    /// The operator as written in expressions.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Pow => "**",
        }
    }
}

/// A function applied to every value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    /// `-a`
    Neg,
    /// `|a|`
    Abs,
    /// `√a` (NaN below 0)
    Sqrt,
    /// natural logarithm (−inf at 0, NaN below)
    Log,
    /// base-10 logarithm
    Log10,
    /// `e^a`
    Exp,
    /// nearest whole number, half to even (`np.round`)
    Round,
    /// largest whole number ≤ a
    Floor,
    /// smallest whole number ≥ a
    Ceil,
}

impl UnaryOp {
    /// Every function, for registering them by name.
    pub const ALL: [UnaryOp; 9] = [
        UnaryOp::Neg,
        UnaryOp::Abs,
        UnaryOp::Sqrt,
        UnaryOp::Log,
        UnaryOp::Log10,
        UnaryOp::Exp,
        UnaryOp::Round,
        UnaryOp::Floor,
        UnaryOp::Ceil,
    ];

    /// Their names, as [`UnaryOp::name`].
    pub const NAMES: &'static [&'static str] = &[
        "neg", "abs", "sqrt", "log", "log10", "exp", "round", "floor", "ceil",
    ];

    /// The function's name (`neg`, `abs`, `sqrt`, `log`, `log10`, `exp`,
    /// `round`, `floor`, `ceil`).
    pub fn name(self) -> &'static str {
        match self {
            UnaryOp::Neg => "neg",
            UnaryOp::Abs => "abs",
            UnaryOp::Sqrt => "sqrt",
            UnaryOp::Log => "log",
            UnaryOp::Log10 => "log10",
            UnaryOp::Exp => "exp",
            UnaryOp::Round => "round",
            UnaryOp::Floor => "floor",
            UnaryOp::Ceil => "ceil",
        }
    }

    /// Whether the result keeps the unit of the argument.
    fn keeps_unit(self) -> bool {
        !matches!(self, UnaryOp::Sqrt | UnaryOp::Log | UnaryOp::Log10 | UnaryOp::Exp)
    }
}

impl FromStr for UnaryOp {
    type Err = Error;
    fn from_str(s: &str) -> Result<UnaryOp> {
        UnaryOp::ALL.into_iter().find(|op| op.name() == s).ok_or_else(|| {
            let names: Vec<&str> = UnaryOp::ALL.iter().map(|o| o.name()).collect();
            Error::arg(
                "function",
                format!("unknown function '{s}'; expected one of {}", names.join(", ")),
            )
        })
    }
}

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `a < b`
    Lt,
    /// `a <= b`
    Le,
    /// `a > b`
    Gt,
    /// `a >= b`
    Ge,
    /// `a == b`
    Eq,
    /// `a != b`
    Ne,
}

impl CmpOp {
    /// The operator as written in expressions.
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
        }
    }

    /// The comparison with its sides swapped: `k < col` is `col > k`.
    pub fn flipped(self) -> CmpOp {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
            CmpOp::Eq => CmpOp::Eq,
            CmpOp::Ne => CmpOp::Ne,
        }
    }
}

// ---------------------------------------------------------------------------
// Expression text

/// `s`, cut to [`MAX_EXPR`] characters with an ellipsis.
fn clip(s: String) -> String {
    if s.chars().count() <= MAX_EXPR {
        s
    } else {
        let mut t: String = s.chars().take(MAX_EXPR - 1).collect();
        t.push('…');
        t
    }
}

/// An operand in an expression: parenthesised when it is itself compound.
fn operand(s: &str) -> String {
    if s.contains(' ') && !wrapped(s) {
        format!("({s})")
    } else {
        s.to_string()
    }
}

/// Whether `s` is one parenthesised group: `(a & b)`, not `(a) & (b)`.
fn wrapped(s: &str) -> bool {
    if !s.starts_with('(') {
        return false;
    }
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1 == s.len();
                }
            }
            _ => {}
        }
    }
    false
}

/// A number as written in expressions (`1000`, `0.5`, `1e-9`).
fn number(k: f64) -> String {
    format!("{k}")
}

// ---------------------------------------------------------------------------
// Kernels

fn map1(v: &[f64], f: impl Fn(f64) -> f64 + Sync + Send) -> Vec<f64> {
    if v.len() >= PAR_MIN {
        v.par_iter().with_min_len(BLOCK).map(|&a| f(a)).collect()
    } else {
        v.iter().map(|&a| f(a)).collect()
    }
}

fn map2(a: &[f64], b: &[f64], f: impl Fn(f64, f64) -> f64 + Sync + Send) -> Vec<f64> {
    if a.len() >= PAR_MIN {
        a.par_iter()
            .zip(b.par_iter())
            .with_min_len(BLOCK)
            .map(|(&x, &y)| f(x, y))
            .collect()
    } else {
        a.iter().zip(b).map(|(&x, &y)| f(x, y)).collect()
    }
}

/// One bit per value: bit `i % 64` of word `i / 64` is `f(v[i])`.
fn pack1(v: &[f64], f: impl Fn(f64) -> bool + Sync + Send) -> Vec<u64> {
    let fill = |ws: &mut [u64], vs: &[f64]| {
        for (w, c) in ws.iter_mut().zip(vs.chunks(64)) {
            let mut bits = 0u64;
            for (i, &a) in c.iter().enumerate() {
                bits |= (f(a) as u64) << i;
            }
            *w = bits;
        }
    };
    let mut words = vec![0u64; v.len().div_ceil(64)];
    if v.len() >= PAR_MIN {
        words
            .par_chunks_mut(BLOCK_WORDS)
            .zip(v.par_chunks(BLOCK))
            .for_each(|(ws, vs)| fill(ws, vs));
    } else {
        fill(&mut words, v);
    }
    words
}

/// One bit per pair: `f(a[i], b[i])` (equal lengths).
fn pack2(a: &[f64], b: &[f64], f: impl Fn(f64, f64) -> bool + Sync + Send) -> Vec<u64> {
    let fill = |ws: &mut [u64], xs: &[f64], ys: &[f64]| {
        for ((w, cx), cy) in ws.iter_mut().zip(xs.chunks(64)).zip(ys.chunks(64)) {
            let mut bits = 0u64;
            for (i, (&x, &y)) in cx.iter().zip(cy).enumerate() {
                bits |= (f(x, y) as u64) << i;
            }
            *w = bits;
        }
    };
    let mut words = vec![0u64; a.len().div_ceil(64)];
    if a.len() >= PAR_MIN {
        words
            .par_chunks_mut(BLOCK_WORDS)
            .zip(a.par_chunks(BLOCK).zip(b.par_chunks(BLOCK)))
            .for_each(|(ws, (xs, ys))| fill(ws, xs, ys));
    } else {
        fill(&mut words, a, b);
    }
    words
}

/// Sum of `f(v[i])`, pairwise as numpy's `pairwise_sum` (the tree depends on
/// the length only, so the parallel halves give the serial result).
fn pairwise<F: Fn(f64) -> f64 + Sync>(v: &[f64], f: &F) -> f64 {
    let n = v.len();
    if n < 8 {
        let mut s = 0.0;
        for &a in v {
            s += f(a);
        }
        s
    } else if n <= 128 {
        let mut r = [0.0f64; 8];
        for (k, r) in r.iter_mut().enumerate() {
            *r = f(v[k]);
        }
        let mut i = 8;
        while i + 8 <= n {
            for (k, r) in r.iter_mut().enumerate() {
                *r += f(v[i + k]);
            }
            i += 8;
        }
        let mut s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &a in &v[i..] {
            s += f(a);
        }
        s
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        let (a, b) = v.split_at(n2);
        if n >= PAR_MIN {
            let (x, y) = rayon::join(|| pairwise(a, f), || pairwise(b, f));
            x + y
        } else {
            pairwise(a, f) + pairwise(b, f)
        }
    }
}

/// (min, max, has NaN) of `v`; (inf, −inf) when empty.
fn min_max(v: &[f64]) -> (f64, f64, bool) {
    let local = |c: &[f64]| {
        c.iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY, false), |(lo, hi, nan), &a| {
                (lo.min(a), hi.max(a), nan || a.is_nan())
            })
    };
    let join = |a: (f64, f64, bool), b: (f64, f64, bool)| (a.0.min(b.0), a.1.max(b.1), a.2 || b.2);
    if v.len() >= PAR_MIN {
        v.par_chunks(BLOCK)
            .map(local)
            .reduce(|| (f64::INFINITY, f64::NEG_INFINITY, false), join)
    } else {
        local(v)
    }
}

/// The order statistics `ks` (ascending, each < `v.len()`) of `v`, which is
/// reordered.
fn order_stats(v: &mut [f64], ks: &[usize]) -> Vec<f64> {
    let mut out: Vec<f64> = Vec::with_capacity(ks.len());
    // After selecting k, v[..=k] holds values <= v[k] <= v[k + 1..].
    let mut start = 0;
    for &k in ks {
        if k < start {
            // a repeated k (ks ascending)
            out.push(v[k]);
            continue;
        }
        let (_, x, _) = v[start..].select_nth_unstable_by(k - start, f64::total_cmp);
        out.push(*x);
        start = k + 1;
    }
    out
}

/// numpy's `_lerp`: `a + (b − a) t`, computed from the nearer end.
fn lerp(a: f64, b: f64, t: f64) -> f64 {
    let d = b - a;
    if t >= 0.5 {
        b - d * (1.0 - t)
    } else {
        a + d * t
    }
}

/// Copy the values of `v` whose bit is set in `words` (tail bits clear),
/// `count` of them, in order.
fn compress<T: Copy + Default + Send + Sync>(v: &[T], words: &[u64], count: usize) -> Vec<T> {
    fn block<T: Copy>(dst: &mut [T], v: &[T], ws: &[u64]) {
        let mut j = 0;
        for (k, &w) in ws.iter().enumerate() {
            let base = k * 64;
            if w == u64::MAX {
                dst[j..j + 64].copy_from_slice(&v[base..base + 64]);
                j += 64;
                continue;
            }
            let mut w = w;
            while w != 0 {
                dst[j] = v[base + w.trailing_zeros() as usize];
                j += 1;
                w &= w - 1;
            }
        }
    }
    let mut out = vec![T::default(); count];
    if v.len() < PAR_MIN {
        block(&mut out, v, words);
        return out;
    }
    let counts: Vec<usize> = words
        .par_chunks(BLOCK_WORDS)
        .map(|ws| ws.iter().map(|w| w.count_ones() as usize).sum())
        .collect();
    let mut parts: Vec<&mut [T]> = Vec::with_capacity(counts.len());
    let mut rest: &mut [T] = &mut out;
    for &c in &counts {
        let (a, b) = rest.split_at_mut(c);
        parts.push(a);
        rest = b;
    }
    parts
        .into_par_iter()
        .zip(words.par_chunks(BLOCK_WORDS).zip(v.par_chunks(BLOCK)))
        .for_each(|(dst, (ws, vs))| block(dst, vs, ws));
    out
}

/// Values as f64 (in parallel for long columns).
fn widen<T: Copy + Into<f64> + Send + Sync>(v: &[T]) -> Vec<f64> {
    if v.len() >= PAR_MIN {
        v.par_iter().with_min_len(BLOCK).map(|&a| a.into()).collect()
    } else {
        v.iter().map(|&a| a.into()).collect()
    }
}

fn compress_data(data: &ColumnData, words: &[u64], count: usize) -> ColumnData {
    match data {
        ColumnData::U32(v) => ColumnData::U32(compress(v, words, count)),
        ColumnData::I32(v) => ColumnData::I32(compress(v, words, count)),
        ColumnData::I64(v) => ColumnData::I64(compress(v, words, count)),
        ColumnData::F32(v) => ColumnData::F32(compress(v, words, count)),
        ColumnData::F64(v) => ColumnData::F64(compress(v, words, count)),
    }
}

fn shape_error(what: &str, a: (&str, usize), b: (&str, usize)) -> Error {
    Error::Shape(format!(
        "{what}: '{}' has {} values, '{}' has {}",
        a.0, a.1, b.0, b.1
    ))
}

// ---------------------------------------------------------------------------
// Series

/// One column as shared f64 values, with a name and a unit (the script type
/// `Column`). Cloning shares the values.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    name: String,
    unit: Option<String>,
    values: Arc<Vec<f64>>,
    source: Option<Dtype>,
}

impl Series {
    /// A column from values.
    pub fn new(name: impl Into<String>, unit: Option<&str>, values: Vec<f64>) -> Series {
        Series {
            name: name.into(),
            unit: unit.map(str::to_string),
            values: Arc::new(values),
            source: None,
        }
    }

    fn derived(&self, name: String, unit: Option<String>, values: Vec<f64>) -> Series {
        Series {
            name: clip(name),
            unit,
            values: Arc::new(values),
            source: None,
        }
    }

    /// The column's name: its name in the table, or the expression that
    /// computed it (`photons / bg`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The unit, when known (`nm` for x, y, sx, …).
    pub fn unit(&self) -> Option<&str> {
        self.unit.as_deref()
    }

    /// The values.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// A copy of the values.
    pub fn to_vec(&self) -> Vec<f64> {
        self.values.to_vec()
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The stored type of the table column this series is, unchanged (from
    /// [`Locs::col`]); `None` once computed on.
    pub fn source_dtype(&self) -> Option<Dtype> {
        self.source
    }

    /// The same values under another name.
    pub fn renamed(&self, name: impl Into<String>) -> Series {
        Series {
            name: name.into(),
            ..self.clone()
        }
    }

    /// The same values with another unit.
    pub fn with_unit(&self, unit: Option<&str>) -> Series {
        Series {
            unit: unit.map(str::to_string),
            ..self.clone()
        }
    }

    fn check_same_len(&self, other: &Series, what: &str) -> Result<()> {
        if self.len() != other.len() {
            return Err(shape_error(
                what,
                (&self.name, self.len()),
                (&other.name, other.len()),
            ));
        }
        Ok(())
    }

    /// `self op rhs`, element by element. Errors when the lengths differ.
    pub fn binary(&self, op: BinaryOp, rhs: &Series) -> Result<Series> {
        self.check_same_len(rhs, op.symbol())?;
        let (a, b) = (self.values(), rhs.values());
        let v = match op {
            BinaryOp::Add => map2(a, b, |x, y| x + y),
            BinaryOp::Sub => map2(a, b, |x, y| x - y),
            BinaryOp::Mul => map2(a, b, |x, y| x * y),
            BinaryOp::Div => map2(a, b, |x, y| x / y),
            BinaryOp::Pow => map2(a, b, f64::powf),
        };
        let unit = match op {
            BinaryOp::Add | BinaryOp::Sub if self.unit == rhs.unit => self.unit.clone(),
            _ => None,
        };
        let name = format!("{} {} {}", operand(&self.name), op.symbol(), operand(&rhs.name));
        Ok(self.derived(name, unit, v))
    }

    /// `self op k` for every value.
    pub fn binary_scalar(&self, op: BinaryOp, k: f64) -> Series {
        let a = self.values();
        let v = match op {
            BinaryOp::Add => map1(a, |x| x + k),
            BinaryOp::Sub => map1(a, |x| x - k),
            BinaryOp::Mul => map1(a, |x| x * k),
            BinaryOp::Div => map1(a, |x| x / k),
            BinaryOp::Pow => map1(a, |x| x.powf(k)),
        };
        let unit = match op {
            BinaryOp::Pow => None,
            _ => self.unit.clone(),
        };
        let name = format!("{} {} {}", operand(&self.name), op.symbol(), number(k));
        self.derived(name, unit, v)
    }

    /// `k op self` for every value.
    pub fn scalar_binary(k: f64, op: BinaryOp, rhs: &Series) -> Series {
        let a = rhs.values();
        let v = match op {
            BinaryOp::Add => map1(a, |x| k + x),
            BinaryOp::Sub => map1(a, |x| k - x),
            BinaryOp::Mul => map1(a, |x| k * x),
            BinaryOp::Div => map1(a, |x| k / x),
            BinaryOp::Pow => map1(a, |x| k.powf(x)),
        };
        let unit = match op {
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul => rhs.unit.clone(),
            BinaryOp::Div | BinaryOp::Pow => None,
        };
        let name = format!("{} {} {}", number(k), op.symbol(), operand(&rhs.name));
        rhs.derived(name, unit, v)
    }

    /// `op(self)` for every value.
    pub fn unary(&self, op: UnaryOp) -> Series {
        let a = self.values();
        let v = match op {
            UnaryOp::Neg => map1(a, |x| -x),
            UnaryOp::Abs => map1(a, f64::abs),
            UnaryOp::Sqrt => map1(a, f64::sqrt),
            UnaryOp::Log => map1(a, f64::ln),
            UnaryOp::Log10 => map1(a, f64::log10),
            UnaryOp::Exp => map1(a, f64::exp),
            UnaryOp::Round => map1(a, f64::round_ties_even),
            UnaryOp::Floor => map1(a, f64::floor),
            UnaryOp::Ceil => map1(a, f64::ceil),
        };
        let name = match op {
            UnaryOp::Neg => format!("-{}", operand(&self.name)),
            _ => format!("{}({})", op.name(), self.name),
        };
        let unit = if op.keeps_unit() { self.unit.clone() } else { None };
        self.derived(name, unit, v)
    }

    /// `self op rhs` per row, as a mask. Errors when the lengths differ.
    pub fn compare(&self, op: CmpOp, rhs: &Series) -> Result<Mask> {
        self.check_same_len(rhs, op.symbol())?;
        let (a, b) = (self.values(), rhs.values());
        let words = match op {
            CmpOp::Lt => pack2(a, b, |x, y| x < y),
            CmpOp::Le => pack2(a, b, |x, y| x <= y),
            CmpOp::Gt => pack2(a, b, |x, y| x > y),
            CmpOp::Ge => pack2(a, b, |x, y| x >= y),
            CmpOp::Eq => pack2(a, b, |x, y| x == y),
            CmpOp::Ne => pack2(a, b, |x, y| x != y),
        };
        let expr = format!("{} {} {}", operand(&self.name), op.symbol(), operand(&rhs.name));
        Ok(Mask::from_words(words, self.len(), expr))
    }

    /// `self op k` per row, as a mask (for `k op self` use [`CmpOp::flipped`]).
    pub fn compare_scalar(&self, op: CmpOp, k: f64) -> Mask {
        let a = self.values();
        let words = match op {
            CmpOp::Lt => pack1(a, |x| x < k),
            CmpOp::Le => pack1(a, |x| x <= k),
            CmpOp::Gt => pack1(a, |x| x > k),
            CmpOp::Ge => pack1(a, |x| x >= k),
            CmpOp::Eq => pack1(a, |x| x == k),
            CmpOp::Ne => pack1(a, |x| x != k),
        };
        let expr = format!("{} {} {}", operand(&self.name), op.symbol(), number(k));
        Mask::from_words(words, self.len(), expr)
    }

    /// Rows whose value is NaN.
    pub fn is_nan(&self) -> Mask {
        Mask::from_words(
            pack1(self.values(), f64::is_nan),
            self.len(),
            format!("is_nan({})", self.name),
        )
    }

    /// Rows whose value is finite (not NaN, not ±inf).
    pub fn is_finite(&self) -> Mask {
        Mask::from_words(
            pack1(self.values(), f64::is_finite),
            self.len(),
            format!("is_finite({})", self.name),
        )
    }

    /// The values where `mask` is true, in order (name, unit and stored type
    /// kept). Errors when the lengths differ.
    pub fn where_mask(&self, mask: &Mask) -> Result<Series> {
        if mask.len() != self.len() {
            return Err(shape_error(
                "where",
                (&self.name, self.len()),
                (&format!("mask {}", mask.expr()), mask.len()),
            ));
        }
        Ok(Series {
            values: Arc::new(compress(self.values(), &mask.words, mask.count())),
            ..self.clone()
        })
    }

    /// The values that are not NaN (name, unit and stored type kept).
    pub fn drop_nan(&self) -> Series {
        if !self.values.iter().any(|v| v.is_nan()) {
            return self.clone();
        }
        Series {
            values: Arc::new(self.values.iter().copied().filter(|v| !v.is_nan()).collect()),
            ..self.clone()
        }
    }

    /// Number of NaN values.
    pub fn count_nan(&self) -> usize {
        self.values.iter().filter(|v| v.is_nan()).count()
    }

    /// Sum of the values (pairwise, as numpy; 0 when empty; NaN propagates).
    pub fn sum(&self) -> f64 {
        pairwise(self.values(), &|a| a)
    }

    /// Arithmetic mean (NaN when empty).
    pub fn mean(&self) -> f64 {
        if self.is_empty() {
            return f64::NAN;
        }
        self.sum() / self.len() as f64
    }

    /// Standard deviation `sqrt(Σ(x − mean)² / (n − ddof))`; NaN when
    /// `n <= ddof`. The script default is [`STD_DDOF`] (1).
    pub fn std(&self, ddof: u32) -> f64 {
        let n = self.len();
        if n <= ddof as usize {
            return f64::NAN;
        }
        let m = self.mean();
        let ss = pairwise(self.values(), &|a| (a - m) * (a - m));
        (ss / (n - ddof as usize) as f64).sqrt()
    }

    /// Smallest value (NaN when empty or when a value is NaN).
    pub fn min(&self) -> f64 {
        let (lo, _, nan) = min_max(self.values());
        if nan || self.is_empty() {
            f64::NAN
        } else {
            lo
        }
    }

    /// Largest value (NaN when empty or when a value is NaN).
    pub fn max(&self) -> f64 {
        let (_, hi, nan) = min_max(self.values());
        if nan || self.is_empty() {
            f64::NAN
        } else {
            hi
        }
    }

    /// Median as numpy's (mean of the two middle values for even n; NaN when
    /// empty or when a value is NaN).
    pub fn median(&self) -> f64 {
        let n = self.len();
        if n == 0 || self.values.iter().any(|v| v.is_nan()) {
            return f64::NAN;
        }
        let mut v = self.to_vec();
        if n % 2 == 1 {
            order_stats(&mut v, &[n / 2])[0]
        } else {
            let s = order_stats(&mut v, &[n / 2 - 1, n / 2]);
            (s[0] + s[1]) / 2.0
        }
    }

    /// Quantile `q` in [0, 1], numpy's default `linear` method (NaN when
    /// empty or when a value is NaN).
    pub fn quantile(&self, q: f64) -> Result<f64> {
        Ok(self.quantiles(&[q])?[0])
    }

    /// Several quantiles at once (one partial sort per quantile, no full sort).
    pub fn quantiles(&self, qs: &[f64]) -> Result<Vec<f64>> {
        for &q in qs {
            if !(0.0..=1.0).contains(&q) {
                return Err(Error::arg("q", format!("a quantile must be in [0, 1], got {q}")));
            }
        }
        let n = self.len();
        if n == 0 || self.values.iter().any(|v| v.is_nan()) {
            return Ok(vec![f64::NAN; qs.len()]);
        }
        // positions: (floor index, gamma) per q
        let pos: Vec<(usize, f64)> = qs
            .iter()
            .map(|&q| {
                let virt = q * (n - 1) as f64;
                let lo = virt.floor();
                ((lo as usize).min(n - 1), virt - lo)
            })
            .collect();
        let mut ks: Vec<usize> = pos.iter().flat_map(|&(k, _)| [k, (k + 1).min(n - 1)]).collect();
        ks.sort_unstable();
        ks.dedup();
        let mut v = self.to_vec();
        let stats = order_stats(&mut v, &ks);
        let at = |k: usize| stats[ks.binary_search(&k).unwrap_or(0)];
        Ok(pos
            .iter()
            .map(|&(k, g)| lerp(at(k), at((k + 1).min(n - 1)), g))
            .collect())
    }

    /// A histogram as `numpy.histogram` with equal bins (see the module
    /// documentation).
    pub fn hist(&self, opts: &HistOptions) -> Result<Histogram> {
        let (lo, hi) = hist_range(std::slice::from_ref(self), opts)?;
        Ok(hist_counts(self.values(), opts.bins, lo, hi))
    }
}

impl fmt::Display for Series {
    /// `Column photons [photon]: 564 values [1520.3, 880.1, …, 402.8]`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Column {}", self.name)?;
        if let Some(u) = &self.unit {
            write!(f, " [{u}]")?;
        }
        let v = self.values();
        write!(f, ": {} values [", v.len())?;
        let show = |f: &mut fmt::Formatter<'_>, vs: &[f64]| -> fmt::Result {
            let s: Vec<String> = vs.iter().map(|&a| fmt_g(a)).collect();
            f.write_str(&s.join(", "))
        };
        if v.len() <= 8 {
            show(f, v)?;
        } else {
            show(f, &v[..5])?;
            f.write_str(", …, ")?;
            show(f, &v[v.len() - 2..])?;
        }
        f.write_str("]")
    }
}

// ---------------------------------------------------------------------------
// Mask

/// One boolean per row, packed 64 per word (the script type `Mask`), with
/// the expression that made it. Cloning shares the bits.
#[derive(Debug, Clone, PartialEq)]
pub struct Mask {
    /// Bit `i % 64` of word `i / 64` is row `i`; bits past `len` are zero.
    words: Arc<Vec<u64>>,
    len: usize,
    expr: String,
}

impl Mask {
    fn from_words(mut words: Vec<u64>, len: usize, expr: String) -> Mask {
        let tail = len % 64;
        if tail != 0 {
            if let Some(w) = words.last_mut() {
                *w &= (1u64 << tail) - 1;
            }
        }
        Mask {
            words: Arc::new(words),
            len,
            expr: clip(expr),
        }
    }

    /// A mask from booleans (`expr` describes it in histories).
    pub fn from_bools(values: &[bool], expr: impl Into<String>) -> Mask {
        let words = values
            .chunks(64)
            .map(|c| c.iter().enumerate().fold(0u64, |w, (i, &b)| w | (b as u64) << i))
            .collect();
        Mask::from_words(words, values.len(), expr.into())
    }

    /// `len` rows, all `value`.
    pub fn constant(len: usize, value: bool) -> Mask {
        let w = if value { u64::MAX } else { 0 };
        Mask::from_words(vec![w; len.div_ceil(64)], len, value.to_string())
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the mask has no rows.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// How the mask was made (`photons > 1000 & sx < 150`).
    pub fn expr(&self) -> &str {
        &self.expr
    }

    /// The same bits with another description.
    pub fn with_expr(&self, expr: impl Into<String>) -> Mask {
        Mask {
            expr: clip(expr.into()),
            ..self.clone()
        }
    }

    /// Number of true rows.
    pub fn count(&self) -> usize {
        if self.words.len() * 64 >= PAR_MIN {
            self.words.par_iter().map(|w| w.count_ones() as usize).sum()
        } else {
            self.words.iter().map(|w| w.count_ones() as usize).sum()
        }
    }

    /// Whether any row is true.
    pub fn any(&self) -> bool {
        self.words.iter().any(|&w| w != 0)
    }

    /// Whether every row is true (true when empty).
    pub fn all(&self) -> bool {
        self.count() == self.len
    }

    /// Row `i`, or `None` past the end.
    pub fn get(&self, i: usize) -> Option<bool> {
        (i < self.len).then(|| self.words[i / 64] >> (i % 64) & 1 == 1)
    }

    /// The rows as booleans.
    pub fn to_vec(&self) -> Vec<bool> {
        (0..self.len)
            .map(|i| self.words[i / 64] >> (i % 64) & 1 == 1)
            .collect()
    }

    /// The indices of the true rows, ascending.
    pub fn indices(&self) -> Vec<usize> {
        let mut out = Vec::with_capacity(self.count());
        for (k, &w) in self.words.iter().enumerate() {
            let mut w = w;
            while w != 0 {
                out.push(k * 64 + w.trailing_zeros() as usize);
                w &= w - 1;
            }
        }
        out
    }

    fn combine(&self, other: &Mask, sym: &str, f: impl Fn(u64, u64) -> u64 + Sync + Send) -> Result<Mask> {
        if self.len != other.len {
            return Err(Error::Shape(format!(
                "{sym}: mask '{}' has {} rows, mask '{}' has {}",
                self.expr, self.len, other.expr, other.len
            )));
        }
        let words = if self.len >= PAR_MIN {
            self.words
                .par_iter()
                .zip(other.words.par_iter())
                .with_min_len(BLOCK_WORDS)
                .map(|(&a, &b)| f(a, b))
                .collect()
        } else {
            self.words
                .iter()
                .zip(other.words.iter())
                .map(|(&a, &b)| f(a, b))
                .collect()
        };
        let expr = format!("{} {sym} {}", operand(&self.expr), operand(&other.expr));
        Ok(Mask::from_words(words, self.len, expr))
    }

    /// Rows true in both (`a & b`). Errors when the lengths differ.
    pub fn and(&self, other: &Mask) -> Result<Mask> {
        self.combine(other, "&", |a, b| a & b)
    }

    /// Rows true in either (`a | b`). Errors when the lengths differ.
    pub fn or(&self, other: &Mask) -> Result<Mask> {
        self.combine(other, "|", |a, b| a | b)
    }

    /// Rows true in exactly one (`a ^ b`). Errors when the lengths differ.
    pub fn xor(&self, other: &Mask) -> Result<Mask> {
        self.combine(other, "^", |a, b| a ^ b)
    }

    /// The complement (`!a`).
    pub fn not(&self) -> Mask {
        let words = self.words.iter().map(|&w| !w).collect();
        Mask::from_words(words, self.len, format!("!{}", operand(&self.expr)))
    }
}

impl fmt::Display for Mask {
    /// `Mask photons > 1000: 120 of 564 rows`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mask {}: {} of {} rows", self.expr, self.count(), self.len)
    }
}

// ---------------------------------------------------------------------------
// Histograms

/// Options of [`Series::hist`].
#[derive(Debug, Clone, PartialEq)]
pub struct HistOptions {
    /// Number of equal bins, 1..=[`MAX_BINS`] (default 50; numpy's is 10).
    pub bins: usize,
    /// `(lo, hi)`, finite with `lo <= hi` (default: min and max of the
    /// finite values; `lo == hi` is widened by ±0.5, as numpy).
    pub range: Option<(f64, f64)>,
}

impl Default for HistOptions {
    fn default() -> Self {
        HistOptions {
            bins: 50,
            range: None,
        }
    }
}

/// Counts per bin and the `bins + 1` bin edges.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    /// Values per bin.
    pub counts: Vec<u64>,
    /// Bin edges, ascending (`counts.len() + 1` of them).
    pub edges: Vec<f64>,
}

impl Histogram {
    /// numpy's `density=True`: counts / (total × bin width), so that the
    /// bars integrate to 1 (all zero when nothing was counted).
    pub fn density(&self) -> Vec<f64> {
        let total: u64 = self.counts.iter().sum();
        self.counts
            .iter()
            .zip(self.edges.windows(2))
            .map(|(&c, e)| {
                if total == 0 {
                    0.0
                } else {
                    c as f64 / total as f64 / (e[1] - e[0])
                }
            })
            .collect()
    }
}

/// The histogram range of `cols` (one range for all), validated.
fn hist_range(cols: &[Series], opts: &HistOptions) -> Result<(f64, f64)> {
    if opts.bins == 0 || opts.bins > MAX_BINS {
        return Err(Error::arg(
            "bins",
            format!("must be 1..={MAX_BINS}, got {}", opts.bins),
        ));
    }
    let (lo, hi) = match opts.range {
        Some((lo, hi)) => {
            if !(lo.is_finite() && hi.is_finite()) {
                return Err(Error::arg("range", format!("must be finite, got [{lo}, {hi}]")));
            }
            if lo > hi {
                return Err(Error::arg(
                    "range",
                    format!("must be [lo, hi] with lo <= hi, got [{lo}, {hi}]"),
                ));
            }
            (lo, hi)
        }
        None => {
            let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
            for c in cols {
                let fin: Vec<f64>;
                let v = if c.values.iter().all(|a| a.is_finite()) {
                    c.values()
                } else {
                    fin = c.values.iter().copied().filter(|a| a.is_finite()).collect();
                    &fin
                };
                let (a, b, _) = min_max(v);
                lo = lo.min(a);
                hi = hi.max(b);
            }
            if lo > hi {
                (0.0, 1.0)
            } else {
                (lo, hi)
            }
        }
    };
    Ok(if lo == hi { (lo - 0.5, hi + 0.5) } else { (lo, hi) })
}

/// numpy's `linspace(lo, hi, n)` (n >= 2): `lo + i step`, the last exactly `hi`.
fn linspace(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    let step = (hi - lo) / (n - 1) as f64;
    let mut e: Vec<f64> = (0..n).map(|i| i as f64 * step + lo).collect();
    e[n - 1] = hi;
    e
}

/// numpy.histogram's equal-bin path for `lo < hi`.
fn hist_counts(v: &[f64], bins: usize, lo: f64, hi: f64) -> Histogram {
    let edges = linspace(lo, hi, bins + 1);
    let norm = bins as f64 / (hi - lo);
    let count = |c: &[f64]| {
        let mut counts = vec![0u64; bins];
        for &a in c {
            if !(a >= lo && a <= hi) {
                continue;
            }
            let mut i = (((a - lo) * norm) as usize).min(bins - 1);
            // the index is exact only to ~1 ulp at the edges: correct it
            if a < edges[i] {
                i -= 1;
            } else if i + 1 < bins && a >= edges[i + 1] {
                i += 1;
            }
            counts[i] += 1;
        }
        counts
    };
    let counts = if v.len() >= PAR_MIN {
        v.par_chunks(BLOCK).map(count).reduce(
            || vec![0u64; bins],
            |mut a, b| {
                for (x, y) in a.iter_mut().zip(b) {
                    *x += y;
                }
                a
            },
        )
    } else {
        count(v)
    };
    Histogram { counts, edges }
}

/// Options of [`plot_hist`].
#[derive(Debug, Clone, PartialEq)]
pub struct PlotHistOptions {
    /// Bins and range, shared by every column (default 50 bins over the
    /// finite values of all columns).
    pub hist: HistOptions,
    /// Plot the density (bars integrate to 1) instead of counts (default false).
    pub density: bool,
    /// Title above the plot (default none).
    pub title: Option<String>,
    /// x-axis label (default: the first column's name and unit, `sx (nm)`).
    pub xlabel: Option<String>,
    /// y-axis label (default `count`, or `density`).
    pub ylabel: Option<String>,
    /// Figure size in pixels (default 820 × 560).
    pub size: (u32, u32),
}

impl Default for PlotHistOptions {
    fn default() -> Self {
        PlotHistOptions {
            hist: HistOptions::default(),
            density: false,
            title: None,
            xlabel: None,
            ylabel: None,
            size: (820, 560),
        }
    }
}

/// Histograms of one or more columns on shared bins, as one figure (`.svg`
/// or `.png`): bars for one column, outlined translucent bars and a legend
/// (the column names) for several.
pub fn plot_hist(cols: &[Series], path: impl AsRef<Path>, opts: &PlotHistOptions) -> Result<()> {
    if cols.is_empty() {
        return Err(Error::arg("columns", "plot_hist needs at least one column"));
    }
    let (lo, hi) = hist_range(cols, &opts.hist)?;
    let series: Vec<crate::plot::HistSeries> = cols
        .iter()
        .map(|c| {
            let h = hist_counts(c.values(), opts.hist.bins, lo, hi);
            let counts = if opts.density {
                h.density()
            } else {
                h.counts.iter().map(|&n| n as f64).collect()
            };
            crate::plot::HistSeries {
                label: c.name.clone(),
                edges: h.edges,
                counts,
            }
        })
        .collect();
    let first = &cols[0];
    let xlabel = opts.xlabel.clone().unwrap_or_else(|| match first.unit() {
        Some(u) => format!("{} ({u})", first.name()),
        None => first.name().to_string(),
    });
    let ylabel = opts
        .ylabel
        .clone()
        .unwrap_or_else(|| if opts.density { "density" } else { "count" }.to_string());
    crate::plot::hist_plot(
        &series,
        path,
        &crate::plot::HistPlotOptions {
            title: opts.title.clone(),
            xlabel,
            ylabel,
            size: opts.size,
        },
    )
}

// ---------------------------------------------------------------------------
// Tables

impl Locs {
    /// Column `name` as a [`Series`] (lengths in nm, frames from 0; `x`, `y`
    /// have unit `nm`). Errors for an unknown name, listing the columns.
    pub fn col(&self, name: &str) -> Result<Series> {
        let (values, unit, dtype) = match name {
            "frame" => (widen(&self.frame), None, Dtype::U32),
            "x" => (widen(&self.x), Some("nm"), Dtype::F32),
            "y" => (widen(&self.y), Some("nm"), Dtype::F32),
            _ => {
                let c = self.extra_or_err(name)?;
                let v = match &c.data {
                    ColumnData::U32(v) => widen(v),
                    ColumnData::I32(v) => widen(v),
                    ColumnData::F32(v) => widen(v),
                    ColumnData::F64(v) => v.clone(),
                    // i64 → f64 is not `From` (inexact beyond 2^53)
                    ColumnData::I64(v) => v.iter().map(|&a| a as f64).collect(),
                };
                (v, c.unit.as_deref(), Dtype::of(&c.data))
            }
        };
        let mut s = Series::new(name, unit, values);
        s.source = Some(dtype);
        Ok(s)
    }

    /// The rows where `mask` is true, as a new table with the same metadata
    /// (field of view, pixel size, frame count) and `where(<mask>)` appended
    /// to the history. Errors when the mask's length is not the table's.
    pub fn where_mask(&self, mask: &Mask) -> Result<Locs> {
        if mask.len() != self.len() {
            return Err(Error::Shape(format!(
                "where: the mask '{}' has {} rows, the table has {}",
                mask.expr(),
                mask.len(),
                self.len()
            )));
        }
        let n = mask.count();
        let w = &mask.words;
        let ((frame, x), (y, extra)) = rayon::join(
            || rayon::join(|| compress(&self.frame, w, n), || compress(&self.x, w, n)),
            || {
                rayon::join(
                    || compress(&self.y, w, n),
                    || {
                        self.extra
                            .par_iter()
                            .map(|c| Column {
                                name: c.name.clone(),
                                unit: c.unit.clone(),
                                data: compress_data(&c.data, w, n),
                            })
                            .collect::<Vec<_>>()
                    },
                )
            },
        );
        let mut meta = self.meta.clone();
        meta.history.push(format!("where({})", mask.expr()));
        Ok(Locs {
            frame,
            x,
            y,
            extra,
            meta,
            hints: self.hints.take(&mask.indices()),
        })
    }

    /// The table with column `name` set to `col` (added after the others, or
    /// replacing the column of that name in place), stored as described in
    /// the module documentation; `dtype` forces the stored type. The history
    /// gains `with_column("name", <expression>)`.
    ///
    /// Errors when the length differs from the table's, when `x`/`y` values
    /// are not finite or `frame` values not whole numbers ≥ 0, when `dtype`
    /// is an integer type the values do not fit, or `dtype` is not the fixed
    /// type of `frame` (u4), `x` or `y` (f4).
    pub fn with_column(&self, name: &str, col: &Series, dtype: Option<Dtype>) -> Result<Locs> {
        if name.is_empty() {
            return Err(Error::arg("name", "a column name cannot be empty"));
        }
        if col.len() != self.len() {
            return Err(Error::Shape(format!(
                "with_column(\"{name}\"): the column '{}' has {} values, the table has {} rows",
                col.name(),
                col.len(),
                self.len()
            )));
        }
        let v = col.values();
        let misfit = |d: Dtype, i: usize| {
            let (lo, hi) = d.int_range().unwrap_or((f64::MIN, f64::MAX));
            Error::arg(
                "dtype",
                format!(
                    "column '{name}' as {d}: row {i} holds {}, not a whole number in {lo}..={hi}",
                    v[i]
                ),
            )
        };
        let mut out = self.clone();
        match name {
            "frame" | "x" | "y" => {
                let fixed = if name == "frame" { Dtype::U32 } else { Dtype::F32 };
                if let Some(d) = dtype.filter(|&d| d != fixed) {
                    return Err(Error::arg(
                        "dtype",
                        format!("'{name}' is always stored as {fixed}, not {d}"),
                    ));
                }
                if name == "frame" {
                    if let Some(i) = Dtype::U32.first_misfit(v) {
                        return Err(misfit(Dtype::U32, i));
                    }
                    out.frame = v.iter().map(|&a| a as u32).collect();
                    if let Some(&m) = out.frame.iter().max() {
                        out.meta.n_frames = out.meta.n_frames.max(m.saturating_add(1));
                    }
                } else {
                    if let Some(i) = v
                        .iter()
                        .position(|a| !(a.is_finite() && a.abs() <= f32::MAX as f64))
                    {
                        return Err(Error::arg(
                            "column",
                            format!(
                                "'{name}' must be finite, row {i} holds {}: select rows first, e.g. where(col.is_finite())",
                                v[i]
                            ),
                        ));
                    }
                    let f: Vec<f32> = v.iter().map(|&a| a as f32).collect();
                    if name == "x" {
                        out.x = f;
                    } else {
                        out.y = f;
                    }
                }
            }
            _ => {
                let stored = match dtype {
                    Some(d) => {
                        if let Some(i) = d.first_misfit(v) {
                            return Err(misfit(d, i));
                        }
                        d
                    }
                    None => {
                        let preferred = self
                            .extra(name)
                            .map(|c| Dtype::of(&c.data))
                            .or(col.source_dtype())
                            .unwrap_or(Dtype::F32);
                        if preferred.first_misfit(v).is_none() {
                            preferred
                        } else {
                            Dtype::F64
                        }
                    }
                };
                out.add_column(name, col.unit(), stored.convert(v))?;
            }
        }
        out.meta
            .history
            .push(clip(format!("with_column(\"{name}\", {})", col.name())));
        Ok(out)
    }

    /// A per-column summary (see [`Describe`]); NaN values are skipped.
    pub fn describe(&self) -> Describe {
        let names = self.columns();
        let rows = names
            .par_iter()
            .filter_map(|name| {
                let s = self.col(name).ok()?;
                let dtype = s.source_dtype().unwrap_or(Dtype::F64);
                let unit = s.unit.clone();
                let s = s.drop_nan();
                let q = s.quantiles(&[0.25, 0.5, 0.75]).ok()?;
                Some(DescribeRow {
                    name: name.clone(),
                    dtype,
                    unit,
                    count: s.len(),
                    mean: s.mean(),
                    sd: s.std(1),
                    min: s.min(),
                    q25: q[0],
                    median: q[1],
                    q75: q[2],
                    max: s.max(),
                })
            })
            .collect();
        Describe {
            rows,
            n_rows: self.len(),
        }
    }
}

/// One column of [`Describe`]: statistics of its non-NaN values.
#[derive(Debug, Clone, PartialEq)]
pub struct DescribeRow {
    /// Column name.
    pub name: String,
    /// Stored type.
    pub dtype: Dtype,
    /// Unit, when known.
    pub unit: Option<String>,
    /// Number of non-NaN values.
    pub count: usize,
    /// Mean.
    pub mean: f64,
    /// Standard deviation with ddof = 1 (pandas' `describe`); NaN for count < 2.
    pub sd: f64,
    /// Smallest value.
    pub min: f64,
    /// First quartile (linear).
    pub q25: f64,
    /// Median.
    pub median: f64,
    /// Third quartile (linear).
    pub q75: f64,
    /// Largest value.
    pub max: f64,
}

/// A per-column summary of a table, as pandas' `describe()` (one row per
/// column here); prints as an aligned table.
#[derive(Debug, Clone, PartialEq)]
pub struct Describe {
    /// One row per column, in table order (`frame`, `x`, `y`, extras).
    pub rows: Vec<DescribeRow>,
    /// Rows of the table.
    pub n_rows: usize,
}

/// A number with 6 significant digits, trailing zeros dropped; exponent form
/// outside 1e-4..1e9.
fn fmt_g(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf" } else { "-inf" }.into();
    }
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    let trim = |s: String| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    if (1e-4..1e9).contains(&a) {
        let decimals = (5 - a.log10().floor() as i32).max(0) as usize;
        trim(format!("{v:.decimals$}"))
    } else {
        let s = format!("{v:.5e}");
        match s.split_once('e') {
            Some((m, e)) => format!("{}e{e}", trim(m.to_string())),
            None => s,
        }
    }
}

impl fmt::Display for Describe {
    /// An aligned table: column, dtype, count, mean, sd, min, 25%, 50%,
    /// 75%, max, unit.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let head = [
            "column", "dtype", "count", "mean", "sd", "min", "25%", "50%", "75%", "max", "unit",
        ];
        let mut cells: Vec<Vec<String>> = vec![head.iter().map(|s| s.to_string()).collect()];
        for r in &self.rows {
            cells.push(vec![
                r.name.clone(),
                r.dtype.to_string(),
                r.count.to_string(),
                fmt_g(r.mean),
                fmt_g(r.sd),
                fmt_g(r.min),
                fmt_g(r.q25),
                fmt_g(r.median),
                fmt_g(r.q75),
                fmt_g(r.max),
                r.unit.clone().unwrap_or_default(),
            ]);
        }
        let width: Vec<usize> = (0..head.len())
            .map(|j| cells.iter().map(|row| row[j].chars().count()).max().unwrap_or(0))
            .collect();
        for (i, row) in cells.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            let mut line = String::new();
            for (j, cell) in row.iter().enumerate() {
                let pad = width[j] - cell.chars().count();
                if j == 0 || j == 1 || j == head.len() - 1 {
                    // text columns: left-aligned
                    line.push_str(cell);
                    line.push_str(&" ".repeat(pad));
                } else {
                    line.push_str(&" ".repeat(pad));
                    line.push_str(cell);
                }
                if j + 1 < row.len() {
                    line.push_str("  ");
                }
            }
            f.write_str(line.trim_end())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::locs::Metadata;
    use rand::{Rng, SeedableRng};

    /// The picked Picasso sample of tests/data.
    fn picked() -> Locs {
        Locs::load(
            crate::testdata::path("picasso/raw_movie_locs_picked.hdf5"),
            None,
            None,
        )
        .unwrap()
        .0
    }

    type Pred2 = fn(f64, f64) -> bool;
    type Fn2 = fn(f64, f64) -> f64;
    type Fn1 = fn(f64) -> f64;

    /// Relative closeness.
    fn close(a: f64, b: f64, rel: f64) -> bool {
        a == b || (a - b).abs() <= rel * a.abs().max(b.abs())
    }

    fn raw_movie() -> Locs {
        Locs::load(crate::testdata::path("picasso/raw_movie_locs.hdf5"), None, None)
            .unwrap()
            .0
    }

    /// Random values with NaNs, ±inf, repeats and -0.0, longer than PAR_MIN
    /// with a ragged tail (so parallel blocks and the last mask word are used).
    fn awkward(n: usize, seed: u64) -> Vec<f64> {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        (0..n)
            .map(|i| match i % 97 {
                0 => f64::NAN,
                1 => f64::INFINITY,
                2 => -0.0,
                3 => 0.5,
                _ => rng.random_range(-2.0..2.0),
            })
            .collect()
    }

    // Reference values: `python3 scripts/reference/columns.py values` (numpy 2.4.6, h5py 3.16)
    // on tests/data/picasso/raw_movie_locs.hdf5 (2399 rows, 130 nm pixels; sx in nm as
    // locus holds it: f32(f64(sx_px) * 130)).

    #[test]
    fn reductions_match_numpy_on_picasso_sample() {
        let l = raw_movie();
        assert_eq!(l.len(), 2399);
        let p = l.col("photons").unwrap();
        assert_eq!(
            (p.name(), p.unit(), p.source_dtype()),
            ("photons", None, Some(Dtype::F32))
        );
        // (sum, mean, std ddof 0, std ddof 1, min, max, median, quantiles 0, .1, .25, .9, 1)
        let want: [(&str, [f64; 12]); 3] = [
            (
                "photons",
                [
                    14012248.164672852,
                    5840.870431293394,
                    2972.9140608132357,
                    2973.5338698600644,
                    1442.730224609375,
                    22819.36328125,
                    5472.67578125,
                    1442.730224609375,
                    2420.685498046875,
                    3623.45849609375,
                    9691.365234375002,
                    22819.36328125,
                ],
            ),
            (
                "sx",
                [
                    274071.69140625,
                    114.2441398108587,
                    12.691389151621827,
                    12.694035120409385,
                    96.47696685791016,
                    364.080810546875,
                    113.15718078613281,
                    96.47696685791016,
                    110.02575378417968,
                    111.59561538696289,
                    116.33667602539063,
                    364.080810546875,
                ],
            ),
            (
                "frame",
                [
                    5759265.0,
                    2400.694039182993,
                    1440.286022701155,
                    1440.5863012455834,
                    2.0,
                    4979.0,
                    2260.0,
                    2.0,
                    493.0,
                    1129.0,
                    4523.200000000001,
                    4979.0,
                ],
            ),
        ];
        for (name, w) in want {
            let s = l.col(name).unwrap();
            let q = s.quantiles(&[0.0, 0.1, 0.25, 0.9, 1.0]).unwrap();
            let got = [
                s.sum(),
                s.mean(),
                s.std(0),
                s.std(1),
                s.min(),
                s.max(),
                s.median(),
                q[0],
                q[1],
                q[2],
                q[3],
                q[4],
            ];
            for (k, (g, w)) in got.iter().zip(w).enumerate() {
                assert!(close(*g, w, 1e-13), "{name} stat {k}: {g} vs numpy {w}");
            }
            assert_eq!(s.quantile(0.9).unwrap(), q[3]);
        }
        assert_eq!(l.col("sx").unwrap().unit(), Some("nm"));
        // photons / bg
        let snr = l
            .col("photons")
            .unwrap()
            .binary(BinaryOp::Div, &l.col("bg").unwrap())
            .unwrap();
        assert_eq!(snr.name(), "photons / bg");
        assert!(close(snr.sum(), 339495.28248519765, 1e-12), "{}", snr.sum());
        assert!(close(snr.mean(), 141.51533242400902, 1e-12));
    }

    #[test]
    fn mask_and_where_match_numpy_on_picasso_sample() {
        let l = raw_movie();
        let (p, sx, frame) = (
            l.col("photons").unwrap(),
            l.col("sx").unwrap(),
            l.col("frame").unwrap(),
        );
        // (p > 5000) & (sx < 115) | (frame < 500)
        let m = p
            .compare_scalar(CmpOp::Gt, 5000.0)
            .and(&sx.compare_scalar(CmpOp::Lt, 115.0))
            .unwrap()
            .or(&frame.compare_scalar(CmpOp::Lt, 500.0))
            .unwrap();
        assert_eq!(m.count(), 1262);
        assert_eq!(m.expr(), "((photons > 5000) & (sx < 115)) | (frame < 500)");
        let idx = m.indices();
        assert_eq!(&idx[..5], &[0, 1, 2, 3, 4]);
        assert_eq!(idx.last(), Some(&2388));
        let sel = l.where_mask(&m).unwrap();
        assert_eq!(sel.len(), 1262);
        assert_eq!(&sel.frame()[..5], &[2, 4, 5, 6, 15]);
        assert!(close(sel.col("photons").unwrap().sum(), 9246916.984008789, 1e-13));
        assert_eq!(
            sel.meta.history.last().unwrap(),
            "where(((photons > 5000) & (sx < 115)) | (frame < 500))"
        );
        assert_eq!(
            (sel.width_nm(), sel.n_frames(), sel.pixel_nm()),
            (l.width_nm(), l.n_frames(), l.pixel_nm())
        );
        // slow twin: the existing row filter with a Vec<bool>
        let twin = l.filter(&m.to_vec(), "where(...)".into());
        assert_eq!(sel.frame(), twin.frame());
        assert_eq!(sel.x(), twin.x());
        assert_eq!(sel.y(), twin.y());
        assert_eq!(sel.extra_columns(), twin.extra_columns());
        assert_eq!(
            p.where_mask(&m).unwrap().values(),
            sel.col("photons").unwrap().values()
        );
    }

    #[test]
    fn hist_matches_numpy_on_picasso_sample() {
        let l = raw_movie();
        let p = l.col("photons").unwrap();
        let h = p
            .hist(&HistOptions {
                bins: 20,
                range: None,
            })
            .unwrap();
        assert_eq!(
            h.counts,
            vec![264, 326, 360, 320, 347, 241, 187, 140, 100, 48, 33, 12, 2, 2, 5, 2, 1, 3, 0, 6]
        );
        assert_eq!(h.edges.len(), 21);
        assert_eq!(
            (h.edges[0], h.edges[1], h.edges[20]),
            (1442.730224609375, 2511.561877441406, 22819.36328125)
        );
        let h = p
            .hist(&HistOptions {
                bins: 10,
                range: Some((2000.0, 7000.0)),
            })
            .unwrap();
        assert_eq!(h.counts, vec![133, 177, 135, 148, 174, 163, 146, 156, 203, 110]);
        let f = l.col("frame").unwrap();
        let h = f
            .hist(&HistOptions {
                bins: 7,
                range: Some((0.0, 4979.0)),
            })
            .unwrap();
        assert_eq!(h.counts, vec![348, 401, 341, 340, 337, 299, 333]);
        let d = h.density();
        let area: f64 = d
            .iter()
            .zip(h.edges.windows(2))
            .map(|(d, e)| d * (e[1] - e[0]))
            .sum();
        assert!((area - 1.0).abs() < 1e-12);
    }

    #[test]
    fn describe_matches_numpy_and_prints_a_table() {
        let l = picked();
        let d = l.describe();
        assert_eq!(d.rows.len(), l.columns().len());
        assert_eq!(d.n_rows, 2378);
        let g = d.rows.iter().find(|r| r.name == "group").unwrap();
        assert_eq!((g.dtype, g.count, g.min, g.max), (Dtype::I32, 2378, 0.0, 8.0));
        assert!(close(g.mean, 3.677880571909167, 1e-13) && close(g.sd, 2.457313872388009, 1e-12));
        assert_eq!((g.q25, g.median, g.q75), (1.0, 3.0, 6.0));
        let b = d.rows.iter().find(|r| r.name == "bg").unwrap();
        assert!(close(b.mean, 42.48793341794668, 1e-13) && close(b.sd, 12.23929025654745, 1e-12));
        for (got, want) in [
            (b.q25, 38.9579553604126),
            (b.median, 40.07251739501953),
            (b.q75, 41.24790668487549),
        ] {
            assert!(close(got, want, 1e-14), "{got} {want}");
        }
        assert_eq!(d.rows[1].unit.as_deref(), Some("nm"));
        let text = d.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1 + d.rows.len());
        assert!(
            lines[0].starts_with("column") && lines[0].ends_with("unit"),
            "{}",
            lines[0]
        );
        // numbers are right-aligned: every row's "max" cell ends where the header's does
        let end = lines[0].find("max").unwrap() + 3;
        for line in &lines[1..] {
            assert!(line.as_bytes()[end - 1] != b' ', "{line}");
            assert!(line.len() == end || line.as_bytes()[end] == b' ', "{line}");
        }
        let grow = lines.iter().find(|s| s.starts_with("group")).unwrap();
        assert!(
            grow.contains(" i4 ") && grow.contains(" 3.67788 ") && grow.contains(" 2378 "),
            "{grow}"
        );
        // NaN values are skipped, an empty table describes as NaN
        let mut t = Locs::new(vec![0, 1, 2], vec![1.0; 3], vec![1.0; 3], Metadata::default()).unwrap();
        t.add_column("v", None, ColumnData::F64(vec![1.0, f64::NAN, 3.0]))
            .unwrap();
        let r = t.describe().rows.pop().unwrap();
        assert_eq!((r.count, r.mean, r.min, r.median, r.max), (2, 2.0, 1.0, 2.0, 3.0));
        assert!(close(r.sd, 2f64.sqrt(), 1e-15));
        let e = Locs::empty(Metadata::default()).describe();
        assert!(e
            .rows
            .iter()
            .all(|r| r.count == 0 && r.mean.is_nan() && r.max.is_nan()));
        assert!(e.to_string().contains("NaN"));
    }

    #[test]
    fn compare_and_combine_match_a_bool_twin() {
        let n = 3 * PAR_MIN + 37;
        let a = Series::new("a", None, awkward(n, 1));
        let b = Series::new("b", None, awkward(n, 2));
        let k = 0.25;
        let ops: [(CmpOp, Pred2); 6] = [
            (CmpOp::Lt, |x, y| x < y),
            (CmpOp::Le, |x, y| x <= y),
            (CmpOp::Gt, |x, y| x > y),
            (CmpOp::Ge, |x, y| x >= y),
            (CmpOp::Eq, |x, y| x == y),
            (CmpOp::Ne, |x, y| x != y),
        ];
        for len in [0, 1, 63, 64, 65, 1000, n] {
            let (sa, sb) = (
                Series::new("a", None, a.values()[..len].to_vec()),
                Series::new("b", None, b.values()[..len].to_vec()),
            );
            for (op, f) in ops {
                let twin: Vec<bool> = (0..len).map(|i| f(sa.values()[i], sb.values()[i])).collect();
                let m = sa.compare(op, &sb).unwrap();
                assert_eq!(m.to_vec(), twin, "{op:?} {len}");
                assert_eq!(m.count(), twin.iter().filter(|t| **t).count());
                let twin: Vec<bool> = (0..len).map(|i| f(sa.values()[i], k)).collect();
                assert_eq!(sa.compare_scalar(op, k).to_vec(), twin, "{op:?} scalar {len}");
                // k op a == a flipped(op) k
                let twin: Vec<bool> = (0..len).map(|i| f(k, sa.values()[i])).collect();
                assert_eq!(sa.compare_scalar(op.flipped(), k).to_vec(), twin);
            }
            let m1 = sa.compare_scalar(CmpOp::Gt, 0.0);
            let m2 = sb.compare_scalar(CmpOp::Lt, 1.0);
            let (v1, v2) = (m1.to_vec(), m2.to_vec());
            let and: Vec<bool> = v1.iter().zip(&v2).map(|(x, y)| *x && *y).collect();
            let or: Vec<bool> = v1.iter().zip(&v2).map(|(x, y)| *x || *y).collect();
            let xor: Vec<bool> = v1.iter().zip(&v2).map(|(x, y)| *x != *y).collect();
            let not: Vec<bool> = v1.iter().map(|x| !*x).collect();
            assert_eq!(m1.and(&m2).unwrap().to_vec(), and);
            assert_eq!(m1.or(&m2).unwrap().to_vec(), or);
            assert_eq!(m1.xor(&m2).unwrap().to_vec(), xor);
            let nm = m1.not();
            assert_eq!(nm.to_vec(), not);
            // the tail bits stay clear: count of !m is len - count(m)
            assert_eq!(nm.count(), len - m1.count());
            assert_eq!(Mask::from_bools(&not, "x"), nm.with_expr("x"));
            assert_eq!(nm.indices(), (0..len).filter(|&i| not[i]).collect::<Vec<_>>());
            assert_eq!(Mask::constant(len, true).count(), len);
            assert_eq!(Mask::constant(len, true).not().count(), 0);
        }
        // NaN: every comparison false except !=
        let s = Series::new("s", None, vec![f64::NAN]);
        for (op, _) in ops {
            assert_eq!(s.compare_scalar(op, 1.0).get(0), Some(op == CmpOp::Ne), "{op:?}");
        }
        assert_eq!(s.is_nan().get(0), Some(true));
        assert_eq!(s.is_finite().get(0), Some(false));
        assert_eq!(s.is_nan().get(1), None);
    }

    #[test]
    fn where_matches_a_filter_twin_on_big_tables() {
        let n = 4 * PAR_MIN + 5;
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let frame: Vec<u32> = (0..n as u32).collect();
        let x: Vec<f32> = (0..n).map(|_| rng.random_range(0.0..1000.0)).collect();
        let y: Vec<f32> = (0..n).map(|_| rng.random_range(0.0..1000.0)).collect();
        let mut l = Locs::new(frame, x, y, Metadata::default()).unwrap();
        l.add_column("g", None, ColumnData::I64((0..n as i64).map(|i| i * 3).collect()))
            .unwrap();
        l.add_column("u", Some("nm"), ColumnData::F64(awkward(n, 4)))
            .unwrap();
        let u = l.col("u").unwrap();
        // dense runs (whole words), sparse bits and empty stretches
        let mut keep: Vec<bool> = (0..n)
            .map(|i| (i / 5000) % 3 == 0 || rng.random_bool(0.1))
            .collect();
        keep[n - 1] = true;
        let m = Mask::from_bools(&keep, "k");
        let sel = l.where_mask(&m).unwrap();
        let twin = l.filter(&keep, "where(k)".into());
        // (not assert_eq on the tables: "u" holds NaNs, and a failure would print 260 000 rows)
        assert!(sel.frame() == twin.frame() && sel.x() == twin.x() && sel.y() == twin.y());
        assert_eq!(sel.meta, twin.meta);
        for (a, b) in sel.extra_columns().iter().zip(twin.extra_columns()) {
            let bits = |c: &Column| c.data.to_f64().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert!(a.name == b.name && a.unit == b.unit && a.data.dtype() == b.data.dtype());
            assert!(bits(a) == bits(b), "{}", a.name);
        }
        assert_eq!(u.where_mask(&m).unwrap().values().len(), m.count());
        let none = l.where_mask(&Mask::constant(n, false)).unwrap();
        assert!(none.is_empty() && none.extra_columns().len() == 2);
        let e = l.where_mask(&Mask::constant(3, true)).unwrap_err().to_string();
        assert!(e.contains('3') && e.contains(&n.to_string()), "{e}");
    }

    #[test]
    fn reductions_match_slow_twins() {
        for n in [1, 2, 7, 8, 9, 127, 128, 129, 1000, 2 * PAR_MIN + 3] {
            let mut rng = rand::rngs::StdRng::seed_from_u64(n as u64);
            let v: Vec<f64> = (0..n).map(|_| rng.random_range(-1.0..3.0)).collect();
            let s = Series::new("v", None, v.clone());
            // compensated (Neumaier) sum as the twin
            let (mut sum, mut c) = (0.0f64, 0.0f64);
            for &a in &v {
                let t = sum + a;
                c += if sum.abs() >= a.abs() {
                    (sum - t) + a
                } else {
                    (a - t) + sum
                };
                sum = t;
            }
            let exact = sum + c;
            assert!(close(s.sum(), exact, 1e-13), "{n}: {} vs {exact}", s.sum());
            let mean = exact / n as f64;
            let ss: f64 = v.iter().map(|a| (a - mean).powi(2)).sum();
            assert!(close(s.std(0), (ss / n as f64).sqrt(), 1e-11), "{n}");
            if n > 1 {
                assert!(close(s.std(1), (ss / (n - 1) as f64).sqrt(), 1e-11), "{n}");
            }
            let mut sorted = v.clone();
            sorted.sort_by(f64::total_cmp);
            assert_eq!((s.min(), s.max()), (sorted[0], sorted[n - 1]));
            let med = if n % 2 == 1 {
                sorted[n / 2]
            } else {
                (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
            };
            assert_eq!(s.median(), med);
            let qs = [0.0, 0.01, 0.25, 0.333, 0.5, 0.75, 0.9, 0.999, 1.0];
            let got = s.quantiles(&qs).unwrap();
            for (q, g) in qs.iter().zip(got) {
                // numpy's linear method on the sorted values
                let h = q * (n - 1) as f64;
                let lo = h.floor() as usize;
                let hi = (lo + 1).min(n - 1);
                let t = h - lo as f64;
                let want = sorted[lo] + (sorted[hi] - sorted[lo]) * t;
                assert!(
                    close(g, want, 1e-14) || (g - want).abs() < 1e-15,
                    "{n} q {q}: {g} vs {want}"
                );
            }
        }
        // hand-checked
        let s = Series::new("s", None, vec![3.0, 1.0, 4.0, 1.0, 5.0]);
        assert_eq!(
            (s.sum(), s.mean(), s.median(), s.min(), s.max()),
            (14.0, 2.8, 3.0, 1.0, 5.0)
        );
        assert_eq!(s.quantile(0.25).unwrap(), 1.0);
        assert_eq!(s.quantile(0.875).unwrap(), 4.5);
        // Σ(x − 2.8)² = 0.04 + 3.24 + 1.44 + 3.24 + 4.84 = 12.8
        assert!(close(s.std(1), 3.2f64.sqrt(), 1e-15));
        assert!(close(s.std(0), 1.6, 1e-15));
    }

    #[test]
    fn nan_and_empty_semantics() {
        let s = Series::new("s", None, vec![1.0, f64::NAN, 3.0]);
        assert!(s.sum().is_nan() && s.mean().is_nan() && s.std(1).is_nan());
        assert!(s.min().is_nan() && s.max().is_nan() && s.median().is_nan());
        assert!(s.quantile(0.5).unwrap().is_nan());
        assert_eq!(s.count_nan(), 1);
        let d = s.drop_nan();
        assert_eq!(
            (d.len(), d.mean(), d.min(), d.max(), d.median()),
            (2, 2.0, 1.0, 3.0, 2.0)
        );
        let e = Series::new("e", None, vec![]);
        assert_eq!(e.sum(), 0.0);
        assert!(e.mean().is_nan() && e.std(0).is_nan() && e.min().is_nan() && e.max().is_nan());
        assert!(e.median().is_nan() && e.quantile(0.3).unwrap().is_nan());
        assert!(Series::new("one", None, vec![2.0]).std(1).is_nan());
        assert_eq!(Series::new("one", None, vec![2.0]).std(0), 0.0);
        // hist of an empty column: numpy's [0, 1] range
        let h = e.hist(&HistOptions { bins: 4, range: None }).unwrap();
        assert_eq!((h.counts, h.edges), (vec![0; 4], vec![0.0, 0.25, 0.5, 0.75, 1.0]));
        assert!(e.compare_scalar(CmpOp::Gt, 0.0).is_empty());
        // bad quantiles and bins name the argument
        for q in [-0.1, 1.5, f64::NAN] {
            assert!(s.quantile(q).unwrap_err().to_string().starts_with("q:"));
        }
        for bad in [
            HistOptions { bins: 0, range: None },
            HistOptions {
                bins: 3,
                range: Some((2.0, 1.0)),
            },
            HistOptions {
                bins: 3,
                range: Some((0.0, f64::INFINITY)),
            },
        ] {
            let e = s.hist(&bad).unwrap_err().to_string();
            assert!(e.starts_with("bins:") || e.starts_with("range:"), "{e}");
        }
    }

    #[test]
    fn arithmetic_matches_elementwise_twin() {
        let n = 2 * PAR_MIN + 11;
        let a = Series::new("a", Some("nm"), awkward(n, 5));
        let b = Series::new("b", Some("nm"), awkward(n, 6));
        let (va, vb) = (a.values(), b.values());
        let same = |x: &[f64], y: &[f64]| {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|(p, q)| p.to_bits() == q.to_bits() || (p.is_nan() && q.is_nan()))
        };
        let bins: [(BinaryOp, Fn2); 5] = [
            (BinaryOp::Add, |x, y| x + y),
            (BinaryOp::Sub, |x, y| x - y),
            (BinaryOp::Mul, |x, y| x * y),
            (BinaryOp::Div, |x, y| x / y),
            (BinaryOp::Pow, f64::powf),
        ];
        for (op, f) in bins {
            let twin: Vec<f64> = va.iter().zip(vb).map(|(&x, &y)| f(x, y)).collect();
            assert!(same(a.binary(op, &b).unwrap().values(), &twin), "{op:?}");
            let twin: Vec<f64> = va.iter().map(|&x| f(x, 1.5)).collect();
            assert!(same(a.binary_scalar(op, 1.5).values(), &twin), "{op:?} scalar");
            let twin: Vec<f64> = va.iter().map(|&x| f(1.5, x)).collect();
            assert!(
                same(Series::scalar_binary(1.5, op, &a).values(), &twin),
                "scalar {op:?}"
            );
        }
        let uns: [(UnaryOp, Fn1); 9] = [
            (UnaryOp::Neg, |x| -x),
            (UnaryOp::Abs, f64::abs),
            (UnaryOp::Sqrt, f64::sqrt),
            (UnaryOp::Log, f64::ln),
            (UnaryOp::Log10, f64::log10),
            (UnaryOp::Exp, f64::exp),
            (UnaryOp::Round, f64::round_ties_even),
            (UnaryOp::Floor, f64::floor),
            (UnaryOp::Ceil, f64::ceil),
        ];
        for (op, f) in uns {
            let twin: Vec<f64> = va.iter().map(|&x| f(x)).collect();
            assert!(same(a.unary(op).values(), &twin), "{op:?}");
            assert_eq!(op.name().parse::<UnaryOp>().unwrap(), op);
            assert!(UnaryOp::NAMES.contains(&op.name()));
        }
        // numpy's rounding: half to even
        let r = Series::new("r", None, vec![0.5, 1.5, 2.5, -0.5, -1.5]).unary(UnaryOp::Round);
        assert_eq!(r.values(), &[0.0, 2.0, 2.0, -0.0, -2.0]);
        assert!("cos".parse::<UnaryOp>().unwrap_err().to_string().contains("sqrt"));
        // names and units
        let c = Series::new("c", Some("photon"), vec![1.0; n]);
        assert_eq!(a.binary(BinaryOp::Add, &b).unwrap().unit(), Some("nm"));
        assert_eq!(a.binary(BinaryOp::Add, &c).unwrap().unit(), None);
        assert_eq!(a.binary(BinaryOp::Div, &c).unwrap().unit(), None);
        assert_eq!(a.binary_scalar(BinaryOp::Mul, 2.0).unit(), Some("nm"));
        assert_eq!(Series::scalar_binary(2.0, BinaryOp::Div, &a).unit(), None);
        assert_eq!(a.unary(UnaryOp::Abs).unit(), Some("nm"));
        assert_eq!(a.unary(UnaryOp::Sqrt).unit(), None);
        let e = a
            .binary(BinaryOp::Add, &b)
            .unwrap()
            .binary_scalar(BinaryOp::Div, 2.0)
            .unary(UnaryOp::Neg);
        assert_eq!(e.name(), "-((a + b) / 2)");
        assert_eq!(e.source_dtype(), None);
        assert_eq!(
            Series::scalar_binary(1.0, BinaryOp::Sub, &a)
                .unary(UnaryOp::Sqrt)
                .name(),
            "sqrt(1 - a)"
        );
        // lengths: the error names both columns and lengths
        let short = Series::new("short", None, vec![1.0, 2.0]);
        let msg = a.binary(BinaryOp::Mul, &short).unwrap_err().to_string();
        assert!(
            msg.contains("'a'") && msg.contains(&n.to_string()) && msg.contains("'short' has 2"),
            "{msg}"
        );
        assert!(a.compare(CmpOp::Lt, &short).is_err());
        let m = short.compare_scalar(CmpOp::Gt, 1.0);
        assert!(a
            .compare_scalar(CmpOp::Gt, 0.0)
            .and(&m)
            .unwrap_err()
            .to_string()
            .contains("2"));
        assert!(a.where_mask(&m).is_err());
        // long expressions are clipped
        let mut long = a.clone();
        for _ in 0..100 {
            long = long.binary_scalar(BinaryOp::Add, 1.0);
        }
        assert!(long.name().chars().count() <= MAX_EXPR && long.name().ends_with('…'));
    }

    #[test]
    fn hist_matches_a_bin_search_twin() {
        let n = 2 * PAR_MIN + 9;
        let mut v = awkward(n, 7);
        // values exactly on the edges of 0.1-wide bins over [-1, 1]
        for (i, e) in (0..=20).map(|k| -1.0 + k as f64 * 0.1).enumerate() {
            v[10 * i + 5] = e;
        }
        v[3] = 1.0;
        let s = Series::new("v", None, v.clone());
        for (bins, range) in [
            (20, Some((-1.0, 1.0))),
            (7, Some((-0.3, 0.9))),
            (33, None),
            (1, None),
        ] {
            let h = s.hist(&HistOptions { bins, range }).unwrap();
            assert_eq!(h.edges.len(), bins + 1);
            let (lo, hi) = (h.edges[0], h.edges[bins]);
            if range.is_none() {
                let fin = s.values().iter().filter(|a| a.is_finite());
                assert_eq!(lo, fin.clone().copied().fold(f64::INFINITY, f64::min));
                assert_eq!(hi, fin.copied().fold(f64::NEG_INFINITY, f64::max));
            }
            // twin: the bin is the last edge <= a (the last bin is closed)
            let mut twin = vec![0u64; bins];
            for &a in &v {
                if a >= lo && a <= hi {
                    let k = h.edges.partition_point(|&e| e <= a);
                    twin[(k - 1).min(bins - 1)] += 1;
                }
            }
            assert_eq!(h.counts, twin, "{bins} {range:?}");
        }
        // a single value: range widened by 0.5 as numpy
        let h = Series::new("c", None, vec![2.0, 2.0])
            .hist(&HistOptions { bins: 2, range: None })
            .unwrap();
        assert_eq!((h.counts, h.edges), (vec![0, 2], vec![1.5, 2.0, 2.5]));
    }

    #[test]
    fn with_column_stores_sensible_types_and_round_trips() {
        let l = picked();
        let n = l.len();
        let p = l.col("photons").unwrap();
        let snr = p.binary(BinaryOp::Div, &l.col("bg").unwrap()).unwrap();
        let g = l.col("group").unwrap();
        let t = l
            .with_column("snr", &snr, None)
            .unwrap()
            .with_column("group", &g.binary_scalar(BinaryOp::Add, 1.0), None)
            .unwrap()
            .with_column("half", &g.binary_scalar(BinaryOp::Div, 2.0), None)
            .unwrap()
            .with_column("group_copy", &g, None)
            .unwrap()
            .with_column("photons", &p.binary_scalar(BinaryOp::Mul, 2.0), None)
            .unwrap()
            .with_column(
                "id",
                &Series::new("id", None, (0..n).map(|i| i as f64).collect()),
                Some(Dtype::I64),
            )
            .unwrap()
            .with_column(
                "sx",
                &l.col("sx").unwrap().binary_scalar(BinaryOp::Mul, 0.5),
                None,
            )
            .unwrap();
        let dt = |name: &str| Dtype::of(&t.extra(name).unwrap().data);
        assert_eq!(dt("snr"), Dtype::F32); // new float column
        assert_eq!(dt("group"), Dtype::I32); // replaced integer column, whole values
        assert_eq!(dt("half"), Dtype::F32); // computed from an integer column: a new float column
        assert_eq!(dt("group_copy"), Dtype::I32); // an unchanged table column keeps its type
        assert_eq!(dt("photons"), Dtype::F32);
        assert_eq!(dt("id"), Dtype::I64);
        assert_eq!(t.extra("sx").unwrap().unit.as_deref(), Some("nm"));
        assert_eq!(t.columns().len(), l.columns().len() + 4);
        // replacing keeps the column's position
        assert_eq!(t.columns()[..l.columns().len()], l.columns()[..]);
        assert_eq!(t.meta.history.last().unwrap(), "with_column(\"sx\", sx * 0.5)");
        // an integer column given non-whole values is stored f8
        let odd = l
            .with_column("group", &g.binary_scalar(BinaryOp::Div, 2.0), None)
            .unwrap();
        assert_eq!(Dtype::of(&odd.extra("group").unwrap().data), Dtype::F64);
        // f32 cannot hold 1e300: f8
        let big = Series::new("big", None, vec![1e300; n]);
        assert_eq!(
            Dtype::of(
                &l.with_column("big", &big, None)
                    .unwrap()
                    .extra("big")
                    .unwrap()
                    .data
            ),
            Dtype::F64
        );
        // round trip through Picasso and ThunderSTORM files
        let dir = tempfile::tempdir().unwrap();
        let h5 = dir.path().join("t.hdf5");
        t.save(&h5).unwrap();
        let back = Locs::load(&h5, None, None).unwrap().0;
        for name in ["snr", "group", "half", "group_copy", "photons", "id", "sx"] {
            let (a, b) = (t.extra(name).unwrap(), back.extra(name).unwrap());
            assert_eq!(a.data.dtype(), b.data.dtype(), "{name}");
            let (va, vb) = (a.data.to_f64(), b.data.to_f64());
            for (x, y) in va.iter().zip(&vb) {
                assert!(close(*x, *y, 2e-7), "{name}: {x} {y}");
            }
        }
        let csv = dir.path().join("t.csv");
        t.save(&csv).unwrap();
        let back = Locs::load(&csv, None, None).unwrap().0;
        assert_eq!(back.extra("sx").unwrap().unit.as_deref(), Some("nm"));
        // CSV writes an f32 in its shortest form, read back as f64
        for (x, y) in back
            .col("snr")
            .unwrap()
            .values()
            .iter()
            .zip(t.col("snr").unwrap().values())
        {
            assert!(close(*x, *y, 1e-7), "{x} {y}");
        }
        assert_eq!(back.col("id").unwrap().values(), t.col("id").unwrap().values());
    }

    #[test]
    fn with_column_rejects_bad_values() {
        let l = raw_movie();
        let n = l.len();
        let x = l.col("x").unwrap();
        // shifting x is allowed (f32), NaN is not
        let shifted = l
            .with_column("x", &x.binary_scalar(BinaryOp::Sub, 10.0), None)
            .unwrap();
        assert_eq!(shifted.x()[0], (x.values()[0] - 10.0) as f32);
        let mut v = x.to_vec();
        v[7] = f64::NAN;
        let e = l
            .with_column("x", &Series::new("x", None, v), None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("'x'") && e.contains("row 7"), "{e}");
        assert!(l
            .with_column("y", &x, Some(Dtype::F64))
            .unwrap_err()
            .to_string()
            .contains("f4"));
        // frames: whole numbers >= 0; n_frames grows with them
        let f = l.col("frame").unwrap();
        let later = l
            .with_column("frame", &f.binary_scalar(BinaryOp::Add, 10000.0), None)
            .unwrap();
        assert_eq!(later.n_frames(), 4979 + 10000 + 1);
        let e = l
            .with_column("frame", &f.binary_scalar(BinaryOp::Sub, 3.0), None)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("dtype:") && e.contains("'frame'") && e.contains("-1"),
            "{e}"
        );
        // forced integer types must fit
        let e = l.with_column("g", &x, Some(Dtype::I32)).unwrap_err().to_string();
        assert!(e.contains("'g' as i4") && e.contains("row 0"), "{e}");
        assert!(l.with_column("", &x, None).is_err());
        let e = l
            .with_column("a", &Series::new("short", None, vec![1.0]), None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("'short' has 1") && e.contains(&n.to_string()), "{e}");
        assert_eq!("i8".parse::<Dtype>().unwrap(), Dtype::I64);
        for (d, name) in Dtype::ALL.iter().zip(Dtype::NAMES) {
            assert_eq!(name.parse::<Dtype>().unwrap(), *d);
        }
        assert_eq!("float32".parse::<Dtype>().unwrap(), Dtype::F32);
        assert!("f2".parse::<Dtype>().unwrap_err().to_string().contains("u4, i4"));
    }

    #[test]
    fn plot_hist_writes_one_or_several() {
        let l = raw_movie();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("photons.svg");
        plot_hist(&[l.col("photons").unwrap()], &p, &PlotHistOptions::default()).unwrap();
        let svg = std::fs::read_to_string(&p).unwrap();
        assert!(svg.contains(&crate::plot::txt("photons")) && svg.contains(&crate::plot::txt("count")));
        let opts = PlotHistOptions {
            density: true,
            hist: HistOptions {
                bins: 30,
                range: Some((80.0, 160.0)),
            },
            ..Default::default()
        };
        let p2 = dir.path().join("sxsy.png");
        plot_hist(&[l.col("sx").unwrap(), l.col("sy").unwrap()], &p2, &opts).unwrap();
        assert!(p2.exists());
        let p3 = dir.path().join("sxsy.svg");
        plot_hist(&[l.col("sx").unwrap(), l.col("sy").unwrap()], &p3, &opts).unwrap();
        let svg = std::fs::read_to_string(&p3).unwrap();
        for t in ["sx (nm)", "density", "sy"] {
            assert!(svg.contains(&crate::plot::txt(t)), "{t}");
        }
        assert!(plot_hist(&[], &p, &opts).is_err());
        assert!(plot_hist(&[l.col("sx").unwrap()], dir.path().join("a.pdf"), &opts).is_err());
    }

    #[test]
    fn display_forms() {
        let s = Series::new("photons", Some("photon"), (0..10).map(f64::from).collect());
        assert_eq!(
            s.to_string(),
            "Column photons [photon]: 10 values [0, 1, 2, 3, 4, …, 8, 9]"
        );
        let m = s.compare_scalar(CmpOp::Ge, 7.0);
        assert_eq!(m.to_string(), "Mask photons >= 7: 3 of 10 rows");
        assert_eq!(m.not().expr(), "!(photons >= 7)");
        assert_eq!(fmt_g(1234.5678), "1234.57");
        assert_eq!(fmt_g(0.000123456789), "0.000123457");
        assert_eq!(fmt_g(1.5e-7), "1.5e-7");
        assert_eq!(fmt_g(-3.0), "-3");
        assert_eq!(fmt_g(2.5e12), "2.5e12");
        assert!(wrapped("(a & b)") && !wrapped("(a) & (b)") && !wrapped("a"));
    }
}
