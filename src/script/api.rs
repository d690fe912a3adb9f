//! The registration helper every binding file uses.
//!
//! [`Api::func`] registers one native function together with its parameter
//! names and doc comment (Rhai `metadata`), and records it in the [`Docs`]
//! table that `help`, `:help`, `locus help` and the REPL completion read. A
//! binding is therefore written once: name, parameters, doc, closure.
//!
//! Error handling at the boundary: [`guard`] runs a numerics call, converts a
//! [`crate::Error`] into a Rhai runtime error (the host adds the script
//! position), and turns a panic into an error instead of letting it reach the
//! user. [`Opts`] reads option maps and rejects unknown keys.

use crate::error::Error;
use rhai::{Dynamic, Engine, EvalAltResult, FuncRegistration, Map, Position, RhaiNativeFunc};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The result type of native script functions.
pub type RResult<T> = Result<T, Box<EvalAltResult>>;

/// One documented script function (or method, or property).
#[derive(Debug, Clone)]
pub struct DocEntry {
    /// Name as called from scripts (`akde`, `len`).
    pub name: String,
    /// Help category (`Tables`, `Images`, `FRC`, ...).
    pub category: String,
    /// The call as written in a script, e.g. `img.akde(opts)`.
    pub signature: String,
    /// Type of the receiver for methods and properties (`Image`), if any.
    pub receiver: Option<String>,
    /// Whether this is a property (`locs.len`) rather than a call.
    pub property: bool,
    /// The doc text, without comment markers.
    pub doc: String,
}

/// All documented functions, in registration order.
#[derive(Debug, Default, Clone)]
pub struct Docs {
    entries: Vec<DocEntry>,
}

impl Docs {
    /// Every entry.
    pub fn entries(&self) -> &[DocEntry] {
        &self.entries
    }

    /// The entries with this name (overloads, methods of several types).
    pub fn lookup(&self, name: &str) -> Vec<&DocEntry> {
        self.entries.iter().filter(|e| e.name == name).collect()
    }

    /// Methods and properties callable on a value of type `type_name`.
    pub fn members_of(&self, type_name: &str) -> Vec<&DocEntry> {
        self.entries
            .iter()
            .filter(|e| e.receiver.as_deref() == Some(type_name))
            .collect()
    }

    /// Categories in first-registration order.
    pub fn categories(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for e in &self.entries {
            if !out.contains(&e.category) {
                out.push(e.category.clone());
            }
        }
        out
    }

    /// The full help text for `name`, or `None` when nothing is called so.
    pub fn help(&self, name: &str) -> Option<String> {
        let name = name.trim().trim_start_matches('.').trim_end_matches("()");
        let found = self.lookup(name);
        if found.is_empty() {
            return None;
        }
        let mut out = String::new();
        let mut seen_docs: Vec<&str> = Vec::new();
        for e in &found {
            out.push_str(&e.signature);
            out.push('\n');
        }
        out.push('\n');
        for e in &found {
            if !seen_docs.contains(&e.doc.as_str()) {
                seen_docs.push(&e.doc);
                out.push_str(&e.doc);
                out.push_str("\n\n");
            }
        }
        Some(out.trim_end().to_string())
    }

    /// One line per function, grouped by category: what `locus help` prints.
    pub fn overview(&self) -> String {
        let mut out = String::new();
        for cat in self.categories() {
            out.push_str(&format!("{cat}\n"));
            let mut seen: Vec<&str> = Vec::new();
            for e in self.entries.iter().filter(|e| e.category == cat) {
                if seen.contains(&e.signature.as_str()) {
                    continue;
                }
                seen.push(&e.signature);
                let first = e.doc.lines().next().unwrap_or("");
                out.push_str(&format!("  {:<44} {}\n", e.signature, first));
            }
            out.push('\n');
        }
        out.push_str("Type help(\"name\") in a script, :help name at the REPL, or `locus help NAME`.\n");
        out
    }
}

/// The registration context: the engine, the doc table and the current category.
pub struct Api<'a> {
    engine: &'a mut Engine,
    docs: &'a mut Docs,
    category: String,
}

impl<'a> Api<'a> {
    /// Start registering into `engine`, recording docs in `docs`.
    pub fn new(engine: &'a mut Engine, docs: &'a mut Docs) -> Self {
        Api {
            engine,
            docs,
            category: "General".into(),
        }
    }

    /// Set the help category for the functions registered next.
    pub fn category(&mut self, name: &str) -> &mut Self {
        self.category = name.into();
        self
    }

