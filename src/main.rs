//! The `locus` binary: see [`locus::host::cli`].

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(locus::host::cli::main());
}
