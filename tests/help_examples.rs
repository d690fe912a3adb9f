//! The `Example:` line of every function's help runs: documentation cannot
//! drift from the code. Each example is evaluated in a fresh copy of a scope
//! holding small built-in data under the names the examples use (`locs`,
//! `sim`, `img`, `curve`, `pairs`, `net`, `history`, `drift`, `nena`), in a temporary working
//! folder (with `tests/data` linked into it).

use rhai::{Dynamic, Scope};

const PRELUDE: &str = r#"
let sim = simulate_microtubules(#{ seed: 1, n_locs: 4000, size_nm: 4000.0, frames: 2000, filaments: 4, blink_continue: 0.6, drift_nm: 50.0 });
let locs = sim;
let img = sim.render(#{ pixel_nm: 20.0 });
let curve = sim.frc(#{ pixel_nm: 10.0, repeats: 2 });
let pairs = training_pairs([sim], #{ pixel_nm: 20.0, patch: 64, per_table: 2 });
let net = unet(#{ depth: 3, filters: 4, seed: 1 });
let history = net.train(pairs, #{ epochs: 1, ms_ssim_scales: 2, quiet: true });
let drift = sim.undrift(#{ segment_frames: 500 }).drift;
let nena = sim.nena();
"#;

#[test]
fn every_help_example_runs() {
    let repo = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("tests")).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(repo.join("tests/data"), dir.path().join("tests/data")).unwrap();
    std::env::set_current_dir(dir.path()).unwrap();
    std::env::set_var("LOCUS_NO_PROGRESS", "1");

    let engine = locus::script::new_engine();
    let mut scope = Scope::new();
    engine
        .run_with_scope(&mut scope, PRELUDE)
        .unwrap_or_else(|e| panic!("prelude failed: {e}"));

    let docs = locus::script::docs();
    let mut seen = std::collections::HashSet::new();
    let mut failures = Vec::new();
    let mut ran = 0;
    for e in docs.entries() {
        let example = e
            .doc
            .lines()
            .find_map(|l| l.strip_prefix("Example: "))
            .unwrap_or_else(|| panic!("`{}` has no Example line", e.signature));
        if !seen.insert(example.to_string()) {
            continue;
        }
        let mut s = scope.clone();
        ran += 1;
        if let Err(err) = engine.eval_with_scope::<Dynamic>(&mut s, example) {
            failures.push(format!("{}: {example}\n    -> {err}", e.signature));
        }
    }
    assert!(ran > 60, "only {ran} examples ran");
    assert!(
        failures.is_empty(),
        "{} examples fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
