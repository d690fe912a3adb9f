//! How values are shown at the REPL and by `print`: a type-aware one-line
//! summary that never dumps a large value's data.

use super::api::Api;
use rhai::Dynamic;

pub fn register(_api: &mut Api) {}

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
        return format_float(f);
    }
    if v.is_string() {
        return format!("{v:?}");
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
    if let Some(i) = v.read_lock::<super::image::ImageRef>() {
        return i.summary();
    }
    if let Some(l) = v.read_lock::<super::locs::LocsRef>() {
        return l.summary();
    }
    if let Some(n) = v.read_lock::<super::nn::UNetRef>() {
        return n.summary();
    }
    if let Some(p) = v.read_lock::<super::nn::PairsRef>() {
        return p.summary();
    }
    if let Some(h) = v.read_lock::<super::nn::HistoryRef>() {
        return h.summary();
    }
    if let Some(c) = v.read_lock::<super::frc::FrcRef>() {
        return c.summary();
    }
    if let Some(map) = v.read_lock::<rhai::Map>() {
        let items: Vec<String> = map.iter().map(|(k, v)| format!("{k}: {}", describe(v))).collect();
        return format!("#{{{}}}", items.join(", "));
    }
    v.to_string()
}

/// A float in its shortest round-trip form, keeping a decimal point
/// (exponent notation for very large or small magnitudes).
pub fn format_float(f: f64) -> String {
    if f == 0.0 || !f.is_finite() || (f.abs() >= 1e-5 && f.abs() < 1e15) {
        let s = format!("{f}");
        if f.is_finite() && !s.contains('.') {
            format!("{s}.0")
        } else {
            s
        }
    } else {
        format!("{f:e}")
    }
}
