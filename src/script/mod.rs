//! The scripting layer: registers locus's types and functions with Rhai.
//!
//! This layer is thin on purpose. Each domain has one binding file
//! (`host.rs`, `image.rs`, `locs.rs`, ...) with a `register(&mut Api)`
//! function made of declarative entries: name, arguments, an option spec
//! ([`spec`]), doc and example, and a body that reads its arguments, calls the
//! numerics and converts the error (see [`api`]). Large values cross into
//! scripts as shared handles (`Arc`) implementing [`api::Handle`], never as
//! arrays of `Dynamic`.

pub mod api;
pub mod column;
pub mod frc;
mod host;
pub mod image;
pub mod locs;
pub mod nn;
pub mod plot;
pub mod preprocess;
pub mod resolver;
pub mod sandbox;
pub mod spec;
pub mod values;

pub use api::{DocEntry, Docs};

use rhai::Engine;
use std::sync::{Arc, OnceLock};

static DOCS: OnceLock<Arc<Docs>> = OnceLock::new();

/// Register every binding file into `engine`, recording docs in `docs`.
fn register_all(engine: &mut Engine, docs: &mut Docs) {
    let mut api = api::Api::new(engine, docs);
    host::register(&mut api);
    image::register(&mut api);
    frc::register(&mut api);
    locs::register(&mut api);
    column::register(&mut api);
    plot::register(&mut api);
    nn::register(&mut api);
    preprocess::register(&mut api);
}

/// The documentation of every registered script function.
pub fn docs() -> Arc<Docs> {
    DOCS.get_or_init(|| {
        let mut engine = Engine::new_raw();
        let mut docs = Docs::default();
        register_all(&mut engine, &mut docs);
        Arc::new(docs)
    })
    .clone()
}

/// A fully configured engine: standard packages, every locus function, the
/// module resolver (embedded stdlib, script-relative paths, `LOCUS_PATH`) and
/// the interrupt hook (Ctrl-C stops a running script).
pub fn new_engine() -> Engine {
    api::install_panic_hook();
    let mut engine = Engine::new();
    let mut docs = Docs::default();
    register_all(&mut engine, &mut docs);
    let _ = DOCS.set(Arc::new(docs));
    engine.set_module_resolver(resolver::LocusResolver::new());
    engine.set_max_expr_depths(256, 256);
    // Printed lines go above a progress bar on screen, never through it.
    engine.on_print(crate::progress::println);
    engine.on_progress(|_| {
        if crate::interrupt::is_requested() {
            Some(rhai::Dynamic::from("interrupted (Ctrl-C)"))
        } else {
            None
        }
    });
    engine
}

/// The help text for `name`: a function, method (`img.akde`, `Image.akde`),
/// property, or an embedded stdlib module (`stats`, `stats::mean`).
pub fn help_text(name: &str) -> Option<String> {
    let name = name.trim();
    if let Some(text) = docs().help(name) {
        return Some(text);
    }
    let (module, member) = match name.split_once("::") {
        Some((m, f)) => (m, Some(f.trim_end_matches("()"))),
        None => (name, None),
    };
    let (_, source) = resolver::STDLIB.iter().find(|(n, _)| *n == module)?;
    Some(stdlib_help(module, source, member)).filter(|s| !s.is_empty())
}

/// The header comment of a stdlib module and its functions with their `///`
/// comments (or one function's).
fn stdlib_help(module: &str, source: &str, member: Option<&str>) -> String {
    let mut out = String::new();
    if member.is_none() {
        for line in source.lines() {
            match line.strip_prefix("//") {
                Some(rest) if !line.starts_with("///") => {
                    out.push_str(rest.strip_prefix(' ').unwrap_or(rest));
                    out.push('\n');
                }
                _ => break,
            }
        }
        out.push_str(&format!("\nFunctions (import \"{module}\" as {module};):\n"));
    }
    let mut doc: Vec<&str> = Vec::new();
    for line in source.lines() {
        let t = line.trim_start();
        if let Some(d) = t.strip_prefix("///") {
            doc.push(d.trim());
        } else if let Some(sig) = t.strip_prefix("fn ") {
            let sig = sig.trim_end_matches('{').trim();
            let fname = sig.split('(').next().unwrap_or("");
            if member.is_none_or(|m| m == fname) && !fname.starts_with('_') {
                out.push_str(&format!("  {module}::{sig}\n"));
                for d in &doc {
                    out.push_str(&format!("      {d}\n"));
                }
            }
            doc.clear();
        } else if !t.is_empty() {
            doc.clear();
        }
    }
    out.trim_end().to_string()
}

