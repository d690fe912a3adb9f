//! The registration layer every binding file uses.
//!
//! A binding is one declarative entry: [`Api::fun`] or [`Api::method`] names
//! the function, its positional arguments (with their kinds), its options
//! (a [`spec::Opt`](super::spec::Opt) list), its doc and its example, then
//! `.call(|c| ...)` gives the body, which reads its arguments through [`Call`]
//! and calls the numerics inside [`Call::run`]. From that one entry the layer
//! registers every arity (optional trailing arguments and the options map are
//! declared once), checks argument types with errors that name the argument,
//! and records the `help` text (signature, doc, options with defaults and
//! units, example) in [`Docs`].
//!
//! Script handle types implement [`Handle`] (type name, variable name used in
//! signatures, one-line summary); [`Api::handle`] registers one, so a new type
//! touches only its own binding file.
//!
//! Error handling at the boundary: [`guard`] runs a numerics call, converts a
//! [`crate::Error`] into a Rhai runtime error (the host adds the script
//! position), and turns a panic into an error instead of letting it reach the
//! user.

use super::spec::{help_block, Opt, Options};
use crate::error::Error;
use rhai::{Array, Dynamic, Engine, EvalAltResult, FnPtr, Map, NativeCallContext, Position, Variant};
use std::any::TypeId;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, RwLock};

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
    /// `name` may be `receiver.member` with the receiver's variable name
    /// (`img.akde`) or type name (`Image.akde`); overloads print once.
    pub fn help(&self, name: &str) -> Option<String> {
        let name = name.trim().trim_start_matches('.').trim_end_matches("()");
        let found: Vec<&DocEntry> = match name.split_once('.') {
            Some((recv, member)) => self
                .lookup(member)
                .into_iter()
                .filter(|e| {
                    e.receiver
                        .as_deref()
                        .is_some_and(|r| r == recv || receiver_var(r) == recv)
                })
                .collect(),
            None => self.lookup(name),
        };
        if found.is_empty() {
            return None;
        }
        let mut out = String::new();
        let mut seen_sigs: Vec<&str> = Vec::new();
        for e in &found {
            if !seen_sigs.contains(&e.signature.as_str()) {
                seen_sigs.push(&e.signature);
                out.push_str(&e.signature);
                out.push('\n');
            }
        }
        out.push('\n');
        let mut seen_docs: Vec<&str> = Vec::new();
        for e in &found {
            if !seen_docs.contains(&e.doc.as_str()) {
                seen_docs.push(&e.doc);
                out.push_str(&e.doc);
                out.push_str("\n\n");
            }
        }
        Some(out.trim_end().to_string())
    }

    /// Every name `help` knows, as `name` and `receiver_var.name`.
    pub fn names(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for e in &self.entries {
            let n = match &e.receiver {
                Some(r) => format!("{}.{}", receiver_var(r), e.name),
                None => e.name.clone(),
            };
            if !out.contains(&n) {
                out.push(n);
            }
        }
        out
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

/// A script handle type: a cheap, shared reference to a large value (table,
/// image, curve, network) that scripts pass around without copying.
pub trait Handle: Variant + Clone {
    /// The type name scripts see (`Image`).
    const TYPE: &'static str;
    /// The variable name used for it in signatures (`img`).
    const VAR: &'static str;
    /// A one-line summary (shape and metadata, never the data).
    fn summary(&self) -> String;
}

struct HandleInfo {
    id: TypeId,
    name: &'static str,
    var: &'static str,
    summary: fn(&Dynamic) -> Option<String>,
}

static HANDLES: RwLock<Vec<HandleInfo>> = RwLock::new(Vec::new());

fn summarize<T: Handle>(v: &Dynamic) -> Option<String> {
    v.read_lock::<T>().map(|t| t.summary())
}

/// The one-line summary of a handle value, if `v` is one.
pub fn handle_summary(v: &Dynamic) -> Option<String> {
    let id = v.type_id();
    let f = HANDLES.read().ok()?.iter().find(|h| h.id == id)?.summary;
    f(v)
}

/// The script type name of `v`: a handle's name, else Rhai's (`i64`, `array`).
pub fn type_label(v: &Dynamic) -> String {
    let id = v.type_id();
    if let Some(name) = HANDLES
        .read()
        .ok()
        .and_then(|h| h.iter().find(|h| h.id == id).map(|h| h.name))
    {
        return name.to_string();
    }
    let n = v.type_name();
    n.rsplit("::").next().unwrap_or(n).to_string()
}

/// The variable name used for a receiver type in signatures (`Image` → `img`).
pub fn receiver_var(type_name: &str) -> &'static str {
    HANDLES
        .read()
        .ok()
        .and_then(|h| h.iter().find(|h| h.name == type_name).map(|h| h.var))
        .unwrap_or("value")
}

