//! Shared by the benchmark examples (`#[path = "common/proc.rs"] mod proc;`):
//! the allocator set-up of the `locus` binary and process statistics read
//! from /proc (Linux; NaN or 0 where unavailable).
#![allow(dead_code)] // each benchmark uses some of these

extern "C" {
    /// mimalloc's option setter (exported by the linked libmimalloc; the Rust
    /// binding needs the crate's `extended` feature, so declare it here).
    fn mi_option_set(option: i32, value: std::os::raw::c_long);
}
/// `mi_option_purge_delay` in mimalloc 2.x/3.x's `mi_option_e`.
const MI_OPTION_PURGE_DELAY: i32 = 15;

/// Never hand freed memory back to the kernel, as the `locus` binary does: a
/// training step or a large FFT frees and re-allocates hundreds of MB, and
/// handing it back makes the kernel zero every page again on the next call.
pub fn keep_freed_memory() {
    // SAFETY: a plain option store, called before any other thread exists.
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, -1) }
}

/// The fields of /proc/self/stat after the parenthesised command name
/// (the first is field 3, the state).
fn stat_fields() -> Vec<String> {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .map(|(_, r)| r.split_whitespace().map(str::to_string).collect())
        })
        .unwrap_or_default()
}

/// CPU time (user + system, all threads) of this process in seconds (clock
/// ticks of 1/100 s); NaN where unavailable.
pub fn cpu_seconds() -> f64 {
    let f = stat_fields();
    let ticks = |n: usize| {
        f.get(n - 3)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    (ticks(14) + ticks(15)) / 100.0
}

/// Minor page faults of this process so far (field 10); 0 where unavailable.
pub fn minor_faults() -> u64 {
    stat_fields()
        .get(10 - 3)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Peak resident memory of this process in MB (VmHWM), 0 where unknown.
pub fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse::<f64>().ok()))
        })
        .map_or(0.0, |kb| kb / 1024.0)
}