    /// Access the engine (for `register_type_with_name` and the like).
    pub fn engine(&mut self) -> &mut Engine {
        self.engine
    }

    /// Register a custom type under its script name.
    pub fn ty<T: rhai::Variant + Clone>(&mut self, name: &str) -> &mut Self {
        self.engine.register_type_with_name::<T>(name);
        self
    }

    /// Register a free function or method.
    ///
    /// `signature` is how a script calls it (`img.akde(opts)`); a receiver
    /// before the dot marks a method of that type (`Image`-typed receivers are
    /// written `img.`, `locs.`, ... and named in `receiver`). `params` are the
    /// parameter names in order (receiver first for methods); `doc` is the
    /// help text.
    pub fn func<A: 'static, const N: usize, const X: bool, R, const F: bool, FUNC>(
        &mut self,
        name: &str,
        receiver: Option<&str>,
        signature: &str,
        params: &[&str],
        doc: &str,
        f: FUNC,
    ) -> &mut Self
    where
        R: rhai::Variant + Clone,
        FUNC: RhaiNativeFunc<A, N, X, R, F> + Send + Sync + 'static,
    {
        let comments = doc_comments(doc);
        FuncRegistration::new(name)
            .in_global_namespace()
            .with_params_info(params)
            .with_comments([comments.as_str()])
            .register_into_engine(self.engine, f);
        self.record(name, receiver, signature, doc, false);
        self
    }

    /// Register a read-only property `receiver.name`.
    pub fn getter<A: 'static, const X: bool, R: rhai::Variant + Clone, const F: bool, FUNC>(
        &mut self,
        name: &str,
        receiver: &str,
        doc: &str,
        f: FUNC,
    ) -> &mut Self
    where
        FUNC: RhaiNativeFunc<A, 1, X, R, F> + Send + Sync + 'static,
    {
        let comments = doc_comments(doc);
        FuncRegistration::new_getter(name)
            .with_comments([comments.as_str()])
            .register_into_engine(self.engine, f);
        let sig = format!("{}.{}", receiver_var(receiver), name);
        self.record(name, Some(receiver), &sig, doc, true);
        self
    }

    fn record(&mut self, name: &str, receiver: Option<&str>, signature: &str, doc: &str, property: bool) {
        self.docs.entries.push(DocEntry {
            name: name.into(),
            category: self.category.clone(),
            signature: signature.into(),
            receiver: receiver.map(str::to_string),
            property,
            doc: doc.trim().to_string(),
        });
    }
}

/// The variable name used for a receiver type in signatures (`Image` → `img`).
pub fn receiver_var(type_name: &str) -> &'static str {
    match type_name {
        "Image" => "img",
        "Locs" => "locs",
        "FrcCurve" => "curve",
        "UNet" => "net",
        "Pairs" => "pairs",
        "History" => "history",
        "Simulation" => "sim",
        _ => "value",
    }
}

fn doc_comments(doc: &str) -> String {
    doc.trim()
        .lines()
        .map(|l| format!("/// {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A Rhai runtime error with this message (the engine fills in the position).
pub fn rt_error(msg: impl Into<String>) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorRuntime(
        Dynamic::from(msg.into()),
        Position::NONE,
    ))
}

/// Convert a crate error raised inside script function `func`.
pub fn to_rhai(func: &str, e: Error) -> Box<EvalAltResult> {
    match e {
        Error::Interrupted => Box::new(EvalAltResult::ErrorTerminated(
            Dynamic::from(format!("{func}: interrupted")),
            Position::NONE,
        )),
        other => rt_error(format!("{func}: {other}")),
    }
}

thread_local! {
    static LAST_PANIC: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Install a panic hook that records the message instead of printing it when
/// a panic happens inside [`guard`] (other panics print as usual).
pub fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let inside = GUARD_DEPTH.with(|d| *d.borrow() > 0);
            if inside {
                let msg = if let Some(s) = info.payload().downcast_ref::<&str>() {
                    s.to_string()
                } else if let Some(s) = info.payload().downcast_ref::<String>() {
                    s.clone()
                } else {
                    "unknown cause".to_string()
                };
                let loc = info
                    .location()
                    .map(|l| format!(" at {}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                LAST_PANIC.with(|p| *p.borrow_mut() = Some(format!("{msg}{loc}")));
            } else {
                default(info);
            }
        }));
    });
}

