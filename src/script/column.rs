//! Bindings for vectorised columns and masks (SCRIPTING.md "Columns and
//! masks"; the numerics are `crate::locs::series`, the table docs/methods.md §1).
//!
//! `locs.col("photons")` is a `Column` (shared f64 values, never copied into
//! Rhai); arithmetic with columns and numbers gives columns, comparisons give
//! a `Mask`; masks combine with `&`, `|`, `^` and `!` (all are Rhai operators
//! that can be overloaded; the methods `and`, `or`, `xor`, `not` do the same).
//! `&&` and `||` cannot be overloaded in Rhai (they short-circuit on bools):
//! use `&` and `|` for masks.

use super::api::{float_array, Api, Handle, RResult};
use super::locs::LocsRef;
use super::spec::{Check, Opt, Options};
use crate::locs::series::{
    plot_hist, BinaryOp, CmpOp, Describe, Dtype, HistOptions, PlotHistOptions, UnaryOp, MAX_BINS, STD_DDOF,
};
use crate::locs::{Mask, Series};
use rhai::{Array, Dynamic, Map, INT};
use std::sync::Arc;

impl Handle for Series {
    const TYPE: &'static str = "Column";
    const VAR: &'static str = "col";
    fn summary(&self) -> String {
        self.to_string()
    }
}

impl Handle for Mask {
    const TYPE: &'static str = "Mask";
    const VAR: &'static str = "mask";
    fn summary(&self) -> String {
        self.to_string()
    }
}

/// A reduction of a column to one number.
type Reduction = fn(&Series) -> f64;

/// The result of `locs.describe()`: prints as a table.
#[derive(Clone, Debug)]
pub struct DescribeRef(pub Arc<Describe>);

impl Handle for DescribeRef {
    const TYPE: &'static str = "Describe";
    const VAR: &'static str = "summary";
    fn summary(&self) -> String {
        self.0.to_string()
    }
}

fn hist_spec() -> Vec<Opt> {
    let d = HistOptions::default();
    vec![
        Opt::count("bins", d.bins)
            .check(Check::Range(1.0, MAX_BINS as f64))
            .doc("number of equal bins"),
        Opt::nums("range", 2)
            .default_text("min and max of the finite values")
            .doc("[lo, hi]: values outside are not counted; the last bin includes hi"),
    ]
}

fn hist_options(o: &Options) -> RResult<HistOptions> {
    Ok(HistOptions {
        bins: o.count("bins")?,
        range: o.opt_nums("range")?.map(|r| (r[0], r[1])),
    })
}

fn plot_hist_spec() -> Vec<Opt> {
    let mut spec = hist_spec();
    spec.extend([
        Opt::bool("density", false).doc("bars integrate to 1 instead of counting"),
        Opt::str_opt("title").doc("title above the plot"),
        Opt::str_opt("xlabel")
            .default_text("the first column's name and unit")
            .doc("x-axis label"),
        Opt::str_opt("ylabel")
            .default_text("\"count\" or \"density\"")
            .doc("y-axis label"),
        Opt::nums("size", 2)
            .default_text("[820, 560]")
            .unit("px")
            .doc("figure [width, height]"),
    ]);
    spec
}

fn plot_hist_options(o: &Options) -> RResult<PlotHistOptions> {
    let d = PlotHistOptions::default();
    let size = match o.opt_nums("size")? {
        Some(s) if s.iter().all(|v| *v >= 16.0 && *v <= 16384.0 && v.fract() == 0.0) => {
            (s[0] as u32, s[1] as u32)
        }
        Some(s) => {
            return Err(super::api::rt_error(format!(
                "{}: option `size` must be [width, height] in whole pixels 16..=16384, got {s:?}",
                o.func()
            )))
        }
        None => d.size,
    };
    Ok(PlotHistOptions {
        hist: hist_options(o)?,
        density: o.bool("density")?,
        title: o.opt_str("title")?,
        xlabel: o.opt_str("xlabel")?,
        ylabel: o.opt_str("ylabel")?,
        size,
    })
}

fn hist_map(h: crate::locs::series::Histogram) -> Map {
    let mut m = Map::new();
    m.insert(
        "counts".into(),
        Dynamic::from(
            h.counts
                .iter()
                .map(|&c| Dynamic::from(c as INT))
                .collect::<Array>(),
        ),
    );
    m.insert("edges".into(), Dynamic::from(float_array(h.edges)));
    m
}

