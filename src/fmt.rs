//! Number and duration formatting shared by every one-line summary, figure
//! label and message (no Rhai, no plotting here).

/// A float in its shortest round-trip form, keeping a decimal point
/// (`10.0`, `0.143`), exponent notation for very large or small magnitudes.
pub fn float(f: f64) -> String {
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

/// A number as briefly as it can be written exactly (`10`, `0.5`, `1e-9`):
/// for ranges and defaults in messages.
pub fn float_short(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else if f.abs() >= 1e-4 && f.abs() < 1e15 {
        format!("{f}")
    } else {
        format!("{f:e}")
    }
}

/// A duration in seconds as "12.3 ms", "4.56 s" or "2 min 3.4 s".
pub fn duration(secs: f64) -> String {
    if secs < 1e-3 {
        format!("{:.1} µs", secs * 1e6)
    } else if secs < 1.0 {
        format!("{:.1} ms", secs * 1e3)
    } else if secs < 60.0 {
        format!("{secs:.2} s")
    } else {
        format!("{} min {:.1} s", (secs / 60.0).floor(), secs % 60.0)
    }
}

/// A tick label with as many decimals as `step` needs; exponent form for
/// very large or small magnitudes.
pub fn tick(v: f64, step: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let big = v.abs().max(step.abs());
    if !(1e-3..1e5).contains(&big) {
        let s = format!("{v:.1e}");
        return s.replace(".0e", "e");
    }
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10().floor()) as usize
    };
    format!("{v:.decimals$}")
}

/// A short label for an axis value: up to 4 significant digits, no trailing
/// zeros, exponent form outside 1e-3..1e5.
pub fn short(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return if v == 0.0 { "0".into() } else { format!("{v}") };
    }
    let a = v.abs();
    if !(1e-3..1e5).contains(&a) {
        let s = format!("{v:.3e}");
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        let m = if m.contains('.') {
            m.trim_end_matches('0').trim_end_matches('.')
        } else {
            m
        };
        return format!("{m}e{e}");
    }
    let decimals = (3 - a.log10().floor() as i32).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Levenshtein distance of two strings (characters).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The candidate closest to `name` by edit distance, if it is close enough
/// to be a plausible typo (distance <= max(1, len/3)) or contains it.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = edit_distance(name, c);
        let d = if d > limit && name.len() >= 3 && c.contains(name) {
            limit
        } else {
            d
        };
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_keep_a_decimal_point_and_round_trip() {
        assert_eq!(float(10.0), "10.0");
        assert_eq!(float(0.143), "0.143");
        assert_eq!(float(1e-9), "1e-9");
        assert_eq!(float_short(10.0), "10");
        assert_eq!(float_short(0.5), "0.5");
        assert_eq!(short(1234.5678), "1235");
        assert_eq!(tick(0.25, 0.05), "0.25");
    }

    #[test]
    fn durations() {
        assert_eq!(duration(0.0123), "12.3 ms");
        assert_eq!(duration(4.561), "4.56 s");
        assert_eq!(duration(123.4), "2 min 3.4 s");
    }

    #[test]
    fn closest_names() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        let names = ["simulate_microtubules", "simulate_filament_pair", "load_locs"];
        assert_eq!(
            closest("simulate_microtubule", names),
            Some("simulate_microtubules")
        );
        assert_eq!(closest("load_loc", names), Some("load_locs"));
        assert_eq!(closest("zzz", names), None);
    }
}