/// The kind of a positional argument.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// A number (integers accepted).
    Num,
    /// An integer.
    Int,
    /// A string.
    Str,
    /// true or false.
    Bool,
    /// An array.
    Array,
    /// An object map.
    Map,
    /// A closure `|| ...` or function pointer.
    Fn,
    /// Any value (the body checks it).
    Any,
    /// A handle type (its TypeId and script name).
    Handle(TypeId, &'static str),
}

impl Kind {
    fn type_id(self) -> TypeId {
        match self {
            Kind::Handle(id, _) => id,
            _ => TypeId::of::<Dynamic>(),
        }
    }
}

#[derive(Clone, Debug)]
struct ArgDef {
    name: &'static str,
    kind: Kind,
    optional: bool,
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

    /// Access the engine (for what the declarative layer does not cover).
    pub fn engine(&mut self) -> &mut Engine {
        self.engine
    }

    /// Register a handle type: its script name, `to_string`/`to_debug` (the
    /// summary, so `print` and string interpolation show it) and its entry in
    /// the summary table the REPL uses.
    pub fn handle<T: Handle>(&mut self) -> &mut Self {
        self.engine.register_type_with_name::<T>(T::TYPE);
        self.engine.register_fn("to_string", |t: &mut T| t.summary());
        self.engine.register_fn("to_debug", |t: &mut T| t.summary());
        if let Ok(mut h) = HANDLES.write() {
            if !h.iter().any(|i| i.id == TypeId::of::<T>()) {
                h.push(HandleInfo {
                    id: TypeId::of::<T>(),
                    name: T::TYPE,
                    var: T::VAR,
                    summary: summarize::<T>,
                });
            }
        }
        self
    }

    /// Declare a free function `name(...)`.
    pub fn fun(&mut self, name: &'static str) -> Def<'_, 'a> {
        Def::new(self, name, None)
    }

    /// Declare a method `value.name(...)` of handle type `T`.
    pub fn method<T: Handle>(&mut self, name: &'static str) -> Def<'_, 'a> {
        Def::new(self, name, Some((TypeId::of::<T>(), T::TYPE, T::VAR)))
    }