thread_local! {
    static GUARD_DEPTH: std::cell::RefCell<usize> = const { std::cell::RefCell::new(0) };
}

/// Run a numerics call for script function `func`: errors become Rhai errors,
/// panics become an "internal error" at the script position.
pub fn guard<T>(func: &str, f: impl FnOnce() -> crate::Result<T>) -> RResult<T> {
    GUARD_DEPTH.with(|d| *d.borrow_mut() += 1);
    let out = catch_unwind(AssertUnwindSafe(f));
    GUARD_DEPTH.with(|d| *d.borrow_mut() -= 1);
    match out {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(to_rhai(func, e)),
        Err(_) => {
            let msg = LAST_PANIC
                .with(|p| p.borrow_mut().take())
                .unwrap_or_else(|| "unknown cause".into());
            Err(rt_error(format!(
                "{func}: internal error ({msg}); please report this"
            )))
        }
    }
}

/// Reads an options map, checking types and rejecting unknown keys.
///
/// ```ignore
/// let mut o = Opts::new("akde", &map, &["window", "scale", "border"])?;
/// let window = o.int("window", 11)?;
/// ```
pub struct Opts<'m> {
    func: String,
    map: &'m Map,
}

impl<'m> Opts<'m> {
    /// Check that every key of `map` is one of `valid`.
    pub fn new(func: &str, map: &'m Map, valid: &[&str]) -> RResult<Self> {
        for k in map.keys() {
            if !valid.contains(&k.as_str()) {
                let mut keys: Vec<&str> = valid.to_vec();
                keys.sort_unstable();
                return Err(rt_error(format!(
                    "{func}: unknown option `{k}`; valid options are: {}",
                    keys.join(", ")
                )));
            }
        }
        Ok(Opts {
            func: func.into(),
            map,
        })
    }

    fn bad(&self, key: &str, expected: &str, got: &Dynamic) -> Box<EvalAltResult> {
        rt_error(format!(
            "{}: option `{key}` must be {expected}, got {} ({})",
            self.func,
            got,
            got.type_name()
        ))
    }

