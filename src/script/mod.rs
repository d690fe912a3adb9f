//! The scripting layer: registers locus's types and functions with Rhai.
//!
//! This layer is thin on purpose. Each domain has one binding file
//! (`host.rs`, `image.rs`, `locs.rs`, ...) with a `register(&mut Api)`
//! function; each binding converts arguments, calls the numerics module and
//! converts its error (see [`api`]). Large values cross into scripts as shared
//! handles (`Arc`), never as arrays of `Dynamic`.

pub mod api;
pub mod frc;
mod host;
pub mod image;
pub mod locs;
pub mod nn;
pub mod plot;
pub use host::format_duration;
pub mod resolver;
pub mod sandbox;
pub mod values;

pub use api::{DocEntry, Docs};

use rhai::Engine;
use std::sync::{Arc, OnceLock};

static DOCS: OnceLock<Arc<Docs>> = OnceLock::new();

/// Register every binding file into `engine`, recording docs in `docs`.
fn register_all(engine: &mut Engine, docs: &mut Docs) {
    let mut api = api::Api::new(engine, docs);
    host::register(&mut api);
    values::register(&mut api);
    image::register(&mut api);
    frc::register(&mut api);
    locs::register(&mut api);
    plot::register(&mut api);
    nn::register(&mut api);
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
    engine.on_progress(|_| {
        if crate::interrupt::is_requested() {
            Some(rhai::Dynamic::from("interrupted (Ctrl-C)"))
        } else {
            None
        }
    });
    engine
}