/// Register the column and mask functions.
pub fn register(api: &mut Api) {
    api.category("Columns");
    api.handle::<Series>();
    api.handle::<Mask>();
    api.handle::<DescribeRef>();

    // --- tables -> columns and back
    api.method::<LocsRef>("col")
        .str("name")
        .doc("Column `name` as a Column: shared f64 values (lengths in nm, frames from 0), no copy into script values. Arithmetic with columns and numbers gives columns, comparisons give masks.")
        .example("let p = locs.col(\"photons\"); print(p.mean());")
        .call(|c| {
            let (l, name) = (c.recv::<LocsRef>()?, c.str("name")?);
            c.run(|| l.locs.col(&name))
        });
    api.method::<LocsRef>("where")
        .handle::<Mask>("mask")
        .doc("The rows where `mask` is true, as a new table with the same metadata (field of view, pixel size, frames); the mask's expression is appended to the history.")
        .example("let bright = locs.where(locs.col(\"photons\") > 1000.0 & locs.col(\"sx\") < 150.0);")
        .call(|c| {
            let (l, m) = (c.recv::<LocsRef>()?, c.handle::<Mask>("mask")?);
            c.run(|| l.locs.where_mask(&m)).map(|t| l.derive(t))
        });
    api.method::<LocsRef>("with_column")
        .str("name")
        .handle::<Series>("col")
        .opts(vec![Opt::str_opt("dtype")
            .default_text("the replaced column's type, else the source column's, else f4")
            .doc("stored type: u4, i4, i8, f4 or f8 (integers must be whole numbers in range)")])
        .doc("The table with column `name` set to `col` (added, or replaced in place), unit from the column. Stored as f4 (Picasso's float) unless it replaces a column (its type is kept when the values fit, else f8) or is a table column unchanged; x, y are always f4 and must be finite, frame u4 (whole numbers >= 0). Saved to Picasso/CSV with that type.")
        .example("let t = locs.with_column(\"snr\", locs.col(\"photons\") / locs.col(\"bg\"));")
        .call(|c| {
            let (l, name, col) = (c.recv::<LocsRef>()?, c.str("name")?, c.handle::<Series>("col")?);
            let o = c.opts()?;
            let dtype = match o.opt_str("dtype")? {
                Some(s) => Some(c.run(|| s.parse::<Dtype>())?),
                None => None,
            };
            c.run(|| l.locs.with_column(&name, &col, dtype)).map(|t| l.derive(t))
        });
    api.method::<LocsRef>("describe")
        .doc("A per-column summary that prints as a table: dtype, count (non-NaN), mean, sd (n - 1), min, quartiles (linear), max, unit; NaN values are skipped, as pandas' describe. `summary.row(\"photons\")` gives one row as a map.")
        .example("print(locs.describe());")
        .call(|c| {
            let l = c.recv::<LocsRef>()?;
            Ok(DescribeRef(Arc::new(l.locs.describe())))
        });
    api.method::<DescribeRef>("row")
        .str("name")
        .doc("One column's statistics as a map: #{ name, dtype, unit, count, mean, sd, min, q25, median, q75, max }.")
        .example("let r = locs.describe().row(\"photons\"); print(r.median);")
        .call(|c| {
            let (d, name) = (c.recv::<DescribeRef>()?, c.str("name")?);
            let r = d.0.rows.iter().find(|r| r.name == name).ok_or_else(|| {
                let names: Vec<&str> = d.0.rows.iter().map(|r| r.name.as_str()).collect();
                super::api::rt_error(format!("row: no column '{name}'; the summary has: {}", names.join(", ")))
            })?;
            let mut m = Map::new();
            m.insert("name".into(), r.name.clone().into());
            m.insert("dtype".into(), r.dtype.name().into());
            m.insert("unit".into(), r.unit.clone().map(Dynamic::from).unwrap_or(Dynamic::UNIT));
            m.insert("count".into(), (r.count as INT).into());
            for (k, v) in [
                ("mean", r.mean),
                ("sd", r.sd),
                ("min", r.min),
                ("q25", r.q25),
                ("median", r.median),
                ("q75", r.q75),
                ("max", r.max),
            ] {
                m.insert(k.into(), v.into());
            }
            Ok(m)
        });

    // --- properties
    api.prop("len", "Number of values.", "locs.col(\"x\").len", |s: &Series| {
        s.len() as INT
    });
    api.method::<Series>("len")
        .doc("Number of values (the same as the property col.len).")
        .example("locs.col(\"x\").len()")
        .call(|c| Ok(c.recv::<Series>()?.len() as INT));
    api.prop(
        "name",
        "The column's name, or the expression that computed it.",
        "locs.col(\"x\").name",
        |s: &Series| s.name().to_string(),
    );
    api.prop(
        "unit",
        "The unit (\"nm\" for lengths), or () when unknown.",
        "locs.col(\"x\").unit",
        |s: &Series| {
            s.unit()
                .map(|u| Dynamic::from(u.to_string()))
                .unwrap_or(Dynamic::UNIT)
        },
    );
    api.prop(
        "len",
        "Number of rows.",
        "(locs.col(\"x\") > 0.0).len",
        |m: &Mask| m.len() as INT,
    );
    api.prop(
        "expr",
        "How the mask was made (written into the history by where).",
        "(locs.col(\"x\") > 0.0).expr",
        |m: &Mask| m.expr().to_string(),
    );

    // --- arithmetic
    let arith_sig = "col + col, col - col, col * col, col / col, col ** col, col op x, x op col, -col";
    let arith_doc = "Element-wise arithmetic of columns (same length) and numbers, IEEE like numpy: x / 0 is ±inf, nothing raises. Units are kept where they stay meaningful (col ± col of one unit, col * x, col / x).";
    let arith_example = "let snr = locs.col(\"photons\") / locs.col(\"bg\") * 2.0;";
    let ops = [
        ("+", BinaryOp::Add),
        ("-", BinaryOp::Sub),
        ("*", BinaryOp::Mul),
        ("/", BinaryOp::Div),
        ("**", BinaryOp::Pow),
    ];
    for (name, op) in ops {
        api.fun(name)
            .handle::<Series>("a")
            .handle::<Series>("b")
            .sig(arith_sig)
            .doc(arith_doc)
            .example(arith_example)
            .call(move |c| {
                let (a, b) = (c.handle::<Series>("a")?, c.handle::<Series>("b")?);
                c.run(|| a.binary(op, &b))
            });
        api.fun(name)
            .handle::<Series>("a")
            .num("x")
            .sig(arith_sig)
            .doc(arith_doc)
            .example(arith_example)
            .call(move |c| Ok(c.handle::<Series>("a")?.binary_scalar(op, c.num("x")?)));
        api.fun(name)
            .num("x")
            .handle::<Series>("a")
            .sig(arith_sig)
            .doc(arith_doc)
            .example(arith_example)
            .call(move |c| Ok(Series::scalar_binary(c.num("x")?, op, &c.handle::<Series>("a")?)));
    }
    api.fun("-")
        .handle::<Series>("a")
        .sig(arith_sig)
        .doc(arith_doc)
        .example(arith_example)
        .call(|c| Ok(c.handle::<Series>("a")?.unary(UnaryOp::Neg)));
    for op in UnaryOp::ALL {
        api.method::<Series>(op.name())
            .doc("Element-wise function: neg, abs, sqrt, log (natural), log10, exp, round (half to even, as numpy), floor, ceil. NaN where undefined (sqrt(-1), log(-1)).")
            .example("let l = locs.col(\"photons\").log10();")
            .call(move |c| Ok(c.recv::<Series>()?.unary(op)));
    }
    api.method::<Series>("pow")
        .num("x")
        .doc("Every value to the power x (the same as col ** x).")
        .example("let v = locs.col(\"sx\").pow(2.0);")
        .call(|c| Ok(c.recv::<Series>()?.binary_scalar(BinaryOp::Pow, c.num("x")?)));

    // --- comparisons
    let cmp_sig =
        "col < x, col <= x, col > x, col >= x, col == x, col != x (x: number or column, either side)";
    let cmp_doc = "Compare per row, giving a Mask. Comparisons with NaN are false (!= is true).";
    let cmp_example = "let m = locs.col(\"photons\") > 1000.0;";
    let cmps = [
        ("<", CmpOp::Lt),
        ("<=", CmpOp::Le),
        (">", CmpOp::Gt),
        (">=", CmpOp::Ge),
        ("==", CmpOp::Eq),
        ("!=", CmpOp::Ne),
    ];
    for (name, op) in cmps {
        api.fun(name)
            .handle::<Series>("a")
            .handle::<Series>("b")
            .sig(cmp_sig)
            .doc(cmp_doc)
            .example(cmp_example)
            .call(move |c| {
                let (a, b) = (c.handle::<Series>("a")?, c.handle::<Series>("b")?);
                c.run(|| a.compare(op, &b))
            });
        api.fun(name)
            .handle::<Series>("a")
            .num("x")
            .sig(cmp_sig)
            .doc(cmp_doc)
            .example(cmp_example)
            .call(move |c| Ok(c.handle::<Series>("a")?.compare_scalar(op, c.num("x")?)));
        api.fun(name)
            .num("x")
            .handle::<Series>("a")
            .sig(cmp_sig)
            .doc(cmp_doc)
            .example(cmp_example)
            .call(move |c| Ok(c.handle::<Series>("a")?.compare_scalar(op.flipped(), c.num("x")?)));
    }
    api.method::<Series>("is_nan")
        .doc("A Mask of the rows holding NaN.")
        .example("let n = locs.col(\"x\").is_nan().count();")
        .call(|c| Ok(c.recv::<Series>()?.is_nan()));
    api.method::<Series>("is_finite")
        .doc("A Mask of the rows holding a finite value (not NaN or ±inf).")
        .example("let ok = locs.where(locs.col(\"photons\").is_finite());")
        .call(|c| Ok(c.recv::<Series>()?.is_finite()));

    // --- masks
    let mask_sig = "mask & mask, mask | mask, mask ^ mask, !mask";
    let mask_doc = "Combine masks row by row: & (and), | (or), ^ (either, not both), ! (not); the methods and, or, xor, not do the same. && and || cannot be overloaded in Rhai: use & and |.";
    let mask_example = "let m = (locs.col(\"photons\") > 1000.0) & !(locs.col(\"frame\") < 100.0);";
    for name in ["&", "|", "^", "and", "or", "xor"] {
        let def = if name.len() == 1 {
            api.fun(name)
                .handle::<Mask>("a")
                .handle::<Mask>("b")
                .sig(mask_sig)
        } else {
            api.method::<Mask>(name).handle::<Mask>("b")
        };
        def.doc(mask_doc).example(mask_example).call(move |c| {
            let a = if name.len() == 1 {
                c.handle::<Mask>("a")?
            } else {
                c.recv::<Mask>()?
            };
            let b = c.handle::<Mask>("b")?;
            c.run(|| match name {
                "&" | "and" => a.and(&b),
                "|" | "or" => a.or(&b),
                _ => a.xor(&b),
            })
        });
    }
    api.fun("!")
        .handle::<Mask>("a")
        .sig(mask_sig)
        .doc(mask_doc)
        .example(mask_example)
        .call(|c| Ok(c.handle::<Mask>("a")?.not()));
    api.method::<Mask>("not")
        .doc(mask_doc)
        .example(mask_example)
        .call(|c| Ok(c.recv::<Mask>()?.not()));
    api.method::<Mask>("count")
        .doc("Number of true rows.")
        .example("let n = (locs.col(\"photons\") > 1000.0).count();")
        .call(|c| Ok(c.recv::<Mask>()?.count() as INT));
    api.method::<Mask>("any")
        .doc("Whether any row is true.")
        .example("(locs.col(\"photons\") > 1e9).any()")
        .call(|c| Ok(c.recv::<Mask>()?.any()));
    api.method::<Mask>("all")
        .doc("Whether every row is true (true for no rows).")
        .example("(locs.col(\"frame\") >= 0.0).all()")
        .call(|c| Ok(c.recv::<Mask>()?.all()));
    api.method::<Mask>("to_array")
        .doc("The rows as an array of true/false (a copy into script values).")
        .example("let flags = (locs.col(\"photons\") > 1000.0).to_array();")
        .call(|c| {
            Ok(c.recv::<Mask>()?
                .to_vec()
                .into_iter()
                .map(Dynamic::from)
                .collect::<Array>())
        });

    // --- reductions
    let reductions: [(&str, &str, Reduction); 5] = [
        ("sum", "Sum of the values (pairwise, as numpy; 0 for none; NaN if any is NaN).", Series::sum),
        ("mean", "Arithmetic mean (NaN for none or if any is NaN; see drop_nan).", Series::mean),
        ("median", "Median, as numpy (mean of the two middle values for even counts; NaN for none or if any is NaN).", Series::median),
        ("min", "Smallest value (NaN for none or if any is NaN).", Series::min),
        ("max", "Largest value (NaN for none or if any is NaN).", Series::max),
    ];
    for (name, doc, f) in reductions {
        api.method::<Series>(name)
            .doc(doc)
            .example(&format!("let v = locs.col(\"photons\").{name}();"))
            .call(move |c| Ok(f(&c.recv::<Series>()?)));
    }
    api.method::<Series>("std")
        .optional()
        .int("ddof")
        .doc(&format!(
            "Standard deviation sqrt(sum((x - mean)^2) / (n - ddof)); ddof defaults to {STD_DDOF} (the sample sd, as pandas and describe; numpy's default is 0). NaN when n <= ddof or if any value is NaN."
        ))
        .example("let sd = locs.col(\"sx\").std(); let sd0 = locs.col(\"sx\").std(0);")
        .call(|c| {
            let s = c.recv::<Series>()?;
            let ddof = match c.opt_int("ddof")? {
                None => STD_DDOF,
                Some(d) => u32::try_from(d)
                    .map_err(|_| super::api::rt_error(format!("std: `ddof` must be >= 0, got {d}")))?,
            };
            Ok(s.std(ddof))
        });
    api.method::<Series>("quantile")
        .num("q")
        .doc("Quantile q in [0, 1], numpy's default (linear interpolation between order statistics); NaN for none or if any value is NaN.")
        .example("let p90 = locs.col(\"photons\").quantile(0.9);")
        .call(|c| {
            let (s, q) = (c.recv::<Series>()?, c.num("q")?);
            c.run(|| s.quantile(q))
        });
    api.method::<Series>("count_nan")
        .doc("Number of NaN values.")
        .example("locs.col(\"x\").count_nan()")
        .call(|c| Ok(c.recv::<Series>()?.count_nan() as INT));
    api.method::<Series>("drop_nan")
        .doc("The column without its NaN values (for NaN-skipping statistics: col.drop_nan().mean()).")
        .example("let m = locs.col(\"photons\").drop_nan().mean();")
        .call(|c| Ok(c.recv::<Series>()?.drop_nan()));
    api.method::<Series>("where")
        .handle::<Mask>("mask")
        .doc("The values where `mask` is true, in order (a shorter column).")
        .example("let p = locs.col(\"photons\"); let bright = p.where(p > 1000.0);")
        .call(|c| {
            let (s, m) = (c.recv::<Series>()?, c.handle::<Mask>("mask")?);
            c.run(|| s.where_mask(&m))
        });
    api.method::<Series>("to_array")
        .doc("The values as an array of floats: a copy into script values, for when you really want them.")
        .example("let first = locs.col(\"x\").to_array()[0];")
        .call(|c| Ok(float_array(c.recv::<Series>()?.values().iter().copied())));

    // --- histograms
    api.method::<Series>("hist")
        .opts(hist_spec())
        .doc("A histogram as numpy.histogram with equal bins: #{ counts: [...], edges: [...] } (bins + 1 edges; bins are [a, b) except the last, [a, b]; NaN and values outside the range are not counted).")
        .example("let h = locs.col(\"photons\").hist(#{ bins: 50, range: [0.0, 5000.0] });")
        .call(|c| {
            let s = c.recv::<Series>()?;
            let o = hist_options(&c.opts()?)?;
            c.run(|| s.hist(&o)).map(hist_map)
        });
    api.method::<Series>("plot_hist")
        .str("path")
        .opts(plot_hist_spec())
        .doc("Draw the column's histogram into `path` (.svg or .png).")
        .example("locs.col(\"photons\").plot_hist(\"photons.svg\", #{ bins: 40 });")
        .call(|c| {
            let (s, path) = (c.recv::<Series>()?, c.str("path")?);
            let o = plot_hist_options(&c.opts()?)?;
            c.run(|| {
                super::sandbox::check_write(&path)?;
                plot_hist(&[s], &path, &o)
            })
        });
    api.fun("plot_hist")
        .array("cols")
        .str("path")
        .opts(plot_hist_spec())
        .doc("Histograms of several columns on shared bins in one figure (.svg or .png), with a legend of their names.")
        .example("plot_hist([locs.col(\"sx\"), locs.col(\"sy\")], \"sxsy.svg\", #{ bins: 40 });")
        .call(|c| {
            let (cols, path) = (c.array("cols")?, c.str("path")?);
            let cols = cols
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    v.read_lock::<Series>().map(|s| s.clone()).ok_or_else(|| {
                        super::api::rt_error(format!(
                            "plot_hist: `cols[{i}]` must be a Column, got {}",
                            super::api::type_label(v)
                        ))
                    })
                })
                .collect::<RResult<Vec<Series>>>()?;
            let o = plot_hist_options(&c.opts()?)?;
            c.run(|| {
                super::sandbox::check_write(&path)?;
                plot_hist(&cols, &path, &o)
            })
        });
}