/// The error for `help(name)` when nothing is called so: the closest names.
pub fn unknown_help(name: &str) -> String {
    let d = docs();
    let names = d.names();
    let mut all: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
    all.extend(resolver::STDLIB.iter().map(|(n, _)| *n));
    let bare = name.rsplit('.').next().unwrap_or(name);
    let guess = crate::fmt::closest(name, all.iter().copied())
        .or_else(|| crate::fmt::closest(bare, all.iter().copied().filter(|n| !n.contains('.'))));
    match guess {
        Some(g) => format!("help: no function named `{name}`; did you mean `{g}`? help() lists them all"),
        None => format!("help: no function named `{name}`; help() lists them all"),
    }
}

/// A better message for Rhai's "Function not found: NAME (TYPES)": the valid
/// signatures of a known name with the types given and a hint, or the
/// closest names of an unknown one.
pub fn explain_not_found(sig: &str) -> String {
    let (name, types) = match sig.split_once(" (") {
        Some((n, rest)) => (n.trim(), rest.trim_end_matches(')')),
        None => (sig.trim(), ""),
    };
    let given: Vec<String> = split_types(types)
        .into_iter()
        .map(|t| friendly_type(&t))
        .collect();
    let d = docs();
    let entries = d.lookup(name);
    if entries.is_empty() {
        let names = d.names();
        let plain: Vec<&str> = names
            .iter()
            .map(|s| s.as_str())
            .filter(|n| !n.contains('.'))
            .collect();
        let members: Vec<&str> = names
            .iter()
            .filter_map(|n| n.split_once('.').map(|(_, m)| m))
            .collect();
        let guess = crate::fmt::closest(name, plain.iter().copied().chain(members.iter().copied()));
        return match guess {
            Some(g) => format!("unknown function `{name}`; did you mean `{g}`? (help() lists them all)"),
            None => format!("unknown function `{name}` (help() lists them all)"),
        };
    }
    let mut sigs: Vec<&str> = Vec::new();
    for e in &entries {
        if !sigs.contains(&e.signature.as_str()) {
            sigs.push(&e.signature);
        }
    }
    let mut msg = format!(
        "`{name}` cannot take ({}); it is called as: {}",
        given.join(", "),
        sigs.join(" or ")
    );
    let receivers: Vec<&str> = entries.iter().filter_map(|e| e.receiver.as_deref()).collect();
    let first = given.first().map(String::as_str).unwrap_or("");
    if !receivers.is_empty() && entries.iter().all(|e| e.receiver.is_some()) && !receivers.contains(&first) {
        let r = receivers[0];
        msg.push_str(&format!("; `{name}` is a method of {r}"));
        if first == "Locs" && r == "Image" {
            msg.push_str(&format!(
                ": render the table first, e.g. locs.render(#{{ pixel_nm: 10.0 }}).{name}()"
            ));
        }
    }
    if sigs
        .iter()
        .any(|s| s.contains("(curves") || s.contains("(images") || s.contains("(items"))
        && given.first().is_some_and(|t| t != "array")
    {
        msg.push_str(&format!(
            "; the first argument is an array: {name}([{}], ...)",
            receiver_var_of(first)
        ));
    }
    msg
}

fn receiver_var_of(type_name: &str) -> &'static str {
    api::receiver_var(type_name)
}

/// Split Rhai's type list "A, &str | ImmutableString | String, i64".
fn split_types(types: &str) -> Vec<String> {
    if types.trim().is_empty() {
        return Vec::new();
    }
    types.split(", ").map(|t| t.trim().to_string()).collect()
}

/// A Rhai type name as scripts know it.
fn friendly_type(t: &str) -> String {
    let t = t.trim();
    if t.contains("ImmutableString") || t == "&str" || t == "String" {
        return "string".into();
    }
    let last = t.rsplit("::").next().unwrap_or(t);
    match last {
        "i64" | "INT" => "integer".into(),
        "f64" | "FLOAT" => "number".into(),
        "Array" | "Vec<Dynamic>" => "array".into(),
        "Map" | "BTreeMap<SmartString, Dynamic>" => "map".into(),
        "()" => "()".into(),
        other => other.to_string(),
    }
}

/// A hint for a syntax error on `line`: options written `{ ... }` or
/// `f(key: value)` instead of the object map `#{ key: value }`.
pub fn syntax_hint(line: &str) -> Option<String> {
    let bytes: Vec<char> = line.chars().collect();
    let bare_brace = bytes.iter().enumerate().any(|(i, &c)| {
        c == '{' && (i == 0 || bytes[i - 1] != '#') && {
            let rest: String = bytes[i + 1..].iter().collect();
            let rest = rest.trim_start();
            let key: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            !key.is_empty() && rest[key.len()..].trim_start().starts_with(':')
        }
    });
    let named_arg = line.split('(').skip(1).any(|after| {
        let key: String = after
            .trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        !key.is_empty() && after.trim_start()[key.len()..].trim_start().starts_with(':')
    });
    (bare_brace || named_arg).then(|| {
        "options are object maps: write #{ key: value, ... }, e.g. locs.render(#{ pixel_nm: 10.0 })"
            .to_string()
    })
}
