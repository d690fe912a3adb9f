//! Declarative option specs: one [`Opt`] per option key says its type,
//! default, unit, valid range and doc. The same list parses and validates a
//! script's option map ([`Options::parse`]), words the error for a bad or
//! unknown key, and writes the "Options:" part of the function's `help`.
//!
//! ```ignore
//! let spec = vec![
//!     Opt::count("window", d.window).check(Check::OddAtLeast(3)).doc("window size k"),
//!     Opt::num("scale", d.scale).check(Check::Gt(0.0)).doc("variance factor c"),
//!     Opt::choice("border", "clip", Border::NAMES).doc("clip keeps all mass; skip: the paper code"),
//! ];
//! ```

use super::api::{as_f64, rt_error, Handle, RResult};
use rhai::{Array, Dynamic, Map};
use std::any::TypeId;
use std::str::FromStr;
use std::sync::Arc;

/// The type of an option value.
#[derive(Clone, Debug)]
pub enum OptTy {
    /// A number (integers accepted).
    Num,
    /// An integer.
    Int,
    /// A non-negative integer.
    Count,
    /// true or false.
    Bool,
    /// A string.
    Str,
    /// One of the listed names.
    Choice(&'static [&'static str]),
    /// An array of numbers (of this length, when not 0).
    Nums(usize),
    /// An array of strings.
    Strs,
    /// A nested options map.
    Map,
    /// A value of a script handle type (its name).
    Handle(TypeId, &'static str),
    /// Anything the binding checks itself; the text says what is expected.
    Any(&'static str),
}

impl OptTy {
    fn describe(&self) -> String {
        match self {
            OptTy::Num => "number".into(),
            OptTy::Int => "integer".into(),
            OptTy::Count => "integer >= 0".into(),
            OptTy::Bool => "true/false".into(),
            OptTy::Str => "string".into(),
            OptTy::Choice(c) => c
                .iter()
                .map(|s| format!("\"{s}\""))
                .collect::<Vec<_>>()
                .join(" | "),
            OptTy::Nums(0) => "array of numbers".into(),
            OptTy::Nums(n) => format!("[{}]", vec!["number"; *n].join(", ")),
            OptTy::Strs => "array of strings".into(),
            OptTy::Map => "map #{...}".into(),
            OptTy::Handle(_, name) => (*name).to_string(),
            OptTy::Any(what) => (*what).to_string(),
        }
    }
}

/// A default value, as used when the key is absent.
#[derive(Clone, Debug)]
pub enum Dflt {
    /// No default: absent means "not given" (`opt_*` getters return None).
    None,
    /// A number.
    Num(f64),
    /// An integer.
    Int(i64),
    /// A boolean.
    Bool(bool),
    /// A string or choice.
    Str(String),
    /// Computed by the function; the text says how (for `help`).
    Text(&'static str),
}

impl Dflt {
    fn describe(&self) -> Option<String> {
        match self {
            Dflt::None => None,
            Dflt::Num(v) => Some(crate::fmt::float(*v)),
            Dflt::Int(v) => Some(v.to_string()),
            Dflt::Bool(b) => Some(b.to_string()),
            Dflt::Str(s) => Some(format!("\"{s}\"")),
            Dflt::Text(t) => Some((*t).to_string()),
        }
    }
}

/// A range check on a number.
#[derive(Clone, Copy, Debug)]
pub enum Check {
    /// No check beyond the type (numbers must still be finite).
    None,
    /// Strictly greater than.
    Gt(f64),
    /// Greater than or equal.
    Ge(f64),
    /// Within [lo, hi].
    Range(f64, f64),
    /// Within (0, 1].
    Fraction,
    /// Odd and at least this.
    OddAtLeast(i64),
}

impl Check {
    fn describe(&self) -> Option<String> {
        match *self {
            Check::None => None,
            Check::Gt(v) => Some(format!("> {}", crate::fmt::float_short(v))),
            Check::Ge(v) => Some(format!(">= {}", crate::fmt::float_short(v))),
            Check::Range(a, b) => Some(format!(
                "{}..={}",
                crate::fmt::float_short(a),
                crate::fmt::float_short(b)
            )),
            Check::Fraction => Some("in (0, 1]".into()),
            Check::OddAtLeast(v) => Some(format!("odd, >= {v}")),
        }
    }

    fn ok(&self, v: f64) -> bool {
        match *self {
            Check::None => true,
            Check::Gt(a) => v > a,
            Check::Ge(a) => v >= a,
            Check::Range(a, b) => v >= a && v <= b,
            Check::Fraction => v > 0.0 && v <= 1.0,
            Check::OddAtLeast(a) => v.fract() == 0.0 && v >= a as f64 && (v as i64) % 2 == 1,
        }
    }
}

/// One option key of a function.
#[derive(Clone, Debug)]
pub struct Opt {
    /// The key as written in the map.
    pub key: &'static str,
    /// Its type.
    pub ty: OptTy,
    /// Its default.
    pub default: Dflt,
    /// Unit of a number ("nm", "px", ...), empty for none.
    pub unit: &'static str,
    /// Valid range of a number.
    pub check: Check,
    /// What it means (one line).
    pub doc: &'static str,
}

impl Opt {
    fn new(key: &'static str, ty: OptTy, default: Dflt) -> Opt {
        Opt {
            key,
            ty,
            default,
            unit: "",
            check: Check::None,
            doc: "",
        }
    }
    /// A number with a default.
    pub fn num(key: &'static str, default: f64) -> Opt {
        Opt::new(key, OptTy::Num, Dflt::Num(default))
    }
    /// A number without a default.
    pub fn num_opt(key: &'static str) -> Opt {
        Opt::new(key, OptTy::Num, Dflt::None)
    }
    /// An integer with a default.
    pub fn int(key: &'static str, default: i64) -> Opt {
        Opt::new(key, OptTy::Int, Dflt::Int(default))
    }
    /// A non-negative integer with a default.
    pub fn count(key: &'static str, default: usize) -> Opt {
        Opt::new(key, OptTy::Count, Dflt::Int(default as i64))
    }
    /// A non-negative integer without a default.
    pub fn count_opt(key: &'static str) -> Opt {
        Opt::new(key, OptTy::Count, Dflt::None)
    }
    /// The random seed (an integer >= 0).
    pub fn seed(default: u64) -> Opt {
        Opt::new("seed", OptTy::Count, Dflt::Int(default as i64)).doc("random seed (integer >= 0)")
    }
    /// A boolean with a default.
    pub fn bool(key: &'static str, default: bool) -> Opt {
        Opt::new(key, OptTy::Bool, Dflt::Bool(default))
    }
    /// A string with a default.
    pub fn str(key: &'static str, default: &str) -> Opt {
        Opt::new(key, OptTy::Str, Dflt::Str(default.into()))
    }
    /// A string without a default.
    pub fn str_opt(key: &'static str) -> Opt {
        Opt::new(key, OptTy::Str, Dflt::None)
    }
    /// One of `names`, with a default.
    pub fn choice(key: &'static str, default: &str, names: &'static [&'static str]) -> Opt {
        Opt::new(key, OptTy::Choice(names), Dflt::Str(default.into()))
    }
    /// An array of `len` numbers (any length for 0), without a default.
    pub fn nums(key: &'static str, len: usize) -> Opt {
        Opt::new(key, OptTy::Nums(len), Dflt::None)
    }
    /// An array of strings, without a default.
    pub fn strs(key: &'static str) -> Opt {
        Opt::new(key, OptTy::Strs, Dflt::None)
    }
    /// A nested map, without a default.
    pub fn map(key: &'static str) -> Opt {
        Opt::new(key, OptTy::Map, Dflt::None)
    }
    /// A value of handle type `T`, without a default.
    pub fn handle<T: Handle>(key: &'static str) -> Opt {
        Opt::new(key, OptTy::Handle(TypeId::of::<T>(), T::TYPE), Dflt::None)
    }
    /// A value the binding checks itself (`what` describes it).
    pub fn any(key: &'static str, what: &'static str) -> Opt {
        Opt::new(key, OptTy::Any(what), Dflt::None)
    }
    /// Set the unit.
    pub fn unit(mut self, unit: &'static str) -> Opt {
        self.unit = unit;
        self
    }
    /// Set the range check.
    pub fn check(mut self, check: Check) -> Opt {
        self.check = check;
        self
    }
    /// Set the doc line.
    pub fn doc(mut self, doc: &'static str) -> Opt {
        self.doc = doc;
        self
    }
    /// Describe a computed default for `help`.
    pub fn default_text(mut self, text: &'static str) -> Opt {
        self.default = Dflt::Text(text);
        self
    }

    /// The line `help` prints for this option.
    pub fn help_line(&self) -> String {
        let mut what = match (&self.ty, self.check) {
            (OptTy::Count, Check::None) => self.ty.describe(),
            (OptTy::Count, _) => "integer".into(),
            (ty, _) => ty.describe(),
        };
        if let Some(c) = self.check.describe() {
            what.push_str(&format!(", {c}"));
        }
        if !self.unit.is_empty() {
            what.push_str(&format!(", {}", self.unit));
        }
        if let Some(d) = self.default.describe() {
            what.push_str(&format!("; default {d}"));
        }
        let doc = if self.doc.is_empty() {
            String::new()
        } else {
            format!(": {}", self.doc)
        };
        format!("  {:<16} ({what}){doc}", self.key)
    }

    /// Check one given value against the spec.
    fn validate(&self, func: &str, v: &Dynamic) -> RResult<()> {
        let bad = |expected: &str| {
            rt_error(format!(
                "{func}: option `{}` must be {expected}, got {} ({})",
                self.key,
                v,
                super::api::type_label(v)
            ))
        };
        let number = |x: f64| -> RResult<()> {
            if !x.is_finite() {
                return Err(bad("a finite number"));
            }
            if !self.check.ok(x) {
                return Err(rt_error(format!(
                    "{func}: option `{}` must be {}, got {}",
                    self.key,
                    self.check.describe().unwrap_or_default(),
                    crate::fmt::float_short(x)
                )));
            }
            Ok(())
        };
        match &self.ty {
            OptTy::Num => number(as_f64(v).ok_or_else(|| bad("a number"))?),
            OptTy::Int => number(v.as_int().map_err(|_| bad("an integer"))? as f64),
            OptTy::Count => {
                let i = v.as_int().map_err(|_| bad("an integer >= 0"))?;
                if i < 0 {
                    return Err(bad("an integer >= 0"));
                }
                number(i as f64)
            }
            OptTy::Bool => v.as_bool().map(|_| ()).map_err(|_| bad("true or false")),
            OptTy::Str => {
                if v.is_string() {
                    Ok(())
                } else {
                    Err(bad("a string"))
                }
            }
            OptTy::Choice(names) => {
                let s = v.clone().into_string().map_err(|_| bad(&self.ty.describe()))?;
                if names.contains(&s.as_str()) {
                    Ok(())
                } else {
                    Err(rt_error(format!(
                        "{func}: option `{}` must be one of {}, got \"{s}\"",
                        self.key,
                        self.ty.describe()
                    )))
                }
            }
            OptTy::Nums(n) => {
                let what = self.ty.describe();
                let arr = v.read_lock::<Array>().ok_or_else(|| bad(&what))?;
                if *n != 0 && arr.len() != *n {
                    return Err(bad(&what));
                }
                for x in arr.iter() {
                    number(as_f64(x).ok_or_else(|| bad(&what))?)?;
                }
                Ok(())
            }
            OptTy::Strs => {
                let arr = v.read_lock::<Array>().ok_or_else(|| bad("an array of strings"))?;
                if arr.iter().all(|x| x.is_string()) {
                    Ok(())
                } else {
                    Err(bad("an array of strings"))
                }
            }
            OptTy::Map => {
                if v.is_map() {
                    Ok(())
                } else {
                    Err(bad("an object map #{...}"))
                }
            }
            OptTy::Handle(id, name) => {
                if v.type_id() == *id {
                    Ok(())
                } else {
                    Err(bad(&format!("a {name}")))
                }
            }
            OptTy::Any(_) => Ok(()),
        }
    }
}

/// The options part of a function's help text.
pub fn help_block(spec: &[Opt]) -> String {
    let mut out = String::from("Options:");
    for o in spec {
        out.push('\n');
        out.push_str(&o.help_line());
    }
    out
}

/// A script's option map, checked against the spec: every getter returns the
/// given value or the spec's default.
#[derive(Clone)]
pub struct Options {
    func: &'static str,
    spec: Arc<[Opt]>,
    map: Map,
}

impl Options {
    /// Check `map` against `spec`: unknown keys (with the valid ones listed),
    /// types and ranges. `()` values count as absent.
    pub fn check(func: &'static str, spec: Arc<[Opt]>, map: Map) -> RResult<Options> {
        for (k, v) in &map {
            let Some(o) = spec.iter().find(|o| o.key == k.as_str()) else {
                let mut keys: Vec<&str> = spec.iter().map(|o| o.key).collect();
                keys.sort_unstable();
                let hint = crate::fmt::closest(k.as_str(), keys.iter().copied())
                    .map(|c| format!(" (did you mean `{c}`?)"))
                    .unwrap_or_default();
                return Err(rt_error(if keys.is_empty() {
                    format!("{func}: takes no options, got `{k}`")
                } else {
                    format!(
                        "{func}: unknown option `{k}`{hint}; valid options are: {}",
                        keys.join(", ")
                    )
                }));
            };
            if !v.is_unit() {
                o.validate(func, v)?;
            }
        }
        Ok(Options { func, spec, map })
    }

    /// The function these options belong to.
    pub fn func(&self) -> &'static str {
        self.func
    }

    fn spec_of(&self, key: &str) -> RResult<&Opt> {
        self.spec.iter().find(|o| o.key == key).ok_or_else(|| {
            rt_error(format!(
                "{}: internal error: option `{key}` is not declared; please report this",
                self.func
            ))
        })
    }

    /// The given value (not `()`), if any.
    pub fn raw(&self, key: &str) -> Option<&Dynamic> {
        self.map.get(key).filter(|v| !v.is_unit())
    }

    /// Whether the key was given.
    pub fn has(&self, key: &str) -> bool {
        self.raw(key).is_some()
    }

    fn missing(&self, key: &str) -> Box<rhai::EvalAltResult> {
        rt_error(format!("{}: option `{key}` is required", self.func))
    }

    /// A number if given, else the default (None without one).
    pub fn opt_num(&self, key: &str) -> RResult<Option<f64>> {
        let spec = self.spec_of(key)?;
        Ok(match self.raw(key) {
            Some(v) => as_f64(v),
            None => match spec.default {
                Dflt::Num(x) => Some(x),
                Dflt::Int(x) => Some(x as f64),
                _ => None,
            },
        })
    }

    /// A number (given or default).
    pub fn num(&self, key: &str) -> RResult<f64> {
        self.opt_num(key)?.ok_or_else(|| self.missing(key))
    }

    /// An integer if given, else the default.
    pub fn opt_int(&self, key: &str) -> RResult<Option<i64>> {
        let spec = self.spec_of(key)?;
        Ok(match self.raw(key) {
            Some(v) => v.as_int().ok(),
            None => match spec.default {
                Dflt::Int(x) => Some(x),
                _ => None,
            },
        })
    }

    /// An integer (given or default).
    pub fn int(&self, key: &str) -> RResult<i64> {
        self.opt_int(key)?.ok_or_else(|| self.missing(key))
    }

    /// A non-negative integer as usize (given or default).
    pub fn count(&self, key: &str) -> RResult<usize> {
        Ok(self.int(key)?.max(0) as usize)
    }

    /// A non-negative integer if given, else the default.
    pub fn opt_count(&self, key: &str) -> RResult<Option<usize>> {
        Ok(self.opt_int(key)?.map(|v| v.max(0) as usize))
    }

    /// A non-negative integer as u32 (given or default), with a range error.
    pub fn u32(&self, key: &str) -> RResult<u32> {
        let v = self.int(key)?;
        u32::try_from(v).map_err(|_| {
            rt_error(format!(
                "{}: option `{key}` must be in 0..={}, got {v}",
                self.func,
                u32::MAX
            ))
        })
    }

    /// The seed (given or default).
    pub fn seed(&self) -> RResult<u64> {
        Ok(self.int("seed")?.max(0) as u64)
    }

    /// A boolean (given or default).
    pub fn bool(&self, key: &str) -> RResult<bool> {
        let spec = self.spec_of(key)?;
        match self.raw(key) {
            Some(v) => Ok(v.as_bool().unwrap_or(false)),
            None => match spec.default {
                Dflt::Bool(b) => Ok(b),
                _ => Err(self.missing(key)),
            },
        }
    }

    /// A string if given, else the default.
    pub fn opt_str(&self, key: &str) -> RResult<Option<String>> {
        let spec = self.spec_of(key)?;
        Ok(match self.raw(key) {
            Some(v) => v.clone().into_string().ok(),
            None => match &spec.default {
                Dflt::Str(s) => Some(s.clone()),
                _ => None,
            },
        })
    }

    /// A string (given or default).
    pub fn str(&self, key: &str) -> RResult<String> {
        self.opt_str(key)?.ok_or_else(|| self.missing(key))
    }

    /// A name parsed with the numerics' `FromStr` (given or default).
    pub fn parse<T>(&self, key: &str) -> RResult<T>
    where
        T: FromStr<Err = crate::Error>,
    {
        let s = self.str(key)?;
        s.parse::<T>()
            .map_err(|e| rt_error(format!("{}: option `{key}`: {e}", self.func)))
    }

    /// An array of numbers if given.
    pub fn opt_nums(&self, key: &str) -> RResult<Option<Vec<f64>>> {
        self.spec_of(key)?;
        Ok(self.raw(key).and_then(|v| {
            v.read_lock::<Array>()
                .map(|a| a.iter().filter_map(as_f64).collect())
        }))
    }

    /// An array of strings if given.
    pub fn opt_strs(&self, key: &str) -> RResult<Option<Vec<String>>> {
        self.spec_of(key)?;
        Ok(self.raw(key).and_then(|v| {
            v.read_lock::<Array>()
                .map(|a| a.iter().filter_map(|x| x.clone().into_string().ok()).collect())
        }))
    }

    /// A nested map if given.
    pub fn opt_map(&self, key: &str) -> RResult<Option<Map>> {
        self.spec_of(key)?;
        Ok(self
            .raw(key)
            .and_then(|v| v.read_lock::<Map>().map(|m| m.clone())))
    }

    /// A handle value if given.
    pub fn opt_handle<T: Handle>(&self, key: &str) -> RResult<Option<T>> {
        self.spec_of(key)?;
        Ok(self.raw(key).and_then(|v| v.read_lock::<T>().map(|t| t.clone())))
    }
}

/// Parse a nested options map (e.g. `loss: #{ ... }`) against its own spec.
pub fn nested(func: &'static str, spec: Vec<Opt>, map: Map) -> RResult<Options> {
    Options::check(func, spec.into(), map)
}