    /// Register a read-only property `value.name` of handle type `T`.
    pub fn prop<T: Handle, R: Variant + Clone>(
        &mut self,
        name: &'static str,
        doc: &str,
        example: &str,
        f: impl Fn(&T) -> R + Send + Sync + 'static,
    ) -> &mut Self {
        self.engine.register_get(name, move |t: &mut T| f(t));
        let sig = format!("{}.{name}", T::VAR);
        let doc = format!("{}\nExample: {example}", doc.trim());
        self.record(name, Some(T::TYPE), &sig, &doc, true);
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

/// One function being declared; see [`Api::fun`].
pub struct Def<'r, 'a> {
    api: &'r mut Api<'a>,
    name: &'static str,
    receiver: Option<(TypeId, &'static str, &'static str)>,
    args: Vec<ArgDef>,
    optional: bool,
    opts: Option<Arc<[Opt]>>,
    doc: String,
    example: String,
    sig: Option<String>,
}

impl<'r, 'a> Def<'r, 'a> {
    fn new(
        api: &'r mut Api<'a>,
        name: &'static str,
        receiver: Option<(TypeId, &'static str, &'static str)>,
    ) -> Self {
        Def {
            api,
            name,
            receiver,
            args: Vec::new(),
            optional: false,
            opts: None,
            doc: String::new(),
            example: String::new(),
            sig: None,
        }
    }

    fn arg(mut self, name: &'static str, kind: Kind) -> Self {
        self.args.push(ArgDef {
            name,
            kind,
            optional: self.optional,
        });
        self
    }
    /// A number argument.
    pub fn num(self, name: &'static str) -> Self {
        self.arg(name, Kind::Num)
    }
    /// An integer argument.
    pub fn int(self, name: &'static str) -> Self {
        self.arg(name, Kind::Int)
    }
    /// A string argument.
    pub fn str(self, name: &'static str) -> Self {
        self.arg(name, Kind::Str)
    }
    /// A boolean argument.
    pub fn bool(self, name: &'static str) -> Self {
        self.arg(name, Kind::Bool)
    }
    /// An array argument.
    pub fn array(self, name: &'static str) -> Self {
        self.arg(name, Kind::Array)
    }
    /// A map argument (not the options map: see [`Def::opts`]).
    pub fn map(self, name: &'static str) -> Self {
        self.arg(name, Kind::Map)
    }
    /// A closure argument.
    pub fn closure(self, name: &'static str) -> Self {
        self.arg(name, Kind::Fn)
    }
    /// An argument of any type.
    pub fn any(self, name: &'static str) -> Self {
        self.arg(name, Kind::Any)
    }
    /// An argument of handle type `T`.
    pub fn handle<T: Handle>(self, name: &'static str) -> Self {
        self.arg(name, Kind::Handle(TypeId::of::<T>(), T::TYPE))
    }
    /// The arguments declared after this are optional (trailing).
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }
    /// A trailing, optional options map checked against `spec`.
    pub fn opts(mut self, spec: Vec<Opt>) -> Self {
        self.opts = Some(spec.into());
        self
    }
    /// What the function computes (first line: the summary `help` lists).
    pub fn doc(mut self, doc: &str) -> Self {
        self.doc = doc.trim().to_string();
        self
    }
    /// One line of script that runs (a test executes every example).
    pub fn example(mut self, example: &str) -> Self {
        self.example = example.trim().to_string();
        self
    }
    /// Override the generated signature (operators: `img + x`).
    pub fn sig(mut self, sig: &str) -> Self {
        self.sig = Some(sig.to_string());
        self
    }

    fn signature(&self) -> String {
        if let Some(s) = &self.sig {
            return s.clone();
        }
        let mut parts = String::new();
        let mut open = 0;
        for (i, a) in self.args.iter().enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            if a.optional {
                parts.push_str(&format!("[{sep}{}", a.name));
                open += 1;
            } else {
                parts.push_str(&format!("{sep}{}", a.name));
            }
        }
        parts.push_str(&"]".repeat(open));
        if self.opts.is_some() {
            if self.args.is_empty() {
                parts.push_str("[opts]");
            } else {
                parts.push_str("[, opts]");
            }
        }
        match self.receiver {
            Some((_, _, var)) => format!("{var}.{}({parts})", self.name),
            None => format!("{}({parts})", self.name),
        }
    }

