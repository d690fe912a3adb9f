//! The `locus` binary: see [`locus::host::cli`].

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

extern "C" {
    // From the mimalloc library linked by the `mimalloc` crate.
    fn mi_option_set(option: i32, value: std::os::raw::c_long);
}

/// `mi_option_purge_delay` in mimalloc's `mi_option_e`.
const MI_OPTION_PURGE_DELAY: i32 = 15;

fn main() {
    // Keep freed pages instead of returning them to the OS: training
    // allocates the same large buffers every step, and re-faulting them in
    // cost about a third of the step time.
    // SAFETY: a plain setter of a global option, called before any allocation-heavy work.
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, -1) }
    std::process::exit(locus::host::cli::main());
}
