//! How values are shown at the REPL and by `print`: a type-aware one-line
//! summary that never dumps a large value's data. Handle types bring their
//! own summary (see [`super::api::Handle`]); this file knows none of them.

use rhai::Dynamic;

/// The type name scripts see for a value (`Image`, `Locs`, `array`, ...),
/// as registered with `engine`.
pub fn type_name(engine: &rhai::Engine, v: &Dynamic) -> String {
    let name = engine.map_type_name(v.type_name());
    name.rsplit("::").next().unwrap_or("?").to_string()
}

/// A short, type-aware summary of a value.
pub fn describe(v: &Dynamic) -> String {
    if v.is_unit() {
        return "()".into();
    }
    if let Ok(f) = v.as_float() {
        return crate::fmt::float(f);
    }
    if v.is_string() {
        return format!("{v:?}");
    }
    if let Some(s) = super::api::handle_summary(v) {
        return s;
    }
    if let Some(arr) = v.read_lock::<rhai::Array>() {
        let n = arr.len();
        let shown: Vec<String> = arr.iter().take(8).map(describe).collect();
        let more = if n > 8 {
            format!(", … ({n} items)")
        } else {
            String::new()
        };
        return format!("[{}{more}]", shown.join(", "));
    }
    if let Some(map) = v.read_lock::<rhai::Map>() {
        let items: Vec<String> = map.iter().map(|(k, v)| format!("{k}: {}", describe(v))).collect();
        return format!("#{{{}}}", items.join(", "));
    }
    v.to_string()
}