    /// Register the function with `body`, for every arity its optional
    /// arguments allow, and record its help.
    pub fn call<T, F>(self, body: F)
    where
        T: Variant + Clone,
        F: Fn(&Call) -> RResult<T> + Send + Sync + 'static,
    {
        let sig = self.signature();
        let mut doc = self.doc.clone();
        if let Some(spec) = &self.opts {
            if !spec.is_empty() {
                doc.push('\n');
                doc.push_str(&help_block(spec));
            }
        }
        if !self.example.is_empty() {
            doc.push_str(&format!("\nExample: {}", self.example));
        }
        let receiver_name = self.receiver.map(|r| r.1);
        let shared = Arc::new(Shape {
            name: self.name,
            has_recv: self.receiver.is_some(),
            args: self.args,
            opts: self.opts,
        });
        let body = Arc::new(body);
        let mut types: Vec<TypeId> = self.receiver.iter().map(|r| r.0).collect();
        let required = shared.args.iter().filter(|a| !a.optional).count();
        for a in &shared.args[..required] {
            types.push(a.kind.type_id());
        }
        let mut arities = vec![types.clone()];
        for a in &shared.args[required..] {
            types.push(a.kind.type_id());
            arities.push(types.clone());
        }
        if shared.opts.is_some() {
            types.push(TypeId::of::<Map>());
            arities.push(types);
        }
        for ts in arities {
            let shape = shared.clone();
            let body = body.clone();
            self.api
                .engine
                .register_raw_fn(self.name, ts, move |ctx, args: &mut [&mut Dynamic]| {
                    let call = Call {
                        shape: &shape,
                        ctx,
                        args,
                    };
                    catch_panics(shape.name, || body(&call))
                });
        }
        self.api.record(self.name, receiver_name, &sig, &doc, false);
    }
}

struct Shape {
    name: &'static str,
    has_recv: bool,
    args: Vec<ArgDef>,
    opts: Option<Arc<[Opt]>>,
}

/// The arguments of one call, read by name with errors that name them.
pub struct Call<'c, 'a, 'b> {
    shape: &'c Shape,
    ctx: NativeCallContext<'a>,
    args: &'c mut [&'b mut Dynamic],
}

