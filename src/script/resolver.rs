//! Module resolution for `import "name" as m;`.
//!
//! Search order: the embedded standard library (`stdlib/name.rhai`, compiled
//! into the binary), then the path relative to the importing script's folder
//! (or the working folder at the REPL), then each folder of `LOCUS_PATH`
//! (separated like `PATH`). Resolved modules are cached by file, and every
//! source text is remembered so that errors inside a module can print the
//! offending line.

use rhai::{Engine, EvalAltResult, Module, Position, Scope, Shared};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// The standard library shipped inside the binary: (module name, source).
pub const STDLIB: &[(&str, &str)] = &[
    ("stats", include_str!("../../stdlib/stats.rhai")),
    ("cli", include_str!("../../stdlib/cli.rhai")),
    ("experiments", include_str!("../../stdlib/experiments.rhai")),
];

fn sources() -> &'static Mutex<HashMap<String, Arc<str>>> {
    static S: OnceLock<Mutex<HashMap<String, Arc<str>>>> = OnceLock::new();
    S.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Remember the text of a source file under the name errors will use.
pub fn remember_source(name: &str, text: &str) {
    if let Ok(mut m) = sources().lock() {
        m.insert(name.to_string(), Arc::from(text));
    }
}

/// The text of a remembered source.
pub fn source_text(name: &str) -> Option<Arc<str>> {
    sources().lock().ok().and_then(|m| m.get(name).cloned())
}

/// The resolver installed in every locus engine.
#[derive(Default)]
pub struct LocusResolver {
    cache: Mutex<HashMap<String, Shared<Module>>>,
}

impl LocusResolver {
    /// A resolver with an empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Where `import "path"` from `importer` would load from: the source
    /// name (`stdlib/x.rhai` or a file path) and its text.
    pub fn locate(path: &str, importer: Option<&str>) -> Result<(String, String), String> {
        let stem = path.strip_suffix(".rhai").unwrap_or(path);
        if let Some((name, text)) = STDLIB.iter().find(|(n, _)| *n == stem) {
            return Ok((format!("stdlib/{name}.rhai"), text.to_string()));
        }
        let file = if path.ends_with(".rhai") {
            path.to_string()
        } else {
            format!("{path}.rhai")
        };
        let mut tried: Vec<PathBuf> = Vec::new();
        let base = importer
            .filter(|s| !s.is_empty() && !s.starts_with("stdlib/") && !s.starts_with('<'))
            .and_then(|s| Path::new(s).parent().map(Path::to_path_buf))
            .unwrap_or_default();
        tried.push(base.join(&file));
        if let Some(dirs) = std::env::var_os("LOCUS_PATH") {
            for d in std::env::split_paths(&dirs) {
                tried.push(d.join(&file));
            }
        }
        for candidate in &tried {
            if candidate.is_file() {
                super::sandbox::check_read(candidate).map_err(|e| e.to_string())?;
                let text = std::fs::read_to_string(candidate)
                    .map_err(|e| format!("cannot read module {}: {e}", candidate.display()))?;
                return Ok((candidate.display().to_string(), text));
            }
        }
        let names: Vec<&str> = STDLIB.iter().map(|(n, _)| *n).collect();
        Err(format!(
            "module \"{path}\" not found: not in the standard library ({}), tried {}",
            names.join(", "),
            tried
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }
}

impl rhai::ModuleResolver for LocusResolver {
    fn resolve(
        &self,
        engine: &Engine,
        source: Option<&str>,
        path: &str,
        pos: Position,
    ) -> Result<Shared<Module>, Box<EvalAltResult>> {
        let (name, text) = Self::locate(path, source)
            .map_err(|msg| Box::new(EvalAltResult::ErrorRuntime(msg.into(), pos)))?;
        if let Some(m) = self.cache.lock().ok().and_then(|c| c.get(&name).cloned()) {
            return Ok(m);
        }
        remember_source(&name, &text);
        let mut ast = engine
            .compile(&text)
            .map_err(|e| Box::new(EvalAltResult::ErrorInModule(name.clone(), e.into(), pos)))?;
        ast.set_source(name.as_str());
        let module = Module::eval_ast_as_new(Scope::new(), &ast, engine)
            .map_err(|e| Box::new(EvalAltResult::ErrorInModule(name.clone(), e, pos)))?;
        let shared: Shared<Module> = module.into();
        if let Ok(mut c) = self.cache.lock() {
            c.insert(name, shared.clone());
        }
        Ok(shared)
    }
}