    /// Whether the key was given.
    pub fn has(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    /// A float (integers accepted), or `default`.
    pub fn float(&self, key: &str, default: f64) -> RResult<f64> {
        Ok(self.opt_float(key)?.unwrap_or(default))
    }

    /// A float if given.
    pub fn opt_float(&self, key: &str) -> RResult<Option<f64>> {
        match self.map.get(key) {
            None => Ok(None),
            Some(v) if v.is_unit() => Ok(None),
            Some(v) => as_f64(v).map(Some).ok_or_else(|| self.bad(key, "a number", v)),
        }
    }

    /// An integer, or `default`.
    pub fn int(&self, key: &str, default: i64) -> RResult<i64> {
        Ok(self.opt_int(key)?.unwrap_or(default))
    }

    /// An integer if given.
    pub fn opt_int(&self, key: &str) -> RResult<Option<i64>> {
        match self.map.get(key) {
            None => Ok(None),
            Some(v) if v.is_unit() => Ok(None),
            Some(v) => v.as_int().map(Some).map_err(|_| self.bad(key, "an integer", v)),
        }
    }

    /// A non-negative integer that fits `usize`, or `default`.
    pub fn usize(&self, key: &str, default: usize) -> RResult<usize> {
        let v = self.int(key, default as i64)?;
        usize::try_from(v)
            .map_err(|_| rt_error(format!("{}: option `{key}` must be >= 0, got {v}", self.func)))
    }

    /// A boolean, or `default`.
    pub fn bool(&self, key: &str, default: bool) -> RResult<bool> {
        match self.map.get(key) {
            None => Ok(default),
            Some(v) => v.as_bool().map_err(|_| self.bad(key, "true or false", v)),
        }
    }

    /// A string, or `default`.
    pub fn string(&self, key: &str, default: &str) -> RResult<String> {
        Ok(self.opt_string(key)?.unwrap_or_else(|| default.to_string()))
    }

    /// A string if given.
    pub fn opt_string(&self, key: &str) -> RResult<Option<String>> {
        match self.map.get(key) {
            None => Ok(None),
            Some(v) if v.is_unit() => Ok(None),
            Some(v) => v
                .clone()
                .into_immutable_string()
                .map(|s| Some(s.to_string()))
                .map_err(|_| self.bad(key, "a string", v)),
        }
    }

    /// One of `choices`, or `default`.
    pub fn choice(&self, key: &str, default: &str, choices: &[&str]) -> RResult<String> {
        let s = self.string(key, default)?;
        if choices.contains(&s.as_str()) {
            Ok(s)
        } else {
            Err(rt_error(format!(
                "{}: option `{key}` must be one of {}, got \"{s}\"",
                self.func,
                choices
                    .iter()
                    .map(|c| format!("\"{c}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            )))
        }
    }

    /// An array of numbers if given.
    pub fn opt_floats(&self, key: &str) -> RResult<Option<Vec<f64>>> {
        match self.map.get(key) {
            None => Ok(None),
            Some(v) if v.is_unit() => Ok(None),
            Some(v) => {
                let arr = v
                    .read_lock::<rhai::Array>()
                    .ok_or_else(|| self.bad(key, "an array of numbers", v))?;
                arr.iter()
                    .map(|x| as_f64(x).ok_or_else(|| self.bad(key, "an array of numbers", v)))
                    .collect::<RResult<Vec<f64>>>()
                    .map(Some)
            }
        }
    }

    /// An array of strings if given.
    pub fn opt_strings(&self, key: &str) -> RResult<Option<Vec<String>>> {
        match self.map.get(key) {
            None => Ok(None),
            Some(v) if v.is_unit() => Ok(None),
            Some(v) => {
                let arr = v
                    .read_lock::<rhai::Array>()
                    .ok_or_else(|| self.bad(key, "an array of strings", v))?;
                arr.iter()
                    .map(|x| {
                        x.clone()
                            .into_immutable_string()
                            .map(|s| s.to_string())
                            .map_err(|_| self.bad(key, "an array of strings", v))
                    })
                    .collect::<RResult<Vec<String>>>()
                    .map(Some)
            }
        }
    }

    /// A nested options map if given.
    pub fn opt_map(&self, key: &str) -> RResult<Option<Map>> {
        match self.map.get(key) {
            None => Ok(None),
            Some(v) if v.is_unit() => Ok(None),
            Some(v) => v
                .read_lock::<Map>()
                .map(|m| Some(m.clone()))
                .ok_or_else(|| self.bad(key, "an object map #{...}", v)),
        }
    }

    /// The raw value if given.
    pub fn raw(&self, key: &str) -> Option<&Dynamic> {
        self.map.get(key).filter(|v| !v.is_unit())
    }
}

/// A number as f64 (integers and floats).
pub fn as_f64(v: &Dynamic) -> Option<f64> {
    if let Ok(f) = v.as_float() {
        Some(f)
    } else {
        v.as_int().ok().map(|i| i as f64)
    }
}

/// A Rhai array of floats from a slice.
pub fn float_array(v: impl IntoIterator<Item = f64>) -> rhai::Array {
    v.into_iter().map(Dynamic::from_float).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_turns_errors_and_panics_into_script_errors() {
        install_panic_hook();
        let e = guard::<()>("akde", || Err(Error::arg("window", "must be odd"))).unwrap_err();
        assert_eq!(e.to_string(), "Runtime error: akde: window: must be odd");
        let e = guard::<()>("frc", || panic!("index out of bounds")).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("frc: internal error (index out of bounds"), "{msg}");
        assert!(matches!(
            *guard::<()>("t", || Err(Error::Interrupted)).unwrap_err(),
            EvalAltResult::ErrorTerminated(..)
        ));
        assert_eq!(guard("ok", || Ok(3)).unwrap(), 3);
    }

    #[test]
    fn opts_reject_unknown_keys_and_wrong_types() {
        let mut m = Map::new();
        m.insert("scale".into(), Dynamic::from_int(2));
        m.insert("border".into(), Dynamic::from("clip"));
        let o = Opts::new("akde", &m, &["window", "scale", "border"]).unwrap();
        assert_eq!(
            o.float("scale", 1.0).unwrap(),
            2.0,
            "integers are accepted for floats"
        );
        assert_eq!(o.int("window", 11).unwrap(), 11);
        assert!(o.int("scale", 0).is_ok());
        assert!(o
            .bool("border", false)
            .unwrap_err()
            .to_string()
            .contains("option `border` must be true or false"));
        assert!(o.choice("border", "clip", &["clip", "skip"]).is_ok());
        m.insert("windw".into(), Dynamic::from_int(3));
        let e = Opts::new("akde", &m, &["window", "scale", "border"])
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains("unknown option `windw`; valid options are: border, scale, window"),
            "{e}"
        );
    }
}