impl<'c, 'a, 'b> Call<'c, 'a, 'b> {
    /// The function's name.
    pub fn name(&self) -> &'static str {
        self.shape.name
    }

    /// The calling context (to call script closures).
    pub fn ctx(&self) -> &NativeCallContext<'a> {
        &self.ctx
    }

    /// The receiver of a method.
    pub fn recv<T: Handle>(&self) -> RResult<T> {
        self.args
            .first()
            .and_then(|v| v.read_lock::<T>().map(|t| t.clone()))
            .ok_or_else(|| rt_error(format!("{}: expected a {} receiver", self.name(), T::TYPE)))
    }

    fn slot(&self, name: &str) -> RResult<Option<&Dynamic>> {
        let i = self
            .shape
            .args
            .iter()
            .position(|a| a.name == name)
            .ok_or_else(|| {
                rt_error(format!(
                    "{}: internal error: argument `{name}` is not declared; please report this",
                    self.name()
                ))
            })?;
        let i = i + usize::from(self.shape.has_recv);
        Ok(self.args.get(i).map(|v| &**v))
    }

    fn bad(&self, name: &str, expected: &str, v: &Dynamic) -> Box<EvalAltResult> {
        rt_error(format!(
            "{}: `{name}` must be {expected}, got {} ({})",
            self.name(),
            short_value(v),
            type_label(v)
        ))
    }

    fn required(&self, name: &str) -> RResult<&Dynamic> {
        self.slot(name)?
            .ok_or_else(|| rt_error(format!("{}: argument `{name}` is missing", self.name())))
    }

    /// A number argument (integers accepted; must be finite).
    pub fn num(&self, name: &str) -> RResult<f64> {
        let v = self.required(name)?;
        match as_f64(v) {
            Some(x) if x.is_finite() => Ok(x),
            Some(_) => Err(self.bad(name, "a finite number", v)),
            None => Err(self.bad(name, "a number", v)),
        }
    }

    /// An optional trailing number argument.
    pub fn opt_num(&self, name: &str) -> RResult<Option<f64>> {
        match self.slot(name)? {
            None => Ok(None),
            Some(_) => self.num(name).map(Some),
        }
    }

    /// An integer argument.
    pub fn int(&self, name: &str) -> RResult<i64> {
        let v = self.required(name)?;
        v.as_int().map_err(|_| self.bad(name, "an integer", v))
    }

    /// An optional trailing integer argument.
    pub fn opt_int(&self, name: &str) -> RResult<Option<i64>> {
        match self.slot(name)? {
            None => Ok(None),
            Some(_) => self.int(name).map(Some),
        }
    }

    /// A non-negative integer argument.
    pub fn count(&self, name: &str) -> RResult<usize> {
        let v = self.required(name)?;
        v.as_int()
            .ok()
            .and_then(|i| usize::try_from(i).ok())
            .ok_or_else(|| self.bad(name, "an integer >= 0", v))
    }

    /// A seed argument (an integer >= 0).
    pub fn seed(&self, name: &str) -> RResult<u64> {
        Ok(self.count(name)? as u64)
    }

    /// A string argument.
    pub fn str(&self, name: &str) -> RResult<String> {
        let v = self.required(name)?;
        v.clone().into_string().map_err(|_| self.bad(name, "a string", v))
    }

    /// An optional trailing string argument.
    pub fn opt_str(&self, name: &str) -> RResult<Option<String>> {
        match self.slot(name)? {
            None => Ok(None),
            Some(_) => self.str(name).map(Some),
        }
    }

    /// A boolean argument.
    pub fn bool(&self, name: &str) -> RResult<bool> {
        let v = self.required(name)?;
        v.as_bool().map_err(|_| self.bad(name, "true or false", v))
    }

    /// An array argument.
    pub fn array(&self, name: &str) -> RResult<Array> {
        let v = self.required(name)?;
        v.read_lock::<Array>()
            .map(|a| a.clone())
            .ok_or_else(|| self.bad(name, "an array [...]", v))
    }

    /// A map argument.
    pub fn map(&self, name: &str) -> RResult<Map> {
        let v = self.required(name)?;
        v.read_lock::<Map>()
            .map(|m| m.clone())
            .ok_or_else(|| self.bad(name, "an object map #{...}", v))
    }

    /// A closure argument.
    pub fn closure(&self, name: &str) -> RResult<FnPtr> {
        let v = self.required(name)?;
        v.read_lock::<FnPtr>()
            .map(|f| f.clone())
            .ok_or_else(|| self.bad(name, "a closure |...| ...", v))
    }

    /// An argument of any type.
    pub fn any(&self, name: &str) -> RResult<Dynamic> {
        self.required(name).cloned()
    }

    /// A handle argument.
    pub fn handle<T: Handle>(&self, name: &str) -> RResult<T> {
        let v = self.required(name)?;
        v.read_lock::<T>()
            .map(|t| t.clone())
            .ok_or_else(|| self.bad(name, &format!("a {}", T::TYPE), v))
    }

    /// The options map, checked against the function's spec (empty when not given).
    pub fn opts(&self) -> RResult<Options> {
        let spec: Arc<[Opt]> = self.shape.opts.clone().unwrap_or_else(|| Vec::new().into());
        let n_pos = usize::from(self.shape.has_recv) + self.shape.args.len();
        let map = match self.args.get(n_pos) {
            Some(v) => v.read_lock::<Map>().map(|m| m.clone()).unwrap_or_default(),
            None => Map::new(),
        };
        Options::check(self.name(), spec, map)
    }

    /// Run a numerics call: a [`crate::Error`] becomes a script error named
    /// after this function; a panic becomes an internal error.
    pub fn run<T>(&self, f: impl FnOnce() -> crate::Result<T>) -> RResult<T> {
        guard(self.name(), f)
    }
}

/// A value shortened for an error message.
fn short_value(v: &Dynamic) -> String {
    if let Some(s) = handle_summary(v) {
        return s;
    }
    let s = v.to_string();
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s
    }
}

fn catch_panics<T>(func: &str, f: impl FnOnce() -> RResult<T>) -> RResult<T> {
    GUARD_DEPTH.with(|d| *d.borrow_mut() += 1);
    let out = catch_unwind(AssertUnwindSafe(f));
    GUARD_DEPTH.with(|d| *d.borrow_mut() -= 1);
    match out {
        Ok(r) => r,
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
